"""The card stage: the model card and the Space's README (Jinja2), their escaping, the thumbnail.

`render.py` fills the templates of `publisher.templates` (the huggingtweets card, byte for byte,
or with full metadata); `escape.py` escapes each value for the context it lands in (YAML, HTML,
Markdown, URLs); `thumbnail.py` draws `predictions.png`.
"""

from .render import (
    THUMBNAIL_FILE,
    hub_url,
    installed_gradio_version,
    render_bot_card,
    render_card,
    render_space_readme,
    resolve_url,
    write_card,
)

__all__ = [
    "THUMBNAIL_FILE",
    "hub_url",
    "installed_gradio_version",
    "render_bot_card",
    "render_card",
    "render_space_readme",
    "resolve_url",
    "write_card",
]
