"""Export a trained bot for local runners: a GGUF file (llama.cpp, Ollama, LM Studio) and a Modelfile.

`export(bot_dir, opts)` reads `DIR/repo/` and writes, in `DIR/export/`:

    <model_name>.<quant>.gguf   the model and tokenizer (`gguf.py`; names and layouts: `arch.py`,
                                tokenizer: `vocab.py`)
    Modelfile                   `ollama create NAME -f DIR/export/Modelfile` (`modelfile.py`)
    template, params            what the Hub hands to `ollama run hf.co/NS/NAME`

Everything is written beside its final name and renamed into place, so an earlier export is
never half-overwritten. `push --gguf` uploads these files to the model repo (`hub_files`
names them; `publisher.pipeline.push_bot` hands them to the push).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import atomic, console
from ..base_models import canonical_name
from ..bot import layout, lock
from ..bot import manifest as mf
from ..errors import ExportError
from . import modelfile as mfile

MODELFILE = "Modelfile"
# File names the Hub's Ollama integration reads from a model repo.
HUB_TEMPLATE, HUB_PARAMS = "template", "params"
DEFAULT_QUANT = "q8_0"


@dataclass
class ExportOptions:
    """What to export (the `export` command's options)."""

    # GGUF tensor type: "q8_0" (half the size, log-probabilities within ~1e-2) or "f16".
    quant: str = DEFAULT_QUANT


def gguf_path(bot_dir: Path, model_name: str, quant: str) -> Path:
    """Where the GGUF of a bot goes: `DIR/export/<model_name>.<quant>.gguf`."""
    return layout.export_dir(bot_dir) / f"{model_name}.{quant}.gguf"


def export(bot_dir: Path, opts: ExportOptions, say: Callable[[str], None] = console.say) -> Path:
    """Write the bot's GGUF file, Ollama Modelfile and Hub Ollama files into `DIR/export/`.

    Args:
        bot_dir: a trained bot folder (`bot.json`, `repo/`).
        opts: the quantization.
        say: where progress lines go.

    Returns:
        The GGUF file's path.

    Raises:
        ManifestError: not a bot folder.
        ExportError: not trained yet, or an architecture or tokenizer with no GGUF form here.
        BusyError: another run is writing the bot folder.
    """
    with lock.writing(Path(bot_dir), "exporting"):
        return _export(Path(bot_dir), opts, say)


def _export(bot_dir: Path, opts: ExportOptions, say: Callable[[str], None]) -> Path:
    import time

    from .gguf import QUANTS, GgufInfo, write_gguf

    if opts.quant not in QUANTS:
        raise ExportError(f"unknown quantization {opts.quant!r} (choose {', '.join(QUANTS)})")
    bot_dir = Path(bot_dir)
    man = mf.load(bot_dir)
    repo = layout.repo_dir(bot_dir)
    if not (repo / layout.MODEL_CONFIG).is_file() or not any(repo.glob("*.safetensors")):
        raise ExportError(
            f"{repo}: no trained model to export", hint=f"hf-tweetbot train {bot_dir}"
        )
    t0 = time.perf_counter()
    model, tok = _load(repo)
    sampling = mfile.sampling_defaults(repo)
    eos = tok.eos_token
    path = gguf_path(bot_dir, man.model_name, opts.quant)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = GgufInfo(
        name=man.model_name,
        description=f"hf-tweetbot bot writing like {', '.join('@' + h for h in man.handles)}",
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k,
        min_p=sampling.min_p,
        chat_template=mfile.chat_template(eos),
        base_model=_hub_id(man.base_model),
        url=f"https://huggingface.co/{man.repo_id}" if man.repo_id else None,
    )
    say(f"Writing {path} ({opts.quant}) ...")
    write_gguf(model, tok, path, opts.quant, info)
    out = path.parent
    atomic.write_text(out / MODELFILE, mfile.modelfile(path.name, eos, sampling))
    atomic.write_text(out / HUB_TEMPLATE, mfile.ollama_template(eos))
    atomic.write_text(out / HUB_PARAMS, mfile.params_json(eos, sampling))
    size = path.stat().st_size / 2**20
    say(f"Wrote {path} ({size:.1f} MiB) and {out / MODELFILE} in {time.perf_counter() - t0:.1f} s")
    return path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def _load(repo: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(repo)
    model = AutoModelForCausalLM.from_pretrained(repo, dtype=torch.float32)
    return model, tok


def _hub_id(base_model: str) -> str | None:
    """The base model's Hub id, or None for a local folder."""
    name = canonical_name(base_model)
    parts = name.split("/")
    looks_local = name.startswith((".", "/", "~")) or Path(name).expanduser().exists()
    return name if len(parts) == 2 and all(parts) and not looks_local else None


def hub_files(bot_dir: Path, say: Callable[[str], None] = console.say) -> dict[str, Path]:
    """The exported files `push --gguf` adds to the model repo, by repo path.

    The GGUF file is the one the Modelfile names (the latest export; earlier exports in other
    quantizations stay local). Exports first (`DEFAULT_QUANT`) when there is none, or it is
    older than the model: a re-trained bot never goes up with the previous model's GGUF.

    Args:
        bot_dir: the bot folder.
        say: where progress lines go.

    Returns:
        {repo path: local file} for the GGUF files and the Hub's Ollama `template` and `params`.
    """
    out = layout.export_dir(bot_dir)
    weights = [p.stat().st_mtime for p in layout.repo_dir(bot_dir).glob("*.safetensors")]
    named = mfile.gguf_named(_read(out / MODELFILE))
    current = out / named if named else None
    if current is None or not current.is_file() or current.stat().st_mtime < max(weights, default=0):  # fmt: skip
        current = export(bot_dir, ExportOptions(), say)
    files = {current.name: current}
    files.update({n: out / n for n in (HUB_TEMPLATE, HUB_PARAMS)})
    return files
