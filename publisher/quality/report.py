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


def _guard_line(guard: dict[str, Any], verbose: bool) -> list[str]:
    if not guard.get("enabled"):
        shown = guard.get("copies_shown_rate")
        return [f"  Copy guard: off (--allow-copies); {_pct(shown)} of posts shown copy one"]
    line = "  Copy guard: on"
    if "flagged_rate" in guard:
        line += (f": {_pct(guard['flagged_rate'])} drawn again, "
                 f"{_pct(guard['copies_shown_rate'])} of posts shown copy one")  # fmt: skip
    out = [line]
    if verbose:
        out.append(f"    {guard['spans']:,} span hashes in {guard['file']}")
    return out


def span_words(q: dict[str, Any]) -> str:
    """What a span is, in words: "10+ tokens and 45+ characters"."""
    chars = q.get("span_chars") or 0
    return f"{q.get('span_tokens', 10)}+ tokens" + (f" and {chars}+ characters" if chars else "")


def setting_words(s: dict[str, Any]) -> str:
    """A sampling setting in words: "temperature 0.9, top-p 0.95"."""
    return f"temperature {s['temperature']:g}, top-p {s['top_p']:g}"


def _blind_lines(blind: dict[str, Any], fitted: dict[str, Any], verbose: bool) -> list[str]:
    if blind.get("accuracy") is None:
        return []
    size = blind.get("lengths") or {}
    out = [f"  Blind test: told from the person {_pct(blind['accuracy'])} of the time "
           "(50%: a guess)"]  # fmt: skip
    if verbose:
        out.append(f"    a style classifier, {blind['posts']} held-out posts against as many of "
                   f"the {blind.get('drawn') or blind['posts']} drawn")  # fmt: skip
        out.append(f"    median length {_int(size.get('median_real'))} (person) vs "
                   f"{_int(size.get('median_bot'))} (bot) characters, KS distance "
                   f"{size.get('distance', 0):.2f}")  # fmt: skip
    if fitted.get("default"):
        d, f, again = fitted["default"], fitted["fitted"], fitted.get("confirmation")
        if f != d:
            why = f"fitted: told apart {_pct(f['blind_test'])}, not {_pct(d['blind_test'])}"
        elif again:
            why = "huggingtweets'; none clearly better"
        else:
            why = "huggingtweets'; none did better"
        out.append(f"  Sampling: {setting_words(f)} ({why})")
        if verbose and again and f == d:
            out.append(f"    the grid's best, {setting_words(again)}, scored "
                       f"{_pct(again['blind_test'])} on fresh posts")  # fmt: skip
        if verbose and f != d:
            out.append(f"    copies {_pct(d['copy_rate'])} at huggingtweets' sampling, "
                       f"{_pct(f['copy_rate'])} fitted")  # fmt: skip
    return out


def lines(q: dict[str, Any], verbose: bool = False) -> list[str]:
    """The quality block as a few short lines in plain words; `verbose` adds the details
    (`quality.json` holds them all).

    Args:
        q: `Quality.to_dict()` (or bot.json's `quality`).
        verbose: also the measurements behind each line.
    """
    ppl, mem, var, tok = q["perplexity"], q["memorisation"], q["variety"], q["tokenizer"]
    out = [
        f"Quality ({q['samples']} posts drawn, {q['seconds'].get('total', 0):.0f} s):",
        f"  Surprise at held-out posts (perplexity): {_num(ppl.get('base'))} before training, "
        f"{_num(ppl.get('bot'))} after",
    ]
    if verbose:
        out.append(f"    {ppl.get('held_out_posts', 0)} held-out posts; the posts drawn from a "
                   f"bare EOS, seed {q['seed']}")  # fmt: skip
    if mem:
        out.append(f"  Copies: {_pct(mem['copied_span_rate'])} of posts repeat a training post's "
                   f"words, {_pct(mem['exact_copy_rate'])} are one")  # fmt: skip
        if verbose:
            out.append(f"    a span is {span_words(q)}; longest shared run "
                       f"{mem['longest_span']} tokens")  # fmt: skip
    out += _guard_line(q["guard"], verbose)
    out += _blind_lines(q.get("blind_test") or {}, q.get("sampling") or {}, verbose)
    if var:
        alike = var["distinct_2_samples"] >= 0.9 * var["distinct_2_posts"]
        out.append("  Variety: " + ("as varied as the person's posts" if alike
                                    else "less varied than the person's posts"))  # fmt: skip
        if verbose:
            out.append(f"    distinct-2 {var['distinct_2_samples']:.2f} (bot) vs "
                       f"{var['distinct_2_posts']:.2f} (real posts)")  # fmt: skip
    out.append(f"  Language: {_pct(tok['main_script_share'])} of posts in {tok['main_script']} "
               f"script; {tok['tokens_per_word']:.1f} tokens per word")  # fmt: skip
    return out
