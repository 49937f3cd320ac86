from __future__ import annotations

import pytest
import torch
from conftest import ARCHS

from publisher import base_models
from publisher.train import lora, loss
from publisher.train.loop import TrainConfig, collate
from publisher.train.loss import LossModel


def batch_of(tok, lengths=(37, 23)):
    torch.manual_seed(1)
    rows = [{"input_ids": torch.randint(0, len(tok), (n,)).tolist()} for n in lengths]
    return collate(rows, tok.pad_token_id or 0)  # the second row is padded


def losses_and_grads(model, fn):
    model.zero_grad()
    value = fn()
    value.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return value.detach(), grads


@pytest.mark.parametrize("with_lora", [False, True], ids=["full", "lora"])
@pytest.mark.parametrize("arch", ARCHS)
def test_matches_transformers_loss_and_gradients(request, monkeypatch, arch, with_lora):
    monkeypatch.setattr(loss, "CHUNK", 16)  # several chunks and a remainder
    model, tok = base_models.load_base(str(request.getfixturevalue(arch)))
    if with_lora:  # only the adapter has gradients; the frozen head gets none
        model = lora.wrap(model, TrainConfig(lora=True, lora_r=4))
        for name, p in model.named_parameters():
            if "lora_B" in name:  # zero at start: make the adapter's path count
                torch.nn.init.normal_(p, std=0.5)
    model.eval()  # no dropout: both sides see the same network
    batch = batch_of(tok)
    net = LossModel(model)
    assert net.fused
    ours, ours_g = losses_and_grads(model, lambda: net(**batch))
    ref, ref_g = losses_and_grads(model, lambda: model(**batch).loss)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    assert ours_g.keys() == ref_g.keys()
    assert all("lora_" in n for n in ref_g) == with_lora
    for name in ref_g:
        torch.testing.assert_close(ours_g[name], ref_g[name], atol=1e-5, rtol=1e-4, msg=name)


def test_under_bf16_autocast_it_stays_close_to_transformers(tiny_llama):
    model, tok = base_models.load_base(str(tiny_llama))
    model.eval()
    batch = batch_of(tok)
    net = LossModel(model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours, ours_g = losses_and_grads(model, lambda: net(**batch))
        ref, ref_g = losses_and_grads(model, lambda: model(**batch).loss)
    assert ours.dtype == torch.float32
    assert abs(float(ours) - float(ref)) < 0.02
    for name in ref_g:
        cos = torch.nn.functional.cosine_similarity(
            ours_g[name].flatten(), ref_g[name].flatten(), 0
        )
        assert cos > 0.99, name


def test_a_head_that_is_not_plain_keeps_transformers_loss(tiny_model):
    model, tok = base_models.load_base(str(tiny_model))
    model.config.model_type = "gemma2"  # soft-capped logits: the chunked head would be wrong
    net = LossModel(model)
    assert not net.fused
    batch = batch_of(tok)
    model.eval()
    torch.testing.assert_close(net(**batch), model(**batch).loss)
