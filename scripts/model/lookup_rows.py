"""On-the-fly training rows for the lookup task, in token ids (no tokenizer needed at train time).

A row is BOS followed by lines: facts `const ▁ KEY= VALUE ; \\n`, questions
`Q : ▁ KEY= [VALUE] \\n` (KEY= is the single token `{key} = `) about a fact stated earlier (chosen uniformly, so a "copy the most
recent value" shortcut does not pay), and filler lines cut from the tokenized code corpus
(models/work/data, built by buildDataset.ts with node-llama-cpp, so pieces match llama.cpp's).

The curriculum knobs are the row length, the number of facts and the filler share: few facts in
short rows make the key match the only way to lower the loss, which is what forms the lookup
circuit; longer rows with more filler then teach it to find one fact among thousands of tokens.
"""
import json
import os
import re

import numpy as np

KEY_RE = re.compile(r"^[a-z]+_[a-z]+$")


class LookupRows:
    def __init__(self, data_dir, seed):
        vocab = json.load(open(os.path.join(data_dir, "..", "vocab.json")))["tokens"]
        index = {p: i for i, p in enumerate(vocab)}
        words = open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "corpus", "words.ts")).read()

        def word_list(name):
            body = re.search(name + r" = \[(.*?)\]", words, re.S).group(1)
            return re.findall(r'"([a-z]+)"', body)

        # A fact key is the one token `{key} = ` (src/model/codeVocab.ts), so the value follows it directly.
        self.keys = np.array([index[f"{p}_{s}\u2581=\u2581"] for p in word_list("KEY_PREFIXES") for s in word_list("KEY_SUFFIXES")])
        self.plain_keys = np.array([index[f"{p}_{s}"] for p in word_list("KEY_PREFIXES") for s in word_list("KEY_SUFFIXES")])
        self.keys = self.keys[np.random.default_rng(7).permutation(len(self.keys))]
        self.values = np.array([index[str(v)] for v in range(1000)])
        self.nl = index["\n"]
        self.fact_head = [index["const"], index["▁"]]
        self.q_head = [index["Q"], index[":"], index["▁"]]
        self.semi = index[";"]
        self.vocab_size = len(vocab)
        self.rng = np.random.default_rng(seed)
        self.filler = self._filler_lines(data_dir)

    def _filler_lines(self, data_dir):
        """Code lines from the tokenized corpus with no question and no fact key in them."""
        tok = np.fromfile(os.path.join(data_dir, "train512.tokens"), dtype=np.uint16)
        key_set = set(self.keys.tolist()) | set(self.plain_keys.tolist())
        lines, cur = [], []
        for t in tok[: 4_000_000].tolist():
            if t in (1, 2):
                cur = []
                continue
            cur.append(t)
            if t == self.nl:
                if len(cur) > 1 and cur[0] != self.q_head[0] and not key_set.intersection(cur):
                    lines.append(cur)
                cur = []
        return lines

    def row(self, T, n_facts, filler_share, n_keys=None):
        """One row of exactly T tokens and its answer mask. n_keys limits keys to the first n
        (a curriculum: a few keys seen often teach the match; it then has to hold for all)."""
        rng = self.rng
        pool = self.keys[: n_keys or len(self.keys)]
        n_facts = max(1, min(n_facts, len(pool)))
        keys = rng.choice(pool, size=n_facts, replace=False)
        vals = rng.choice(self.values, size=n_facts)
        toks, mask = [1], [False]

        def put(ids, answer_at=-1):
            for j, t in enumerate(ids):
                toks.append(int(t))
                mask.append(j == answer_at)

        stated = 0
        # Facts come first in random order, interleaved with filler; questions start once half
        # the facts are out, and keep coming with the remaining facts and filler between them.
        while len(toks) < T:
            r = rng.random()
            if r < filler_share:
                put(self.filler[rng.integers(len(self.filler))])
            elif stated < n_facts and (stated < max(1, n_facts // 2) or rng.random() < 0.5):
                put(self.fact_head + [keys[stated], vals[stated], self.semi, self.nl])
                stated += 1
            elif stated > 0:
                i = rng.integers(stated)
                put(self.q_head + [keys[i], vals[i], self.nl], answer_at=4)
        return np.array(toks[:T], dtype=np.int64), np.array(mask[:T], dtype=np.bool_)

    def induction_row(self, T):
        """A random token span and its repeat, the answer mask on the repeat: plain induction data,
        where copying what followed the current token last time is the only way to predict."""
        half = T // 2
        span = self.rng.integers(259, self.vocab_size, size=half)
        toks = np.concatenate([[1], span, span])[:T]
        mask = np.zeros(T, dtype=np.bool_)
        mask[half + 2:] = True
        return toks.astype(np.int64), mask

    def induction_batch(self, B, T):
        rows = [self.induction_row(T) for _ in range(B)]
        return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])

    def batch(self, B, T, n_facts, filler_share, n_keys=None):
        rows = [self.row(T, int(self.rng.integers(max(1, n_facts // 2), n_facts + 1)), filler_share, n_keys=n_keys) for _ in range(B)]
        return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])
