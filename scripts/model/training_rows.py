"""Training rows for the lookup task, as buildDataset.ts wrote them (models/work/data/T{n}.tokens / .mask).

Rows were tokenized by node-llama-cpp with the model's own vocabulary, so training sees exactly the tokens of
inference. The mask marks answer tokens: 1 for a value answer (` {value};`), 2 for a file answer (` {path}\\n`).
Induction rows (a random token span and its repeat) are made here: they teach "copy what followed this last time"
without the lookup's shortcuts.
"""
import gzip
import json
import os

import numpy as np


def read_array(path, dtype):
    """A raw array file, or its gzip (rows travel gzipped to a GPU machine: the masks are mostly zeros)."""
    if os.path.exists(path):
        return np.fromfile(path, dtype=dtype)
    with gzip.open(path + ".gz", "rb") as f:
        return np.frombuffer(f.read(), dtype=dtype)


class TrainingRows:
    def __init__(self, data_dir, seed):
        self.meta = json.load(open(os.path.join(data_dir, "meta.json")))
        self.vocab_size = self.meta["vocabSize"]
        self.eos = self.meta["eos"]
        self.rng = np.random.default_rng(seed)
        self.sets = {}
        for s in self.meta["sets"]:
            tok = read_array(os.path.join(data_dir, s["name"] + ".tokens"), "<u2").reshape(s["rows"], s["T"])
            mask = read_array(os.path.join(data_dir, s["name"] + ".mask"), np.uint8).reshape(s["rows"], s["T"])
            self.sets[s["name"]] = (tok.astype(np.int64), mask)

    def batch(self, B, T):
        """B rows of length T, drawn at random from the set of that length."""
        tok, mask = self.sets[f"T{T}"]
        pick = self.rng.integers(0, len(tok), B)
        return tok[pick], mask[pick]

    def val(self, T):
        return self.sets[f"val{T}"]

    def induction_batch(self, B, T):
        """BOS + a random span + the same span again (answer mask on the repeat, kind 1). Each row draws its span from
        an alphabet of 4 to 4,096 tokens: with a small alphabet one token back is ambiguous, so predicting the repeat
        needs the previous 2, 3, 4 tokens matched at once, the multi-token match a key of several sub-words needs (a
        one-token induction head alone leaves the lookup on the "copy any stated value" plateau)."""
        half = (T - 1) // 2
        tok = np.full((B, T), self.eos, dtype=np.int64)
        mask = np.zeros((B, T), dtype=np.uint8)
        for b in range(B):
            size = int(self.rng.choice([4, 6, 8, 12, 16, 32, 4096]))
            alphabet = self.rng.integers(3, min(self.vocab_size, 32000), size)
            span = alphabet[self.rng.integers(0, size, half)]
            tok[b, 0] = 1
            tok[b, 1:1 + half] = span
            tok[b, 1 + half:1 + 2 * half] = span
            mask[b, 2 + half + 4:1 + 2 * half] = 1  # from the 5th repeated token on, the prefix says where we are
        return tok, mask
