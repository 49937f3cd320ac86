"""predictions.png: size, avatars (file, download, fallback), text that never crashes or overflows.

Run `python tests/test_thumbnail.py` to regenerate docs/img/thumbnail_example.png from the
sample posts in tests/data/thumbnail_posts.json.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from publisher.bot.manifest import Manifest, UserStats
from publisher.card import thumbnail as tn

DATA = Path(__file__).parent / "data"
GREEN = (10, 200, 30)
# Centre of the first avatar disc: x=48, y=28, 120 px for one user.
ONE_USER_CENTRE = (48 + 60, 88)


def sample() -> tuple[Manifest, list[str]]:
    d = json.loads((DATA / "thumbnail_posts.json").read_text(encoding="utf-8"))
    users = [UserStats(**u) for u in d["users"]]
    m = Manifest(model_name="wrencalloway", base_model="smollm2", users=users,
                 repo_id="hf-tweetbot/wrencalloway")  # fmt: skip
    return m, d["posts"]


def one(avatar: str | None, name: str = "Ada Lovelace") -> Manifest:
    return Manifest(
        model_name="ada", base_model="gpt2", users=[UserStats("ada", name, avatar, "x")]
    )


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def close(a, b, tol: int = 6) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=False))


def test_thumbnail_is_a_1200x628_png_in_the_repo(tmp_path):
    m, posts = sample()
    path = tn.make_thumbnail(m, posts, tmp_path / "repo")
    assert path == tmp_path / "repo" / "predictions.png"
    with Image.open(path) as img:
        assert (img.format, img.size) == ("PNG", (1200, 628))
    assert [p.name for p in path.parent.iterdir()] == ["predictions.png"]  # no temp file left


def test_avatar_file_in_repo_is_drawn(tmp_path):
    (tmp_path / "avatar_ada.png").write_bytes(png_bytes(GREEN))
    with Image.open(tn.make_thumbnail(one("avatar_ada.png"), ["hi"], tmp_path)) as img:
        assert close(img.getpixel(ONE_USER_CENTRE), GREEN)


@pytest.mark.parametrize("avatar", [None, "javascript:alert(1)", "avatar_missing.png", "broken.png", "../../etc/passwd"])  # fmt: skip
def test_missing_or_bad_avatar_falls_back_to_initials(tmp_path, avatar):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    x, y = ONE_USER_CENTRE
    with Image.open(tn.make_thumbnail(one(avatar), ["hi"], tmp_path)) as img:
        disc = img.getpixel((x, y + 50))
        middle = list(img.crop((x - 30, y - 20, x + 30, y + 20)).getdata())
    assert disc in [tuple(c) for c in tn.PALETTE]  # a coloured disc...
    assert sum(close(p, (255, 255, 255), 30) for p in middle) > 50  # ...with white initials


class _Avatar(BaseHTTPRequestHandler):
    body = png_bytes(GREEN)

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_http_avatar_is_downloaded(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Avatar)
    server.timeout = 10
    thread = threading.Thread(target=server.handle_request)  # exactly one request, then stop
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pic.png"
        with Image.open(tn.make_thumbnail(one(url), ["hi"], tmp_path)) as img:
            assert close(img.getpixel(ONE_USER_CENTRE), GREEN)
    finally:
        thread.join(15)
        server.server_close()


def test_unreachable_avatar_url_falls_back(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Image.open(tn.make_thumbnail(one(f"http://127.0.0.1:{port}/a.png"), ["hi"], tmp_path)) as img:  # fmt: skip
        assert not close(img.getpixel(ONE_USER_CENTRE), GREEN)


def test_inside_the_web_creators_guard_a_private_avatar_is_never_fetched(tmp_path):
    from publisher.sources.addresses import AddressPolicy, guarded
    from testkit.fakes.api_server import Listener

    with Listener() as listener, guarded(AddressPolicy()):
        url = f"http://127.0.0.1:{listener.port}/latest/meta-data/a.png"
        with Image.open(tn.make_thumbnail(one(url), ["hi"], tmp_path)) as img:
            assert not close(img.getpixel(ONE_USER_CENTRE), GREEN)  # initials instead
    assert listener.connections == []


def test_drawable_turns_fancy_letters_plain_and_drops_what_the_font_lacks():
    if not isinstance(tn.font(20), tn.ImageFont.FreeTypeFont) or not tn.FONT_DIR.exists():
        pytest.skip("DejaVu fonts not installed (make chromium installs fonts-dejavu-core)")
    assert tn.drawable("🌸 𝔀𝓪𝓷𝓭𝓮𝓻𝓮𝓻 𝓮𝓶𝓲𝓵𝔂 🌸") == "wanderer emily"
    assert tn.drawable("Ada\u200d\ufe0f\x00 Lovelace\n\u2028é") == "Ada Lovelace é"


def test_wrap_fits_the_width_and_ellipsizes_the_last_line():
    f = tn.font(25)
    long = "word " * 80 + "https://example.com/" + "a" * 300
    lines = tn.wrap(long, f, 600, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(f.getlength(line) <= 600 for line in lines)
    url_lines = tn.wrap("https://example.com/" + "a" * 300, f, 600, max_lines=3)
    assert all(f.getlength(line) <= 600 for line in url_lines) and len(url_lines) == 3


def test_posts_are_drawn_in_cards(tmp_path):
    m, posts = sample()
    with Image.open(tn.make_thumbnail(m, [], tmp_path / "a")) as empty:
        blank = empty.crop((48, 196, 1152, 580)).tobytes()
    with Image.open(tn.make_thumbnail(m, posts, tmp_path / "b")) as full:
        for i in range(3):  # each of the three cards holds dark text
            y = 196 + i * 130
            card = full.crop((72, y + 10, 1128, y + 106))
            assert min(card.convert("L").getdata()) < 80, i
        assert full.crop((48, 196, 1152, 580)).tobytes() != blank


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(st.text(max_size=30), min_size=1, max_size=3),
    posts=st.lists(st.text(max_size=300), max_size=4),
    prompt=st.text(max_size=30),
)
def test_any_unicode_renders(tmp_path_factory, names, posts, prompt):
    users = [UserStats(f"u{i}", n, None, "x") for i, n in enumerate(names)]
    m = Manifest(model_name="u", base_model="gpt2", users=users, widget_text=prompt or "x")
    path = tn.make_thumbnail(m, posts, tmp_path_factory.mktemp("t"))
    with Image.open(path) as img:
        assert img.size == (1200, 628)


def render_example(out: Path) -> Path:
    """Render the sample bot's thumbnail to `out` (the image shown in the docs)."""
    m, posts = sample()
    out.parent.mkdir(parents=True, exist_ok=True)
    path = tn.make_thumbnail(m, posts, out.parent / ".thumbnail_example")
    path.replace(out)
    path.parent.rmdir()
    return out


if __name__ == "__main__":
    print(
        render_example(
            Path(__file__).resolve().parents[1] / "docs" / "img" / "thumbnail_example.png"
        )
    )
