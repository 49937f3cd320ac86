"""How local runners should prompt and sample the bot: an Ollama Modelfile, and the Hub's files.

The bot writes a post after a bare EOS token (`space.draw.build_prompt`), one line long, with
its own sampling (the temperature and top-p `hf-tweetbot eval` fitted to it, after top-k 50, from
its `generation_config.json`; huggingtweets' temperature 1 and top-p 0.95 where none was
fitted) and no repetition penalty. Each runner gets that in its own words:

- Ollama (`ollama create NAME -f Modelfile`): `FROM` the GGUF beside it, a `TEMPLATE` that puts
  the prompt after the EOS, `PARAMETER`s for the sampling, stops at the EOS and at a newline,
  and `repeat_penalty 1` because Ollama's default (1.1) would change what the bot writes.
- `ollama run hf.co/NS/NAME` reads no Modelfile: the Hub passes a repo's `template` (a Go
  template) and `params` (JSON) files to Ollama instead, so `push --gguf` uploads those two.
- llama.cpp and LM Studio read the chat template and `general.sampling.*` inside the GGUF.

Temperature, top-p, top-k and min-p are expressible in all three; the rest of the bot's setting
is not: none of these runners can draw a post's first token from the whole distribution nor
reweight it to the person's share of replies (`space/draw.py`), so a bot run there writes
replies as often as its truncated sampling makes it (docs/quality.md).

These runners sample with their own code: the constraint that keeps the bot's posts valid UTF-8
(`space/utf8.py`) is not theirs, so a post drawn there can show U+FFFD where the model draws the
bytes of a character out of order (docs/quality.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..quality.sampling_search import current_setting
from ..space.draw import DEFAULTS, TOP_K

# The `generate` command's and the Space's default length of a post, in new tokens.
NUM_PREDICT = 60


@dataclass
class Sampling:
    """The bot's sampling defaults."""

    temperature: float = DEFAULTS["temperature"]
    top_p: float = DEFAULTS["top_p"]
    top_k: int = TOP_K
    num_predict: int = NUM_PREDICT
    min_p: float = 0.0  # written only when fitted (a runner's own default stays otherwise)


def sampling_defaults(repo_dir: Path) -> Sampling:
    """The sampling in the bot's `generation_config.json` (fitted by `eval`), else huggingtweets'."""
    setting = current_setting(repo_dir)
    return Sampling(temperature=float(setting["temperature"]), top_p=float(setting["top_p"]),
                    top_k=int(setting["top_k"]), min_p=float(setting["min_p"]))  # fmt: skip


def stops(eos: str) -> list[str]:
    """Where a post ends: the EOS token, or a newline (posts are one line)."""
    return [eos, "\n"]


def ollama_template(eos: str) -> str:
    """Ollama's Go template: the prompt after the EOS token, as the bot saw every post."""
    return eos + "{{ .Prompt }}"


def chat_template(eos: str) -> str:
    """A Jinja chat template (llama.cpp, LM Studio): the last message is the start of a post."""
    return (
        eos + "{% for message in messages %}{% if loop.last %}"
        "{{ message['content'] | trim }}{% endif %}{% endfor %}"
    )


def _quoted(value: str) -> str:
    # Ollama's parser keeps what is between `"""` verbatim (newlines included) and has no
    # escapes, so every value is written that way.
    return f'"""{value}"""'


def modelfile(gguf_name: str, eos: str, s: Sampling) -> str:
    """The Ollama Modelfile for the GGUF file `gguf_name` in the same folder."""
    lines = [
        '# Ollama: ollama create NAME -f Modelfile && ollama run NAME "My dream is"',
        f"FROM ./{gguf_name}",
        f"TEMPLATE {_quoted(ollama_template(eos))}",
        f"PARAMETER temperature {s.temperature:g}",
        f"PARAMETER top_p {s.top_p:g}",
        f"PARAMETER top_k {s.top_k}",
        f"PARAMETER num_predict {s.num_predict}",
        "PARAMETER repeat_penalty 1",
    ]
    if s.min_p > 0:
        lines.insert(-2, f"PARAMETER min_p {s.min_p:g}")
    lines += [f"PARAMETER stop {_quoted(stop)}" for stop in stops(eos)]
    return "\n".join(lines) + "\n"


def gguf_named(text: str) -> str | None:
    """The GGUF file a Modelfile's `FROM ./NAME` line names, or None."""
    for line in text.splitlines():
        if line.startswith("FROM ./") and line.endswith(".gguf"):
            return line[len("FROM ./") :]
    return None


def params_json(eos: str, s: Sampling) -> str:
    """The Hub's `params` file for `ollama run hf.co/...` (Ollama's parameter names)."""
    params = {
        "temperature": s.temperature,
        "top_p": s.top_p,
        "top_k": s.top_k,
        "num_predict": s.num_predict,
        "repeat_penalty": 1.0,
        "stop": stops(eos),
    }
    if s.min_p > 0:
        params["min_p"] = s.min_p
    return json.dumps(params, indent=2, ensure_ascii=False) + "\n"
