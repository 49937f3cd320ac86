"""What BOT names on the command line (`generate`, `space`): a bot folder, a model folder, a repo id."""

from __future__ import annotations

import pytest

from publisher.bot import manifest
from publisher.bot.locate import locate
from publisher.bot.manifest import Manifest, UserStats
from publisher.errors import ManifestError


def bot_folder(tmp_path, base: str, widget: str = "Hello there"):
    m = Manifest(model_name="ada", base_model=base, users=[UserStats("ada", "Ada", None, "file")],
                 widget_text=widget)  # fmt: skip
    manifest.save(m, tmp_path / "bot")
    return tmp_path / "bot"


def test_a_trained_bot_folder_is_its_repo_with_its_widget_text(tmp_path):
    bot = bot_folder(tmp_path, "gpt2")
    (bot / "repo").mkdir()
    (bot / "repo" / "config.json").write_text("{}")
    where = locate(str(bot))
    assert (where.model_id, where.widget_text, where.base) == (
        str(bot / "repo"),
        "Hello there",
        None,
    )


def test_an_adapter_bot_loads_its_base_from_where_it_is_here(tmp_path, tiny_model):
    bot = bot_folder(tmp_path, str(tiny_model))
    (bot / "repo").mkdir()
    (bot / "repo" / "adapter_config.json").write_text("{}")  # `--push-adapter`: no config.json
    where = locate(str(bot))
    assert where.model_id == str(bot / "repo") and where.base == str(tiny_model)


def test_an_untrained_bot_or_a_folder_without_a_model_is_one_line_with_a_hint(tmp_path):
    bot = bot_folder(tmp_path, "gpt2")
    with pytest.raises(ManifestError, match="not trained yet") as e:
        locate(str(bot))
    assert e.value.hint == f"hf-tweetbot train {bot}"
    (tmp_path / "photos").mkdir()
    with pytest.raises(ManifestError, match="neither a bot folder nor a model folder"):
        locate(str(tmp_path / "photos"))


def test_a_hub_repo_id_is_checked_on_the_hub_and_keeps_the_default_prompt(hub_env):
    hub_env.seed("model", "huggingtweets/pr1ncess_emily", {"config.json": b"{}"})
    where = locate("huggingtweets/pr1ncess_emily")
    assert (where.model_id, where.widget_text) == ("huggingtweets/pr1ncess_emily", "My dream is")
    with pytest.raises(ManifestError, match="no such bot folder or Hub repo: huggingtweets/nobody"):
        locate("huggingtweets/nobody")


@pytest.mark.parametrize("name", ["bots/wrencaloway", "wrencaloway", "./wrencalloway",
                                  "bots/wrencalloway/repo/extra", "bots/x/y"])  # fmt: skip
def test_a_name_that_is_no_folder_and_no_hub_id_is_no_such_bot_folder_at_once(tmp_path, monkeypatch, name):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    bot_folder(tmp_path, "gpt2").rename(tmp_path / "wrencalloway")
    (tmp_path / "bots").mkdir()
    (tmp_path / "wrencalloway").rename(tmp_path / "bots" / "wrencalloway")
    with pytest.raises(ManifestError, match=f"^no such bot folder: {name}$"):
        locate(name)


def test_a_mistyped_folder_is_told_the_closest_bot_folder_beside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bots").mkdir()
    bot_folder(tmp_path, "gpt2").rename(tmp_path / "bots" / "wrencalloway")
    (tmp_path / "bots" / "wrenchalloway-photos").mkdir()  # close too, but no bot
    with pytest.raises(ManifestError) as e:
        locate("bots/wrencaloway")
    assert e.value.hint == "did you mean bots/wrencalloway?"


def test_a_hub_that_cannot_be_reached_is_said_in_a_second(monkeypatch):
    import socket
    import time

    from huggingface_hub import constants

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    began = time.monotonic()
    with pytest.raises(ManifestError, match="acme/wren: cannot reach the Hub at http://127.0.0.1"):
        locate("acme/wren")
    assert time.monotonic() - began < 3
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ManifestError, match="acme/wren: HF_HUB_OFFLINE is set"):
        locate("acme/wren")


def test_a_cached_hub_repo_is_served_from_the_cache_when_the_hub_cannot_be_reached(hub_env, monkeypatch):  # fmt: skip
    from huggingface_hub import constants, snapshot_download

    hub_env.seed("model", "acme/wren", {"config.json": b"{}"})
    local = snapshot_download("acme/wren")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert locate("acme/wren").model_id == local
