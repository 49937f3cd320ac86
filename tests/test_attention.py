from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import ARCHS

from publisher import base_models
from publisher.train import attention, lora
from publisher.train.loop import TrainConfig


def posts_mask(pos: torch.Tensor) -> torch.Tensor:
    """Reference: a token sees the tokens of its own post up to itself, (batch, 1, T, T)."""
    post = torch.cumsum(pos == 0, dim=1)
    length = pos.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    return ((post[:, :, None] == post[:, None, :]) & causal)[:, None]


def random_positions(lengths: list[int], total: int) -> torch.Tensor:
    pos: list[int] = []
    i = 0
    while len(pos) < total:
        pos += range(lengths[i % len(lengths)])
        i += 1
    return torch.tensor(pos[:total])


def test_positions_restart_at_every_post_and_at_padding():
    e, p = 9, 0  # EOS and padding ids
    ids = torch.tensor([[4, 5, e, 6, 7, 8, e, 3, p, p], [e, 1, 2, e, e, 1, 1, 1, 1, 1]])
    mask = torch.tensor([[1] * 8 + [0, 0], [1] * 10])
    pos = attention.post_positions(ids, mask, eos_id=e)
    assert pos.tolist() == [[0, 1, 0, 1, 2, 3, 0, 1, 0, 0], [0, 1, 2, 0, 0, 1, 2, 3, 4, 5]]


@pytest.mark.parametrize("chunk", [4, 8, 64])
@pytest.mark.parametrize("length", [64, 61])  # 61: the last chunk is padded
def test_matches_sdpa_with_a_block_diagonal_mask_forward_and_backward(monkeypatch, chunk, length):
    monkeypatch.setattr(attention, "CHUNK", chunk)
    monkeypatch.setattr(attention, "_mask_cache", [None, None])
    torch.manual_seed(0)
    # Posts shorter and longer than a chunk, so keys come from several chunks back.
    pos = torch.stack([random_positions([3, 17, 9, 30], length), random_positions([25, 2], length)])
    q = torch.randn(2, 4, length, 8, requires_grad=True)
    k = torch.randn(2, 2, length, 8, requires_grad=True)  # grouped-query: 2 key heads
    v = torch.randn(2, 2, length, 8, requires_grad=True)

    out, _ = attention.posts_attention(torch.nn.Module(), q, k, v, None, position_ids=pos)
    # Each key head serves two query heads (what SDPA's `enable_gqa` does, spelled out).
    keys, values = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    ref = F.scaled_dot_product_attention(q, keys, values, attn_mask=posts_mask(pos))
    ref = ref.transpose(1, 2)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)

    grad = torch.randn_like(out)
    got = torch.autograd.grad(out, (q, k, v), grad)
    want = torch.autograd.grad(ref, (q, k, v), grad)
    for g, w in zip(got, want, strict=True):
        assert torch.isfinite(g).all()
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("with_lora", [False, True], ids=["full", "lora"])
@pytest.mark.parametrize("arch", ARCHS)
def test_a_model_with_posts_attention_sees_only_each_post(request, arch, with_lora):
    model, tok = base_models.load_base(str(request.getfixturevalue(arch)))
    if with_lora:
        model = lora.wrap(model, TrainConfig(lora=True, lora_r=4))
        # LoRA's B matrices start at zero: give them weights so the adapter changes the output.
        for name, p in model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(p, std=0.5)
    model.eval()
    eos = tok.eos_token_id
    text = tok("the lamp is lit", add_special_tokens=False)["input_ids"]
    other = tok("gulls over the harbour at night", add_special_tokens=False)["input_ids"]
    ids = torch.tensor([[eos, *other, eos, *text, eos, *text]])
    mask = torch.ones_like(ids)
    pos = attention.post_positions(ids, mask, eos)
    with torch.no_grad():
        whole = model(input_ids=ids).logits
        assert attention.use_posts_attention(model)
        posts = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits
        alone = model(input_ids=torch.tensor([[eos, *text]])).logits
        assert not attention.use_posts_attention(model, False)
        assert model.config._attn_implementation == "sdpa"
    n = len(text) + 1
    # The second post is scored exactly as if it were alone; the whole-block model is not.
    torch.testing.assert_close(posts[0, -n:], alone[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(posts[0, -2 * n : -n], alone[0], atol=1e-4, rtol=1e-4)
    assert not torch.allclose(whole[0, -n:], alone[0], atol=1e-3)


def test_generation_with_a_cache_falls_back_to_causal_attention(tiny_llama):
    model, tok = base_models.load_base(str(tiny_llama))
    prompt = torch.tensor([[tok.eos_token_id, 5, 6]])
    torch.manual_seed(0)
    plain = model.generate(prompt, max_new_tokens=8, do_sample=False)
    attention.use_posts_attention(model)
    with_posts = model.generate(prompt, max_new_tokens=8, do_sample=False)
    assert with_posts.tolist() == plain.tolist()
