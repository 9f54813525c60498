"""Training rows for the lookup task, as buildDataset.ts wrote them (models/work/data/T{n}.tokens / .mask).

Rows were tokenized by node-llama-cpp with the model's own vocabulary, so training sees exactly the tokens of
inference. The mask marks answer tokens: 1 for a value answer (` {value};`), 2 for a file answer (` {path}\\n`).
Induction rows (a random token span and its repeat) are made here: they teach "copy what followed this last time"
without the lookup's shortcuts.
"""
import json
import os

import numpy as np


class TrainingRows:
    def __init__(self, data_dir, seed):
        self.meta = json.load(open(os.path.join(data_dir, "meta.json")))
        self.vocab_size = self.meta["vocabSize"]
        self.eos = self.meta["eos"]
        self.rng = np.random.default_rng(seed)
        self.sets = {}
        for s in self.meta["sets"]:
            tok = np.fromfile(os.path.join(data_dir, s["name"] + ".tokens"), dtype="<u2").reshape(s["rows"], s["T"])
            mask = np.fromfile(os.path.join(data_dir, s["name"] + ".mask"), dtype=np.uint8).reshape(s["rows"], s["T"])
            self.sets[s["name"]] = (tok.astype(np.int64), mask)

    def batch(self, B, T):
        """B rows of length T, drawn at random from the set of that length."""
        tok, mask = self.sets[f"T{T}"]
        pick = self.rng.integers(0, len(tok), B)
        return tok[pick], mask[pick]

    def val(self, T):
        return self.sets[f"val{T}"]

    def induction_batch(self, B, T):
        """BOS + random span + the same span again (answer mask on the repeat, kind 1)."""
        half = (T - 1) // 2
        span = self.rng.integers(3, min(self.vocab_size, 32000), (B, half))
        tok = np.full((B, T), self.eos, dtype=np.int64)
        tok[:, 0] = 1
        tok[:, 1:1 + half] = span
        tok[:, 1 + half:1 + 2 * half] = span
        mask = np.zeros((B, T), dtype=np.uint8)
        mask[:, 2 + half:1 + 2 * half] = 1
        return tok, mask
