"""The Gradio Space: sampling, the page's header and cards, and the app driven by gradio_client."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from conftest import REPO_ROOT

from publisher.space import bot_info, guard, ui
from publisher.space.draw import (
    DrawSettings,
    draw,
    sample,
    sample_ids,
    sample_next,
    stop_ids,
    stream,
)
from publisher.space.load import load_bot

PROMPT = "Tea with"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_bot_repo(tiny_model: Path, root: Path, name: str = "Ada <b>Lovelace</b>") -> Path:
    """A bot folder (bot.json + repo/) as `publish` writes it: model, bot_info.json, avatar."""
    from PIL import Image

    repo = root / "repo"
    shutil.copytree(tiny_model, repo)
    Image.new("RGB", (64, 64), (200, 80, 120)).save(repo / "avatar_ada.png")
    user = {"handle": "ada", "name": name, "avatar_url": "avatar_ada.png"}
    info = {"model_name": "ada", "widget_text": "Numbers are", "users": [user]}
    (repo / "bot_info.json").write_text(json.dumps(info), encoding="utf-8")
    (root / "bot.json").write_text(json.dumps({"repo_id": "someone/ada", **info}), "utf-8")
    return root


@pytest.fixture(scope="module")
def bot_dir(tiny_model, tmp_path_factory) -> Path:
    return make_bot_repo(tiny_model, tmp_path_factory.mktemp("bot"))


@pytest.fixture(scope="module")
def tiny(tiny_model):
    return load_bot(str(tiny_model), bf16=False)


@pytest.fixture(scope="module")
def server(bot_dir):
    """The app on the bot folder, launched on a free loopback port."""
    from publisher.space.app import build_demo

    demo = build_demo(str(bot_dir), strict=True)
    demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=_free_port(),
        quiet=True,
        show_error=True,
    )
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server, verbose=False)


def ask(client, prompt=PROMPT, n=3, temperature=1.0, top_p=0.95, max_new_tokens=20):
    return client.predict(prompt, n, temperature, top_p, max_new_tokens, api_name="/generate")


# --- drawing --------------------------------------------------------------------------------


def test_posts_start_with_prompt_and_are_one_line(tiny):
    model, tok = tiny
    posts = sample(model, tok, DrawSettings(PROMPT, n=4, max_new_tokens=30, seed=0))
    assert len(posts) == 4
    assert all(p.startswith(PROMPT) and "\n" not in p for p in posts)


def test_same_seed_same_posts(tiny):
    model, tok = tiny
    a = sample(model, tok, DrawSettings(PROMPT, n=3, max_new_tokens=20, seed=7))
    b = sample(model, tok, DrawSettings(PROMPT, n=3, max_new_tokens=20, seed=7))
    c = sample(model, tok, DrawSettings(PROMPT, n=3, max_new_tokens=20, seed=8))
    assert a == b != c


def spy_forwards(monkeypatch) -> list[tuple[int, ...]]:
    """The shape of what each model pass of a draw gets: (1, P) prompt, then (batch,) tokens."""
    from publisher.space import decode

    shapes: list[tuple[int, ...]] = []
    make = decode.stepper

    def spy(m):
        state = make(m)
        prefill, step = state.prefill, state.step
        state.prefill = lambda ids, max_len: (
            shapes.append(tuple(ids.shape)) or prefill(ids, max_len)
        )
        state.step = lambda tokens: shapes.append(tuple(tokens.shape)) or step(tokens)
        return state

    monkeypatch.setattr(decode, "stepper", spy)
    return shapes


def test_all_posts_come_from_one_batched_pass(tiny, monkeypatch):
    """n posts cost one forward per token for the whole batch, not one per post."""
    model, tok = tiny
    shapes = spy_forwards(monkeypatch)
    ids = sample_ids(model, tok, DrawSettings(PROMPT, n=5, max_new_tokens=12, stop_early=False))
    assert [len(r) for r in ids] == [12] * 5
    assert len(shapes) == 12  # one prefill + 11 decode steps
    assert shapes[0][0] == 1 and all(s == (5,) for s in shapes[1:])


def test_empty_prompt_starts_from_eos(tiny):
    model, tok = tiny
    seen = []

    class Spy:
        def put(self, value):
            seen.append(value.tolist())

        def end(self):
            seen.append("end")

    posts = sample(model, tok, DrawSettings("", n=2, max_new_tokens=12), streamer=Spy())
    assert len(posts) == 2
    assert seen[0] == [[tok.eos_token_id]]
    assert seen[-1] == "end"


def test_min_length_blocks_early_end(tiny):
    """Like huggingtweets' min_length=10: no EOS (nor newline) among the first 10 tokens."""
    model, tok = tiny
    stops = set(stop_ids(tok).tolist())
    assert tok.eos_token_id in stops
    rows = sample_ids(model, tok, DrawSettings(PROMPT, n=8, max_new_tokens=40, seed=1))
    assert all(len(r) >= 10 for r in rows)
    assert not any(stops & set(r) for r in rows)


def test_stream_grows_first_post_then_gives_all(tiny):
    model, tok = tiny
    steps = list(stream(model, tok, DrawSettings(PROMPT, n=3, max_new_tokens=25, seed=3)))
    partial = [first for first, drawn in steps if drawn is None]
    first, drawn = steps[-1]
    assert len(partial) >= 5 and drawn is not None and len(drawn.posts) == 3
    assert first == drawn.posts[0] and partial[-1] == drawn.posts[0]
    assert all(p.startswith(PROMPT) for p in partial)


def test_closing_the_stream_stops_sampling(tiny, monkeypatch):
    """A reader that goes away (closed tab) must not leave 200 steps of sampling running."""
    model, tok = tiny
    calls = spy_forwards(monkeypatch)
    streamed = stream(model, tok, DrawSettings(PROMPT, n=2, max_new_tokens=200, stop_early=False))
    next(streamed)
    streamed.close()
    assert 1 <= len(calls) < 100


def test_sample_next_keeps_only_the_nucleus():
    import torch

    logits = torch.tensor([[5.0, 4.0, -10.0, -10.0]]).repeat(200, 1)
    picks = sample_next(logits, DrawSettings(temperature=1.0, top_p=0.5, top_k=50))
    assert set(picks.tolist()) == {0}
    picks = sample_next(logits, DrawSettings(temperature=1.0, top_p=0.99, top_k=50))
    assert set(picks.tolist()) == {0, 1}


def test_long_prompt_fits_the_model_context(tiny):
    model, tok = tiny
    long_prompt = "Numbers are the poetry " * 60  # more tokens than the tiny model's 256 positions
    posts = sample(model, tok, DrawSettings(long_prompt, n=2, max_new_tokens=30))
    assert all(p.startswith(long_prompt.strip()) for p in posts)


class _GuardOnLetter(guard.CopyGuard):
    """A guard that takes a post for a copy when its own words hold `letter`."""

    def __init__(self, letter: str) -> None:
        self.letter = letter

    def copies(self, tokenizer, text, prompt="") -> bool:  # noqa: ARG002
        return self.letter in text[len(prompt.strip()) :]

    def cut(self, tokenizer, text, prompt="") -> str:  # noqa: ARG002
        return prompt.strip() + "…"


@pytest.mark.parametrize("seed", [0, 5])
def test_draw_and_the_spaces_stream_give_the_same_posts_for_a_seed(tiny, seed):
    model, tok = tiny
    copies_e = _GuardOnLetter("e")
    settings = DrawSettings(PROMPT, n=4, max_new_tokens=20, temperature=0.9, top_p=0.9, seed=seed)
    drawn = draw(model, tok, settings, copies_e)
    *growing, (first, streamed) = stream(model, tok, settings, copies_e)
    assert streamed == drawn and first == drawn.posts[0] and growing
    assert drawn.redrawn > 0 and draw(model, tok, settings, copies_e) == drawn
    first_draw = sample(model, tok, settings)  # a post the guard lets through is kept as drawn
    kept = [i for i, p in enumerate(first_draw) if not copies_e.copies(tok, p, PROMPT)]
    assert all(drawn.posts[i] == first_draw[i] for i in kept)
    assert all(drawn.posts[i] == PROMPT + "…" for i in drawn.cut)
    assert len(drawn.notes) == len(drawn.cut)


def test_sampling_left_unset_is_the_bots_own(tiny):
    model, _ = tiny  # its generation config does not sample: huggingtweets' setting
    own = DrawSettings(top_p=0.5).for_bot(model)
    assert (own.temperature, own.top_p, own.top_k) == (1.0, 0.5, 50)
    assert DrawSettings(temperature=0.7, top_k=0).for_bot(model).top_k == 0


# --- header, cards, footer ------------------------------------------------------------------


def test_header_from_bot_info_json(bot_dir):
    info = bot_info.load_info(bot_info.resolve_model_id(str(bot_dir)))
    assert info.model_id == str(bot_dir / "repo")
    assert [(u.handle, u.name) for u in info.users] == [("ada", "Ada <b>Lovelace</b>")]
    assert info.users[0].avatar.startswith("data:image/png;base64,")
    assert info.widget_text == "Numbers are"
    assert info.repo_url.endswith("/someone/ada")
    page = ui.header_html(info) + ui.footer_html(info)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page and "<b>Lovelace" not in page
    assert "@ada" in page and "not written by" in page
    assert 'href="' + info.repo_url in page


def test_header_from_huggingtweets_card(tmp_path, tiny_model):
    repo = tmp_path / "repo"
    shutil.copytree(tiny_model, repo)
    shutil.copy(REPO_ROOT / "tests" / "data" / "seed_card.md", repo / "README.md")
    info = bot_info.load_info(str(repo))
    assert [u.handle for u in info.users] == ["pr1ncess_emily"]
    assert info.users[0].name == "🌸 𝔀𝓪𝓷𝓭𝓮𝓻𝓮𝓻 𝓮𝓶𝓲𝓵𝔂 🌸"
    assert info.users[0].avatar.startswith("https://pbs.twimg.com/profile_images/")
    assert info.widget_text == "My dream is"


def test_card_of_two_users():
    card = (
        '---\nwidget:\n- text: "I think"\n---\n'
        '<div style="background-image: url(&#39;https://a.example/1.jpg&#39;)"></div>'
        '<div style="background-image: url(&#39;https://a.example/2.jpg&#39;)"></div>'
        "<div>🤖 AI CYBORG 🤖</div><div>Ada &amp; Charles</div><div>@ada-charles</div>"
    )
    users, widget = bot_info.parse_card(card)
    assert [(u.handle, u.name, u.avatar) for u in users] == [
        ("ada", "Ada", "https://a.example/1.jpg"),
        ("charles", "Charles", "https://a.example/2.jpg"),
    ]
    assert widget == "I think"


def test_model_without_card_falls_back_to_folder_name(tiny_model):
    info = bot_info.load_info(str(tiny_model))
    assert info.users == [] and info.model_name == tiny_model.name
    assert info.widget_text == bot_info.DEFAULT_WIDGET_TEXT
    assert tiny_model.name in ui.header_html(info)


def test_unsafe_avatars_are_dropped(tmp_path):
    (tmp_path / "x.svg").write_text("<svg onload=alert(1)>")
    assert bot_info._avatar("javascript:alert(1)", str(tmp_path)) is None
    assert bot_info._avatar("x.svg", str(tmp_path)) is None
    assert bot_info._avatar("../secret.png", str(tmp_path)) is None
    assert bot_info._avatar('https://a.example/" onerror="x', str(tmp_path)) is None


def test_cards_show_text_not_html(bot_dir):
    info = bot_info.load_info(str(bot_dir / "repo"))
    post = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    page = ui.cards_html(info, [post], 1, done=True)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img" in page
    assert ui.INTENT_URL + quote(post, safe="") in page.replace("&amp;", "&")


def test_resolve_model_id(tmp_path, monkeypatch, bot_dir):
    monkeypatch.delenv("MODEL_ID", raising=False)
    assert bot_info.resolve_model_id(None, tmp_path) is None
    (tmp_path / bot_info.MODEL_ID_FILE).write_text("someone/ada\n")
    assert bot_info.resolve_model_id(None, tmp_path) == "someone/ada"
    monkeypatch.setenv("MODEL_ID", str(bot_dir))
    assert bot_info.resolve_model_id(None, tmp_path) == str(bot_dir / "repo")
    assert bot_info.resolve_model_id("other/bot", tmp_path) == "other/bot"


# --- the app --------------------------------------------------------------------------------


def test_app_returns_n_posts_starting_with_prompt(client):
    cards, notice, posts = ask(client, n=3)
    assert len(posts) == 3 and all(p.startswith(PROMPT) for p in posts)
    assert cards.count("<article") == 3 and 'data-done="1"' in cards
    assert cards.count("Post this") == 3 and cards.count("tb-copy") == 3
    assert notice == ""


def test_app_streams_the_first_post(client):
    job = client.submit(PROMPT, 4, 1.0, 0.95, 30, api_name="/generate")
    final = job.result(timeout=60)
    outputs = job.outputs()
    streaming = [o for o in outputs if 'data-done="0"' in o[0]]
    assert len(streaming) >= 3
    assert all(len(o[2]) == 1 and o[2][0].startswith(PROMPT) for o in streaming)
    assert len(final[2]) == 4 and final[2][0] == outputs[-1][2][0]


def test_app_empty_prompt(client):
    cards, notice, posts = ask(client, prompt="", n=2)
    assert len(posts) == 2 and cards.count("<article") == 2


def test_app_clamps_long_prompt_visibly(client):
    long_prompt = "a" * 500 + "Z" * 100
    cards, notice, posts = ask(client, prompt=long_prompt, n=1)
    assert "500 characters" in notice
    assert posts[0].startswith("a" * 500) and not posts[0].startswith(long_prompt)


@pytest.mark.parametrize(("n", "tokens", "limit"), [(11, 20, "10"), (2, 201, "200")])
def test_app_refuses_too_much(client, n, tokens, limit):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=f"maximum value {limit}"):
        ask(client, n=n, max_new_tokens=tokens)


def test_clamp_names_every_change():
    from publisher.space.app import clamp

    prompt, n, tokens, notes = clamp("x" * 501, 50, 1000)
    assert (len(prompt), n, tokens) == (500, 10, 200)
    assert len(notes) == 3 and "10" in notes[1] and "200" in notes[2]
    assert clamp(None, 0, 0)[:3] == ("", 1, 1)
    assert clamp("ok", 5, 60) == ("ok", 5, 60, [])


def test_page_shows_bot_and_prefilled_prompt(server):
    config = httpx.get(server.rstrip("/") + "/config", timeout=10).json()
    values = json.dumps([c.get("props", {}).get("value") for c in config["components"]])
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in values and "data:image/png;base64" in values
    assert '"Numbers are"' in values
    assert "machine-generated" in values and "someone/ada" in values


def test_page_without_model_says_what_to_set(monkeypatch):
    from publisher.space.app import build_demo

    monkeypatch.delenv("MODEL_ID", raising=False)
    demo = build_demo()
    text = json.dumps(demo.get_config_file())
    assert "MODEL_ID" in text and bot_info.MODEL_ID_FILE in text


@pytest.mark.slow  # the Space in a process of its own
def test_app_runs_as_a_space_script(tmp_path, tiny_model):
    """In a Space, app.py sits at the repo root beside its modules and `model_id.txt`."""
    for f in (REPO_ROOT / "space").glob("*.py"):
        if f.name != "__init__.py":  # what the push uploads
            shutil.copy(f, tmp_path / f.name)
    (tmp_path / bot_info.MODEL_ID_FILE).write_text(str(tiny_model))
    code = "import app; print(app.demo.title)"
    env = {k: v for k, v in __import__("os").environ.items() if k != "MODEL_ID"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{tiny_model.name} — AI bot" in out.stdout


@pytest.mark.slow  # the Space in a process of its own
def test_the_space_command_speaks_of_its_own_flags_and_exits_130_on_ctrl_c(tiny_model, tmp_path):
    from conftest import serve_then_ctrl_c

    bot = make_bot_repo(tiny_model, tmp_path / "bot")
    code, out = serve_then_ctrl_c("space", str(bot / "repo"), "--port", str(_free_port()))
    assert code == 130, out
    assert "Running on http://127.0.0.1:" in out
    assert "share=True" not in out and "--share also opens a public gradio.live link" in out
    assert "Traceback" not in out


def test_the_space_writes_replies_in_the_persons_share(tmp_path, tiny_model):
    """The setting in generation_config.json (first token untruncated, replies reweighted to the
    person's share) is the Space's, whatever its sliders say."""
    from publisher.space import app

    root = make_bot_repo(tiny_model, tmp_path)
    gen = {"do_sample": True, "temperature": 1.0, "top_p": 0.95, "top_k": 50,
           "untruncated_start": 1, "reply_share": 1.0}  # fmt: skip
    (root / "repo" / "generation_config.json").write_text(json.dumps(gen), encoding="utf-8")
    bot = app.load(str(root / "repo"))
    *_, (cards, notice, posts) = app.respond(bot, "", 6, 1.0, 0.95, 4)
    assert len(posts) == 6 and all(p.lstrip().startswith("@") for p in posts), posts
    *_, (cards, notice, posts) = app.respond(bot, "Numbers are", 3, 1.0, 0.95, 4)
    assert all(p.startswith("Numbers are") for p in posts), "a visitor's prompt is theirs"
