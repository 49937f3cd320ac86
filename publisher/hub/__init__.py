"""Publish a bot folder to the Hub: the only package that talks to it.

- `push.py`: `preflight(model_name, opts, token) -> repo_id` and `push(bot_dir, opts, token)`;
- `access.py`: tokens, permissions, repo ids, and Hub errors turned into our typed ones;
- `files.py`: the dataset and Space folders, and local files compared with the Hub's copies;
- `privacy.py`: who may see the repos (protected accounts, dataset repos) before anything is sent.
"""

from . import privacy
from .access import LOGIN_HINT, check_repo_id, repo_url, scrub
from .files import local_files
from .push import PushOptions, PushResult, RepoPush, get_token, preflight, preflight_account, push

__all__ = [
    "LOGIN_HINT",
    "PushOptions",
    "PushResult",
    "RepoPush",
    "check_repo_id",
    "get_token",
    "local_files",
    "preflight",
    "preflight_account",
    "privacy",
    "push",
    "repo_url",
    "scrub",
]
