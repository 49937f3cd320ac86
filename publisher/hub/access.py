"""Hub access for `publisher/hub/push.py`: repo ids, write permissions, timeouts, error mapping.

Kept apart so `hub.py` reads as the publishing steps; nothing here uploads anything.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from ..errors import AuthError, HubError, TweetbotError

LOGIN_HINT = "run `hf auth login` (or `huggingface-cli login`), or set HF_TOKEN to a write token"
# The longest `Retry-After` worth waiting for inside one push; longer: stop, say when to retry.
MAX_RETRY_AFTER = 60.0
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
_WRITE_ROLES = ("admin", "write", "contributor")


def repo_url(repo_type: str, repo_id: str) -> str:
    """The web URL of a repo on the Hub this process talks to."""
    from huggingface_hub import constants

    return f"{constants.ENDPOINT.rstrip('/')}/{URL_PREFIX[repo_type]}{repo_id}"


def scrub(text: str, token: str | None) -> str:
    """One line, with the token (and anything shaped like an HF token) masked."""
    if token:
        text = text.replace(token, "***")
    text = re.sub(r"\bhf_[A-Za-z0-9]{8,}\b", "hf_***", text)
    return " ".join(text.split())


def _http_modules() -> list[Any]:
    """The HTTP libraries huggingface_hub may raise from: httpx2 (2.x) and httpx (1.x)."""
    import httpx

    try:
        import httpx2
    except ImportError:  # huggingface_hub 1.x talks through httpx
        return [httpx]
    return [httpx2, httpx]


class RateLimited(Exception):
    """The Hub answered 429 with a `Retry-After` too long to wait for (raised in the client)."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"rate-limited (Retry-After: {retry_after})")
        self.retry_after = retry_after


def retry_after(headers: Any) -> float | None:
    """Seconds of a `Retry-After: N` header (the only form the Hub sends), else None."""
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


# The timeout of the Hub calls made inside `client_timeout` (None: outside any such block).
_CALL_TIMEOUT: ContextVar[float | None] = ContextVar("hub_call_timeout", default=None)
# Requests huggingface_hub sends from its own worker threads (LFS uploads) carry no context;
# any request sent without a timeout of its own gets this one instead of waiting forever.
UNSCOPED_TIMEOUT = 120.0
_HOOKS_LOCK = threading.Lock()
_active = [0]  # `client_timeout` blocks running now, in any thread


def _set_timeout(request: Any) -> None:
    """httpx request hook: a request sent without a timeout gets its call's (or the unscoped one).

    A timeout the caller chose (huggingface_hub's download timeouts) is left as it is.
    """
    chosen = request.extensions.get("timeout") or {}
    if any(v is not None for v in chosen.values()):
        return
    seconds = _CALL_TIMEOUT.get() or UNSCOPED_TIMEOUT
    limits = {"connect": min(seconds, 10.0), "read": seconds, "write": seconds, "pool": seconds}
    request.extensions = {**request.extensions, "timeout": limits}


def _stop_long_waits(response: Any) -> None:
    """httpx response hook: a 429 with a long or missing `Retry-After` ends our call now.

    huggingface_hub waits `Retry-After` + 1 s and retries up to 5 times: fine for seconds, not
    for an hour in silence. Short waits are left to it (and to `push` for the commit). Its LFS
    uploads run in its own worker threads, which carry no context: while any of our calls runs,
    every request of the shared client stops so; when none runs, waits are left to it.
    """
    if response.status_code == 429 and (_CALL_TIMEOUT.get() is not None or _active[0]):
        wait = retry_after(response.headers)
        if wait is None or wait > MAX_RETRY_AFTER:
            raise RateLimited(wait)


def _hook_shared_client() -> None:
    """Add our two hooks to huggingface_hub's shared client, once (the client is never replaced).

    huggingface_hub builds a new client after closing its own on a connection error; the next
    `client_timeout` block hooks that one too.
    """
    from huggingface_hub.utils import get_session

    hooks = get_session().event_hooks
    with _HOOKS_LOCK:
        for kind, hook in (("request", _set_timeout), ("response", _stop_long_waits)):
            if hook not in hooks[kind]:
                hooks[kind].append(hook)


@contextlib.contextmanager
def client_timeout(seconds: float) -> Iterator[None]:
    """Give the Hub requests made in this block (this thread) a timeout of `seconds`.

    huggingface_hub's shared client waits forever by default; a dead network must fail within
    seconds instead. The timeout travels with each request, so publishes, downloads and
    evaluations running side by side in other threads keep their own; inside the block the client
    also stops at once on a 429 whose `Retry-After` is over `MAX_RETRY_AFTER`.
    """
    _hook_shared_client()
    token = _CALL_TIMEOUT.set(seconds)
    with _HOOKS_LOCK:
        _active[0] += 1
    try:
        yield
    finally:
        with _HOOKS_LOCK:
            _active[0] -= 1
        _CALL_TIMEOUT.reset(token)


def _http_status(e: BaseException) -> tuple[int | None, str]:
    response = getattr(e, "response", None)
    if response is None:
        return None, ""
    return response.status_code, response.headers.get("X-Error-Message") or ""


@contextlib.contextmanager
def hub_errors(what: str, token: str, retry: str | None) -> Iterator[None]:
    """Turn huggingface_hub/httpx failures into one-line `AuthError`/`HubError`.

    Args:
        what: the step, e.g. "model repo alice/bot" (starts the message).
        token: masked wherever it could appear.
        retry: the bot folder when files were about to be committed (message says nothing was
            committed; hint is `hf-tweetbot push DIR`), None during preflight.
    """
    try:
        yield
    except TweetbotError:
        raise
    except Exception as e:
        mapped = translate(e, what, token, retry)
        if mapped is None:
            raise
        raise mapped from None


def _chain(e: BaseException) -> list[BaseException]:
    """`e` and its causes: huggingface_hub wraps a failed LFS upload in a RuntimeError."""
    out: list[BaseException] = []
    while e is not None and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
    return out


def translate(e: BaseException, what: str, token: str, retry: str | None) -> TweetbotError | None:
    """The one-line error for a failure of the client, or None when it is not a Hub failure."""
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    transport = tuple(m.TransportError for m in _http_modules()) + (ConnectionError,)
    tail = "; nothing was committed" if retry else ""
    again = f"; then `hf-tweetbot push {retry}` retries without training" if retry else ""
    upload = re.search(r"Error while uploading '([^']+)'", str(e))
    during = f" while uploading {upload.group(1)}" if upload else ""
    for cause in _chain(e):
        if isinstance(cause, RateLimited) or (
            isinstance(cause, HfHubHTTPError) and _http_status(cause)[0] == 429
        ):
            wait = getattr(cause, "retry_after", None)
            if wait is None and isinstance(cause, HfHubHTTPError):
                wait = retry_after(cause.response.headers)
            when = f"retry after {wait:.0f} s" if wait is not None else "no retry time given"
            msg = f"{what}: the Hub is rate-limiting this account (HTTP 429, {when}){during}{tail}"
            hint = f"wait {wait:.0f} s" if wait is not None else "wait a few minutes"
            return HubError(scrub(msg, token), hint=hint + again)
        if isinstance(cause, HfHubHTTPError):
            return _http_error(cause, what, token, retry, during)
        if isinstance(cause, transport):
            host = repo_url("model", "").rstrip("/")
            msg = (
                f"{what}: could not reach the Hub at {host} ({type(cause).__name__}){during}{tail}"
            )
            hint = (
                "check your connection" + again if retry else "check your connection or HF_ENDPOINT"
            )
            return HubError(scrub(msg, token), hint=hint)
    if isinstance(e, (HFValidationError, ValueError)):
        msg = f"{what}: {str(e).splitlines()[0] if str(e) else type(e).__name__}{tail}"
        return HubError(scrub(msg, token), hint=("fix it" + again) if retry else None)
    return None


def _http_error(e: Any, what: str, token: str, retry: str | None, during: str) -> TweetbotError:
    """The one-line error for an HTTP error answer of the Hub."""
    status, server = _http_status(e)
    said = f": {server}" if server else ""
    tail = "; nothing was committed" if retry else ""
    again = f"; then `hf-tweetbot push {retry}` retries without training" if retry else ""
    if status == 401:
        msg = f"{what}: the Hugging Face token is invalid or expired{tail}"
        return AuthError(scrub(msg, token), hint=LOGIN_HINT + again)
    if status == 403:
        msg = f"{what}: the token may not write there (HTTP 403{said}){tail}"
        hint = "use a token with write access to this namespace, or --namespace/--repo-id"
        return AuthError(scrub(msg, token), hint=hint + again)
    if status == 412:
        msg = f"{what}: the repo changed on the Hub during the push{tail}"
    elif status is not None and status >= 500:
        msg = f"{what}: the Hub failed (HTTP {status}){during}, even after retries{tail}"
    else:
        msg = f"{what}: the Hub refused (HTTP {status}{said}){during}{tail}"
    return HubError(scrub(msg, token), hint=("wait a moment" + again) if retry else None)


def check_repo_id(repo_id: str) -> str:
    """Validate `NS/NAME` against huggingface_hub's rules and the Hub's naming rules.

    Raises:
        HubError: the message names the invalid id.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    parts = repo_id.split("/")
    ok = len(parts) == 2 and all(_NAME_RE.match(p) for p in parts)
    ok = ok and not any(s in repo_id for s in ("--", "..")) and not repo_id.endswith(".git")
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        ok = False
    if not ok:
        raise HubError(
            f"'{repo_id}' is not a valid Hub repo id",
            hint="use --repo-id NAMESPACE/NAME with letters, digits, '-', '_' or '.' (at most 96)",
        )
    return repo_id


def choose_repo_id(
    model_name: str, repo_id: str | None, namespace: str | None, me: dict[str, Any]
) -> str:
    """`--repo-id` (NAME alone goes under the namespace), else NAMESPACE/model_name."""
    ns = namespace or me["name"]
    if repo_id:
        return repo_id if "/" in repo_id else f"{ns}/{repo_id}"
    return f"{ns}/{model_name}"


def can_write(me: dict[str, Any], repo_type: str, repo_id: str) -> tuple[bool, bool]:
    """(may create repos in the namespace, may update this repo), from the whoami-v2 answer."""
    ns = repo_id.split("/")[0]
    access = (me.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    if ns == me.get("name"):
        member = True
    else:
        org = next((o for o in me.get("orgs") or [] if o.get("name") == ns), None)
        member = org is not None and org.get("roleInOrg", "write") in _WRITE_ROLES
    if not member or role == "read":
        return False, False
    if role != "fineGrained":
        return True, True
    scoped = (access.get("fineGrained") or {}).get("scoped") or []
    writes = [s.get("entity") or {} for s in scoped if "repo.write" in (s.get("permissions") or [])]
    in_ns = any(e.get("type") in ("user", "org") and e.get("name") == ns for e in writes)
    this = any(e.get("type") == repo_type and e.get("name") == repo_id for e in writes)
    return in_ns, in_ns or this


def _role(me: dict[str, Any]) -> str | None:
    """The token's role in a whoami-v2 answer: "read", "write" or "fineGrained"."""
    return ((me.get("auth") or {}).get("accessToken") or {}).get("role")


def check_namespace(me: dict[str, Any], ns: str) -> None:
    """Raise unless the token is a write token of `ns` (the user or an org they write to).

    Raises:
        AuthError: naming the user and the namespace.
    """
    user = me.get("name", "?")
    if _role(me) == "read":
        raise AuthError(f"{user}'s token is read-only: it cannot push", hint=LOGIN_HINT)
    org = next((o for o in me.get("orgs") or [] if o.get("name") == ns), None)
    if ns != user and (org is None or org.get("roleInOrg", "write") not in _WRITE_ROLES):
        raise AuthError(
            f"{user}'s token cannot create repos under '{ns}'",
            hint="use --namespace with your user or an org where you can write, or a write token",
        )


def check_access(
    api: Any, me: dict[str, Any], repo_type: str, repo_id: str, create_pr: bool
) -> None:
    """Raise unless the token can update (or create) this repo, or open a PR on it."""
    label = f"{repo_type} repo {repo_id}"
    can_create, can_update = can_write(me, repo_type, repo_id)
    exists = api.repo_exists(repo_id, repo_type=repo_type)
    user = me.get("name", "?")
    if create_pr:
        if not exists:
            raise HubError(
                f"{label} does not exist: --create-pr needs an existing repo",
                hint="push without --create-pr to create it, or check --repo-id",
            )
        if _role(me) == "read":
            raise AuthError(
                f"{label}: a read-only token cannot open a pull request", hint=LOGIN_HINT
            )
        return
    if _role(me) == "read":  # whatever the namespace: the token, not the place, is at fault
        raise AuthError(f"{user}'s token is read-only: it cannot push {label}", hint=LOGIN_HINT)
    if exists and not can_update:
        raise AuthError(
            f"{label} exists and {user}'s token cannot write to it",
            hint="pick another --repo-id or --namespace, use a write token, or pass --create-pr",
        )
    if not exists and not can_create:
        raise AuthError(
            f"{user}'s token cannot create repos under '{repo_id.split('/')[0]}'",
            hint="use --namespace with your user or an org where you can write, or a write token",
        )
