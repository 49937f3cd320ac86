"""Who may see a bot on the Hub: private by default wherever the posts were not public.

- a protected (X) or locked (Mastodon) account's bot is pushed privately (model, dataset and
  Space); `--public-ok` pushes it publicly anyway, with a warning;
- a dataset repo of the posts is private unless `--public-dataset`;
- a repo that must be private but already exists publicly is refused before anything is
  committed (the Hub keeps a repo's visibility when files are added to it);
- no uploaded file holds the token or the copy guard's key, which reaches a Space only as a
  secret.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..bot.manifest import Manifest
from ..errors import HubError, PrivacyError
from .files import local_files


def protected_handles(man: Manifest) -> list[str]:
    """The bot's users whose accounts are protected."""
    return [u.handle for u in man.users if getattr(u, "protected", False)]


def want_private(repo_type: str, opts: Any) -> bool:
    """Whether a repo of this type is created private (False: the Hub's default)."""
    if repo_type == "dataset":
        return bool(opts.private or not getattr(opts, "public_dataset", False))
    return bool(opts.private)


def resolve(man: Manifest, opts: Any) -> Any:
    """The push options for this bot: private when one of its accounts is protected.

    Args:
        man: the bot's manifest (`users[].protected`).
        opts: the `PushOptions` (`private`, `public_ok`).

    Returns:
        `opts`, with `private` set for a protected account's bot unless `--public-ok`.
    """
    if protected_handles(man) and not getattr(opts, "public_ok", False) and not opts.private:
        return replace(opts, private=True)
    return opts


def notice(man: Manifest, opts: Any) -> str | None:
    """The line saying a protected account's bot is pushed privately by default, else None."""
    who = ", ".join(f"@{h}" for h in protected_handles(man))
    if not who or opts.private or getattr(opts, "public_ok", False):
        return None
    return f"{who}: the account is protected, so the bot is pushed privately (--public-ok pushes it publicly)"  # fmt: skip


def check(man: Manifest, opts: Any) -> list[str]:
    """Warnings for a protected account's bot pushed publicly because of `--public-ok`.

    Args:
        man: the bot's manifest (`users[].protected`).
        opts: the `PushOptions` (`private`, `public_ok`, `dataset`, `public_dataset`).
    """
    who = ", ".join(f"@{h}" for h in protected_handles(man))
    if not who or not getattr(opts, "public_ok", False):
        return []
    public = [t for t in ("model", "dataset", "space") if _pushes(t, opts) and not want_private(t, opts)]  # fmt: skip
    if not public:
        return []
    return [f"{who}'s account is protected; pushing the {'/'.join(public)} repo publicly "
            "because of --public-ok"]  # fmt: skip


def _pushes(repo_type: str, opts: Any) -> bool:
    return repo_type == "model" or bool(getattr(opts, repo_type, False))


def check_remote(api: Any, repo_id: str, opts: Any) -> None:
    """Refuse, before any commit, to add files to an existing public repo that must be private.

    Raises:
        PrivacyError: naming the repo; nothing was committed.
    """
    for repo_type in ("model", "dataset", "space"):
        if not (_pushes(repo_type, opts) and want_private(repo_type, opts)):
            continue
        if not api.repo_exists(repo_id, repo_type=repo_type):
            continue
        if not api.repo_info(repo_id, repo_type=repo_type).private:
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            raise PrivacyError(
                f"{repo_type} repo {repo_id} already exists and is public, but this push must "
                "be private; nothing was committed",
                hint=f"make {prefix}{repo_id} private in its Settings on the Hub, or push to "
                "another --repo-id",
            )


def refuse_secrets(folder: Path, token: str, bot_dir: Path) -> None:
    """Never upload a file holding the token or the copy guard's key (a log that captured it)."""
    from ..quality.guard import key_of

    needles = [s.encode() for s in (token, key_of(bot_dir)) if s]
    for rel, path in local_files(folder).items():
        data = path.read_bytes()
        if any(n in data for n in needles):
            raise HubError(
                f"{folder.name}/{rel} contains your Hugging Face token or copy guard key: "
                "refusing to upload; nothing was committed",
                hint=f"remove it from that file, then `hf-tweetbot push {bot_dir}`",
            )


def give_space_guard_key(api: Any, repo_id: str, bot_dir: Path) -> None:
    """Hand the copy guard's key to the Space as a secret (never a file, never a variable)."""
    from ..quality.guard import key_of
    from ..space.guard import KEY_ENV

    key = key_of(bot_dir)
    if key:
        api.add_space_secret(repo_id, KEY_ENV, key, description="hf-tweetbot copy guard key")
