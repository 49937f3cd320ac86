"""The quality block in words: lines for the terminal, one sentence for the Space and the card.

The block is for a person deciding whether to publish: short lines, plain words, the figures a
reader of the bot's feed would notice. `--verbose` adds the details (the style-only blind test,
distinct-2, the length distance, the sampling grid); `quality.json` holds them all.
"""

from __future__ import annotations

from typing import Any

from ..space.bot_info import quality_summary as summary  # one sentence, shared with the Space

__all__ = ["lines", "proportion_lines", "setting_words", "summary"]


def _pct(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, (int, float)) else "n/a"


def _int(x: Any) -> str:
    return f"{x:.0f}" if isinstance(x, (int, float)) else "n/a"


def _num(x: Any) -> str:
    return f"{x:.1f}" if isinstance(x, (int, float)) else "n/a"


def _guard_line(guard: dict[str, Any]) -> str:
    if not guard.get("enabled"):
        shown = guard.get("copies_shown_rate")
        return f"  Copy guard: off (--allow-copies); {_pct(shown)} of posts shown copy"
    line = "  Copy guard: on"
    if "flagged_rate" in guard:
        line += (f"; it drew again the {_pct(guard['flagged_rate'])} that copied, "
                 f"{_pct(guard['copies_shown_rate'])} shown copy")  # fmt: skip
    return line


def span_words(q: dict[str, Any]) -> str:
    """What a span is, in words: "10+ tokens and 45+ characters"."""
    chars = q.get("span_chars") or 0
    return f"{q.get('span_tokens', 10)}+ tokens" + (f" and {chars}+ characters" if chars else "")


def setting_words(s: dict[str, Any]) -> str:
    """A sampling setting in words: "temperature 0.9, top-p 0.95, first token untruncated"."""
    out = f"temperature {s['temperature']:g}"
    if s.get("min_p"):
        out += f", min-p {s['min_p']:g}"
    elif s.get("top_k", 50) <= 0 and s.get("top_p", 1) >= 1:
        out += ", untruncated"
    else:
        out += f", top-p {s['top_p']:g}" + (
            "" if s.get("top_k", 50) == 50 else f", top-k {s['top_k']}"
        )
    if s.get("untruncated_start"):
        out += ", first token untruncated"
    if (s.get("reply_share") or -1) >= 0:
        out += f", {s['reply_share']:.0%} replies"
    return out


def _interval(j: dict[str, Any]) -> str:
    low, high = j.get("low"), j.get("high")
    return f" ({_pct(low)}-{_pct(high)})" if low is not None and high is not None else ""


def _reader_lines(q: dict[str, Any], verbose: bool) -> list[str]:
    blind, judged = q.get("blind_test") or {}, q.get("judge") or {}
    fitted, ht = judged.get("fitted") or {}, judged.get("huggingtweets") or {}
    shown = fitted or ht
    out: list[str] = []
    if shown.get("accuracy") is not None:
        out.append(f"  Blind test: a reader tells the bot from the person "
                   f"{_pct(shown['accuracy'])}{_interval(shown)} of the time (50%: a guess)")  # fmt: skip
        if fitted and ht.get("accuracy") is not None:
            out.append(f"    at huggingtweets' sampling: {_pct(ht['accuracy'])}{_interval(ht)}")
        if shown.get("reasons"):
            out.append(f"    what gives it away: {'; '.join(shown['reasons'])}")
    elif blind.get("accuracy") is not None:  # measured before the reader existed
        out.append(f"  Blind test: a style classifier tells the bot from the person "
                   f"{_pct(blind['accuracy'])} of the time (50%: a guess)")  # fmt: skip
    if verbose and blind.get("accuracy") is not None:
        size = blind.get("lengths") or {}
        out.append(f"    style features alone, huggingtweets' sampling: {_pct(blind['accuracy'])} "
                   f"({blind['posts']} held-out posts)")  # fmt: skip
        out.append(f"    median length {_int(size.get('median_real'))} (person) vs "
                   f"{_int(size.get('median_bot'))} (bot) characters, KS distance "
                   f"{size.get('distance', 0):.2f}")  # fmt: skip
    return out


def _sampling_lines(sampling: dict[str, Any], verbose: bool) -> list[str]:
    if not sampling.get("default"):
        return []
    f = sampling["fitted"]
    out = [f"  Sampling: {setting_words(f)}"]
    if verbose:
        for t in sampling.get("grid") or []:
            out.append(f"    grid: {setting_words(t)}: reader {_pct(t.get('judge'))}, copies "
                       f"{_pct(t['copy_rate'])}, fluency {_num(t.get('fluency'))}")  # fmt: skip
    return out


def _fluency_lines(flu: dict[str, Any], verbose: bool) -> list[str]:
    f = flu.get("fitted") or flu.get("huggingtweets") or {}
    if not f:
        return []
    low, high = f["person_range"]
    verdict = (
        "about as fluent as the person"
        if f["within"]
        else (
            "smoother than the person writes"
            if f["bot"] < low
            else "rougher than the person writes"
        )
    )
    out = [
        f"  Fluency: {verdict} (base model's perplexity {_int(f['bot'])} vs {_int(f['person'])})"
    ]
    if verbose:
        out.append(f"    the person's posts, middle half: {_int(low)} to {_int(high)}")
    return out


def proportion_lines(p: dict[str, Any]) -> list[str]:
    """The kinds of post, the bot's share beside the person's, one short line each."""
    if not p or not p.get("rows"):
        return []
    out = [f"  The bot's posts ({p['bot_posts']}) beside the person's ({p['person_posts']} "
           f"held out):"]  # fmt: skip
    width = max(len(r["words"]) for r in p["rows"])
    for r in p["rows"]:
        flag = "  <- more than chance" if r["differs"] else ""
        out.append(f"    {r['words']:<{width}} {_pct(r['bot']):>4} vs {_pct(r['person']):>4}{flag}")
    lb, lr = p["length"]["bot"], p["length"]["person"]
    if lb and lr:
        out.append(f"    {'length, quartiles':<{width}} {'/'.join(_int(x) for x in lb)} vs "
                   f"{'/'.join(_int(x) for x in lr)} characters")  # fmt: skip
    return out


def lines(q: dict[str, Any], verbose: bool = False) -> list[str]:
    """The quality block as a few short lines a person reads.

    Args:
        q: `Quality.to_dict()` (or bot.json's `quality`).
        verbose: add the details (style-only blind test, lengths, variety, the sampling grid).
    """
    ppl, mem, var, tok = q["perplexity"], q["memorisation"], q["variety"], q["tokenizer"]
    out = [
        f"Quality ({q['samples']} posts drawn, seed {q['seed']}; "
        f"{q['seconds'].get('total', 0):.0f} s):",
        f"  Perplexity per held-out post: {_num(ppl.get('base'))} (base) -> "
        f"{_num(ppl.get('bot'))} (bot), {ppl.get('held_out_posts', 0)} posts",
    ]
    if mem:
        out.append(f"  Copies: {_pct(mem['copied_span_rate'])} repeat a training post "
                   f"({span_words(q)}), {_pct(mem['exact_copy_rate'])} equal one")  # fmt: skip
        if verbose:
            out.append(f"    longest run shared with a training post: {mem['longest_span']} tokens")
    out.append(_guard_line(q["guard"]))
    out += _reader_lines(q, verbose)
    out += _sampling_lines(q.get("sampling") or {}, verbose)
    out += _fluency_lines(q.get("fluency") or {}, verbose)
    props = q.get("proportions") or {}
    out += proportion_lines(props.get("fitted") or props.get("huggingtweets") or {})
    if var and verbose:
        out.append(f"  Variety: distinct-2 {var['distinct_2_samples']:.2f} (bot) vs "
                   f"{var['distinct_2_posts']:.2f} (real posts)")  # fmt: skip
    out.append(f"  Tokenizer: {tok['tokens_per_word']:.1f} tokens per word; "
               f"{_pct(tok['main_script_share'])} of posts in {tok['main_script']} script")  # fmt: skip
    return out
