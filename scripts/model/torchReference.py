"""Reference forward pass of a train.py checkpoint, written functionally from the state dict,
to check that llama.cpp computes the same function as training (RoPE layout, norms, scaling).

Usage: /usr/bin/python3 scripts/model/torchReference.py CKPT|EXPORT_DIR TOKENS_JSON OUT_JSON
TOKENS_JSON: {"tokens": [[...], ...]}  ->  OUT_JSON: {"argmax": [[...]], "lastLogits": [[...]]}
"""
import json
import math
import os
import sys

import torch

from export_names import export_names, read_export_tensor

torch.set_num_threads(1)


def load_export(d):
    """A train.py export (manifest.json + raw float32 tensors): what comes back from a GPU run or ggufToExport.ts."""
    m = json.load(open(os.path.join(d, "manifest.json")))
    h = m["hparams"]
    args = {"heads": h["nHead"], "kv_heads": h["nHeadKv"], "dim": h["nEmbd"], "layers": h["nLayer"],
            "rms_eps": h["rmsEps"], "rope_base": h["ropeFreqBase"], "head_dim": h.get("headDim", 0)}
    tied = "output" not in m["tensors"]
    sd = {ours: torch.from_numpy(read_export_tensor(d, theirs)).view(m["tensors"][theirs])
          for ours, theirs in export_names(h["nLayer"], tied).items()}
    sd["out.weight"] = sd["tok.weight"] if tied else sd["out.weight"]
    return args, sd


if os.path.isdir(sys.argv[1]):
    a, sd = load_export(sys.argv[1])
else:
    ck = torch.load(sys.argv[1])
    a = ck["args"]
    sd = ck["model"]
H, KV, D = a["heads"], a["kv_heads"], a["dim"]
hd = a.get("head_dim") or D // H


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + a["rms_eps"]) * w


def rope(x, T):
    inv = a["rope_base"] ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    c, s = ang.cos(), ang.sin()
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), -1).flatten(-2)


@torch.no_grad()
def forward(tokens):
    T = len(tokens)
    x = sd["tok.weight"][torch.tensor(tokens)]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(a["layers"]):
        p = f"blocks.{l}."
        h = rms(x, sd[p + "attn_norm.weight"])
        q = (h @ sd[p + "wq.weight"].T).view(T, H, hd).transpose(0, 1)
        k = (h @ sd[p + "wk.weight"].T).view(T, KV, hd).transpose(0, 1)
        v = (h @ sd[p + "wv.weight"].T).view(T, KV, hd).transpose(0, 1)
        q, k = rope(q, T), rope(k, T)
        k = k.repeat_interleave(H // KV, 0)
        v = v.repeat_interleave(H // KV, 0)
        att = ((q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask).softmax(-1)
        x = x + (att @ v).transpose(0, 1).reshape(T, H * hd) @ sd[p + "wo.weight"].T
        h = rms(x, sd[p + "ffn_norm.weight"])
        g = torch.nn.functional.silu(h @ sd[p + "w_gate.weight"].T) * (h @ sd[p + "w_up.weight"].T)
        x = x + g @ sd[p + "w_down.weight"].T
    return rms(x, sd["norm.weight"]) @ sd["out.weight"].T


inp = json.load(open(sys.argv[2]))
out = {"argmax": [], "lastLogits": []}
for toks in inp["tokens"]:
    logits = forward(toks)
    out["argmax"].append(logits.argmax(-1).tolist())
    out["lastLogits"].append(logits[-1].tolist())
json.dump(out, open(sys.argv[3], "w"))
