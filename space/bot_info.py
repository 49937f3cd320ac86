"""Who the bot is: names, handles, avatars and widget text for the Space's header.

Read, first found wins, from the model's `bot_info.json`, the `bot.json` beside a local `repo/`
folder, or the huggingtweets header of its model card (`README.md`). A Hub repo id is read
through `hf_hub_download`, so `HF_ENDPOINT` applies like for every huggingface_hub call.

Everything here is untrusted text: callers escape it; avatars are returned only as http(s) URLs
or as `data:` URIs of small image files from the repo.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_ID_FILE = "model_id.txt"  # written into the Space by `hf-tweetbot push --space`
DEFAULT_WIDGET_TEXT = "My dream is"
_IMAGE_TYPES = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".webp": "webp"}
_MAX_AVATAR_BYTES = 2_000_000
_FILE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


@dataclass
class User:
    """One person the bot imitates."""

    handle: str
    name: str
    avatar: str | None = None  # an http(s) URL or a data: URI, never anything else


@dataclass
class BotInfo:
    """What the page shows about the bot."""

    model_id: str
    model_name: str
    users: list[User] = field(default_factory=list)
    widget_text: str = DEFAULT_WIDGET_TEXT
    repo_url: str | None = None  # the model repo on the Hub, when known

    @property
    def names(self) -> str:
        return " & ".join(u.name for u in self.users) or self.model_name

    @property
    def handles(self) -> str:
        return " ".join(f"@{u.handle}" for u in self.users)


def resolve_model_id(model_id: str | None = None, here: Path | None = None) -> str | None:
    """Find the model to serve: the argument, else `$MODEL_ID`, else the `model_id.txt` file.

    Args:
        model_id: a Hub repo id, a model folder, or a bot folder holding `repo/`.
        here: the folder to look for `model_id.txt` in (the app's own folder).

    Returns:
        A repo id or a local folder path, or None when nothing is configured.
    """
    mid = (model_id or os.environ.get("MODEL_ID") or "").strip()
    if not mid and here is not None and (here / MODEL_ID_FILE).is_file():
        mid = (here / MODEL_ID_FILE).read_text(encoding="utf-8").strip()
    if not mid:
        return None
    p = Path(mid).expanduser()
    if p.is_dir() and not (p / "config.json").exists() and (p / "repo" / "config.json").exists():
        p = p / "repo"  # the bot folder that `publish` wrote
    return str(p) if p.is_dir() else mid


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT.rstrip("/")


def _fetch(model_id: str, filename: str) -> Path | None:
    """A file of the model repo, local or downloaded; None when it is not there."""
    if Path(model_id).is_dir():
        path = Path(model_id) / filename
        return path if path.is_file() else None
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(model_id, filename))
    except Exception:  # missing file, private repo, offline: the header falls back
        return None


def _read_json(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("users"), list) else None


def _avatar(value: Any, model_id: str) -> str | None:
    """An http(s) URL as is, or a repo image file as a data: URI; anything else is dropped."""
    if not isinstance(value, str) or not value:
        return None
    if re.match(r"^https?://[^\s\"'<>]+$", value):
        return value
    ext = Path(value).suffix.lower()
    if not _FILE_RE.match(value) or ext not in _IMAGE_TYPES:
        return None
    path = _fetch(model_id, value)
    if path is None or path.stat().st_size > _MAX_AVATAR_BYTES:
        return None
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/{_IMAGE_TYPES[ext]};base64,{data}"


def _from_json(d: dict[str, Any], model_id: str) -> tuple[list[User], Any]:
    users = []
    for u in d["users"]:
        if isinstance(u, dict) and u.get("handle"):
            handle = str(u["handle"]).lstrip("@")
            name = str(u.get("name") or handle)
            users.append(User(handle, name, _avatar(u.get("avatar_url"), model_id)))
    return users, d.get("widget_text")


_DIV_RE = re.compile(r"<div[^>]*>([^<]*)</div>")
_BG_RE = re.compile(r"background-image:\s*url\((?:&#39;|'|\")?([^)'\"&]*)")


def parse_card(text: str) -> tuple[list[User], str | None]:
    """Users and widget text from a huggingtweets-style model card.

    Args:
        text: the whole `README.md`, YAML front matter included.

    Returns:
        (users, widget text or None).
    """
    widget = None
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if m:
        import yaml

        try:
            meta = yaml.safe_load(m.group(1)) or {}
            widget = meta.get("widget", [{}])[0].get("text")
        except (yaml.YAMLError, AttributeError, IndexError, TypeError):
            widget = None
    avatars = [u for u in _BG_RE.findall(text) if u.startswith(("http://", "https://"))]
    divs = [html.unescape(t).strip() for t in _DIV_RE.findall(text)]
    divs = [t for t in divs if t]
    users: list[User] = []
    tag = next((i for i, t in enumerate(divs) if re.search(r"AI (BOT|CYBORG)", t)), None)
    if tag is not None and tag + 2 < len(divs):
        names, handles = divs[tag + 1], divs[tag + 2].lstrip("@")
        name_list = names.split(" & ")
        handle_list = handles.split("-")
        if len(name_list) != len(handle_list):
            name_list, handle_list = [names], [handles]
        for j, (n, h) in enumerate(zip(name_list, handle_list, strict=True)):
            users.append(User(h.lstrip("@"), n, avatars[j] if j < len(avatars) else None))
    return users, widget if isinstance(widget, str) else None


def load_info(model_id: str) -> BotInfo:
    """Everything the page header and footer show about a bot.

    Args:
        model_id: a Hub repo id or a local model folder (see `resolve_model_id`).

    Returns:
        The bot's info; a model with no card falls back to its folder or repo name.
    """
    local = Path(model_id).is_dir()
    name = Path(model_id).name if local else model_id.split("/")[-1]
    info = BotInfo(model_id, name, repo_url=None if local else f"{_endpoint()}/{model_id}")
    # A local repo/ folder sits in the bot folder, whose bot.json knows the Hub repo once pushed.
    manifest = _read_json(Path(model_id).parent / "bot.json") if local else None
    d = _read_json(_fetch(model_id, "bot_info.json")) or manifest
    repo_id = manifest.get("repo_id") if manifest else None
    if d is not None:
        info.users, widget = _from_json(d, model_id)
        info.model_name = str(d.get("model_name") or name)
    else:
        card = _fetch(model_id, "README.md")
        text = card.read_text(encoding="utf-8", errors="replace") if card else ""
        info.users, widget = parse_card(text)
    if isinstance(widget, str) and widget.strip():
        info.widget_text = widget.strip()
    if local and isinstance(repo_id, str) and re.fullmatch(r"[\w.\-]+/[\w.\-]+", repo_id):
        info.repo_url = f"{_endpoint()}/{repo_id}"
    return info


# -- the measured quality (`hf-tweetbot eval`), for the footer -----------------------------------
QUALITY_FILE = "quality.json"
fetch = _fetch  # for `guard.py`: a file of the model repo, local or downloaded


def load_quality(model_id: str) -> dict[str, Any] | None:
    """The measured quality block (`quality.json` of the model repo), or None."""
    path = _fetch(model_id, QUALITY_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def quality_summary(q: dict[str, Any] | None) -> str | None:
    """One sentence on copies for the Space footer and the card; None before any was measured."""
    mem = (q or {}).get("memorisation")
    if not q or not mem:
        return None
    on = (q.get("guard") or {}).get("enabled", True)
    where = "the copy guard draws those again" if on else "copies are allowed for this bot"
    span = f"{q.get('span_tokens', 10)} or more tokens"
    if q.get("span_chars"):
        span += f" and {q['span_chars']} or more characters"
    return (
        f"Measured on {q.get('samples')} sample posts: {mem['copied_span_rate']:.0%} repeated "
        f"{span} of a real post ({where}); "
        f"{mem['exact_copy_rate']:.0%} were a real post word for word."
    )
