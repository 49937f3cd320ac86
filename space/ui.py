"""HTML of the Space page: the bot's header, post-like result cards and the footer.

Every piece of text that comes from the model, the card or the user goes through
`html.escape`: generated posts are shown as text, never as HTML.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

try:
    from .bot_info import BotInfo
except ImportError:  # run as `python app.py` inside a Space
    from bot_info import BotInfo  # type: ignore[no-redef]

INTENT_URL = "https://twitter.com/intent/tweet?text="
# The "@" of a mention (not of an e-mail address): dropped from the text "Post this" pre-fills.
_MENTION_AT = re.compile(r"(?<![\w@.])@(?=[A-Za-z0-9_])")

CSS = """
.tb-header, .tb-post, .tb-footer { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI",
  Roboto, Helvetica, Arial, sans-serif, "Noto Color Emoji"; }
.tb-header { display: flex; flex-direction: column; align-items: center; gap: 2px;
  padding: 12px 0 4px; line-height: 1.5; }
.tb-avatars { display: flex; gap: 6px; }
.tb-avatar { width: 92px; height: 92px; border-radius: 50%; object-fit: cover;
  background: var(--neutral-200, #ddd); }
.tb-avatar-fallback { display: flex; align-items: center; justify-content: center;
  font-size: 44px; }
.tb-badge { font-size: 16px; font-weight: 800; margin-top: 3px; }
.tb-name { font-size: 16px; font-weight: 800; }
.tb-handle { font-size: 14px; opacity: .75; }
.tb-posts { display: flex; flex-direction: column; gap: 10px; }
.tb-post { display: flex; gap: 10px; padding: 12px 14px; border-radius: 14px;
  border: 1px solid var(--border-color-primary, #e5e7eb);
  background: var(--block-background-fill, #fff); }
.tb-post .tb-mini { width: 44px; height: 44px; border-radius: 50%; object-fit: cover;
  flex: none; font-size: 24px; display: flex; align-items: center; justify-content: center;
  background: var(--neutral-200, #ddd); }
.tb-body { flex: 1; min-width: 0; }
.tb-who { font-size: 14px; }
.tb-who b { margin-right: 4px; }
.tb-who span { opacity: .65; }
.tb-text { margin: 4px 0 8px; font-size: 15px; line-height: 1.45; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.tb-waiting .tb-text { opacity: .5; font-style: italic; }
.tb-actions { display: flex; gap: 18px; font-size: 13px; }
#tb-results .tb-actions a, #tb-results .tb-actions button { color: #1d9bf0; background: none;
  border: none; box-shadow: none; padding: 2px 0; min-width: 0; cursor: pointer; font: inherit;
  font-size: 13px; font-weight: 600; text-decoration: none; }
#tb-results .tb-actions a:hover, #tb-results .tb-actions button:hover {
  text-decoration: underline; }
.tb-footer { text-align: center; font-size: 13px; opacity: .8; padding: 8px 0; }
"""

# Delegated click handler for the copy buttons (they come and go with each result).
COPY_JS = """
element.addEventListener('click', async (e) => {
  const b = e.target.closest('button.tb-copy');
  if (!b) return;
  const text = b.closest('.tb-post').querySelector('.tb-text').textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const t = document.createElement('textarea');
    t.value = text; document.body.appendChild(t); t.select();
    document.execCommand('copy'); t.remove();
  }
  b.textContent = 'Copied!';
  setTimeout(() => { b.textContent = 'Copy'; }, 1500);
});
"""


def _img(src: str | None, cls: str, alt: str) -> str:
    if not src:
        return f'<div class="{cls} tb-avatar-fallback" aria-hidden="true">🤖</div>'
    return f'<img class="{cls}" src="{escape(src, quote=True)}" alt="{escape(alt, quote=True)}">'


def header_html(info: BotInfo) -> str:
    """The huggingtweets header: avatars, "AI BOT" badge, names and handles."""
    avatars = "".join(_img(u.avatar, "tb-avatar", u.name) for u in info.users) or _img(
        None, "tb-avatar", ""
    )
    badge = "🤖 AI BOT 🤖" if len(info.users) < 2 else "🤖 AI CYBORG 🤖"
    handle = f'<div class="tb-handle">{escape(info.handles)}</div>' if info.users else ""
    return (
        f'<div class="tb-header"><div class="tb-avatars">{avatars}</div>'
        f'<div class="tb-badge">{badge}</div>'
        f'<div class="tb-name">{escape(info.names)}</div>{handle}</div>'
    )


def post_card(info: BotInfo, text: str, state: str = "done") -> str:
    """One post, shown like a post: avatar, name, handle, text, "Post this" and "Copy".

    Args:
        info: the bot.
        text: the post (plain text; escaped here).
        state: "done", "streaming" (text still growing) or "waiting" (not started).
    """
    user = info.users[0] if info.users else None
    body = escape(text) if text else "…"
    actions = ""
    if state == "done":
        href = escape(INTENT_URL + quote(intent_text(text), safe=""), quote=True)
        actions = (
            '<div class="tb-actions">'
            f'<a class="tb-intent" href="{href}" target="_blank" rel="noopener noreferrer">'
            "↗ Post this</a>"
            '<button class="tb-copy" type="button">Copy</button></div>'
        )
    return (
        f'<article class="tb-post tb-{state}">{_img(user.avatar if user else None, "tb-mini", "")}'
        f'<div class="tb-body"><div class="tb-who"><b>{escape(info.names)}</b>'
        f"<span>{escape(info.handles)}</span></div>"
        f'<p class="tb-text">{body}</p>{actions}</div></article>'
    )


def intent_text(text: str) -> str:
    """The text "Post this" pre-fills: mentions lose their "@", so no real account is tagged."""
    return _MENTION_AT.sub("", text)


def cards_html(info: BotInfo, posts: list[str], n: int, done: bool) -> str:
    """All result cards; while sampling, the first streams and the others wait.

    Args:
        info: the bot.
        posts: the posts so far (while streaming: only the first one, partial).
        n: how many posts were asked for.
        done: whether sampling has ended (the container's `data-done` says so, for tests).

    Returns:
        The HTML of the result list.
    """
    if done:
        cards = [post_card(info, p) for p in posts]
    else:
        first = post_card(info, posts[0] if posts else "", "streaming")
        cards = [first] + [post_card(info, "", "waiting") for _ in range(n - 1)]
    state = "1" if done else "0"
    return f'<div class="tb-posts" data-done="{state}">{"".join(cards)}</div>'


def footer_html(info: BotInfo, note: str = "") -> str:
    """Link to the model repo, a plain statement that the posts are machine-generated, `note`.

    Args:
        info: the bot.
        note: one more line (plain text): the measured copy rates and the copy guard's state.
    """
    if info.repo_url:
        label = escape(info.repo_url.rsplit("/", 2)[-2] + "/" + info.repo_url.rsplit("/", 1)[-1])
        link = f'<a href="{escape(info.repo_url, quote=True)}" target="_blank" rel="noopener">{label}</a>'
    else:
        link = f"<code>{escape(info.model_id)}</code>"
    who = escape(info.names)
    return (
        f'<div class="tb-footer">Model: {link}<br>These posts are machine-generated by a language '
        f"model fine-tuned on {who}'s posts. They were not written by {who}.<br>"
        + (f'<span class="tb-quality">{escape(note)}</span><br>' if note else "")
        + "Made with hf-tweetbot, after huggingtweets.</div>"
    )
