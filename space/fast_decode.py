"""The fast decoding steps of `decode.py`: GPT-2 and Llama-like models (SmolLM2, Llama, Qwen2).

Each class computes transformers' forward for one architecture, a step at a time, on a static
cache; `decode.py` says why each piece is built the way it is and picks a class for a model.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.nn.functional as F


class Linear:
    """`y = x W^T + b` with W packed once in oneDNN's blocked layout where PyTorch has oneDNN.

    `F.linear` hands oneDNN a plain weight, which it re-lays out on every call: for the few rows
    of a decoding step that costs about as much as the product (measured on this CPU, 1 thread:
    576→3072 in bf16 0.77 → 0.33 ms, the 49k-token head 30 → 18 ms; fp32 likewise). Packing
    keeps a second copy of the weights (the model's own stay untouched). Results are the same
    products (bit-identical in the measurements).
    """

    def __init__(
        self, weight: torch.Tensor, bias: torch.Tensor | None = None, rows: int = 5
    ) -> None:
        self.weight, self.bias = weight.detach(), None if bias is None else bias.detach()
        self.packed = _pack(self.weight, rows)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is None:
            return F.linear(x, self.weight, self.bias)
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", [], "")


def _pack(weight: torch.Tensor, rows: int) -> torch.Tensor | None:
    """`weight` in oneDNN's layout for products with about `rows` rows, or None without oneDNN."""
    if (
        os.environ.get("HF_TWEETBOT_PACK_WEIGHTS", "1") == "0"
        or not torch.backends.mkldnn.is_available()
    ):
        return None
    try:
        packed = torch.ops.mkldnn._reorder_linear_weight(weight, rows)
        probe = torch.ones(1, weight.shape[1], dtype=weight.dtype)
        torch.ops.mkldnn._linear_pointwise(probe, packed, None, "none", [], "")
        return packed
    except (RuntimeError, AttributeError):  # no oneDNN kernel for this dtype on this CPU
        return None


class StaticStepper:
    """The static cache and the three cache-level methods shared by the fast steppers."""

    n_layers: int
    layers: list[tuple[Any, ...]]  # per layer: its norms' weights and `Linear`s, in order of use
    head: Linear
    n_kv: int  # key/value heads
    head_dim: int
    dtype: torch.dtype

    def _forward(self, ids: torch.Tensor, pos: int) -> torch.Tensor:
        raise NotImplementedError

    def prefill(self, ids: torch.Tensor, max_len: int) -> torch.Tensor:
        shape = (self.n_layers, 1, self.n_kv, max_len, self.head_dim)
        # Attention runs in fp32 even for a bf16 model: CPU attention kernels are faster in fp32
        # at these sizes (0.05-0.12 vs 0.13-0.19 ms per layer for 5 posts) and more precise.
        self.k = torch.empty(shape, dtype=torch.float32)
        self.v = torch.empty(shape, dtype=torch.float32)
        self.pos = ids.shape[1]
        return self._forward(ids, 0)

    def expand(self, n: int) -> None:
        shape = list(self.k.shape)
        shape[1] = n
        self.k, self.v = self.k.expand(shape).contiguous(), self.v.expand(shape).contiguous()

    def keep(self, rows: torch.Tensor) -> None:
        self.k, self.v = self.k[:, rows], self.v[:, rows]

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        self.pos += 1
        return self._forward(tokens[:, None], self.pos - 1)

    def _attend(self, i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, pos: int) -> torch.Tensor:  # fmt: skip
        """Write (B, kv, S, d) keys/values at `pos`; attend (B, heads, S, d) queries; (B, S, heads·d)."""
        b, h, s, d = q.shape
        end = pos + s
        q = q.float()
        self.k[i, :, :, pos:end] = k
        self.v[i, :, :, pos:end] = v
        keys, values = self.k[i, :, :, :end], self.v[i, :, :, :end]
        if s == 1:  # decoding: the heads sharing a key/value head are its queries
            q = q.reshape(b, self.n_kv, h // self.n_kv, d)
            out = F.scaled_dot_product_attention(q, keys, values, scale=self.scale)
        else:  # the prompt, from an empty cache
            rep = h // self.n_kv
            if rep > 1:
                keys, values = keys.repeat_interleave(rep, 1), values.repeat_interleave(rep, 1)
            out = F.scaled_dot_product_attention(q, keys, values, is_causal=True, scale=self.scale)
            out = out.transpose(1, 2)
        return out.reshape(b, s, h * d).to(self.dtype)

    scale: float


class LlamaStepper(StaticStepper):
    """Llama-like decoders: RMSNorm, RoPE, grouped-query attention, SwiGLU (SmolLM2, Qwen2)."""

    def __init__(self, model: Any) -> None:
        cfg, body = model.config, model.model
        self.n_heads, self.n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.n_heads
        self.n_layers, self.eps, self.dtype = cfg.num_hidden_layers, cfg.rms_norm_eps, model.dtype
        self.scale = self.head_dim**-0.5
        self.embed, self.norm = body.embed_tokens.weight, body.norm.weight
        self.head = Linear(model.lm_head.weight)
        self.layers = [_fuse_llama_layer(layer) for layer in body.layers]
        self.inv_freq = body.rotary_emb.inv_freq.float()
        self.rope_scaling = float(body.rotary_emb.attention_scaling)
        self._rope(min(cfg.max_position_embeddings, 2048))

    def _rope(self, positions: int) -> None:
        """cos and signed sin tables, (positions, 1, head_dim), as transformers computes them."""
        pos = torch.arange(positions, dtype=torch.float)[:, None] * self.inv_freq
        emb = torch.cat((pos, pos), dim=-1) * self.rope_scaling
        sign = torch.cat((-torch.ones(self.head_dim // 2), torch.ones(self.head_dim // 2)))
        self.cos = emb.cos().to(self.dtype)[:, None]
        self.sin = (emb.sin().to(self.dtype) * sign.to(self.dtype))[:, None]  # signed for roll

    def prefill(self, ids: torch.Tensor, max_len: int) -> torch.Tensor:
        if max_len > self.cos.shape[0]:  # a long request: this copy gets longer tables
            self._rope(max_len)
        return super().prefill(ids, max_len)

    def _forward(self, ids: torch.Tensor, pos: int) -> torch.Tensor:
        b, s = ids.shape
        h, kv, d = self.n_heads, self.n_kv, self.head_dim
        cos, sin = self.cos[pos : pos + s], self.sin[pos : pos + s]
        x = F.embedding(ids, self.embed)
        for i, (w_in, qkv_proj, o_proj, w_post, gate_up, down) in enumerate(self.layers):
            qkv = qkv_proj(_rms(x, w_in, self.eps)).view(b, s, h + 2 * kv, d)
            qk, v = qkv[:, :, : h + kv], qkv[:, :, h + kv :]
            # RoPE: q·cos + rotate_half(q)·sin, where rotate_half(q) = roll(q, d/2)·(-1 first half)
            qk = torch.addcmul(qk * cos, qk.roll(d // 2, dims=-1), sin)
            att = self._attend(i, qk[:, :, :h].transpose(1, 2), qk[:, :, h:].transpose(1, 2), v.transpose(1, 2), pos)  # fmt: skip
            x.add_(o_proj(att))  # `x` is this step's own tensor (embedding rows are copies)
            gate, up = gate_up(_rms(x, w_post, self.eps)).chunk(2, dim=-1)
            x.add_(down(F.silu(gate).mul_(up)))
        return self.head(_rms(x[:, -1], self.norm, self.eps))


def _rms(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """RMSNorm in one kernel (transformers' takes 7 operations; in bf16 the two differ by at most
    one rounding of the last bit, as the fused kernel rounds once where transformers rounds twice)."""
    return F.rms_norm(x, (x.shape[-1],), weight, eps)


def _fuse(*linears: Any) -> torch.Tensor:
    """Concatenate the weights of `linears` and make each module read its slice of the result."""
    fused = torch.cat([m.weight.detach() for m in linears])
    start = 0
    for m in linears:
        rows = m.weight.shape[0]
        m.weight.data = fused[start : start + rows]
        start += rows
    return fused


def _fuse_llama_layer(layer: Any) -> tuple[Any, ...]:
    att, mlp = layer.self_attn, layer.mlp
    qkv = _fuse(att.q_proj, att.k_proj, att.v_proj)
    bias = None
    if att.q_proj.bias is not None:
        bias = torch.cat([att.q_proj.bias, att.k_proj.bias, att.v_proj.bias]).detach()
    gate_up = _fuse(mlp.gate_proj, mlp.up_proj)
    return (layer.input_layernorm.weight, Linear(qkv, bias), Linear(att.o_proj.weight, att.o_proj.bias),
            layer.post_attention_layernorm.weight, Linear(gate_up), Linear(mlp.down_proj.weight))  # fmt: skip


class GPT2Stepper(StaticStepper):
    """GPT-2: LayerNorm, learned positions, multi-head attention, GELU (tanh)."""

    def __init__(self, model: Any) -> None:
        cfg, body = model.config, model.transformer
        self.n_heads = self.n_kv = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.n_layers, self.eps, self.dtype = cfg.n_layer, cfg.layer_norm_epsilon, model.dtype
        self.scale = self.head_dim**-0.5
        self.wte, self.wpe = body.wte.weight, body.wpe.weight
        self.head = Linear(model.lm_head.weight)
        self.ln_f = (body.ln_f.weight, body.ln_f.bias)
        self.layers = [(blk.ln_1.weight, blk.ln_1.bias, _conv1d(blk.attn.c_attn), _conv1d(blk.attn.c_proj),
                        blk.ln_2.weight, blk.ln_2.bias, _conv1d(blk.mlp.c_fc), _conv1d(blk.mlp.c_proj))
                       for blk in body.h]  # fmt: skip

    def _forward(self, ids: torch.Tensor, pos: int) -> torch.Tensor:
        b, s = ids.shape
        h, d, e = self.n_heads, self.head_dim, self.n_heads * self.head_dim
        x = F.embedding(ids, self.wte) + self.wpe[pos : pos + s]
        for i, (g1, b1, c_attn, c_proj, g2, b2, c_fc, c_out) in enumerate(self.layers):
            qkv = c_attn(F.layer_norm(x, (e,), g1, b1, self.eps)).view(b, s, 3, h, d)
            q, k, v = (qkv[:, :, j].transpose(1, 2) for j in range(3))
            x.add_(c_proj(self._attend(i, q, k, v, pos)))
            mid = F.gelu(c_fc(F.layer_norm(x, (e,), g2, b2, self.eps)), approximate="tanh")
            x.add_(c_out(mid))
        return self.head(F.layer_norm(x[:, -1], (e,), *self.ln_f, self.eps))


def _conv1d(conv: Any) -> Linear:
    """GPT-2's `Conv1D` (an (in, out) weight) as a `Linear` (the packed copy is (out, in))."""
    return Linear(conv.weight.detach().t().contiguous(), conv.bias)


def llama_like(cfg: Any) -> bool:
    rope = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    return (
        cfg.model_type in ("llama", "qwen2", "mistral")
        and rope.get("rope_type", rope.get("type", "default")) == "default"
        and getattr(cfg, "hidden_act", "") == "silu"
        and not getattr(cfg, "mlp_bias", False)
        and not getattr(cfg, "use_sliding_window", False)
        and not (cfg.model_type == "mistral" and getattr(cfg, "sliding_window", None))
    )


def plain_gpt2(cfg: Any) -> bool:
    return (
        cfg.model_type == "gpt2"
        and cfg.activation_function in ("gelu_new", "gelu_pytorch_tanh")
        and cfg.scale_attn_weights
        and not cfg.scale_attn_by_inverse_layer_idx
        and not cfg.reorder_and_upcast_attn
    )
