"""Pictures as people attach them: avatars and photos."""

from __future__ import annotations

import io


def image(fmt: str = "JPEG", size: tuple[int, int] = (64, 64)) -> bytes:
    """A plain grey picture in `fmt` (a Pillow format name), `size` pixels."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, 90).save(buf, format=fmt)
    return buf.getvalue()
