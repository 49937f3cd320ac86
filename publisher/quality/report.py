"""The quality block in words: lines for the terminal, one sentence for the Space and the card."""

from __future__ import annotations

from typing import Any

from ..space.bot_info import quality_summary as summary  # one sentence, shared with the Space

__all__ = ["lines", "summary"]


def _pct(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, (int, float)) else "n/a"


def _int(x: Any) -> str:
    return f"{x:.0f}" if isinstance(x, (int, float)) else "n/a"


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


def span_words(q: dict[str, Any]) -> str:
    """What a span is, in words: "10+ tokens and 45+ characters"."""
    chars = q.get("span_chars") or 0
    return f"{q.get('span_tokens', 10)}+ tokens" + (f" and {chars}+ characters" if chars else "")


def setting_words(s: dict[str, Any]) -> str:
    """A sampling setting in words: "temperature 0.9, top-p 0.95"."""
    return f"temperature {s['temperature']:g}, top-p {s['top_p']:g}"


def _blind_lines(blind: dict[str, Any], fitted: dict[str, Any]) -> list[str]:
    if blind.get("accuracy") is None:
        return []
    size = blind.get("lengths") or {}
    out = [
        f"  blind test: a style classifier tells the bot from the person {_pct(blind['accuracy'])} "
        f"of the time ({blind['posts']} held-out posts against as many of the "
        f"{blind.get('drawn') or blind['posts']} drawn; 50%: indistinguishable); median length "
        f"{_int(size.get('median_real'))} (person) vs {_int(size.get('median_bot'))} (bot) "
        f"characters, distance {size.get('distance', 0):.2f}"
    ]
    if fitted.get("default"):
        d, f, again = fitted["default"], fitted["fitted"], fitted.get("confirmation")
        if f != d:
            why = (f"fitted; blind test {_pct(d['blind_test'])} at {setting_words(d)}, "
                   f"{_pct(f['blind_test'])} fitted; copies {_pct(d['copy_rate'])} -> "
                   f"{_pct(f['copy_rate'])}")  # fmt: skip
        elif again:
            why = (f"huggingtweets'; the grid's best, {setting_words(again)}, scored "
                   f"{_pct(again['blind_test'])} on fresh posts against "
                   f"{_pct(d['blind_test'])}: not clearly better")  # fmt: skip
        else:
            why = "huggingtweets'; no setting of the grid did better"
        out.append(f"  sampling: {setting_words(f)} ({why})")
    return out


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
            f"  memorisation: {_pct(mem['copied_span_rate'])} of posts repeat a span of a "
            f"training post ({span_words(q)}), {_pct(mem['exact_copy_rate'])} "
            f"equal one; longest shared run {mem['longest_span']} tokens"
        )
    out.append(_guard_line(q["guard"]))
    out += _blind_lines(q.get("blind_test") or {}, q.get("sampling") or {})
    if var:
        out.append(f"  variety: distinct-2 {var['distinct_2_samples']:.2f} (bot) vs "
                   f"{var['distinct_2_posts']:.2f} (real posts)")  # fmt: skip
    out.append(
        f"  tokenizer: {tok['tokens_per_word']:.1f} tokens per word; "
        f"{_pct(tok['main_script_share'])} of posts in {tok['main_script']} script, its main one"
    )
    return out
