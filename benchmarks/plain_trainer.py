"""A plain `transformers.Trainer` script, as someone checking the training figure would write it.

Nothing of hf-tweetbot is imported: the model folder and the saved blocks of a prepared bot go
in, huggingtweets' arguments (batch 1, learning rate 1.372e-4, 1024-token blocks) in bf16 with
Trainer's defaults for the rest (its optimizer, scheduler, collator, logging), and the seconds
of every optimizer step come out, timed by a callback from one step's end to the next.

    python benchmarks/plain_trainer.py --model FOLDER --data BOT/data/tokenized --steps 8 --out t.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="model folder")
    ap.add_argument("--data", required=True, help="a saved DatasetDict with input_ids blocks")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()

    import torch
    from datasets import load_from_disk
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    torch.manual_seed(42)
    tok = AutoTokenizer.from_pretrained(a.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(a.model)
    train = load_from_disk(a.data)["train"].select_columns(["input_ids"])
    seconds: list[float] = []

    class Clock(TrainerCallback):
        def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
            self.last = time.perf_counter()

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            now = time.perf_counter()
            seconds.append(now - self.last)
            self.last = now

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=1,
            learning_rate=1.372e-4,
            max_steps=a.steps,
            bf16=True,
            use_cpu=not torch.cuda.is_available(),  # what bf16 asks for on a CPU
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            seed=42,
        )
        collator = DataCollatorForLanguageModeling(tok, mlm=False)
        trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collator,
                          callbacks=[Clock()])  # fmt: skip
        trainer.train()
    a.out.write_text(json.dumps({"seconds": seconds, "optim": str(args.optim),
                                 "attention": model.config._attn_implementation}))  # fmt: skip


if __name__ == "__main__":
    main()
