"""`hf-tweetbot update` against retraining from scratch, on a bot that gained 20% new posts.

The sample archive is cut in two by post id: a bot is trained on the oldest 80% (`OLD_SHARE`),
then two copies of it take the whole archive, one with `update` (its weights, the new posts and
as many old ones replayed) and one with `update --from-scratch` (the base model, every post).
Both run the same epochs. Measured: wall time of each update, and the per-post validation loss
on the old and on the new validation posts that `update` itself reports (the same split for
both, since both copies start from the same bot).
"""

from __future__ import annotations

import json
import math
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

OLD_SHARE = 0.8  # the bot's first training saw this share of the posts, the update adds the rest


def split_archive(archive: Path, out: Path, share: float = OLD_SHARE) -> Path:
    """A copy of an X archive `.zip` holding only its oldest `share` of tweets (by id)."""
    with zipfile.ZipFile(archive) as z:
        members = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in members if n.rpartition("/")[2] in ("tweets.js", "tweet.js"))
    text = members[name].decode("utf-8")
    prefix, _, body = text.partition("=")
    items = json.loads(body)
    items.sort(key=lambda it: int(it.get("tweet", it)["id_str"]))
    members[name] = f"{prefix}= {json.dumps(items[: int(len(items) * share)])}".encode()
    with zipfile.ZipFile(out, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return out


def _run_update(bot: Path, archive: Path, from_scratch: bool, epochs: int) -> dict[str, Any]:
    from publisher.sources import SourceOptions
    from publisher.sources.spec import parse
    from publisher.train import TrainConfig
    from publisher.update import UpdateOptions, update

    opts = UpdateOptions(from_scratch, SourceOptions(progress=False),
                         TrainConfig(epochs=epochs, report_to="none", checkpoint_every=0,
                                     progress=False))  # fmt: skip
    t = time.perf_counter()
    res = update(bot, [parse(str(archive))], opts, say=lambda _: None)
    seconds = time.perf_counter() - t
    loss = {k: {w: math.log(v) if v else None for w, v in x.items()}
            for k, x in res.perplexity.items()}  # fmt: skip
    m = json.loads((bot / "bot.json").read_text())
    return {"wall_seconds": seconds, "added": res.added, "val_loss_posts": loss,
            "learning_rate": m["updates"][-1]["learning_rate"],
            "train_seconds": m["metrics"]["train_seconds"]}  # fmt: skip


def bench(
    archive: Path, base: str, work: Path, epochs: int = 4, say: Any = print
) -> dict[str, Any]:
    """Train a bot on the old posts, then update it both ways; times and losses.

    Args:
        archive: an X archive `.zip` (the whole history).
        base: the base model.
        work: a scratch folder.
        epochs: of the first training and of both updates (4, as `hf-tweetbot train`).
        say: where progress lines go.

    Returns:
        {"old_posts", "new_posts", "first_training_seconds", "update", "from_scratch"}.
    """
    from publisher import pipeline
    from publisher.dataset import DataConfig
    from publisher.sources.spec import parse
    from publisher.train import TrainConfig

    old = split_archive(archive, work / "old_archive.zip")
    opts = pipeline.PrepareOptions(out=work / "update_bot", base_model=base, overwrite=True,
                                   data=DataConfig(block_size=1024))  # fmt: skip
    bot, m = pipeline.prepare([parse(str(old))], opts, say=lambda _: None)
    t = time.perf_counter()
    cfg = TrainConfig(epochs=epochs, report_to="none", checkpoint_every=0, progress=False)
    pipeline.train_bot(bot, cfg, say=lambda _: None)
    first = time.perf_counter() - t
    say(f"  update bench: first training on {m.users[0].tweets_kept} posts in {first:.0f} s")
    out: dict[str, Any] = {"old_posts": m.users[0].tweets_kept, "first_training_seconds": first}
    for name, scratch in (("update", False), ("from_scratch", True)):
        copy = work / f"bot_{name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(bot, copy)
        out[name] = _run_update(copy, archive, scratch, epochs)
        x = out[name]
        say(f"  update bench {name}: {x['wall_seconds']:.0f} s, per-post val loss "
            f"old {x['val_loss_posts']['old']['after']:.4f}, new {x['val_loss_posts']['new']['after']:.4f}")  # fmt: skip
    out["new_posts"] = out["update"]["added"]
    return out
