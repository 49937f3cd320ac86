"""The model card: huggingtweets' format byte for byte, multi-user layout, truthful links, safety."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard, constants
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from publisher.bot.manifest import Manifest, Tracking, UserStats, load
from publisher.card import render as card
from publisher.errors import ManifestError

DATA = Path(__file__).parent / "data"
SEED_NAME = "000_4fe22a7311179551.txt"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME
LOCAL_SEED = DATA / "seed_card.md"
HUB = constants.ENDPOINT.rstrip("/")
WANDB = "https://wandb.ai/wandb/huggingtweets/runs/"


def seed_text() -> str:
    """The real seed from ../shared when CI has it, else the copy kept in tests/data."""
    path = SHARED_SEED if SHARED_SEED.exists() else LOCAL_SEED
    return path.read_bytes().decode("utf-8")


def front_matter(text: str) -> dict:
    """The YAML block, delimited as huggingface_hub's RepoCard finds it (`---` lines)."""
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, text[:200]
    return yaml.safe_load(match.group(1))


def header(text: str) -> str:
    start = text.index('<div class="inline-flex')
    return text[start : text.index("</div>\n\nI was made", start) + 6]


def links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)]*)\)", text)


def user(handle: str, name: str, avatar: str | None = None, n: int = 100) -> UserStats:
    return UserStats(handle, name, avatar, "archive", n, n // 10, n // 5, n - n // 10 - n // 5)


def bot(users: list[UserStats], **kw) -> Manifest:
    return Manifest(model_name="-".join(sorted(u.handle.lower() for u in users)),
                    base_model=kw.pop("base_model", "gpt2"), users=users, **kw)  # fmt: skip


# --- 1. the seed, byte for byte ---------------------------------------------------------------


def test_local_seed_copy_matches_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip("../shared is not beside this checkout")
    assert LOCAL_SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_card_is_reproduced_byte_for_byte():
    out = card.render_card(load(DATA / "seed_bot.json"))
    assert out.encode("utf-8") == seed_text().encode("utf-8")


def test_seed_card_front_matter_parses_as_the_hub_does():
    parsed = ModelCard(card.render_card(load(DATA / "seed_bot.json")))
    assert parsed.data.widget == [{"text": "My dream is"}]
    assert parsed.data.thumbnail.endswith("/pr1ncess_emily/1627059411831/predictions.png")


# --- 2. multi-user cards, checked by hand -----------------------------------------------------

TWO = """\
<div class="inline-flex flex-col" style="line-height: 1.5;">
    <div class="flex">
        <div
\t\t\tstyle="display:inherit; margin-left: 4px; margin-right: 4px; width: 92px; height:92px; border-radius: 50%; background-size: cover; background-image: url(&#39;https://pbs.twimg.com/profile_images/1/k_400x400.jpg&#39;)">
        </div>
        <div
            style="display:inherit; margin-left: 4px; margin-right: 4px; width: 92px; height:92px; border-radius: 50%; background-size: cover; background-image: url(&#39;https://pbs.twimg.com/profile_images/2/e_400x400.jpg&#39;)">
        </div>
        <div
            style="display:none; margin-left: 4px; margin-right: 4px; width: 92px; height:92px; border-radius: 50%; background-size: cover; background-image: url(&#39;&#39;)">
        </div>
    </div>
    <div style="text-align: center; margin-top: 3px; font-size: 16px; font-weight: 800">🤖 AI CYBORG 🤖</div>
    <div style="text-align: center; font-size: 16px; font-weight: 800">Andrej Karpathy & Elon Musk</div>
    <div style="text-align: center; font-size: 14px;">@elonmusk-karpathy</div>
</div>"""

TWO_TABLE = """\
The model was trained on tweets from Andrej Karpathy & Elon Musk.

| Data | Andrej Karpathy | Elon Musk |
| --- | --- | --- |
| Tweets downloaded | 3247 | 3250 |
| Retweets | 180 | 135 |
| Short tweets | 378 | 245 |
| Tweets kept | 2689 | 2870 |
"""


def two_users() -> Manifest:
    k = UserStats("karpathy", "Andrej Karpathy", "https://pbs.twimg.com/profile_images/1/k_400x400.jpg", "x", 3247, 180, 378, 2689)  # fmt: skip
    e = UserStats("elonmusk", "Elon Musk", "https://pbs.twimg.com/profile_images/2/e_400x400.jpg", "x", 3250, 135, 245, 2870)  # fmt: skip
    tracking = Tracking(WANDB + "aaaa1111", WANDB + "bbbb2222")
    return bot([k, e], repo_id="huggingtweets/elonmusk-karpathy", tracking=tracking)


def test_two_user_card_has_the_huggingtweets_cyborg_layout():
    text = card.render_card(two_users())
    assert header(text) == TWO
    assert TWO_TABLE in text
    assert "which is fine-tuned on @elonmusk-karpathy's tweets." in text
    assert "                     model='huggingtweets/elonmusk-karpathy')\n" in text
    assert f"[Explore the data]({WANDB}aaaa1111/artifacts)" in text
    assert f"[the final model]({WANDB}bbbb2222/artifacts) is logged and versioned." in text


def test_three_user_card_without_repo_id_or_tracking():
    users = [
        user("mary_s", "Mary Somerville", "https://example.org/mary.png", 300),
        user("Babbage", "Charles Babbage", "avatar_babbage.png", 200),  # repo file, no repo id
        user("ada", "Ada Lovelace", None, 100),
    ]
    text = card.render_card(bot(users))
    slots = re.findall(r'style="display:(\w+);[^"]*url\(&#39;(.*?)&#39;\)"', text)
    assert slots == [("inherit", "https://example.org/mary.png"), ("inherit", ""), ("inherit", "")]
    assert "🤖 AI CYBORG 🤖" in text
    assert ">Mary Somerville & Charles Babbage & Ada Lovelace</div>" in text
    assert ">@ada-Babbage-mary_s</div>" in text
    assert "| Data | Mary Somerville | Charles Babbage | Ada Lovelace |\n" in text
    assert "| --- | --- | --- | --- |\n" in text
    assert "| Tweets downloaded | 300 | 200 | 100 |\n" in text
    assert "| Tweets kept | 210 | 140 | 70 |\n" in text
    assert "fine-tuned on @ada-Babbage-mary_s's tweets." in text
    # No repo id: the snippet names the local folder, not a Hub repo that does not exist.
    assert "model='bots/ada-babbage-mary_s/repo')" in text


# --- 3. links that tell the truth -------------------------------------------------------------


def test_without_wandb_links_point_to_what_was_published(tmp_path):
    m = bot([user("ada", "Ada")], repo_id="me/ada", dataset_repo_id="me/ada-tweets")
    m.metrics.perplexity_before, m.metrics.perplexity_after = 812.3456, 41.5
    repo = tmp_path / "repo"
    (repo / "runs").mkdir(parents=True)
    text = card.render_card(m, repo_dir=repo)
    assert "wandb" not in text.lower() and "W&B" not in text
    assert f"[Explore the data]({HUB}/datasets/me/ada-tweets)" in text
    assert f"[training logs]({HUB}/me/ada/tree/main/runs)" in text
    assert "validation perplexity from 812.35 to 41.50" in text
    assert f"[the final model]({HUB}/me/ada/tree/main)" in text


def test_without_anything_published_no_link_is_invented():
    text = card.render_card(bot([user("ada", "Ada")]))
    assert "wandb" not in text.lower() and "W&B" not in text
    assert "training logs" not in text  # no runs/ known: say nothing rather than link nowhere
    assert "not published with this model" in text
    for url in links(text):
        assert url.startswith("https://") and not url.startswith(HUB), url


def test_logs_are_only_linked_when_runs_folder_exists(tmp_path):
    m = bot([user("ada", "Ada")], repo_id="me/ada")
    assert "tree/main/runs" not in card.render_card(m, repo_dir=tmp_path)


def test_non_http_tracking_urls_are_not_linked():
    m = bot([user("ada", "Ada")], tracking=Tracking("javascript:alert(1)", "file:///etc/passwd"))
    text = card.render_card(m)
    assert "javascript" not in text and "file:" not in text and "W&B" not in text


# --- 4. base model lines ----------------------------------------------------------------------


@pytest.mark.parametrize("base", ["gpt2", "openai-community/gpt2"])
def test_gpt2_lines_are_the_seeds(base):
    text = card.render_card(bot([user("ada", "Ada")], base_model=base))
    assert "based on a pre-trained [GPT-2](https://huggingface.co/gpt2) which" in text
    assert "[the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias)." in text  # fmt: skip


def test_other_base_model_gets_its_name_and_hub_link():
    text = card.render_card(bot([user("ada", "Ada")], base_model="smollm2"))
    sm = "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert f"based on a pre-trained [{sm}]({HUB}/{sm}) which" in text
    assert f"[the same limitations and bias as {sm}]({HUB}/{sm})." in text
    assert "GPT-2" not in text


def test_local_base_model_is_named_without_a_link(tmp_path):
    tiny_model = tmp_path / "tiny-gpt2"
    tiny_model.mkdir()
    text = card.render_card(bot([user("ada", "Ada")], base_model=str(tiny_model)))
    assert f"based on a pre-trained {tiny_model.name} which" in text
    assert str(tiny_model) not in text  # no local path leaks into a public card


# --- 5. write_card / render_bot_card ----------------------------------------------------------


def make_bot_dir(tmp_path: Path, m: Manifest) -> Path:
    from publisher.bot.manifest import save

    save(m, tmp_path / "bot")
    (tmp_path / "bot" / "repo").mkdir()
    return tmp_path / "bot"


def test_write_card_writes_readme_in_repo(tmp_path):
    shutil.copy(DATA / "seed_bot.json", tmp_path / "bot.json")
    path = card.write_card(tmp_path)
    assert path == tmp_path / "repo" / "README.md"
    assert path.read_bytes() == seed_text().encode("utf-8")
    assert card.render_bot_card(tmp_path / "bot.json") == seed_text()


def test_thumbnail_key_follows_what_exists(tmp_path):
    m = bot([user("ada", "Ada")], repo_id="me/ada")
    d = make_bot_dir(tmp_path, m)
    assert "thumbnail" not in front_matter(card.render_bot_card(d))
    (d / "repo" / "predictions.png").write_bytes(b"png")
    fm = front_matter(card.render_bot_card(d))
    assert fm["thumbnail"] == f"{HUB}/me/ada/resolve/main/predictions.png"


def test_repo_file_avatar_uses_resolve_url_only_when_file_exists(tmp_path):
    m = bot([user("ada", "Ada", "avatar_ada.png")], repo_id="me/ada")
    d = make_bot_dir(tmp_path, m)
    assert "url(&#39;&#39;)" in header(card.render_bot_card(d))
    (d / "repo" / "avatar_ada.png").write_bytes(b"img")
    assert f"url(&#39;{HUB}/me/ada/resolve/main/avatar_ada.png&#39;)" in card.render_bot_card(d)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "file:///x.png", "//evil.example/x.png", " JAVASCRIPT:x"])  # fmt: skip
def test_non_http_avatars_are_dropped(url):
    h = header(card.render_card(bot([user("ada", "Ada", url)], repo_id="me/ada")))
    assert h.count("url(&#39;&#39;)") == 3


def test_avatar_url_cannot_leave_the_css_string():
    evil = "https://x.example/a.png');background:url('https://evil.example/&#39;\" onload=\"x"
    h = header(card.render_card(bot([user("ada", "Ada", evil)])))
    url = re.search(r"url\(&#39;(.*?)&#39;\)", h).group(1)
    assert re.fullmatch(r"[^'\"()\\\s<>]*", url) and "&#" not in url


# --- 8. full metadata -------------------------------------------------------------------------


def test_full_metadata_adds_hub_keys_after_the_seeds():
    m = bot([user("ada", "Ada")], base_model="smollm2", repo_id="me/ada", dataset_repo_id="me/d")
    m.metrics.perplexity_after = 20.5
    text = card.render_card(m, full_metadata=True)
    assert text.startswith('---\nlanguage: en\ntags:\n- huggingtweets\nwidget:\n- text: "My dream is"\nbase_model: ')  # fmt: skip
    data = ModelCard(text).data
    assert data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert (data.pipeline_tag, data.library_name, data.datasets) == ("text-generation", "transformers", ["me/d"])  # fmt: skip
    result = data.eval_results[0]
    assert (result.metric_type, result.metric_value, result.dataset_type) == ("perplexity", 20.5, "me/d")  # fmt: skip


PREDICTIONS = ["My dream is to keep the lamp lit 🌊", "My dream is", 'My dream is "quiet" — #fog']


def test_full_card_shows_the_predictions_as_widget_outputs_and_links_the_space():
    m = bot([user("ada", "Ada")], repo_id="me/ada", space_repo_id="me/ada", predictions=PREDICTIONS)
    text = card.render_card(m, full_metadata=True)
    widget = ModelCard(text).data.widget
    assert widget == [
        {"text": "My dream is", "example_title": "Post 1", "output": {"text": " to keep the lamp lit 🌊"}},
        {"text": "My dream is", "example_title": "Post 2", "output": {"text": ' "quiet" — #fog'}},
    ]  # fmt: skip  # an empty continuation ("My dream is" alone) shows nothing: left out
    assert f"[its Space]({HUB}/spaces/me/ada)" in text


def test_default_card_ignores_predictions_and_space_seed_stays_exact():
    m = load(DATA / "seed_bot.json")
    m.predictions, m.space_repo_id = PREDICTIONS, "huggingtweets/pr1ncess_emily"
    assert card.render_card(m).encode("utf-8") == seed_text().encode("utf-8")
    plain = bot([user("ada", "Ada")], repo_id="me/ada")
    assert card.render_card(plain, full_metadata=True).count("widget:\n- text:") == 1
    assert "Space" not in card.render_card(plain, full_metadata=True)


def test_default_card_has_no_extra_metadata():
    m = bot([user("ada", "Ada")], base_model="smollm2", repo_id="me/ada", dataset_repo_id="me/d")
    m.metrics.perplexity_after = 20.5
    assert set(front_matter(card.render_card(m))) == {"language", "tags", "widget"}


def test_full_metadata_for_local_base_model_has_no_base_model_key(tmp_path):
    m = bot([user("ada", "Ada")], base_model=str(tmp_path))
    fm = front_matter(card.render_card(m, full_metadata=True))
    assert "base_model" not in fm and "model-index" not in fm and "datasets" not in fm


def test_bot_json_card_metadata_full_is_honoured(tmp_path):
    m = bot([user("ada", "Ada")], repo_id="me/ada")
    m.card_metadata = "full"
    assert "pipeline_tag" in front_matter(card.render_bot_card(make_bot_dir(tmp_path, m)))


# --- 9. Space card ----------------------------------------------------------------------------


def test_space_readme_front_matter_is_a_valid_space_config():
    m = two_users()
    text = card.render_space_readme(m, gradio_version="5.9.1")
    fm = front_matter(text)
    assert fm["sdk"] == "gradio" and fm["sdk_version"] == "5.9.1" and fm["app_file"] == "app.py"
    assert fm["models"] == ["huggingtweets/elonmusk-karpathy"]
    assert fm["colorFrom"] in {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
    assert fm["pinned"] is False and fm["emoji"]
    assert card.js_len(fm["short_description"]) <= 60
    assert f"({HUB}/huggingtweets/elonmusk-karpathy)" in text


def test_space_readme_defaults_to_installed_gradio():
    from importlib.metadata import version

    fm = front_matter(card.render_space_readme(two_users()))
    assert fm["sdk_version"] == version("gradio")


def test_space_readme_needs_a_repo_id():
    with pytest.raises(ManifestError) as e:
        card.render_space_readme(bot([user("ada", "Ada")]))
    assert "repo_id" in str(e.value) and e.value.hint


def test_space_short_description_counts_emoji_like_the_hub():
    m = bot([user("e", "🌸 𝔀𝓪𝓷𝓭𝓮𝓻𝓮𝓻 𝓮𝓶𝓲𝓵𝔂 🌸" * 3)], repo_id="me/e")
    fm = front_matter(card.render_space_readme(m, gradio_version="5.0.0"))
    assert card.js_len(fm["short_description"]) <= 60 and fm["short_description"].endswith("…")


# --- 7/10. safe by construction (property tests) ----------------------------------------------

# Mostly the characters that could break out of a context, mixed with any Unicode at all.
TRICKY = list("|\\<>\"'&`[]()#*_-:!{}\n\r\t\x0b\x0c\x00\x1c\x7f\x85\u2028\u2029\ufeff") + [
    "---",
    "&#39;",
    "javascript:",
]
text_st = st.lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=30).map("".join)
avatar_st = st.one_of(st.none(), text_st, text_st.map(lambda s: "https://x.example/" + s))
user_st = st.builds(lambda h, n, a: user(h, n, a), st.text(min_size=1, max_size=20), text_st, avatar_st)  # fmt: skip


def baseline(m: Manifest) -> str:
    """The same bot with plain names, handles and no avatars."""
    plain = [user(f"u{i}", f"U{i}") for i in range(len(m.users))]
    return card.render_card(bot(plain, repo_id=m.repo_id), full_metadata=True)


def cells(row: str) -> int:
    """Columns of a GFM table row, splitting as cmark-gfm does (backslash escapes a char)."""
    return sum(1 for pipe in re.findall(r"\\.|(\|)", row) if pipe) - 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(users=st.lists(user_st, min_size=1, max_size=3), prompt=text_st)
@example(users=[user("a\\|b", "x\\|y|z"), user("<b>", '"</div><div x="')], prompt='"\n---\n')
def test_any_names_handles_and_prompts_stay_inside_their_context(users, prompt):
    m = bot(users, repo_id="me/bot", widget_text=prompt or "My dream is")
    text = card.render_card(m, full_metadata=True)
    ref = baseline(m)
    assert ModelCard(text).data.widget == [{"text": m.widget_text}]
    # No value adds a line anywhere (YAML, HTML block, paragraph, table, code snippet).
    assert text.count("\n") == ref.count("\n") and "\r" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 6 and all(cells(r) == len(users) + 1 for r in rows)
    h, h0 = header(text), header(ref)
    for ch in '<>"':
        assert h.count(ch) == h0.count(ch), ch
    for url in re.findall(r"url\(&#39;(.*?)&#39;\)", h):
        assert url == "" or (
            url.startswith(("http://", "https://")) and re.fullmatch(r"[^'\"()\\\s<>]*", url)
        )
        assert "&#" not in url


@settings(max_examples=100, deadline=None)
@given(prompt=text_st)
def test_yaml_str_round_trips(prompt):
    assert yaml.safe_load("k: " + card.yaml_str(prompt))["k"] == prompt


@settings(max_examples=100, deadline=None)
@given(posts=st.lists(text_st, max_size=3), prompt=text_st)
def test_any_prediction_stays_one_widget_output(posts, prompt):
    m = bot([user("ada", "Ada")], widget_text=prompt or "My dream is", predictions=posts)
    widget = ModelCard(card.render_card(m, full_metadata=True)).data.widget
    expected = [e["output"] for e in card.widget_examples(m)]
    assert [w.get("output", {}).get("text") for w in widget] == expected or (
        not expected and widget == [{"text": m.widget_text}]
    )
    assert all(w["text"] == m.widget_text for w in widget)


@settings(max_examples=100, deadline=None)
@given(path=text_st)
def test_thumbnail_url_stays_one_valid_yaml_value(path):
    m = bot([user("ada", "Ada")], thumbnail="https://x.example/" + path)
    fm = front_matter(card.render_card(m))
    assert fm["widget"] == [{"text": "My dream is"}]
    if card.http_url(m.thumbnail):
        assert fm["thumbnail"].startswith("https://x.example/")
    else:  # a backslash or control character: not a URL we vouch for
        assert "thumbnail" not in fm


def test_seed_bot_json_fixture_is_the_documented_manifest():
    d = json.loads((DATA / "seed_bot.json").read_text(encoding="utf-8"))
    assert d["tracking"] == {"preprocess_run": WANDB + "dlvwfxbb", "train_run": WANDB + "23bya10e"}
    assert d["repo_id"] == "huggingtweets/pr1ncess_emily" and d["base_model"] == "gpt2"


# --- 5. the `card` command --------------------------------------------------------------------


def cli_or_skip():
    try:
        from publisher.cli import cli
    except ImportError as e:  # the lead wires the command into cli.py
        pytest.skip(f"publisher.cli not importable yet: {e}")
    return cli


def test_card_command_prints_and_writes_the_card(tmp_path):
    from click.testing import CliRunner

    cli = cli_or_skip()
    shutil.copy(DATA / "seed_bot.json", tmp_path / "bot.json")
    runner = CliRunner()
    res = runner.invoke(cli, ["card", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert res.stdout == seed_text()
    out = tmp_path / "out" / "card.md"
    res = runner.invoke(cli, ["card", str(tmp_path / "bot.json"), "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == seed_text()
    res = runner.invoke(cli, ["card", str(tmp_path), "--card-metadata", "full"])
    assert "pipeline_tag: text-generation" in res.stdout


def test_card_command_on_a_folder_without_bot_json(tmp_path, capsys):
    cli_or_skip()
    from publisher.cli import main

    assert main(["card", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no bot.json" in err and "Hint: run `hf-tweetbot prepare" in err


def test_card_command_prints_what_publish_writes(tmp_path):
    """`card DIR` and DIR/repo/README.md agree, links to runs/ and predictions.png included."""
    from click.testing import CliRunner

    cli = cli_or_skip()
    m = bot([user("ada", "Ada")], repo_id="me/ada")
    d = make_bot_dir(tmp_path, m)
    (d / "repo" / "runs").mkdir()
    (d / "repo" / "predictions.png").write_bytes(b"png")
    written = card.write_card(d).read_text(encoding="utf-8")
    assert "tree/main/runs" in written and "predictions.png" in written
    res = CliRunner().invoke(cli, ["card", str(d)])
    assert res.exit_code == 0, res.output
    assert res.stdout == written


# --- LoRA adapters and instruct base models -----------------------------------------------------
ADAPTER = {"method": "lora", "r": 8, "alpha": 16, "targets": "all-linear", "repo": "adapter"}


def test_an_adapter_repo_names_its_base_for_the_hub_even_in_the_exact_card():
    m = bot([user("ada", "Ada")], base_model="HuggingFaceTB/SmolLM2-135M-Instruct", adapter=ADAPTER)
    front = yaml.safe_load(card.render_card(m).split("---\n")[1])
    assert front["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert front["library_name"] == "peft"
    full = yaml.safe_load(card.render_card(m, full_metadata=True).split("---\n")[1])
    assert full["library_name"] == "peft" and full["base_model"] == front["base_model"]
    text = card.render_card(m)
    assert "LoRA adapters (rank 8, alpha 16)" in text and "holds the adapter alone" in text


def test_merged_lora_and_instruct_bases_are_said_in_the_training_procedure():
    merged = {**ADAPTER, "repo": "merged"}
    m = bot([user("ada", "Ada")], base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
            adapter=merged, base_is_chat=True)  # fmt: skip
    text = card.render_card(m)
    assert "library_name" not in text.split("---\n")[1], "merged weights: a plain model"
    assert "They are merged into the weights of this repository." in text
    assert "without its chat template" in text
    para = text.split("## Training procedure\n\n")[1].split("\n\n")
    assert para[1].startswith("The base model is an instruct (chat) model.")
    assert para[2].startswith("Only low-rank LoRA adapters")
    plain = card.render_card(
        bot([user("ada", "Ada")], base_model="HuggingFaceTB/SmolLM2-135M-Instruct")
    )
    assert "chat template" not in plain and "LoRA" not in plain


# --- a local card says where the bot is and whether it is trained -------------------------------


def test_a_local_card_names_the_folder_the_bot_is_in(tmp_path, monkeypatch):
    cli = cli_or_skip()
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    m = bot([user("wrencalloway", "Wren")])
    (tmp_path / "elsewhere").mkdir()
    make_bot_dir(tmp_path / "elsewhere", m)
    res = CliRunner().invoke(cli, ["card", "elsewhere/bot"])
    assert res.exit_code == 0, res.output
    assert "model='elsewhere/bot/repo')" in res.stdout and "bots/wrencalloway" not in res.stdout
    from publisher.bot.manifest import save

    save(m, tmp_path / "elsewhere" / "bot" / ".update-1234")  # where `update` writes its card
    assert "model='elsewhere/bot/repo')" in card.render_bot_card(Path("elsewhere/bot/.update-1234"))


def test_an_untrained_bot_s_card_says_so(tmp_path):
    m = bot([user("ada", "Ada")])
    d = make_bot_dir(tmp_path, m)
    text = card.render_bot_card(d)
    assert "The model is not trained yet." in text
    assert "saved next to this card" not in text
    (d / "repo" / "config.json").write_text("{}")
    assert "the final model is saved next to this card" in card.render_bot_card(d)


def test_full_card_shows_the_reader_the_proportions_and_fluency():
    from publisher.quality import proportions

    person = ["@ana yes, tomorrow"] * 40 + ["The tide came in early today"] * 60
    drawn = ["@ana sure thing"] * 58 + ["Fog over the harbour again"] * 42
    judged = {"accuracy": 0.58, "low": 0.52, "high": 0.64, "posts": 100, "drawn": 100,
              "reasons": ["starts with @ more often", "shorter"]}  # fmt: skip
    setting = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.05,
               "untruncated_start": 1, "reply_share": 0.4, "judge": 0.58, "copy_rate": 0.0}  # fmt: skip
    m = bot([user("ada", "Ada")], repo_id="me/ada")
    m.quality = {
        "samples": 100, "span_tokens": 10,
        "perplexity": {"base": 140.7, "bot": 42.5},
        "memorisation": {"copied_span_rate": 0.0, "exact_copy_rate": 0.0, "longest_span": 8},
        "variety": {"distinct_2_samples": 0.8, "distinct_2_posts": 0.9},
        "tokenizer": {"tokens_per_word": 1.3}, "guard": {"enabled": True},
        "blind_test": {"accuracy": 0.61, "posts": 34,
                       "lengths": {"median_real": 126, "median_bot": 121, "distance": 0.21}},
        "sampling": {"default": {**setting, "top_p": 0.95, "top_k": 50}, "fitted": setting},
        "judge": {"fitted": judged, "huggingtweets": {**judged, "accuracy": 0.67}},
        "proportions": {"fitted": proportions.compare(drawn, person)},
        "fluency": {"fitted": {"bot": 80.0, "person": 95.0, "person_range": [60.0, 150.0],
                               "within": True}},
    }  # fmt: skip
    full = card.render_card(m, full_metadata=True)
    assert "| Blind test, word and character n-grams and style, at this model's sampling (50%: indistinguishable; 95% interval) | 58% (52%-64%), 100 posts each |" in full  # fmt: skip
    assert "| What told the samples apart most | starts with @ more often; shorter |" in full
    assert "| Sampling of this model | temperature 1, min-p 0.05, first token untruncated, 40% replies |" in full  # fmt: skip
    assert "| Posts replies (start with @): samples / held-out posts | 58% / 40% (more than chance) |" in full  # fmt: skip
    assert "| Base model's perplexity per post: samples / held-out posts (their middle half) | 80.0 / 95.0 (60.0-150.0) |" in full  # fmt: skip
    assert "## Quality" not in card.render_card(m), "the seed card's format stays as it is"
