"""The model card (`README.md` of the model repo) and the Space card, rendered with Jinja2.

The default card is huggingtweets' format byte for byte. Everything in it that comes from a
stranger's profile (names, handles, avatar URLs) or from the user (the widget prompt) goes
through one of the filters below, each escaping exactly what could break out of its context
(YAML scalar, HTML attribute, HTML text, Markdown table cell or link), and nothing more, so the
seed's bytes stay as they are.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from huggingface_hub import constants

from .. import atomic
from ..base_models import OFFLINE_ALIASES
from ..bot import layout, outdir
from ..bot.manifest import Manifest, UserStats, load
from ..errors import ManifestError
from ..quality.report import setting_words
from .escape import (
    attr_url,
    html_text,
    http_url,
    is_repo_file,
    md_cell,
    md_url,
    one_line,
    py_str,
    yaml_str,
    yaml_url,
)

GPT2_IDS = {"gpt2", "openai-community/gpt2"}
WANDB_REPORT = (
    "https://wandb.ai/wandb/huggingtweets/reports/"
    "HuggingTweets-Train-a-Model-to-Generate-Tweets--VmlldzoxMTY5MjI"
)
THUMBNAIL_FILE = "predictions.png"
SLOTS = 3  # huggingtweets always wrote three avatar divs, hiding the unused ones


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment: templates from the `templates` package, no autoescaping.

    Autoescaping would turn the seed's `&` and `'` into entities; each value is escaped by the
    filter of its context instead. `keep_trailing_newline` keeps the card's final newline.
    Jinja2 is imported here, on the first card: every command imports this module, few render.
    """
    import jinja2

    def read(name: str) -> str:
        return files("publisher.templates").joinpath(name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(read),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        attr_url=attr_url,
        md_url=md_url,
        yaml_url=yaml_url,
        yaml_str=yaml_str,
        html_text=html_text,
        md_cell=md_cell,
        py_str=py_str,
    )
    return env


def hub_url(path: str) -> str:
    """`path` on the Hub this process talks to (`HF_ENDPOINT`, default huggingface.co)."""
    return f"{constants.ENDPOINT.rstrip('/')}/{path}"


def resolve_url(repo_id: str, filename: str) -> str:
    """The download URL of a file in a model repo, e.g. the thumbnail or an avatar."""
    return hub_url(f"{repo_id}/resolve/main/{quote(filename)}")


def avatar_src(user: UserStats, repo_id: str | None, repo_dir: Path | None) -> str | None:
    """The avatar's URL: http(s) as is, a repo file by its resolve URL, else None."""
    url = http_url(user.avatar_url)
    if url:
        return url
    name = user.avatar_url or ""
    if not repo_id or not is_repo_file(name):
        return None
    if repo_dir is not None and not (repo_dir / name).is_file():
        return None  # the file is not there to push: a link would be dead
    return resolve_url(repo_id, name)


def base_model_info(base_model: str) -> dict[str, Any]:
    """Name, link and Hub id of the base model; no link for a local folder."""
    name = OFFLINE_ALIASES.get(base_model.lower(), base_model)
    if name.lower() in GPT2_IDS:
        return {"gpt2": True, "name": "GPT-2", "url": None, "hub_id": "openai-community/gpt2"}
    local = name.startswith((".", "/", "~")) or Path(name).expanduser().exists()
    if local:
        return {"gpt2": False, "name": Path(name).name or name, "url": None, "hub_id": None}
    return {"gpt2": False, "name": name, "url": hub_url(quote(name)), "hub_id": name}


def _fmt(x: float | None) -> str | None:
    return f"{x:.2f}" if x is not None and math.isfinite(x) else None


def _links(m: Manifest, repo_dir: Path | None) -> dict[str, Any]:
    """W&B run URLs when tracked there, else what this tool published (never a dead link)."""
    has_logs = repo_dir is not None and (repo_dir / layout.RUNS).is_dir()
    repo_url = hub_url(m.repo_id) if m.repo_id else None
    return {
        "preprocess_run": http_url(m.tracking.preprocess_run),
        "train_run": http_url(m.tracking.train_run),
        "wandb_report": WANDB_REPORT,
        "dataset_url": hub_url(f"datasets/{m.dataset_repo_id}") if m.dataset_repo_id else None,
        "repo_url": repo_url,
        "logs_url": f"{repo_url}/tree/main/runs" if repo_url and has_logs else None,
        "has_logs": has_logs,
        "space_url": hub_url(f"spaces/{m.space_repo_id}") if m.space_repo_id else None,
    }


def widget_examples(m: Manifest) -> list[dict[str, str]]:
    """Widget entries for the full card: each prediction's continuation as `output.text`.

    The Hub shows a widget only for models an Inference Provider serves; these outputs (the
    posts drawn for the thumbnail) let the page show what the bot writes without one.
    """
    prompt = m.widget_text.strip()
    conts = [p[len(prompt) :] if prompt and p.startswith(prompt) else p for p in m.predictions]
    kept = [c for c in conts if c.strip()]
    return [{"title": f"Post {i}", "output": c} for i, c in enumerate(kept, 1)]


def _thumbnail(m: Manifest, repo_dir: Path | None) -> str | None:
    url = http_url(m.thumbnail)
    if url:
        return url
    name = m.thumbnail or THUMBNAIL_FILE
    # Only a file that is really in the repo: a thumbnail link must never be dead.
    if m.repo_id and repo_dir is not None and is_repo_file(name) and (repo_dir / name).is_file():
        return resolve_url(m.repo_id, name)
    return None


def quality_rows(q: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The `hf-tweetbot eval` figures as (measure, value) rows for the full-metadata card."""
    if not q or not q.get("memorisation"):
        return []
    ppl, mem, var, tok, guard = (q.get(k) or {} for k in
                                 ("perplexity", "memorisation", "variety", "tokenizer", "guard"))  # fmt: skip
    span = f"{q.get('span_tokens', 10)}+ tokens"
    if q.get("span_chars"):
        span += f" and {q['span_chars']}+ characters"
    rows = [
        ("Perplexity per held-out post, base model → this model",
         f"{_fmt(ppl.get('base')) or 'n/a'} → {_fmt(ppl.get('bot')) or 'n/a'}"),
        (f"Samples repeating a span of a training post ({span})", f"{mem['copied_span_rate']:.0%}"),
        ("Samples equal to a training post", f"{mem['exact_copy_rate']:.0%}"),
        ("Longest run of tokens shared with a training post", str(mem["longest_span"])),
        ("Distinct-2, samples / real posts",
         f"{var.get('distinct_2_samples', 0):.2f} / {var.get('distinct_2_posts', 0):.2f}"),
        ("Tokens per word of the posts (base tokenizer)", f"{tok.get('tokens_per_word', 0):.1f}"),
        ("Copy guard", "on: samples repeating a training post are drawn again"
         if guard.get("enabled") else "off"),
    ]  # fmt: skip
    return rows + _blind_rows(q)


def _blind_rows(q: dict[str, Any]) -> list[tuple[str, str]]:
    """The blind tests, the sampling fitted to the bot, fluency and proportions, as card rows."""
    blind, fitted = q.get("blind_test") or {}, q.get("sampling") or {}
    if blind.get("accuracy") is None:
        return []
    size = blind.get("lengths") or {}
    judged = q.get("judge") or {}
    rows = []
    for name, j in (("this model's sampling", judged.get("fitted")),
                    ("huggingtweets' sampling", judged.get("huggingtweets"))):  # fmt: skip
        if j and j.get("accuracy") is not None:
            rows.append((f"Blind test, word and character n-grams and style, at {name} "
                         "(50%: indistinguishable; 95% interval)",
                         f"{j['accuracy']:.0%} ({j['low']:.0%}-{j['high']:.0%}), {j['posts']} posts each"))  # fmt: skip
    shown = judged.get("fitted") or judged.get("huggingtweets") or {}
    if shown.get("reasons"):
        rows.append(("What told the samples apart most", "; ".join(shown["reasons"])))
    rows += [
        ("Blind test, style features alone, at huggingtweets' sampling (50%: indistinguishable)",
         f"{blind['accuracy']:.0%} ({blind['posts']} posts each)"),
        ("Post length in characters, median: held-out posts / samples (KS distance)",
         f"{size.get('median_real', 0):.0f} / {size.get('median_bot', 0):.0f} "
         f"({size.get('distance', 0):.2f})"),
    ]  # fmt: skip
    if fitted.get("default"):
        rows.append(("Sampling of this model", setting_words(fitted["fitted"])))
    flu = (q.get("fluency") or {}).get("fitted") or {}
    if flu:
        rows.append(("Base model's perplexity per post: samples / held-out posts (their middle half)",
                     f"{flu['bot']:.1f} / {flu['person']:.1f} ({flu['person_range'][0]:.1f}-"
                     f"{flu['person_range'][1]:.1f})"))  # fmt: skip
    props = (q.get("proportions") or {}).get("fitted") or {}
    for r in props.get("rows") or []:
        mark = " (more than chance)" if r["differs"] else ""
        rows.append((f"Posts {r['words']}: samples / held-out posts",
                     f"{r['bot']:.0%} / {r['person']:.0%}{mark}"))  # fmt: skip
    return rows


def sampling_of(m: Manifest) -> dict[str, Any]:
    """The bot's sampling (fitted by `eval`, else huggingtweets'), for the widget's parameters."""
    fitted = ((m.quality or {}).get("sampling") or {}).get("fitted") or {}
    return {"temperature": fitted.get("temperature", 1.0), "top_p": fitted.get("top_p", 0.95),
            "top_k": fitted.get("top_k", 50)}  # fmt: skip


def training_rows(t: dict[str, Any] | None) -> list[dict[str, str]]:
    """Each measurement of the epoch choice (`train/choice.py`) as a row of the card's table."""
    rows = []
    for c in (t or {}).get("curves") or []:
        blind = c.get("blind_test")
        rows.append({"epoch": f"{c['epoch']:g}", "perplexity": f"{c['perplexity']:.2f}",
                     "copies": f"{c['copy_rate']:.0%}",
                     "blind": "n/a" if blind is None else f"{blind:.0%}",
                     "kept": "kept" if t and t.get("kept", {}).get("step") == c["step"] else ""})  # fmt: skip
    return rows


def card_context(
    m: Manifest, repo_dir: Path | None = None, local_repo: Path | None = None
) -> dict[str, Any]:
    """Everything the templates need, computed once (the templates only lay it out)."""
    if not m.users:
        raise ManifestError(
            "bot.json lists no users", hint="run `hf-tweetbot prepare USER --out DIR` again"
        )
    names = [u.name if u.name.strip() else u.handle for u in m.users]
    avatars = [avatar_src(u, m.repo_id, repo_dir) for u in m.users]
    slots = [{"display": "inherit", "url": a} for a in avatars]
    slots += [{"display": "none", "url": None}] * (SLOTS - len(slots))
    handles = sorted(m.handles, key=lambda h: (h.lower(), h))
    metrics = m.metrics
    base = base_model_info(m.base_model)
    return {
        "m": m,
        "names": names,
        "slots": slots,
        "kind": "BOT" if len(m.users) == 1 else "CYBORG",
        "handle_line": "-".join(handles),
        "thumbnail": _thumbnail(m, repo_dir),
        "base": base,
        "links": _links(m, repo_dir),
        "ppl_before": _fmt(metrics.perplexity_before),
        "ppl_after": _fmt(metrics.perplexity_after),
        "model_ref": m.repo_id or str(local_repo or f"bots/{m.model_name}/repo"),
        "trained": metrics.perplexity_after is not None
        or (repo_dir is not None and layout.holds_model(repo_dir)),
        "examples": widget_examples(m),
        # An adapter repo needs its base's Hub id in the metadata: the Hub and peft read it.
        "adapter_repo": bool(m.adapter and m.adapter.get("repo") == "adapter" and base["hub_id"]),
        "quality": quality_rows(m.quality),
        "sampling": sampling_of(m),
        "training": m.training,
        "training_rows": training_rows(m.training),
    }


def render_card(
    manifest: Manifest,
    full_metadata: bool = False,
    repo_dir: Path | None = None,
    local_repo: Path | None = None,
) -> str:
    """Render the model card (`README.md`) from a manifest.

    Args:
        manifest: the bot's `bot.json`.
        full_metadata: add `base_model`, `pipeline_tag`, `library_name`, `datasets` and a
            `model-index` with the validation perplexity after huggingtweets' keys, one widget
            entry per stored prediction with its `output.text`, and a link to the Space.
        repo_dir: the local model repo (`DIR/repo`), to link only files that are really there
            (training logs in `runs/`, `predictions.png`, avatar files). None: link none of them.
        local_repo: the folder the usage snippet loads when the bot has no repo id (default:
            `bots/MODEL_NAME/repo`).

    Returns:
        The card's text, ending with a newline.
    """
    ctx = card_context(manifest, repo_dir, local_repo)
    ctx["full_metadata"] = full_metadata
    return environment().get_template("model_card.md.j2").render(ctx)


def render_bot_card(bot: Path, full_metadata: bool | None = None) -> str:
    """Render the card of a bot folder (or its `bot.json`), checking files in `DIR/repo/`.

    Args:
        bot: a bot folder or the path of its `bot.json`.
        full_metadata: see `render_card`; None: as recorded in `bot.json` (`card_metadata`).

    Returns:
        The card's text.
    """
    bot = Path(bot)
    bot_dir = bot.parent if bot.suffix == ".json" else bot
    m = load(bot)
    if full_metadata is None:
        full_metadata = m.card_metadata == "full"
    home = bot_dir.parent if outdir.is_ours(bot_dir.name) else bot_dir  # `update`'s staging
    return render_card(m, full_metadata, layout.repo_dir(bot_dir), layout.repo_dir(home))


def write_card(bot_dir: Path, full_metadata: bool | None = None) -> Path:
    """Write the card to `bot_dir/repo/README.md` atomically.

    Args:
        bot_dir: the bot folder holding `bot.json` and `repo/`.
        full_metadata: see `render_bot_card`.

    Returns:
        The path written.
    """
    text = render_bot_card(bot_dir, full_metadata)
    path = layout.repo_dir(bot_dir) / layout.CARD
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text)
    return path


def installed_gradio_version() -> str:
    """The installed gradio's version (what the Space app is tested with), without importing it."""
    try:
        return version("gradio")
    except PackageNotFoundError:  # pragma: no cover - gradio is a dependency
        return "5.0.0"


def js_len(text: str) -> int:
    """Length as the Hub's JavaScript counts it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, ending with "…" when cut."""
    if js_len(text) <= limit:
        return text
    while text and js_len(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def short_description(names: list[str], limit: int = 60) -> str:
    """The Space's one-line description, at most `limit` characters (the Hub's limit is 60)."""
    return shorten(one_line(f"A bot that posts like {' & '.join(names)}").strip(), limit)


def space_title(names: list[str], limit: int = 50) -> str:
    """The Space's title: the names, shortened, then "bot"."""
    return shorten(one_line(" & ".join(names)).strip(), limit) + " bot"


def render_space_readme(
    manifest: Manifest, gradio_version: str | None = None, repo_dir: Path | None = None
) -> str:
    """Render the Gradio Space's `README.md` (Space config front matter and a short body).

    Args:
        manifest: the bot's `bot.json`; its `repo_id` must be set (the Space loads that model).
        gradio_version: the `sdk_version`; defaults to the installed gradio's version.
        repo_dir: the local model repo, to show `predictions.png` only when it exists.

    Returns:
        The Space card's text.

    Raises:
        ManifestError: the model has no repo id yet.
    """
    if not manifest.repo_id:
        raise ManifestError(
            "bot.json has no repo_id: the Space needs the model pushed first",
            hint="run `hf-tweetbot push DIR` (it pushes the model, then the Space)",
        )
    ctx = card_context(manifest, repo_dir)
    ctx["title"] = space_title(ctx["names"])
    ctx["short_description"] = short_description(ctx["names"])
    ctx["sdk_version"] = gradio_version or installed_gradio_version()
    return environment().get_template("space_readme.md.j2").render(ctx)
