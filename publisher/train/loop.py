"""Fine-tune the base model on the prepared posts with an Accelerate training loop.

Reads top to bottom like the accelerate examples. The same code runs as a plain process, under
`accelerate launch --cpu --num_processes 2`, or on GPUs configured with `accelerate config`.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import time
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from .. import base_models, console, dataset
from ..bot import layout, manifest, outdir
from ..bot.manifest import Metrics
from ..bot.posts import read_texts
from ..errors import TrainingError
from . import attention, lora
from .accel import make_accelerator, wandb_url
from .checkpoints import Checkpoints, log, write_repo
from .choice import EpochChoice
from .config import DEFAULT_LR, EPOCHS, MAX_EPOCHS, TrainConfig
from .loss import LossModel, causal_lm


def epochs_of(cfg: TrainConfig) -> int:
    """The run's epochs: as given, else MAX_EPOCHS when the epoch is chosen, else EPOCHS."""
    if cfg.epochs:
        return int(cfg.epochs)
    return MAX_EPOCHS if cfg.judge is not None else EPOCHS


def learning_rate(cfg: TrainConfig) -> float:
    """The run's learning rate: as given, else huggingtweets' (x lora.LR_SCALE under LoRA)."""
    if cfg.learning_rate is not None:
        return float(cfg.learning_rate)
    return DEFAULT_LR * (lora.LR_SCALE if cfg.lora else 1)


def same_run(bot_dir: Path, m: manifest.Manifest, base: str, cfg: TrainConfig,
             accelerator: Any) -> dict[str, Any]:  # fmt: skip
    """What makes two runs the same, so one may continue the other's checkpoint.

    The base model, the posts (their file's digest) and how they were tokenized, and every
    option that changes the weights a step produces or the steps taken; not where the output
    goes (`--push-adapter`), how often checkpoints are saved, or where metrics are reported.
    """
    posts = layout.posts_file(bot_dir)
    digest = hashlib.sha256(posts.read_bytes()).hexdigest() if posts.is_file() else None
    data = {k: m.data.get(k) for k in ("tokenizer", "block_size", "val_fraction", "seed",
                                       "train_blocks", "train_tokens", "update_blocks")}  # fmt: skip
    run = {
        "epochs": epochs_of(cfg), "max_steps": cfg.max_steps, "learning_rate": learning_rate(cfg),
        "batch_size": cfg.batch_size, "grad_accum": cfg.grad_accum, "attention": cfg.attention,
        "mixed_precision": cfg.mixed_precision, "max_grad_norm": cfg.max_grad_norm,
        "seed": cfg.seed, "processes": accelerator.num_processes, "train_split": cfg.train_split,
        "init_from": str(cfg.init_from) if cfg.init_from else None,
        "lora": [cfg.lora_r, cfg.lora_alpha, cfg.lora_targets] if cfg.lora else None,
        "epoch_choice": [cfg.keep_last, cfg.patience, cfg.measure_every] if cfg.judge else None,
    }  # fmt: skip
    return {"base_model": base, "data": {**data, "posts": digest}, "run": run}


def load_data(
    bot_dir: Path,
    m: manifest.Manifest,
    base: str,
    tokenizer: Any,
    model: Any,
    cfg: TrainConfig,
    accelerator: Any,
) -> Any:
    """The prepared token blocks, re-tokenized when the base model or block size changed."""
    data_dir = layout.data_dir(bot_dir)
    info = m.data
    block = dataset.effective_block_size(
        tokenizer,
        cfg.block_size or info.get("block_size", 1024),
        getattr(model.config, "max_position_embeddings", None),
    )
    if (
        info.get("tokenizer") == base
        and info.get("block_size") == block
        and layout.tokenized_dir(bot_dir).exists()
    ):
        return dataset.load_tokenized(data_dir)
    dcfg = dataset.DataConfig(
        block_size=block, val_fraction=info.get("val_fraction", 0.1), seed=info.get("seed", 42)
    )
    train_posts, val_posts = read_texts(bot_dir)
    dd = dataset.build_datasets(train_posts, val_posts, tokenizer, dcfg)
    if accelerator.is_main_process:
        log(accelerator, f"Re-tokenized the posts for {base} (block size {block})")
        m.data = dataset.save(data_dir, dd, train_posts, val_posts, dcfg, base)
    accelerator.wait_for_everyone()
    return dd


def collate(
    rows: list[dict[str, Any]], pad_id: int, eos_id: int | None = None
) -> dict[str, torch.Tensor]:
    """Pad blocks to the longest in the batch; padding is masked out of attention and loss.

    With `eos_id`, the batch also carries `position_ids` restarting at every post, which
    post-by-post attention (`publisher.attention`) reads as the posts' boundaries.
    """
    longest = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.as_tensor(r["input_ids"])
        mask[i, :n] = 1
    labels = ids.masked_fill(mask == 0, -100)
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    if eos_id is not None:
        batch["position_ids"] = attention.post_positions(ids, mask, eos_id)
    return batch


@torch.no_grad()
def evaluate(
    model: Any, blocks: Any, accelerator: Any, batch_size: int, pad_id: int, eos_id: int | None
) -> float:
    """Mean validation loss per predicted token, exact across processes (no padded duplicates).

    With `eos_id` (posts attention), each post is scored on its own, as it is generated.
    """
    model.eval()
    mine = blocks[accelerator.process_index :: accelerator.num_processes]
    total = torch.zeros(2, device=accelerator.device, dtype=torch.float64)
    for i in range(0, len(mine), batch_size):
        batch = collate([{"input_ids": b} for b in mine[i : i + batch_size]], pad_id, eos_id)
        batch = {k: v.to(accelerator.device) for k, v in batch.items()}
        loss = model(**batch).double()
        n = (batch["labels"][:, 1:] != -100).sum()
        total += torch.stack([loss * n, n.double()])
    total = accelerator.reduce(total, reduction="sum")
    model.train()
    return float(total[0] / total[1].clamp(min=1))


def train(bot_dir: Path, cfg: TrainConfig) -> Metrics:
    """Fine-tune the bot in `bot_dir` and write `bot_dir/repo/`.

    Args:
        bot_dir: a folder written by `hf-tweetbot prepare` (bot.json + data/).
        cfg: hyperparameters and run options.

    Returns:
        The metrics, also written into bot.json: validation loss and perplexity before and
        after, tokens trained on, seconds and tokens per second.
    """
    from accelerate.utils import set_seed
    from transformers import get_cosine_schedule_with_warmup

    bot_dir = Path(bot_dir)
    m = manifest.load(bot_dir)
    base = base_models.canonical_name(cfg.base_model or m.base_model)
    accelerator = make_accelerator(bot_dir, cfg)
    if accelerator.is_main_process:
        outdir.sweep_bot(bot_dir)  # staging folders of runs that were killed
    set_seed(cfg.seed)

    lora.check(cfg, base)
    model, tokenizer = lora.load_start(base, cfg)
    dd = load_data(bot_dir, m, base, tokenizer, model, cfg, accelerator)
    if len(dd.get(cfg.train_split, [])) == 0:
        raise TrainingError(f"{bot_dir}: no training data", hint="run `hf-tweetbot prepare` again")
    val_blocks = dd["validation"]["input_ids"]
    pad_id = tokenizer.pad_token_id
    eos_id = attention.setup(causal_lm(model), tokenizer, cfg.attention)
    if cfg.attention == "posts" and eos_id is None:
        log(accelerator, f"{type(model).__name__} cannot use posts attention: using block")
    model = lora.wrap(model, cfg)  # after attention: LoRA wraps the layers, not the attention

    # The model as a loss: chunked LM head + cross-entropy, no fp32 copies of the logits.
    net = LossModel(model)
    loader = DataLoader(
        dd[cfg.train_split].with_format(None),
        batch_size=cfg.batch_size,
        shuffle=True,
        collate_fn=lambda rows: collate(rows, pad_id, eos_id),
        # Its own generator: creating an iterator (as a resumed run does mid-epoch) then draws
        # nothing from the global RNG, whose state the checkpoint restores for dropout.
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    # Fused AdamW: one kernel over all parameters instead of a loop of small ones.
    # Only what trains (the adapter under LoRA) gets gradients and optimizer state.
    trainable = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate(cfg), weight_decay=0.0, fused=True)
    # Steps per epoch count optimizer steps: a partial accumulation at an epoch's end still steps.
    steps_per_epoch = math.ceil(math.ceil(len(loader) / accelerator.num_processes) / cfg.grad_accum)
    total_steps = cfg.max_steps or steps_per_epoch * epochs_of(cfg)
    # Once prepared, the scheduler steps once per process at each optimizer step: sized so, the
    # learning rate is the same function of the optimizer step whatever the number of processes.
    scheduler = get_cosine_schedule_with_warmup(
        optimizer, 0, total_steps * accelerator.num_processes
    )
    net, optimizer, loader, scheduler = accelerator.prepare(net, optimizer, loader, scheduler)

    ckpt = Checkpoints(layout.checkpoints_dir(bot_dir), same_run(bot_dir, m, base, cfg, accelerator))  # fmt: skip
    resumed = ckpt.pick(accelerator, cfg.resume, cfg.restart)
    if resumed is None and accelerator.is_main_process:
        shutil.rmtree(layout.runs_dir(bot_dir), ignore_errors=True)  # logs of an earlier run
    # The base model's loss, measured once: a resumed run keeps the first run's figure.
    if resumed is not None and resumed.get("loss_before") is not None:
        loss_before = float(resumed["loss_before"])
    else:
        log(accelerator, f"Validation before training ({len(val_blocks)} blocks)...")
        loss_before = evaluate(net, val_blocks, accelerator, cfg.batch_size, pad_id, eos_id)
    ckpt.tag.update(loss_before=loss_before, total_steps=total_steps)
    step = ckpt.load(accelerator, resumed, total_steps) if resumed is not None else 0

    # --- the epoch a person would choose (choice.py): measured, kept, put back at the end ---
    choice = None
    if cfg.judge is not None:
        choice = EpochChoice(cfg.judge(bot_dir, tokenizer), accelerator, steps_per_epoch,
                             total_steps, cfg.patience, cfg.keep_last, cfg.measure_every)  # fmt: skip
        if step:
            choice.load(ckpt.latest(), accelerator.unwrap_model(net).model, step)
    save_choice = None if choice is None else choice.save
    if cfg.report_to != "none":
        hparams = {k: v for k, v in vars(cfg).items() if isinstance(v, (int, float, str, bool))}
        hparams["learning_rate"] = learning_rate(cfg)
        accelerator.init_trackers("train", config=hparams)

    accelerator.log({"eval/loss": loss_before}, step=step)

    history: list[tuple[int, float]] = []
    timing: list[tuple[float, int]] = []  # (seconds, tokens) per optimizer step
    step_tokens = 0
    tokens = torch.zeros((), dtype=torch.long, device=accelerator.device)
    bar = console.Progress(
        total_steps,
        "Training",
        initial=step,
        disable=not (cfg.progress and accelerator.is_local_main_process),
    )
    net.train()
    start = last = time.perf_counter()
    epoch = step // steps_per_epoch
    stopped = False
    while step < total_steps and not stopped:
        loader.set_epoch(epoch)
        # On resume, skip the micro-batches of this epoch that the checkpoint already saw.
        skip = (step - epoch * steps_per_epoch) * cfg.grad_accum
        epoch_loader = accelerator.skip_first_batches(loader, skip) if skip else loader
        for batch in epoch_loader:
            with accelerator.accumulate(net):
                loss = net(**batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients and cfg.max_grad_norm:
                    accelerator.clip_grad_norm_(trainable, cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            n = batch["attention_mask"].sum()
            tokens += n
            step_tokens += int(n)
            if not accelerator.sync_gradients:
                continue
            step += 1
            value = loss.item()
            now = time.perf_counter()
            timing.append((round(now - last, 4), step_tokens))
            last, step_tokens = now, 0
            history.append((step, value))
            bar.set_postfix(loss=f"{value:.3f}")
            bar.update(1)
            accelerator.log(
                {"train/loss": value, "train/lr": scheduler.get_last_lr()[0]}, step=step
            )
            stopped = bool(cfg.on_step and cfg.on_step(step, total_steps, value))
            # --- measure at an epoch's end (and the last step); stop when patience runs out ---
            if choice is not None and (choice.due(step) or stopped):
                began = time.perf_counter()
                val_loss = evaluate(net, val_blocks, accelerator, cfg.batch_size, pad_id, eos_id)
                accelerator.log({"eval/loss": val_loss}, step=step)
                unwrapped = accelerator.unwrap_model(net).model
                stopped = choice.measure(unwrapped, step, val_loss, bar.write) or stopped
                measuring = time.perf_counter() - began  # not training: out of the step times
                last, start = last + measuring, start + measuring
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < total_steps:
                ckpt.save(accelerator, step, save_choice)
                if cfg.on_checkpoint is not None and accelerator.is_main_process:
                    cfg.on_checkpoint(layout.checkpoints_dir(bot_dir))
            if stopped or step >= total_steps:
                break
        epoch += 1
    seconds = time.perf_counter() - start
    bar.close()  # at the step reached: an early stop leaves no estimate of steps not run
    if choice is not None and (said := choice.outcome(step)):
        log(accelerator, said)

    kept_loss = None
    if choice is not None:  # the best weights back in place, and their measured loss
        kept_loss = choice.finish(accelerator.unwrap_model(net).model, step)
    if kept_loss is not None:
        loss_after = kept_loss
    else:
        loss_after = evaluate(net, val_blocks, accelerator, cfg.batch_size, pad_id, eos_id)
        accelerator.log({"eval/loss": loss_after}, step=step)
    n_tokens = int(accelerator.reduce(tokens, reduction="sum").item())
    metrics = Metrics(
        eval_loss_before=round(loss_before, 4),
        eval_loss_after=round(loss_after, 4),
        perplexity_before=round(math.exp(min(loss_before, 50)), 3),
        perplexity_after=round(math.exp(min(loss_after, 50)), 3),
        train_tokens=n_tokens,
        train_seconds=round(seconds, 2),
        tokens_per_second=round(n_tokens / seconds, 1) if seconds > 0 else None,
    )
    train_run = wandb_url(accelerator) if cfg.report_to == "wandb" else None
    if accelerator.is_main_process:
        m.base_model = base
        m.metrics = metrics
        m.adapter = lora.describe(cfg)
        m.base_is_chat = base_models.has_chat_template(tokenizer)
        if train_run:
            m.tracking.train_run = train_run
        m.training = None if choice is None else choice.summary(step)
        trained = accelerator.unwrap_model(net).model
        attention.use_posts_attention(causal_lm(trained), False)  # the pushed config: sdpa
        write_repo(bot_dir, lora.for_repo(trained, cfg, base), tokenizer, m, history, timing)
        manifest.save(m, bot_dir)
        ckpt.clear()
    accelerator.wait_for_everyone()
    accelerator.end_training()  # also ends the process group: nothing collective after this
    return metrics
