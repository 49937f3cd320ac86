"""The quality block in words: lines for the terminal, one sentence for the Space and the card."""

from __future__ import annotations

from typing import Any

from ..space.bot_info import quality_summary as summary  # one sentence, shared with the Space

__all__ = ["lines", "summary"]


def _pct(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, (int, float)) else "n/a"


def _num(x: Any) -> str:
    return f"{x:.1f}" if isinstance(x, (int, float)) else "n/a"


def _guard_line(guard: dict[str, Any]) -> str:
    if not guard.get("enabled"):
        shown = guard.get("copies_shown_rate")
        return f"  copy guard: off (--allow-copies); posts shown that copy: {_pct(shown)}"
    line = f"  copy guard: on ({guard['spans']:,} span hashes in {guard['file']})"
    if "flagged_rate" in guard:
        line += (f"; it drew again the {_pct(guard['flagged_rate'])} that copied; "
                 f"posts shown that copy: {_pct(guard['copies_shown_rate'])}")  # fmt: skip
    return line


def lines(q: dict[str, Any]) -> list[str]:
    """The quality block as a few lines a person reads.

    Args:
        q: `Quality.to_dict()` (or bot.json's `quality`).
    """
    ppl, mem, var, tok = q["perplexity"], q["memorisation"], q["variety"], q["tokenizer"]
    out = [
        f"Quality ({q['samples']} posts drawn from a bare EOS, seed {q['seed']}; "
        f"{q['seconds'].get('total', 0):.0f} s):",
        f"  perplexity per held-out post: base {_num(ppl.get('base'))} -> bot "
        f"{_num(ppl.get('bot'))} ({ppl.get('held_out_posts', 0)} posts)",
    ]
    if mem:
        out.append(
            f"  memorisation: {_pct(mem['copied_span_rate'])} of posts repeat "
            f"{q['span_tokens']}+ tokens of a training post, {_pct(mem['exact_copy_rate'])} "
            f"equal one; longest shared run {mem['longest_span']} tokens"
        )
    out.append(_guard_line(q["guard"]))
    if var:
        out.append(f"  variety: distinct-2 {var['distinct_2_samples']:.2f} (bot) vs "
                   f"{var['distinct_2_posts']:.2f} (real posts)")  # fmt: skip
    out.append(
        f"  tokenizer: {tok['tokens_per_word']:.1f} tokens per word; "
        f"{_pct(tok['main_script_share'])} of posts in {tok['main_script']} script, its main one"
    )
    return out
