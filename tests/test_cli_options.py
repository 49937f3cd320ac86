from __future__ import annotations

from publisher.cli import publish
from publisher.cli.options import push_opts, train_cfg


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
