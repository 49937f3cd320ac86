"""Where a bot named on the command line lives: a bot folder, a model folder or a Hub repo id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import base_models
from ..errors import ManifestError
from . import layout, lock, manifest


@dataclass
class Location:
    """What `from_pretrained` loads, the prompt the bot writes from, and an adapter's base."""

    model_id: str
    widget_text: str = manifest.DEFAULT_WIDGET_TEXT
    base: str | None = None  # where a LoRA adapter bot's base loads from offline (smollm2)


def locate(bot: str) -> Location:
    """Resolve BOT: a bot folder (its `repo/`), a model or adapter folder, or a Hub repo id.

    Args:
        bot: the argument as given.

    Returns:
        The bot's location.

    Raises:
        ManifestError: a bot folder not trained yet, or a folder that holds no model.
    """
    path = Path(bot)
    if (path / manifest.MANIFEST_NAME).exists():
        m = manifest.load(path)
        repo = layout.repo_dir(path)
        if not layout.holds_model(repo):
            raise lock.untrained(path)  # training in progress, or not trained yet
        base = base_models.resolve(m.base_model) if layout.is_adapter(repo) else None
        return Location(str(repo), m.widget_text, base)
    if path.exists() or bot.startswith((".", "/", "~")):
        if not layout.holds_model(path):
            raise ManifestError(
                f"{bot}: neither a bot folder nor a model folder",
                hint="pass the folder `publish` wrote",
            )
        return Location(str(path))
    return Location(bot)


class loading:
    """Report a model that cannot be loaded as one line (a `with` block around the load)."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, exc: Any, tb: Any) -> None:
        if exc is not None and isinstance(exc, (OSError, ValueError)):
            raise ManifestError(
                f"cannot load bot '{self.model_id}': {str(exc).splitlines()[0][:200]}",
                hint="pass a bot folder, its repo/ folder, or a Hub repo id",
            ) from exc
