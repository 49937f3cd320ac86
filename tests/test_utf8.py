"""Valid text (space/utf8.py): a byte-level bot never writes U+FFFD, wherever it writes."""

from __future__ import annotations

import json

import pytest
import torch
from archives import POLYGLOT, combos
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import cli, train
from publisher.space import utf8
from publisher.space.draw import DrawSettings, sample, sample_ids, stream
from publisher.space.load import load_bot

REPLACEMENT = "\ufffd"


def run(data: bytes) -> int:
    """The automaton's state after `data` from a character boundary."""
    table = utf8.byte_transitions()
    state = 0
    for b in data:
        state = int(table[state, b])
        if state == utf8.ERROR:
            return state
    return state


def valid(data: bytes) -> bool:
    """What Python's own decoder says (U+FFFD itself counted out, as the sampler does)."""
    try:
        return REPLACEMENT not in data.decode("utf-8")
    except UnicodeDecodeError:
        return False


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=12) | st.text(max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass")))  # fmt: skip
def test_the_automaton_accepts_exactly_what_python_decodes(data):
    state = run(data)
    assert (state == 0) == valid(data)
    if state not in (0, utf8.ERROR):  # an unfinished character: the bytes due complete it
        due, lowest, _, _ = utf8.STATES[state]
        assert valid(data + bytes([lowest] + [0x80] * (due - 1)))


def test_every_token_of_a_byte_level_vocabulary_is_its_bytes(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    pieces = utf8.token_bytes(tok)
    assert pieces[tok.eos_token_id] is None
    single = {p for p in pieces if p is not None and len(p) == 1}
    assert len(single) == 256, "a byte-level BPE vocabulary holds every byte"
    for i, p in enumerate(pieces):
        if p is not None and valid(p):
            assert p.decode() == tok.decode([i])


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory, tiny_model):
    """A tiny GPT-2 trained a little on English, German, emoji, Cyrillic and Japanese posts.

    Its tokenizer knows a few English sentences: everything else it writes byte by byte, so an
    unconstrained sampler breaks characters all the time.
    """
    root = tmp_path_factory.mktemp("polyglot")
    src = root / "lena.jsonl"
    src.write_text("".join(json.dumps({"text": p}) + "\n" for p in combos(POLYGLOT, 200)))
    bot = root / "bot"
    assert cli.main(["prepare", f"lena={src}", "--base-model", str(tiny_model), "--out", str(bot),
                     "--block-size", "128"]) == 0  # fmt: skip
    train.train(bot, train.TrainConfig(max_steps=30, learning_rate=3e-3, mixed_precision="no",
                                       progress=False, report_to="none", checkpoint_every=0))  # fmt: skip
    return load_bot(str(bot / "repo"))


def test_1000_posts_from_a_bare_eos_hold_no_replacement_character(polyglot):
    model, tok = polyglot
    posts = sample(model, tok, DrawSettings("", n=1000, max_new_tokens=40, seed=0))
    assert len(posts) == 1000
    assert sum(REPLACEMENT in p for p in posts) == 0
    assert sum(any(ord(c) > 0x2FFF for c in p) for p in posts) > 50, "it writes non-Latin text"
    unconstrained = sample(model, tok, DrawSettings("", n=200, max_new_tokens=40, seed=0, valid_utf8=False))  # fmt: skip
    assert sum(REPLACEMENT in p for p in unconstrained) > 20, "the check above could fail"


def test_a_post_cut_at_its_length_ends_on_a_whole_character(polyglot):
    model, tok = polyglot
    table = utf8.Utf8Table.of(tok)
    for steps in (1, 2, 3, 5):
        rows = sample_ids(model, tok, DrawSettings("", n=200, max_new_tokens=steps, seed=steps))
        assert all(table.complete(ids) for ids in rows)


def test_the_streamed_first_post_never_shows_half_a_character(polyglot):
    model, tok = polyglot
    shown = [first for first, _ in stream(model, tok, DrawSettings("Die", n=3, max_new_tokens=40, seed=4))]  # fmt: skip
    assert len(shown) > 3 and not any(REPLACEMENT in s for s in shown)


def test_the_mask_allows_only_what_continues_each_row():
    # Bytes: 0 'a', 1 0xC3 (a lead byte), 2 0xA9 (its continuation), 3 0xE2 0x82 (two of three).
    table = utf8.Utf8Table([b"a", b"\xc3", b"\xa9", b"\xe2\x82", None])
    rows = table.rows(2, steps=10)
    rows.advance(torch.tensor([1, 0]))  # row 0 opened a character; row 1 wrote 'a'
    ids = torch.tensor([[0, 1, 2, 3, 4]] * 2)
    allowed = rows.allowed(ids)
    assert allowed[0].tolist() == [False, False, True, False, False]  # only its continuation
    assert allowed[1].tolist() == [True, True, False, True, True]  # EOS between characters
    late = table.rows(1, steps=1)  # the last step: nothing may be left unfinished
    assert late.allowed(torch.tensor([[0, 1, 3]])).tolist() == [[True, False, False]]
