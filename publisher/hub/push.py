"""Publish a bot folder to the Hugging Face Hub: model repo, and optionally dataset and Space.

The only module that talks to the Hub. `preflight` runs before anything slow (no post read, no
model loaded) so a bad token or a foreign namespace fails in seconds; `push` uploads a finished
`DIR` and can be re-run at will: unchanged files are never uploaded and an unchanged repo gets no
commit. Every failure becomes an `AuthError`/`HubError` saying nothing was committed, with
`hf-tweetbot push DIR` as the way to retry without training. The token never reaches a message.

Large and binary files (weights, Parquet, images, TensorBoard logs) go up through LFS (or Xet,
when `hf_xet` is installed): the client asks the Hub which objects it lacks and uploads only
those, so a retry after a failed commit re-sends no byte the Hub already holds. Faults on the
way up: the client retries dropped connections and 5xx answers itself (5 times, up to 8 s
apart) and waits out a 429's `Retry-After`; a 429 on the commit is retried here after its
`Retry-After`; a wait over `MAX_RETRY_AFTER` ends the push with the time to wait.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import card, console
from ..bot import layout
from ..bot import manifest as mf
from ..errors import HubError
from ..flags import flag
from . import files as hub_files
from . import privacy
from .access import (
    MAX_RETRY_AFTER,
    check_access,
    check_namespace,
    check_repo_id,
    choose_repo_id,
    client_timeout,
    hub_errors,
    repo_url,
    retry_after,
)
from .files import human_size, local_files, same_as_remote, stale_on_hub

# huggingface_hub's shared client waits forever by default; a dead network must fail fast.
PREFLIGHT_TIMEOUT = 10.0
PUSH_TIMEOUT = 120.0
COMMIT_ATTEMPTS = 3  # a commit refused with 429 is sent again after its Retry-After
sleep: Callable[[float], None] = time.sleep  # module-level so tests can record the waits


@dataclass
class PushOptions:
    """What to publish and where (the `push` command's options)."""

    repo_id: str | None = flag(None, help="NS/NAME (default: your namespace and the model name).")
    namespace: str | None = flag(None, help="Push under this organisation.")
    private: bool = flag(False, help="Create private repos.")
    space: bool = flag(False, help="Also push a Gradio Space.")
    dataset: bool = flag(False, help="Also push the cleaned posts as a dataset repo.")
    create_pr: bool = flag(False, help="Open a pull request instead of committing to main.")
    commit_message: str | None = flag(None)
    # Hardware flavor requested for the Space (e.g. "t4-small", paid); None: the free CPU.
    space_hardware: str | None = flag(None, help="Space hardware flavor (e.g. t4-small, paid); default the free cpu-basic, with torch's CPU build.")  # fmt: skip
    # also upload the GGUF export (`publisher.pipeline.push_bot` adds it)
    gguf: bool = flag(False, help="Also upload DIR/export/*.gguf and Ollama's files (exported first if missing or stale).")  # fmt: skip
    # push a protected account's bot publicly anyway
    public_ok: bool = flag(False, help="Push a protected account's bot publicly anyway.")
    # the dataset repo of posts is private unless this is set
    public_dataset: bool = flag(False, help="Make the --dataset repo public (default: private).")


@dataclass
class RepoPush:
    """The outcome for one repo: its URL, the new commit (None when nothing changed), the files sent."""

    repo_type: str
    repo_id: str
    url: str
    commit: str | None
    files: list[str]
    pr_url: str | None = None
    size: int = 0  # bytes of the files committed

    @property
    def changed(self) -> bool:
        return self.commit is not None

    def line(self) -> str:
        if not self.changed:
            return f"{self.repo_type} {self.url}: nothing changed"
        where = self.pr_url or self.url
        size = f", {human_size(self.size)}" if self.size else ""
        return (
            f"{self.repo_type} {where}: {len(self.files)} file(s){size} in commit {self.commit[:7]}"  # type: ignore[index]
        )


@dataclass
class PushResult:
    """What `push` did for the model repo and, when asked, the dataset and Space repos."""

    model: RepoPush
    dataset: RepoPush | None = None
    space: RepoPush | None = None

    @property
    def repos(self) -> list[RepoPush]:
        return [r for r in (self.model, self.dataset, self.space) if r is not None]

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.repos)

    def lines(self) -> list[str]:
        """One line per repo, for the CLI to print."""
        return [r.line() for r in self.repos]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def get_token() -> str | None:
    """The Hugging Face token: HF_TOKEN, else the one saved by `hf auth login`; None if neither."""
    from huggingface_hub import get_token as hf_get_token

    return hf_get_token()


def preflight(model_name: str, opts: PushOptions, token: str) -> str:
    """Check, in seconds and before any work, that `push` can succeed.

    Args:
        model_name: the bot's name (default repo name).
        opts: push options (`repo_id`, `namespace`, which repos).
        token: the Hugging Face token.

    Returns:
        The model repo id to push to (`NS/NAME`); the dataset and Space repos share it.

    Raises:
        AuthError: invalid token, or no write access to the namespace or the existing repo.
        HubError: invalid repo id, or the Hub is unreachable.
    """
    from huggingface_hub import HfApi

    with hub_errors("Hub preflight", token, None), client_timeout(PREFLIGHT_TIMEOUT):
        api = HfApi(token=token)
        me = api.whoami(cache=True)
        repo_id = choose_repo_id(model_name, opts.repo_id, opts.namespace, me)
        check_repo_id(repo_id)
        for repo_type in _repo_types(opts):
            check_access(api, me, repo_type, repo_id, opts.create_pr)
    return repo_id


def preflight_account(opts: PushOptions, token: str) -> None:
    """Check the token and the namespace before the bot's name is known (read from its posts).

    Raises:
        AuthError: invalid token, or a namespace the token cannot write to.
        HubError: the Hub is unreachable.
    """
    from huggingface_hub import HfApi

    with hub_errors("Hub preflight", token, None), client_timeout(PREFLIGHT_TIMEOUT):
        me = HfApi(token=token).whoami(cache=True)
        check_namespace(me, opts.namespace or me["name"])


def _repo_types(opts: PushOptions) -> list[str]:
    return ["model"] + (["dataset"] if opts.dataset else []) + (["space"] if opts.space else [])


def _check_complete(bot_dir: Path) -> None:
    repo = layout.repo_dir(bot_dir)
    # A LoRA adapter repo (`--push-adapter`) has adapter_config.json instead of config.json.
    config = layout.ADAPTER_CONFIG if layout.is_adapter(repo) else layout.MODEL_CONFIG
    required = (config, layout.CARD)
    missing = [n for n in required if not (repo / n).is_file()]
    if not any(repo.glob("*.safetensors")):
        missing.append("*.safetensors weights")
    if missing:
        raise HubError(
            f"{repo}: not a finished bot (missing {', '.join(missing)}); nothing was committed",
            hint=f"run `hf-tweetbot train {bot_dir}` first",
        )


def _update_manifest(bot_dir: Path, repo_id: str, opts: PushOptions, gguf: list[str]) -> mf.Manifest:  # fmt: skip
    """Record where the bot lives in bot.json and re-render the card so its links point there."""
    man = mf.load(bot_dir)
    man.repo_id = repo_id
    if gguf:
        man.gguf_files = gguf
    if opts.dataset:
        man.dataset_repo_id = repo_id
    if opts.space:
        man.space_repo_id = repo_id
    if (layout.repo_dir(bot_dir) / card.THUMBNAIL_FILE).is_file():
        man.thumbnail = card.resolve_url(repo_id, card.THUMBNAIL_FILE)
    mf.save(man, bot_dir)
    card.write_card(bot_dir)
    return man


def push(bot_dir: Path, opts: PushOptions, token: str, say: Callable[[str], None] = console.say,
         extra: dict[str, Path] | None = None) -> PushResult:  # fmt: skip
    """Publish a finished bot folder: one commit per repo, only files that changed.

    Args:
        bot_dir: the bot folder (`bot.json`, `data/`, `repo/`).
        opts: where and what to publish.
        token: the Hugging Face token (never written anywhere).
        say: where progress lines go (what each repo is sent, waits for the Hub).
        extra: more files for the model repo, by repo path (the GGUF export of `--gguf`).

    Returns:
        The URL, new commit (or None: nothing changed) and files sent for each repo.

    Raises:
        HubError: `DIR/repo/` incomplete, the Hub failed or refused; nothing was committed to the
            repo named in the message.
        AuthError: invalid token or no write access.
    """
    if opts.gguf and extra is None:
        raise ValueError("push(gguf=True) needs the export's files: publisher.pipeline.push_bot")
    bot_dir = Path(bot_dir)
    _check_complete(bot_dir)
    man = mf.load(bot_dir)
    if not opts.repo_id and not opts.namespace and man.repo_id:
        opts = replace(opts, repo_id=man.repo_id)  # a re-push goes where the last one went
    opts = privacy.resolve(man, opts)  # a protected account's bot: private
    repo_id = preflight(man.model_name, opts, token)
    _check_remote_privacy(repo_id, opts, token, bot_dir)
    extra = extra or {}
    if man.repo_id and repo_id != man.repo_id:
        say(f"This bot now lives at {repo_id}, not {man.repo_id}: bot.json records it, so later "
            f"pushes and updates go there (--repo-id {man.repo_id} pushes there again)")  # fmt: skip
    man = _update_manifest(bot_dir, repo_id, opts, sorted(n for n in extra if n.endswith(".gguf")))
    with tempfile.TemporaryDirectory(prefix="hf-tweetbot-push-") as tmp:
        # Everything is staged before the first upload: a failure cannot leave DIR half-made.
        repo = layout.repo_dir(bot_dir)
        folders = {"model": repo}
        if extra:
            folders["model"] = hub_files.stage_model_with(repo, extra, Path(tmp) / "model")
        if opts.dataset:
            folders["dataset"] = hub_files.stage_dataset(bot_dir, man, Path(tmp) / "dataset")
        if opts.space:
            gpu = hub_files.is_gpu(opts.space_hardware)
            folders["space"] = hub_files.stage_space(man, repo, Path(tmp) / "space", gpu)
        for folder in folders.values():
            privacy.refuse_secrets(folder, token, bot_dir)
        with client_timeout(PUSH_TIMEOUT):
            done = {
                t: _push_folder(f, t, repo_id, opts, token, bot_dir, say)
                for t, f in folders.items()
            }
    return PushResult(done["model"], done.get("dataset"), done.get("space"))


def _check_remote_privacy(repo_id: str, opts: PushOptions, token: str, bot_dir: Path) -> None:
    from huggingface_hub import HfApi

    with hub_errors(f"repo {repo_id}", token, str(bot_dir)), client_timeout(PREFLIGHT_TIMEOUT):
        privacy.check_remote(HfApi(token=token), repo_id, opts)


def _push_folder(folder: Path, repo_type: str, repo_id: str, opts: PushOptions, token: str, bot_dir: Path, say: Callable[[str], None]) -> RepoPush:  # fmt: skip
    """Create the repo if needed and commit the files of `folder` that differ from the Hub's."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.hf_api import RepoFile

    url = repo_url(repo_type, repo_id)
    space = repo_type == "space"
    with hub_errors(f"{repo_type} repo {repo_id}", token, str(bot_dir)):
        api = HfApi(token=token)
        api.create_repo(
            repo_id,
            repo_type=repo_type,
            private=privacy.want_private(repo_type, opts) or None,
            exist_ok=True,
            space_sdk="gradio" if space else None,
            space_hardware=opts.space_hardware if space else None,  # type: ignore[arg-type]
        )
        head = api.repo_info(repo_id, repo_type=repo_type).sha
        tree = api.list_repo_tree(repo_id, repo_type=repo_type, recursive=True, revision=head)
        remote = {f.path: f for f in tree if isinstance(f, RepoFile)}
        changed = [
            r
            for r, p in local_files(folder).items()
            if r not in remote or not same_as_remote(p, remote[r])
        ]
        # Switching between merged weights and an adapter: the other form's files must go.
        stale = stale_on_hub(set(local_files(folder)), set(remote)) if repo_type == "model" else []
        commit, pr_url = None, None
        size = sum((folder / r).stat().st_size for r in changed)
        if changed or stale:
            if changed:
                say(f"Uploading {len(changed)} file(s), {human_size(size)}, to {repo_type} repo {repo_id}")  # fmt: skip
            ops: list[Any] = [
                CommitOperationAdd(path_in_repo=r, path_or_fileobj=folder / r) for r in changed
            ]
            ops += [CommitOperationDelete(path_in_repo=r) for r in stale]
            message = opts.commit_message or _message(repo_type, repo_id, changed)
            # parent_commit: the Hub refuses the commit if someone committed since we compared.
            info = _commit(
                api, ops, say, repo_id=repo_id, repo_type=repo_type, commit_message=message,
                create_pr=opts.create_pr, parent_commit=head,
            )  # fmt: skip
            commit, pr_url = info.oid, info.pr_url
        if space and not opts.create_pr:
            # Set on every push: a previous push may have failed between commit and variable.
            model_id = (folder / hub_files.MODEL_ID_FILE).read_text(encoding="utf-8").strip()
            api.add_space_variable(repo_id, "MODEL_ID", model_id)
            if opts.space_hardware:
                api.request_space_hardware(repo_id, opts.space_hardware)  # type: ignore[arg-type]
            privacy.give_space_guard_key(api, repo_id, bot_dir)
    return RepoPush(repo_type, repo_id, url, commit, changed + stale if commit else [], pr_url, size if commit else 0)  # fmt: skip


def _commit(api: Any, ops: list[Any], say: Callable[[str], None], **kw: Any) -> Any:
    """`create_commit`, sent again after a 429's short `Retry-After` (the client does not).

    Uploaded objects stay uploaded between attempts: only the commit itself is sent again.
    """
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return api.create_commit(operations=ops, **kw)
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else None
            wait = retry_after(e.response.headers) if status == 429 else None
            if wait is None or wait > MAX_RETRY_AFTER or attempt == COMMIT_ATTEMPTS:
                raise
            say(f"The Hub asks to wait {wait:.0f} s (HTTP 429): committing again then")
            sleep(wait)
    raise AssertionError("unreachable")


def _message(repo_type: str, repo_id: str, changed: list[str]) -> str:
    what = {"model": "model", "dataset": "cleaned posts", "space": "Space app"}[repo_type]
    return f"hf-tweetbot: upload {what} of {repo_id.split('/')[1]} ({len(changed)} file(s))"
