"""What the creator serves as files: gradio's own assets, and nothing a visitor or the server made.

The page needs no file from the server: the thumbnail, the loss curve and every text travel
inline. Left to itself, gradio would serve through its file routes (`/file=PATH`, `/file/PATH`,
with or without `/gradio_api`) every file in its upload folder to anyone who has the path, other
visitors' uploads waiting to be read among them, and would fetch public URLs on request
(`/file=https://...`). `FileRoutes`, a middleware in front of gradio, answers 404 to every such
request except for a file inside gradio's own package (the sign-in button's logo), and counts
each address's uploads against `uploads_per_hour`. `launch_options` also gives gradio
`allowed_paths` (none) and `blocked_paths` (the sessions' folders, the working directory where
bot folders live, the model caches and `HF_HOME`), so gradio's own checks refuse them as well.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..errors import LimitError
from . import readings
from .session import WebConfig
from .visitors import Hourly, client_address

# `/file=...` and `/file/...`, under any prefix (`/gradio_api`, a mount path).
_FILE_ROUTE = re.compile(r"/file[=/]")
_UPLOAD_ROUTE = re.compile(r"/upload/?$")


def gradio_root() -> Path:
    """The installed gradio package: its icons are the only files the page loads by path."""
    import gradio

    return Path(gradio.__file__).resolve().parent


class FileRoutes:
    """ASGI middleware: gradio's file routes serve gradio's own files only; uploads are counted.

    Args:
        app: the ASGI app behind (gradio's).
        cfg: the creator's limits (`uploads_per_hour`, `trust_forwarded`).
    """

    def __init__(self, app: Any, cfg: WebConfig) -> None:
        self.app = app
        self.cfg = cfg
        self.uploads = Hourly("uploads")
        self.own = gradio_root()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            route = _FILE_ROUTE.search(path)
            if route and not self.servable(path[route.end() :]):
                await _answer(send, 404, ["Error: not found"])
                return
            if scope.get("method") == "POST" and _UPLOAD_ROUTE.search(path):
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}  # fmt: skip
                peer = (scope.get("client") or [None])[0]
                who = client_address(peer, headers.get("x-forwarded-for"), self.cfg.trust_forwarded)
                try:
                    self.uploads.take(who, self.cfg.uploads_per_hour)
                except LimitError as e:
                    await _answer(send, 429, [f"Error: {e.message}", f"Hint: {e.hint}"])
                    return
        await self.app(scope, receive, send)

    def servable(self, target: str) -> bool:
        """Whether a file route may answer for `target`: a file inside gradio's package only."""
        target = unquote(target)
        if "://" in target or not target.startswith("/"):
            return False
        path = Path(os.path.realpath(target))
        return path.is_file() and path.is_relative_to(self.own)


async def _answer(send: Any, status: int, lines: list[str]) -> None:
    body = json.dumps({"detail": "\n".join(lines)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def blocked_paths(cfg: WebConfig) -> list[str]:
    """What gradio is told never to serve nor take as a file: the sessions' folders, the working
    directory (bot folders live there), the converted models, and `HF_HOME` (tokens)."""
    from huggingface_hub import constants

    from ..base_models import cache_root
    from ..pipeline import DEFAULT_ROOT

    cwd = Path.cwd().resolve()
    paths = [cfg.root(), cwd / DEFAULT_ROOT, cache_root(), Path(constants.HF_HOME)]
    # The whole working directory too, unless gradio itself (a virtualenv in a checkout) or its
    # upload folder lives under it: gradio would then refuse its own icon and every upload.
    if not any(p.is_relative_to(cwd) for p in (gradio_root(), Path(_upload_folder()).resolve())):
        paths.append(cwd)
    return [str(Path(p).resolve()) for p in paths]


def _upload_folder() -> str:
    from gradio.utils import get_upload_folder

    return get_upload_folder()


def launch_options(cfg: WebConfig) -> dict[str, Any]:
    """`launch()` keywords that enforce the limits (gradio refuses bigger uploads itself) and
    decide what its file routes serve. The readers' fork server is started first (and waited
    for), so no visitor's reading waits for its imports."""
    from starlette.middleware import Middleware

    readings.warm()

    return {
        "max_file_size": f"{cfg.max_upload_mb}mb",
        "show_error": False,
        "allowed_paths": [],
        "blocked_paths": blocked_paths(cfg),
        "app_kwargs": {"middleware": [Middleware(FileRoutes, cfg=cfg)]},
    }
