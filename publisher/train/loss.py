"""The training loss, computed from the last hidden states without materialising fp32 logits.

A causal LM's loss over a 1024-token block goes through 1024 x 49,152 logits (SmolLM2): the
model returns them in bf16, transformers' loss copies them to fp32, Accelerate copies the output
to fp32 again, and log-softmax's backward makes one more pass. On the 2-core benchmark machine
that was about a quarter of a training step (steps of 2.4 s became 1.7 s without it). Here the LM head and the cross-entropy
are one autograd function that walks the tokens in chunks of `CHUNK` rows: each chunk's fp32
logits are small and short-lived, and what backward needs is kept as one bf16 tensor of
gradients with respect to the logits.

`LossModel` wraps a causal LM so that `model(**batch)` returns the mean loss per predicted token,
the same number transformers computes (`tests/test_loss.py`). Models whose head is more than a
plain linear layer (logit scaling, soft-capping) keep transformers' own loss.
"""

from __future__ import annotations

from typing import Any

import torch

CHUNK = 128  # tokens per chunk: 128 x 49,152 fp32 logits = 25 MB
# Model families whose logits are exactly `lm_head(last_hidden_state)`.
PLAIN_HEAD = {"llama", "mistral", "qwen2", "qwen3", "gpt2", "gpt_neox", "phi3", "smollm3", "olmo2"}


class _LinearCrossEntropy(torch.autograd.Function):
    """mean(cross_entropy(hidden @ weight.T + bias, labels)) over labels != -100."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, hidden: Any, weight: Any, bias: Any, labels: Any, dtype: Any
    ) -> Any:
        h, w = hidden.to(dtype), weight.to(dtype)
        b = bias.to(torch.float32) if bias is not None else None
        valid = labels != -100
        count = valid.sum().clamp(min=1)
        target = labels.clamp(min=0)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        # d loss / d logits, filled chunk by chunk, kept in the compute dtype for backward.
        grad_logits = torch.empty((h.shape[0], w.shape[0]), dtype=dtype, device=h.device)
        for s in range(0, h.shape[0], CHUNK):
            e = min(s + CHUNK, h.shape[0])
            logits = (h[s:e] @ w.T).float()
            if b is not None:
                logits += b
            logp = torch.log_softmax(logits, dim=-1)
            picked = logp.gather(1, target[s:e, None]).squeeze(1)
            total -= (picked * valid[s:e]).sum()
            probs = logp.exp_()  # softmax; the gradient is softmax - one_hot(target)
            probs[torch.arange(e - s, device=h.device), target[s:e]] -= 1
            torch.mul(probs, (valid[s:e] / count)[:, None], out=grad_logits[s:e])
        ctx.save_for_backward(h, w, grad_logits)
        ctx.has_bias = bias is not None
        ctx.dtypes = (hidden.dtype, weight.dtype)
        return total / count

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:  # type: ignore[override]
        h, w, grad_logits = ctx.saved_tensors
        grad_hidden = (grad_logits @ w).to(ctx.dtypes[0]).mul_(grad_out)
        grad_weight = grad_bias = None
        # A frozen head (LoRA) skips its gradient: a matrix product as big as the head itself.
        if ctx.needs_input_grad[1]:
            grad_weight = (grad_logits.T @ h).to(ctx.dtypes[1]).mul_(grad_out)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_logits.float().sum(0).mul_(grad_out).to(ctx.dtypes[1])
        return grad_hidden, grad_weight, grad_bias, None, None


def linear_cross_entropy(hidden: Any, head: torch.nn.Linear, labels: Any) -> Any:
    """Mean cross-entropy of `head(hidden)` against `labels` (-100 = ignored), chunked.

    Args:
        hidden: (tokens, hidden size) last hidden states.
        head: the LM head.
        labels: (tokens,) the next token at each position, -100 where there is none.

    Returns:
        A scalar: the mean loss over the counted tokens, in fp32.
    """
    device = hidden.device.type
    dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else hidden.dtype
    with torch.autocast(device, enabled=False):
        return _LinearCrossEntropy.apply(hidden, head.weight, head.bias, labels, dtype)


class LossModel(torch.nn.Module):
    """`model(**batch)` is the batch's mean loss per predicted token; `.model` is the LM.

    The LM may be a peft model (`--lora`): its LoRA layers sit inside the transformers model it
    wraps, so the body and head are called on that model directly.
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        lm = causal_lm(model)
        head = lm.get_output_embeddings()
        self.fused = lm.config.model_type in PLAIN_HEAD and isinstance(head, torch.nn.Linear)

    def forward(self, input_ids: Any, labels: Any, **kw: Any) -> Any:
        if not self.fused:
            return self.model(input_ids=input_ids, labels=labels, **kw).loss
        lm = causal_lm(self.model)
        hidden = lm.base_model(input_ids=input_ids, **kw).last_hidden_state
        # Position t predicts token t + 1, as in transformers' ForCausalLMLoss.
        shifted = torch.nn.functional.pad(labels[:, 1:], (0, 1), value=-100)
        return linear_cross_entropy(
            hidden.reshape(-1, hidden.shape[-1]), lm.get_output_embeddings(), shifted.reshape(-1)
        )


def causal_lm(model: Any) -> Any:
    """The transformers model inside a peft wrapper (its LoRA layers are injected into it)."""
    get = getattr(model, "get_base_model", None)
    return get() if callable(get) else model
