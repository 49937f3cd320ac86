"""Typed domain errors, and how any error becomes what a person reads.

Every error a user can cause is a subclass of `TweetbotError`. Modules raise them with a
message that names the problem; `error_lines` turns any error into `Error: ...` and `Hint: ...`
(the next command to try), which the CLI prints on stderr (exiting with `exit_code`) and the
web creator shows on its page.
"""

from __future__ import annotations

import importlib.util

DEBUG_ENV = "HF_TWEETBOT_DEBUG"  # =1: tracebacks instead of one line


class TweetbotError(Exception):
    """Base class of every error hf-tweetbot reports to a user.

    Args:
        message: what went wrong, one line, naming the input at fault.
        hint: what to do next, ideally a command to run.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(TweetbotError):
    """The command line itself is wrong (too many users, the same user twice, ...)."""


class SourceError(TweetbotError):
    """A user's posts could not be read: missing path, broken archive, bad CSV, API error."""


class ArchiveError(SourceError):
    """An X/Twitter archive is malformed or unsafe (zip slip, zip bomb, invalid JSON)."""


class FetchError(SourceError):
    """A live API (X, Bluesky, Mastodon) refused or failed."""


class RateLimitError(FetchError):
    """A live API asked us to wait longer than we are willing to."""


class AddressError(FetchError):
    """A server that strangers drive was asked to reach an address it keeps out of reach
    (loopback, private, link-local, ...): nothing was sent there."""


class LimitError(TweetbotError):
    """A visitor of the web creator reached one of its limits (shown on its page)."""


class NotEnoughPostsError(TweetbotError):
    """After cleaning, a user has too little text to fine-tune on."""


class OutputExistsError(TweetbotError):
    """The output folder already holds another bot."""


class BaseModelError(TweetbotError):
    """The base model could not be found, downloaded or converted."""


class TrainingError(TweetbotError):
    """Training could not start or resume."""


class ManifestError(TweetbotError):
    """`bot.json` is missing, unreadable or incomplete."""


class HubError(TweetbotError):
    """The Hub refused or failed (token, permissions, network). Nothing was committed."""


class AuthError(HubError):
    """The Hugging Face token is missing, invalid or cannot write where asked."""


class OutputError(TweetbotError):
    """An output could not be written (disk full, permissions, read-only); the earlier one is intact."""


def os_reason(e: OSError) -> str:
    """'No space left on device: PATH' for an OSError: the reason, and the path when it has one."""
    return f"{e.strerror or e}: {e.filename}" if e.filename else str(e.strerror or e)


class BusyError(TweetbotError):
    """Another run is writing the bot folder (`publisher.bot.lock`); nothing was changed."""


class Interrupted(TweetbotError):
    """The user stopped a run (Ctrl-C); the message says what was kept and how to go on."""

    exit_code = 130


class ExportError(TweetbotError):
    """A bot cannot be exported (GGUF): unsupported architecture or tokenizer, untrained bot."""


class PrivacyError(TweetbotError):
    """A push would make private posts or a protected account's bot public. Nothing was sent."""


class MissingPackageError(TweetbotError):
    """A command needs an optional part of hf-tweetbot that is not installed."""


def require(module: str, extra: str, what: str) -> None:
    """Raise `MissingPackageError` naming the extra to install when `module` is missing.

    Args:
        module: the import name the feature needs (`gradio`, `gguf`, ...).
        extra: the hf-tweetbot extra that installs it (`web`, `gguf`, ...).
        what: the feature, as the message names it ("the bot creator").
    """
    if importlib.util.find_spec(module) is None:
        raise MissingPackageError(
            f"{what} needs the `{module}` package, which is not installed",
            hint=f"pip install 'hf-tweetbot[{extra}]'",
        )


def error_lines(e: BaseException) -> list[str]:
    """What a person is told about an error: `Error: ...` and, when there is one, `Hint: ...`.

    Args:
        e: a `TweetbotError`, or anything else (reported as unexpected).

    Returns:
        One or two lines.
    """
    if isinstance(e, Interrupted):  # not a fault: what was kept and how to go on
        return [e.message] + ([f"Hint: {e.hint}"] if e.hint else [])
    if isinstance(e, TweetbotError):
        return [f"Error: {e.message}"] + ([f"Hint: {e.hint}"] if e.hint else [])
    detail = str(e).splitlines()[0][:300] if str(e) else ""
    return [
        f"Error: unexpected {type(e).__name__}: {detail}",
        f"Hint: set {DEBUG_ENV}=1 for the traceback, and report it",
    ]
