"""Where a bot named on the command line lives: a bot folder, a model folder or a Hub repo id.

A name is a Hub repo id only in the `namespace/name` form and when `namespace` is no folder
here: anything else that names nothing on disk is a mistyped folder, said at once (with the
closest bot folder), never minutes of retries against a Hub that cannot be reached. A Hub id is
checked with one short request first, so a machine without network hears so in a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import base_models
from ..errors import ManifestError
from . import layout, lock, manifest

# Seconds the one request that checks a Hub repo id may take (connect and answer).
HUB_CHECK_TIMEOUT = 5.0
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
NAME_HINT = "pass the folder `publish` wrote, its repo/ folder, or a Hub repo id as namespace/name"


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
        The bot's location (a Hub repo that cannot be reached but is cached: its local copy).

    Raises:
        ManifestError: a bot folder not trained yet, a folder that holds no model, a name that
            is no folder and no Hub repo id, or a Hub repo that does not exist or cannot be reached.
    """
    path = Path(bot)
    if (path / manifest.MANIFEST_NAME).exists():
        m = manifest.load(path)
        repo = layout.repo_dir(path)
        if not layout.holds_model(repo):
            raise lock.untrained(path)  # training in progress, or not trained yet
        base = base_models.resolve(m.base_model) if layout.is_adapter(repo) else None
        return Location(str(repo), m.widget_text, base)
    if path.exists():
        if not layout.holds_model(path):
            raise ManifestError(f"{bot}: neither a bot folder nor a model folder", hint=NAME_HINT)
        return Location(str(path))
    if not is_hub_id(bot):
        raise ManifestError(
            f"no such bot folder: {bot}", hint=manifest.closest_hint(path, NAME_HINT)
        )
    return Location(_hub_model(bot))


def is_hub_id(name: str) -> bool:
    """True when NAME can only be a Hub repo id: `namespace/name`, and no folder `namespace` here."""
    return bool(_HUB_ID.match(name)) and not Path(name.split("/")[0]).is_dir()


def _hub_model(repo_id: str) -> str:
    """REPO_ID when the Hub has it, its cached copy when the Hub cannot be reached.

    Raises:
        ManifestError: no such repo, or no network and no cached copy.
    """
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    if constants.HF_HUB_OFFLINE:
        return _cached(repo_id, "HF_HUB_OFFLINE is set")
    try:
        HfApi().model_info(repo_id, timeout=HUB_CHECK_TIMEOUT)
    except GatedRepoError:
        return repo_id  # loading names what access it needs
    except RepositoryNotFoundError:
        raise ManifestError(
            f"no such bot folder or Hub repo: {repo_id}",
            hint=f"{NAME_HINT} (a private repo needs a token: hf auth login)",
        ) from None
    except HfHubHTTPError:
        return repo_id  # the Hub answered: loading reports what it says
    except Exception as e:  # the HTTP client's transport errors: no network, DNS, timeout
        return _cached(
            repo_id, f"cannot reach the Hub at {constants.ENDPOINT} ({type(e).__name__})"
        )
    return repo_id


def _cached(repo_id: str, why: str) -> str:
    """The local copy of a Hub repo downloaded earlier, else a ManifestError saying WHY."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(repo_id, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise ManifestError(
            f"{repo_id}: {why}, and no copy of it is cached here",
            hint=("unset HF_HUB_OFFLINE" if constants.HF_HUB_OFFLINE else "check your connection")
            + ", or pass a bot folder",
        ) from None


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
                hint=NAME_HINT,
            ) from exc
