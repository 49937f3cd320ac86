"""The flags are made from the options dataclasses' fields: each default, help and range is the
field's, written once, and the stage options are built from the parsed flags by field name."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import click
import pytest

from publisher import cli
from publisher.bot import layout
from publisher.cli import publish
from publisher.cli.options import (
    FieldOption,
    prepare_opts,
    push_opts,
    quality_cfg,
    train_cfg,
    update_opts,
)
from publisher.dataset import DataConfig
from publisher.flags import Flag, build, flag, flag_of, nested
from publisher.hub import PushOptions
from publisher.pipeline import PrepareOptions
from publisher.quality import QualityConfig
from publisher.sources import SourceOptions
from publisher.train import TrainConfig
from publisher.update import UpdateOptions

CLI_DIR = Path(cli.__file__).parent
OPTIONS = [PrepareOptions, SourceOptions, DataConfig, TrainConfig, PushOptions, QualityConfig,
           UpdateOptions]  # fmt: skip
# The commands whose options are all fields of the options dataclasses, but for these.
FROM_FIELDS = ["prepare", "train", "publish", "update", "push", "eval"]
HAND_WRITTEN = {"hf_jobs", "yes", "detach", "timeout", "no_push", "verbose"}


def parsed(command: str, *args: str) -> dict:
    return cli.cli.commands[command].make_context(command, list(args)).params


def flag_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if flag_of(f) is not None]


def field_options() -> list[tuple[str, FieldOption]]:
    return [(name, p) for name, cmd in sorted(cli.cli.commands.items()) for p in cmd.params
            if isinstance(p, FieldOption)]  # fmt: skip


def test_every_dataclass_backed_flag_defaults_to_its_field():
    options = field_options()
    assert len(options) > 80  # every command's share
    for command, opt in options:
        f = {f.name: f for f in dataclasses.fields(opt.owner)}[opt.field]
        assert opt.name == f.name, (command, opt.opts)
        assert opt.default == f.default, (command, opt.opts)
        bare = ["x"] if command != "push" else ["bot"]
        assert parsed(command, *bare)[opt.name] == f.default, (command, opt.opts)


def test_every_flag_field_is_a_flag_of_some_command():
    offered = {(opt.owner, opt.field) for _, opt in field_options()}
    for cls in OPTIONS:
        for f in flag_fields(cls):
            assert (cls, f.name) in offered, f"{cls.__name__}.{f.name}"


@pytest.mark.parametrize("command", FROM_FIELDS)
def test_the_option_commands_take_no_hand_written_option_but_jobs_and_no_push(command):
    for p in cli.cli.commands[command].params:
        if isinstance(p, click.Option) and not isinstance(p, FieldOption):
            assert p.name in HAND_WRITTEN, (command, p.opts)


def test_no_number_default_is_repeated_in_the_cli():
    defaults = {f.default for cls in OPTIONS for f in flag_fields(cls)
                if type(f.default) in (int, float) and f.default > 2}  # fmt: skip
    forbidden = defaults | {3200, 1024, 0.1, 42, 50, 16, 32, 100}
    for path in sorted(CLI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bounds = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and getattr(node.func, "attr", None) in ("IntRange", "FloatRange")
                  for arg in node.args}  # a range's bounds: not defaults  # fmt: skip
        for node in ast.walk(tree):
            number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
            if number and id(node) not in bounds:
                assert node.value not in forbidden, f"{path.name}:{node.lineno}: {node.value}"


def test_the_flags_left_alone_build_the_dataclasses_defaults(tmp_path):
    assert prepare_opts(parsed("prepare", "x")) == PrepareOptions()
    assert train_cfg(parsed("train", "x"), None) == TrainConfig()
    assert train_cfg(parsed("publish", "x"), None) == TrainConfig()
    assert push_opts(parsed("push", "x")) == PushOptions()
    assert quality_cfg(parsed("publish", "x")) == QualityConfig()
    assert build(QualityConfig, parsed("eval", "x")) == QualityConfig()
    opts = update_opts(parsed("update", str(tmp_path)), tmp_path, push=True)
    assert opts == UpdateOptions(sources=SourceOptions(raw_dir=layout.raw_dir(tmp_path)),
                                 train=TrainConfig(), push=PushOptions(), quality=QualityConfig())  # fmt: skip


def test_prepare_flags_reach_the_nested_source_and_data_options(tmp_path):
    out = tmp_path / "bot"
    args = ["wren.zip", "--out", str(out), "--max-posts", "5", "--val-fraction", "0.2",
            "--block-size", "64", "--seed", "7", "--include-community", "--widget-text", "Hi",
            "--card-metadata", "full", "--base-model", "smollm2"]  # fmt: skip
    opts = prepare_opts(parsed("prepare", *args))
    assert (opts.out, opts.widget_text, opts.card_metadata, opts.base_model) == (out, "Hi", "full", "smollm2")  # fmt: skip
    assert opts.sources == SourceOptions(raw_dir=layout.raw_dir(out), max_posts=5, include_community=True)  # fmt: skip
    assert opts.data == DataConfig(block_size=64, val_fraction=0.2, seed=7)


def test_the_measurement_after_training_keeps_its_own_seed():
    # `publish --seed` seeds the split and training, not the measurement's samples.
    q = quality_cfg(parsed("publish", "x", "--seed", "7", "--eval-samples", "3", "--no-allow-copies"))  # fmt: skip
    assert q == QualityConfig(samples=3, allow_copies=False)
    assert build(QualityConfig, parsed("eval", "x", "--seed", "7")).seed == 7


@pytest.mark.parametrize(("args", "word"), [
    (["--val-fraction", "0.6"], "0<=x<=0.5"), (["--block-size", "4"], "x>=8"),
    (["--card-metadata", "some"], "'exact', 'full'"), (["--max-posts", "0"], "x>=1"),
])  # fmt: skip
def test_a_fields_range_and_choices_are_the_flags(args, word):
    with pytest.raises(click.BadParameter, match=word):
        parsed("prepare", "x", *args)


def test_a_flag_on_by_default_needs_its_no_form():
    @dataclasses.dataclass
    class Odd:
        on: bool = flag(True, help="Always on.")

    from publisher.cli.options import flag_options

    with pytest.raises(TypeError, match="--no-"):
        flag_options(Odd, ["on"])


def test_a_nested_options_field_is_built_from_the_same_values():
    f = {f.name: f for f in dataclasses.fields(PrepareOptions)}
    assert nested(f["sources"]) is SourceOptions and nested(f["out"]) is None
    assert isinstance(flag_of(f["card_metadata"]), Flag)
    built = build(PrepareOptions, {"max_posts": 9, "seed": 1, "overwrite": True})
    assert (built.sources.max_posts, built.data.seed, built.overwrite) == (9, 1, True)


def test_every_publish_flag_reaches_the_stage_it_belongs_to():
    args = ["wren.zip", "--attention", "block", "--lr", "0.01", "--max-steps", "7",
            "--block-size", "64", "--seed", "3", "--private", "--repo-id", "me/bot"]  # fmt: skip
    params = publish.make_context("publish", args).params
    cfg = train_cfg(params, None)
    assert (cfg.attention, cfg.learning_rate, cfg.max_steps, cfg.seed) == ("block", 0.01, 7, 3)
    # --block-size and --base-model belong to `prepare`; training reads them from bot.json.
    assert cfg.block_size is None and cfg.base_model is None
    push = push_opts(params)
    assert push.private and push.repo_id == "me/bot" and not push.space


def test_lora_flags_reach_the_train_config():
    args = ["wren.zip", "--lora", "--lora-r", "8", "--lora-alpha", "4", "--lora-targets",
            "q_proj,v_proj", "--push-adapter"]  # fmt: skip
    cfg = train_cfg(publish.make_context("publish", args).params, None)
    assert (cfg.lora, cfg.lora_r, cfg.lora_alpha, cfg.lora_targets, cfg.push_adapter) == (
        True, 8, 4, "q_proj,v_proj", True)  # fmt: skip
    assert cfg.learning_rate is None, "the default depends on --lora"
