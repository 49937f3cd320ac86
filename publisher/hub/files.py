"""What goes into the dataset and Space repos, staged in a local folder before any upload.

`publisher/hub/push.py` pushes these folders; keeping them apart keeps the network code small and
lets tests check the files without a Hub.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
import threading
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .. import card
from ..bot.layout import ADAPTER_CONFIG, ADAPTER_WEIGHTS, FULL_MODEL_FILES, is_adapter
from ..bot.manifest import Manifest
from ..bot.posts import SPLITS, read_rows
from ..errors import HubError, ManifestError

# Files of the `space/` package that are not shipped: packaging only, or generated here.
SPACE_SKIP = {"__init__.py", "requirements.txt", "README.md"}
SPACE_SUFFIXES = (".py", ".css", ".txt", ".md", ".json")
# Always pinned: the Space cannot load a bot without them, whatever app.py imports lazily.
SPACE_ALWAYS = ("gradio", "transformers", "torch", "huggingface_hub")
MODEL_ID_FILE = "model_id.txt"
DATASET_FILES = "data"  # the dataset repo's folder of Parquet files, as its card's configs name
# Imported by the app only for some bots: peft for a LoRA adapter repo (space/load.py).
SPACE_ONLY_IF_NEEDED = {"peft"}
# A free Space runs on CPUs: torch from PyPI is the CUDA build (several GB of CUDA libraries
# downloaded into every build); PyTorch's own index serves the CPU build (under 200 MB).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_HARDWARE = ("cpu-basic", "cpu-upgrade")


def is_gpu(hardware: str | None) -> bool:
    """Whether a Space hardware flavor has a GPU (None: the free cpu-basic)."""
    return hardware is not None and hardware not in CPU_HARDWARE


def read_posts(bot_dir: Path) -> dict[str, list[dict[str, str]]]:
    """The cleaned posts of `DIR/data/posts.jsonl` as dataset rows, by split.

    Returns:
        {"train": [{"handle", "text"}...], "validation": [...]}.

    Raises:
        ManifestError: the file is missing (the bot was never prepared) or unreadable.
    """
    rows: dict[str, list[dict[str, str]]] = {s: [] for s in SPLITS}
    for row in read_rows(bot_dir):
        rows[row["split"]].append({"handle": row["handle"], "text": row["text"]})
    return rows


def size_category(n: int) -> str:
    """The Hub's `size_categories` bucket for `n` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"


def dataset_card(man: Manifest, counts: dict[str, int]) -> str:
    """A short dataset card: where the posts come from, what was removed, the counts."""
    handles = ", ".join(f"@{h}" for h in man.handles)
    total = sum(counts.values())
    lines = [
        "---",
        f"pretty_name: {json.dumps(f'Posts of {handles}')}",
        "task_categories:\n- text-generation",
        "tags:\n- huggingtweets\n- hf-tweetbot",
        f"size_categories:\n- {size_category(total)}",
        "configs:\n- config_name: default\n  data_files:",
        *(f"  - split: {s}\n    path: {DATASET_FILES}/{s}-*.parquet" for s in SPLITS),
        "---",
        "",
        f"# Posts of {handles}",
        "",
        f"The cleaned posts the bot [{man.repo_id}]({card.hub_url(str(man.repo_id))}) was fine-tuned "
        "on, cleaned with huggingtweets' rules by hf-tweetbot.",
        "",
        "Removed: retweets and reposts; short posts (fewer than 3 words that are not links, "
        "mentions or hashtags). Links were cut from the posts kept and whitespace folded.",
        "",
        "| User | Downloaded | Retweets removed | Short posts removed | Kept |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| @{u.handle} | {u.tweets_downloaded} | {u.retweets} | {u.short_tweets} | {u.tweets_kept} |"
            for u in man.users
        ),
        "",
        f"Splits: {counts['train']} posts for training, {counts['validation']} for validation "
        "(columns `handle`, `text`).",
        "",
    ]
    return "\n".join(lines)


def stage_dataset(bot_dir: Path, man: Manifest, out: Path) -> Path:
    """Write the dataset repo (Parquet splits and README.md) into `out`.

    Args:
        bot_dir: the bot folder (reads `data/posts.jsonl`).
        man: the manifest, with `repo_id` set.
        out: an empty folder to fill.

    Returns:
        `out`.
    """
    from datasets import Dataset, Features, Value

    try:
        rows = read_posts(bot_dir)
    except ManifestError as e:
        raise HubError(f"{e.message}: no posts to publish as a dataset; nothing was committed",
                       hint=e.hint) from e  # fmt: skip
    features = Features({"handle": Value("string"), "text": Value("string")})
    parquet = out / DATASET_FILES
    parquet.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        ds = Dataset.from_list(rows[split], features=features)
        ds.to_parquet(str(parquet / f"{split}-00000-of-00001.parquet"))
    counts = {s: len(rows[s]) for s in SPLITS}
    (out / "README.md").write_text(dataset_card(man, counts), encoding="utf-8")
    return out


# CPython 3.11's `ast.parse` keeps its recursion depth per interpreter, not per thread: two pushes
# at once can raise "AST constructor recursion depth mismatch". One parse at a time.
_PARSING = threading.Lock()


def _imports(sources: list[Path]) -> set[str]:
    """Top-level module names imported anywhere in `sources` (lazy imports included)."""
    names: set[str] = set()
    for src in sources:
        text = src.read_text(encoding="utf-8")
        with _PARSING:
            tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def requirements(sources: list[Path], gpu: bool = False, extra: tuple[str, ...] = ()) -> str:
    """`requirements.txt` pinning every third-party package the Space imports to the installed version.

    Local versions are dropped (`torch==2.13.0+cu128` -> `torch==2.13.0`). On CPU hardware
    torch is pinned to its CPU build from PyTorch's index (`torch==2.13.0+cpu`); with `gpu`,
    the plain PyPI pin, which is the CUDA build. Packages in `SPACE_ONLY_IF_NEEDED` are pinned
    only when named in `extra`.
    """
    local = {p.stem for p in sources}
    dists = metadata.packages_distributions()
    wanted = set(SPACE_ALWAYS) | set(extra)
    skip = local | set(sys.stdlib_module_names) | (SPACE_ONLY_IF_NEEDED - set(extra))
    for mod in _imports(sources) - skip:
        wanted.update(dists.get(mod, []))
    pins = [] if gpu else [f"--extra-index-url {TORCH_CPU_INDEX}"]
    for name in sorted(wanted, key=str.lower):
        try:
            pin = f"{name}=={metadata.version(name).split('+')[0]}"
        except metadata.PackageNotFoundError:
            continue  # imported under a guard and not installed here: the app copes without it
        pins.append(pin + ("+cpu" if name == "torch" and not gpu else ""))
    return "\n".join(pins) + "\n"


def space_root() -> Path:
    """The folder of the installed `publisher.space` package (the Space app and its modules)."""
    return Path(str(resources.files("publisher.space")))


def space_sources() -> list[Path]:
    """The files of the installed `publisher.space` package that make up the Space app."""
    root = space_root()
    files = sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in SPACE_SUFFIXES and p.name not in SPACE_SKIP
    )
    if not any(p.name == "app.py" for p in files):
        raise HubError(
            f"{root}: the Space app (app.py) is missing from this installation; nothing was committed",
            hint="reinstall hf-tweetbot (`pip install -e .`), or push without --space",
        )
    return files


def space_readme(man: Manifest, repo_dir: Path, gradio_version: str) -> str:
    """The Space card from publisher.card, with its config front matter."""
    return card.render_space_readme(man, gradio_version, repo_dir=repo_dir)


def stage_space(man: Manifest, repo_dir: Path, out: Path, gpu: bool = False) -> Path:
    """Write the Space repo (app files, pinned requirements, README.md, model_id.txt) into `out`.

    Args:
        man: the manifest, with `repo_id` (the model the Space loads) set.
        repo_dir: the local model repo, so the card shows only files that exist.
        out: an empty folder to fill.
        gpu: the Space runs on GPU hardware (torch's CUDA build instead of the CPU one).

    Returns:
        `out`.
    """
    sources = space_sources()
    out.mkdir(parents=True, exist_ok=True)
    for src in sources:
        (out / src.name).write_bytes(src.read_bytes())
    # A LoRA adapter repo (`--push-adapter`) is loaded through peft.
    extra = ("peft",) if is_adapter(repo_dir) else ()
    reqs = requirements([s for s in sources if s.suffix == ".py"], gpu, extra)
    (out / "requirements.txt").write_text(reqs, encoding="utf-8")
    gradio = re.search(r"^gradio==(\S+)$", reqs, re.M)
    readme = space_readme(man, repo_dir, gradio.group(1) if gradio else "5.0.0")
    (out / "README.md").write_text(readme, encoding="utf-8")
    (out / MODEL_ID_FILE).write_text(f"{man.repo_id}\n", encoding="utf-8")
    return out


def stale_on_hub(local: set[str], remote: set[str]) -> list[str]:
    """Files of the other repo form that a push must delete (merged <-> adapter switch).

    An adapter repo that still held config.json and model weights would be loaded as a full
    model; a merged repo that still held adapter files would get the adapter applied twice.

    Args:
        local: repo paths about to be pushed.
        remote: repo paths on the Hub.

    Returns:
        Remote paths to delete in the same commit.
    """
    if ADAPTER_CONFIG in local:
        other = {p for p in remote if p in FULL_MODEL_FILES or p.startswith("model-")}
    elif "config.json" in local:
        other = {ADAPTER_CONFIG, ADAPTER_WEIGHTS} & remote
    else:
        other = set()
    return sorted(other - local)


def stage_model_with(repo_dir: Path, extra: dict[str, Path], out: Path) -> Path:
    """A folder of links to `repo_dir`'s files plus `extra`: the model repo with the export in it.

    Links, not copies: a GGUF is as large as the model, and nothing here is modified.
    """
    files = {**local_files(repo_dir), **extra}
    for rel, src in files.items():
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.symlink_to(src.resolve())
    return out


def local_files(folder: Path) -> dict[str, Path]:
    """Files to upload from `folder`, by repo path (hidden files and folders are skipped)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and not any(part.startswith(".") for part in rel.split("/")):
            out[rel] = p
    return out


def same_as_remote(path: Path, remote: Any) -> bool:
    """Whether a local file equals the Hub's copy (LFS: sha256; regular: git blob sha1)."""
    size = path.stat().st_size
    if remote.lfs is not None:
        h = hashlib.sha256()
        want = remote.lfs.sha256
    else:
        h = hashlib.sha1(b"blob %d\0" % size)
        want = remote.blob_id
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == want


def human_size(n: int) -> str:
    """1.2 MB, 340 KB, 12 B."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
