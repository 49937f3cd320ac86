"""The quality block in words: lines for the terminal, one sentence for the Space and the card."""

from __future__ import annotations

from typing import Any

from ..space.bot_info import quality_summary as summary  # one sentence, shared with the Space

__all__ = ["lines", "proportion_lines", "setting_words", "summary"]

WIDTH = 90  # a line of the block, at most


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
    """A sampling setting in words: "temperature 0.9, top-p 0.95, first token untruncated"."""
    out = f"temperature {s['temperature']:g}"
    if s.get("min_p"):
        out += f", min-p {s['min_p']:g}"
    elif s.get("top_k", 50) <= 0 and s.get("top_p", 1) >= 1:
        out += ", untruncated"
    else:
        out += f", top-p {s['top_p']:g}"
        out += "" if s.get("top_k", 50) == 50 else f", top-k {s['top_k']}"
    if s.get("untruncated_start"):
        out += ", first token untruncated"
    share = s.get("reply_share")
    if isinstance(share, (int, float)) and share >= 0:
        out += f", {share:.0%} replies"
    return out


def _interval(j: dict[str, Any]) -> str:
    low, high = j.get("low"), j.get("high")
    return f"{_pct(low)}-{_pct(high)}; " if low is not None and high is not None else ""


def _fit(words: list[str], head: str) -> str:
    """`head` and as many of `words` as fit a line ("; "-joined), then how many more."""
    line, room = head + words[0], WIDTH - len("; 9 more")
    for i, w in enumerate(words[1:], 1):
        if len(line) + 2 + len(w) > (WIDTH if i == len(words) - 1 else room):
            return line + f"; {len(words) - i} more"
        line += "; " + w
    return line


def _blind_lines(q: dict[str, Any], verbose: bool) -> list[str]:
    blind, judged = q.get("blind_test") or {}, q.get("judge") or {}
    ht = judged.get("huggingtweets") or {}
    shown = judged.get("fitted") or ht
    out: list[str] = []
    if shown.get("accuracy") is not None:
        out.append(f"  Blind test: told from the person {_pct(shown['accuracy'])} of the time "
                   f"({_interval(shown)}50%: a guess)")  # fmt: skip
        if shown.get("reasons"):
            out.append(_fit(shown["reasons"], "  Gives it away: "))
        if verbose:
            out.append(f"    word and character n-grams and style; {shown['posts']} held-out posts, "
                       f"as many of the {shown['drawn']} drawn")  # fmt: skip
            if shown is not ht and ht.get("accuracy") is not None:
                out.append(f"    at huggingtweets' sampling: {_pct(ht['accuracy'])} "
                           f"({_interval(ht).rstrip('; ')})")  # fmt: skip
    elif blind.get("accuracy") is not None:  # measured before the reader existed
        out.append(f"  Blind test: told from the person {_pct(blind['accuracy'])} of the time "
                   "(50%: a guess)")  # fmt: skip
    if verbose and blind.get("accuracy") is not None:
        size = blind.get("lengths") or {}
        out.append(f"    style features alone, huggingtweets' sampling: {_pct(blind['accuracy'])} "
                   f"({blind['posts']} held-out posts)")  # fmt: skip
        out.append(f"    median length {_int(size.get('median_real'))} (person) vs "
                   f"{_int(size.get('median_bot'))} (bot) characters, KS distance "
                   f"{size.get('distance', 0):.2f}")  # fmt: skip
    return out


def _score(t: dict[str, Any]) -> Any:
    """A trial's reader score (`judge`), or its style-only one (bots measured before)."""
    return t.get("judge") if t.get("judge") is not None else t.get("blind_test")


def _sampling_lines(sampling: dict[str, Any], verbose: bool) -> list[str]:
    if not sampling.get("default"):
        return []
    d, f = sampling["default"], sampling["fitted"]
    ht = setting_words(f) == setting_words(d)
    out = [f"  Sampling: {setting_words(f)}" + (" (huggingtweets')" if ht else "")]
    if verbose:
        if not ht:
            out.append(f"    told apart {_pct(_score(f))} fitted, {_pct(_score(d))} at "
                       f"huggingtweets'; copies {_pct(f['copy_rate'])} and "
                       f"{_pct(d['copy_rate'])}")  # fmt: skip
        for t in sampling.get("grid") or []:
            out.append(f"    grid: {setting_words(t)}: {_pct(_score(t))}, copies "
                       f"{_pct(t['copy_rate'])}")  # fmt: skip
    return out


def _fluency_lines(flu: dict[str, Any], verbose: bool) -> list[str]:
    f = flu.get("fitted") or flu.get("huggingtweets") or {}
    if not f:
        return []
    low, high = f["person_range"]
    if f["within"]:
        verdict = "about as fluent as the person's posts"
    else:
        verdict = "smoother than" if f["bot"] < low else "rougher than"
        verdict += " the person writes"
    out = [f"  Fluency: {verdict}"]
    if verbose:
        out.append(f"    the base model's perplexity per post: {_int(f['bot'])} (bot), "
                   f"{_int(f['person'])} (person; middle half {_int(low)} to {_int(high)})")  # fmt: skip
    return out


def proportion_lines(p: dict[str, Any]) -> list[str]:
    """The kinds of post, the bot's share beside the person's, one short line each."""
    if not p or not p.get("rows"):
        return []
    out = [f"    the bot's posts ({p['bot_posts']}) beside the person's ({p['person_posts']} "
           f"held out):"]  # fmt: skip
    width = max(len(r["words"]) for r in p["rows"])
    for r in p["rows"]:
        flag = "  <- more than chance" if r["differs"] else ""
        out.append(f"      {r['words']:<{width}} {_pct(r['bot']):>4} vs "
                   f"{_pct(r['person']):>4}{flag}")  # fmt: skip
    lb, lr = p["length"]["bot"], p["length"]["person"]
    if lb and lr:
        out.append(f"      {'length, quartiles':<{width}} {'/'.join(_int(x) for x in lb)} vs "
                   f"{'/'.join(_int(x) for x in lr)} characters")  # fmt: skip
    return out


def _kinds_lines(p: dict[str, Any], verbose: bool) -> list[str]:
    if not p or not p.get("rows"):
        return []
    apart = [f"{r['words']} {_pct(r['bot'])} vs {_pct(r['person'])}"
             for r in p["rows"] if r["differs"]]  # fmt: skip
    if apart:
        out = [_fit(apart, "  Kinds of post, unlike the person's: ")]
    else:
        out = ["  Kinds of post: replies, hashtags, emoji, scripts, lengths as the person's"]
    return out + (proportion_lines(p) if verbose else [])


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
    out += _blind_lines(q, verbose)
    out += _sampling_lines(q.get("sampling") or {}, verbose)
    out += _fluency_lines(q.get("fluency") or {}, verbose)
    props = q.get("proportions") or {}
    out += _kinds_lines(props.get("fitted") or props.get("huggingtweets") or {}, verbose)
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
