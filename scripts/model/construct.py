"""Analytically constructed retrieval model ("induction circuit"), exported like train.py.

Why: within the 40-minute CPU training cap the trained tiny model did not learn the lookup
(see models/README.md). This script writes weights that implement the lookup exactly, in the
same llama architecture llama.cpp runs, so answers provably depend on attending to the needle.

Residual stream (n_embd 512): [C | E | S1 | S2 | U | 0...]
  C  (1 dim)   constant 1 (a bias channel; llama has no biases)
  E  (m dims)  random unit code of the current token
  S1 (m dims)  code of the token 2 back   (layer 1, head 0: RoPE-only attention peaked at offset 2)
  S2 (m dims)  code of the token 1 back   (layer 1, head 1: peaked at offset 1)
  U  (m dims)  retrieved value code       (layer 2, head 0)
Layer 2, head 0: query = S2 (at "Q: KEY = " the previous token is KEY), key = S1 (at a fact's
value, 2 back is KEY) + a bonus when S2 is " = ", using only the slowest RoPE pairs so the match
is position independent up to 8k tokens; value = E (the value token) written to U.
Output: value tokens read U through their codes; "\n" gets a constant logit so generation stops
after the value. FFNs are zero. RoPE base 1e8, head_dim 256: pairs 0..15 rotate fast (offset
heads), pairs 71..127 rotate < 0.3 rad over 8192 tokens (content matching).

Usage: /usr/bin/python3 scripts/model/construct.py VOCAB_JSON OUT_DIR
VOCAB_JSON: {"tokens": [...]} (written by scripts/model/constructModel.ts)
"""
import json
import os
import sys

import numpy as np

tokens = json.load(open(sys.argv[1]))["tokens"]
out_dir = sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
V = len(tokens)
D, H, HD, M = 512, 2, 256, 100
BASE = 1e8
FAST_PAIRS = 16
POS_AMPLITUDE = 16.0  # per fast pair, in attention-logit units (after llama.cpp's 1/sqrt(hd))
BETA, GAMMA = 40.0, 10.0  # key-match and " = "-bonus logits in layer 2
LAMBDA, NEWLINE_LOGIT = 10.0, 6.0
C0, E0, S10, S20, U0 = 0, 1, 1 + M, 1 + 2 * M, 1 + 3 * M
SLOW0 = 144  # first head dim of the slow RoPE pairs used for matching (pair 72)

rng = np.random.default_rng(20251123)
codes = rng.choice([-1.0, 1.0], size=(V, M)) / np.sqrt(M)  # unit-norm token codes
theta = BASE ** (-2 * np.arange(HD // 2) / HD)
assert theta[SLOW0 // 2] * 8192 < 0.3

tok_embd = np.zeros((V, D))
tok_embd[:, C0] = 1.0
tok_embd[:, E0:E0 + M] = codes


def offset_head(wq, wk, head, offset, norm_scale):
    """q, k from the constant channel so that q.k/sqrt(hd) = A * sum_i cos(theta_i (dist - offset))."""
    r = np.sqrt(POS_AMPLITUDE * np.sqrt(HD))
    for i in range(FAST_PAIRS):
        base = head * HD + 2 * i
        wq[base, C0] = r * np.cos(-offset * theta[i]) / norm_scale
        wq[base + 1, C0] = r * np.sin(-offset * theta[i]) / norm_scale
        wk[base, C0] = r / norm_scale


layers = []
# Layer 1 input: [1, code] -> rms = sqrt(2/D)
s1 = np.sqrt(D / 2.0)
wq = np.zeros((D, D)); wk = np.zeros((D, D)); wv = np.zeros((D, D)); wo = np.zeros((D, D))
offset_head(wq, wk, 0, 2, s1)
offset_head(wq, wk, 1, 1, s1)
for j in range(M):
    wv[j, E0 + j] = 1.0 / s1            # head 0 value = code of attended token
    wv[HD + j, E0 + j] = 1.0 / s1       # head 1 value
    wo[S10 + j, j] = 1.0                # -> S1 (token 2 back)
    wo[S20 + j, HD + j] = 1.0           # -> S2 (token 1 back)
layers.append((wq, wk, wv, wo))

# Layer 2 input: [1, E, S1, S2] -> rms = sqrt(4/D)
s2 = np.sqrt(D / 4.0)
eq_id = tokens.index("\u2581=\u2581")
wq = np.zeros((D, D)); wk = np.zeros((D, D)); wv = np.zeros((D, D)); wo = np.zeros((D, D))
c = np.sqrt(BETA * np.sqrt(HD))
g = np.sqrt(GAMMA * np.sqrt(HD))
for j in range(M):
    wq[SLOW0 + j, S20 + j] = c / s2     # query: previous token's code (the key in "KEY = ")
    wk[SLOW0 + j, S10 + j] = c / s2     # key: code of the token two back (the key before " = VALUE")
    wk[SLOW0 + M, S20 + j] = g * codes[eq_id, j] / s2  # bonus if the previous token is " = "
    wv[j, E0 + j] = 1.0 / s2            # value: the current token's code
    wo[U0 + j, j] = 1.0                 # -> U
wq[SLOW0 + M, C0] = g / s2
layers.append((wq, wk, wv, wo))

# Output: after layer 2 the residual is [1, E, S1, S2, U] -> rms ~ sqrt(5/D)
s3 = np.sqrt(D / 5.0)
output = np.zeros((V, D))
for v, t in enumerate(tokens):
    if t.isdigit() and (t == "0" or not t.startswith("0")) and len(t) <= 3:
        output[v, U0:U0 + M] = LAMBDA * codes[v] / s3
output[tokens.index("\n"), C0] = NEWLINE_LOGIT / s3

FFN = 32
tensors = {}


def put(name, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    a.tofile(os.path.join(out_dir, name + ".f32"))
    tensors[name] = list(a.shape)


put("tokenEmbd", tok_embd)
for i, (q, k, v, o) in enumerate(layers):
    put(f"layers.{i}.attnNorm", np.ones(D)); put(f"layers.{i}.wq", q); put(f"layers.{i}.wk", k)
    put(f"layers.{i}.wv", v); put(f"layers.{i}.wo", o); put(f"layers.{i}.ffnNorm", np.ones(D))
    put(f"layers.{i}.wGate", np.zeros((FFN, D))); put(f"layers.{i}.wUp", np.zeros((FFN, D)))
    put(f"layers.{i}.wDown", np.zeros((D, FFN)))
put("outputNorm", np.ones(D))
put("output", output)
json.dump({"tag": "constructed", "hparams": {"nLayer": 2, "nEmbd": D, "nHead": H, "nHeadKv": H, "nFf": FFN,
           "contextLength": 8192, "rmsEps": 1e-5, "ropeFreqBase": BASE}, "vocabSize": V, "tensors": tensors},
          open(os.path.join(out_dir, "manifest.json"), "w"), indent=1)
print(f"constructed model written to {out_dir}")
