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


def test_anything_else_is_a_hub_repo_id_with_the_default_prompt():
    where = locate("huggingtweets/pr1ncess_emily")
    assert (where.model_id, where.widget_text) == ("huggingtweets/pr1ncess_emily", "My dream is")
