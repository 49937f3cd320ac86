"""`hf-tweetbot web --space-folder DIR`: a Hugging Face Space that runs the bot creator.

The folder holds a copy of the installed `publisher` package (its Space app and templates
included) beside a three-line `app.py`, so it runs with `python app.py` anywhere its requirements are installed and
needs nothing from PyPI that is not public. Requirements are hf-tweetbot's own dependencies,
pinned to the versions installed here; torch comes from PyTorch's CPU index, as a CPU Space has
no GPU for a CUDA build to use. The README's front matter turns on "Sign in with Hugging Face"
with the one scope the app needs: creating repos and writing to the repos it created.
"""

from __future__ import annotations

import shutil
from importlib import metadata, resources
from pathlib import Path

from .session import WebConfig

# The package, then its data-carrying subpackages (from a source checkout they live outside it).
PACKAGES = {"publisher": (".py", ".typed"), "publisher.space": (".py", ".txt", ".css", ".md"),
            "publisher.templates": (".py", ".j2")}  # fmt: skip
# `contribute-repos`: create repos and write to those this app created (the bot's model, Space
# and dataset); `manage-repos` would also reach every other repo and allow deleting them.
# `jobs`: run the training as a Hugging Face job in the visitor's account, when they choose to.
OAUTH_SCOPES = ("contribute-repos", "jobs")
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# hf-tweetbot's extras the creator needs: gradio (web), and gguf for the offline base model.
EXTRAS = ("web", "gguf")

APP = '''"""Make a bot that writes like you: hf-tweetbot's creator (written by `hf-tweetbot web --space-folder`).

The Space's variables HF_TWEETBOT_WEB_BASE_MODELS (comma-separated), HF_TWEETBOT_WEB_TIME_BUDGET
(minutes) and HF_TWEETBOT_WEB_ALLOW_NETWORKS (comma-separated CIDRs) override the values below;
an X_BEARER_TOKEN secret lets people type X handles.
"""

from publisher.web import WebConfig, build_app, launch_options

cfg = WebConfig.from_env(
    WebConfig(base_models={base_models!r}, time_budget={time_budget!r}, allow_networks={allow_networks!r})
)
demo = build_app(cfg)

if __name__ == "__main__":
    demo.launch(**launch_options(cfg))
'''

README = """---
title: Make a bot that writes like you
emoji: 🐦
colorFrom: blue
colorTo: indigo
sdk: gradio
sdk_version: {gradio_version}
app_file: app.py
pinned: false
license: apache-2.0
hf_oauth: true
hf_oauth_expiration_minutes: 480
hf_oauth_scopes:
{scopes}
---

# Make a bot that writes like you

Upload your X archive (or type `bsky:` / `mastodon:` accounts), watch it train, read what it
writes, and publish it to **your** Hugging Face account, with a model card and a Space to play
with it. Written by `hf-tweetbot web --space-folder`.

People sign in with Hugging Face and their bot is pushed with their own token to their own
namespace; the Space never uses its owner's token for them. A visitor may instead choose
"Train on Hugging Face Jobs (your account)": the Space reads and prepares the posts, and the
training runs as a job in their own account, billed to it per minute (the page shows the price
before it starts), many visitors' jobs at once. Otherwise one training runs at a time, taking
turns between visitors (the page shows each person's place in line), for at most {minutes:g}
minutes on this hardware; each visitor's readings, uploads and trainings per hour are limited,
and the page lists the limits. Live sources are read from public addresses only. Uploads are
deleted once read, and a session's files when its tab closes; no file of theirs is served.

Settings (Space variables): `HF_TWEETBOT_WEB_BASE_MODELS` (comma-separated, the first is the
default), `HF_TWEETBOT_WEB_TIME_BUDGET` (minutes), `HF_TWEETBOT_WEB_ALLOW_NETWORKS`
(comma-separated CIDRs the live sources may reach besides public addresses); secret
`X_BEARER_TOKEN` to read X accounts.
"""


def requirements() -> str:
    """hf-tweetbot's dependencies and `EXTRAS`, pinned to the installed versions (local tags dropped)."""
    from packaging.requirements import Requirement

    pins = [f"--extra-index-url {CPU_TORCH_INDEX}"]
    for line in metadata.requires("hf-tweetbot") or []:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in EXTRAS):
            continue  # dev and the extras the creator does not use
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        pins.append(f"{req.name}{extras}=={metadata.version(req.name).split('+')[0]}")
    return "\n".join(pins) + "\n"


def write_space_folder(out: Path, cfg: WebConfig) -> Path:
    """Write a Space running the creator into `out` (files already there are replaced).

    Args:
        out: the folder (created if needed); push it with `hf upload` or git.
        cfg: the base models, time budget and allowed networks baked into its `app.py`.

    Returns:
        `out`.
    """
    import gradio

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for package, suffixes in PACKAGES.items():
        dest = out.joinpath(*package.split("."))
        _copy_package(Path(str(resources.files(package))), dest, suffixes)
    app = APP.format(
        base_models=tuple(cfg.base_models),
        time_budget=cfg.time_budget,
        allow_networks=tuple(cfg.allow_networks),
    )
    (out / "app.py").write_text(app, encoding="utf-8")
    (out / "requirements.txt").write_text(requirements(), encoding="utf-8")
    scopes = "\n".join(f"  - {s}" for s in OAUTH_SCOPES)
    readme = README.format(
        gradio_version=gradio.__version__, scopes=scopes, minutes=cfg.time_budget / 60
    )
    (out / "README.md").write_text(readme, encoding="utf-8")
    return out


def _copy_package(src: Path, dest: Path, suffixes: tuple[str, ...]) -> None:
    """The package's source files, sub-packages included, without caches."""
    shutil.rmtree(dest, ignore_errors=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_file() and path.suffix in suffixes and "__pycache__" not in rel.parts:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
