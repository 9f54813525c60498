"""Train the bundled tiny llama model (DynSplit Chat, issues 3 and 14).

Llama architecture computed exactly as llama.cpp does for arch "llama":
RMSNorm (eps = llama.attention.layer_norm_rms_epsilon), RoPE "normal" layout (adjacent pairs
(x[2i], x[2i+1]) rotated by pos * base^(-2i/head_dim)), causal softmax attention scaled by
1/sqrt(head_dim), SwiGLU FFN (down(silu(gate x) * up x)), final RMSNorm, output tied to the embedding.
Because RoPE is trained in llama.cpp's own pair layout, q/k weights export without permutation.

Wall-time bounded: --minutes caps training; the LR schedule follows elapsed time, and a
checkpoint + raw export is written every --checkpoint-minutes so a usable model exists early.

Export: <out>/export/manifest.json + one raw little-endian float32 file per tensor (torch layout);
scripts/model/exportGguf.ts assembles the GGUF.

Run with Debian's python: /usr/bin/python3 scripts/model/train.py --minutes 40
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch.utils.checkpoint import checkpoint

from export_names import export_names, read_export_tensor
from training_rows import TrainingRows

p = argparse.ArgumentParser()
p.add_argument("--data", default="models/work/data")
p.add_argument("--out", default="models/work/run")
p.add_argument("--minutes", type=float, default=40.0)
p.add_argument("--checkpoint-minutes", type=float, default=5.0)
p.add_argument("--eval-minutes", type=float, default=8.0)
p.add_argument("--layers", type=int, default=None, help="default 3, or the --init-export model's")
p.add_argument("--dim", type=int, default=None, help="default 128, or the --init-export model's")
p.add_argument("--heads", type=int, default=None, help="default 4, or the --init-export model's")
p.add_argument("--kv-heads", type=int, default=None, help="default 4, or the --init-export model's")
p.add_argument("--head-dim", type=int, default=None,
               help="per-head q/k/v dimension (default dim / heads, or the --init-export model's); with --init-export of "
                    "narrower or fewer heads they reshape with the function unchanged (reshape_heads): each old RoPE pair "
                    "becomes the new pair of its frequency, the new pairs and heads start silent")
p.add_argument("--ffn", type=int, default=None, help="default 384, or the --init-export model's")
p.add_argument("--rope-base", type=float, default=None, help="default 1e6, or the --init-export model's")
p.add_argument("--rms-eps", type=float, default=1e-5)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--answer-weight", type=float, default=1.0)
p.add_argument("--lm-weight", type=float, default=0.1)
p.add_argument("--lm-fraction", type=float, default=0.1, help="fraction of non-answer positions that get the LM loss")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is at hand (scripts/model/train-gpu.sh)")
p.add_argument("--batch-scale", type=int, default=1, help="rows per step = the curriculum's batch x this (a GPU takes many)")
p.add_argument("--seed", type=int, default=7)
p.add_argument("--resume", default="")
p.add_argument("--warmup-steps", type=int, default=50, help="LR warm-up after the start (a resumed optimizer needs few)")
p.add_argument("--init-export", default="",
               help="start from these weights (scripts/model/ggufToExport.ts of the shipped GGUF), with a fresh optimizer")
p.add_argument("--init-step", type=int, default=0,
               help="with --init-export: the training steps behind the exported weights (step counts go on from there)")
p.add_argument("--init-layer-map", default="",
               help="with --init-export: model layer of each exported layer, e.g. 0,2,3 (a deeper model from a shallower one); "
                    "the layers not named start as identities (attention and FFN outputs zero) and learn from there")
p.add_argument("--new-layer-offsets", default="",
               help="with --init-layer-map: the new layers' first heads start as position-only heads this many tokens "
                    "back, e.g. 1,3,6 (composed with layer 0's, they reach a long identifier's first sub-words)")
p.add_argument("--phase-from", type=float, default=0.0,
               help="start the curriculum and LR schedule at this fraction (with --resume: continue the last phases)")
p.add_argument("--embed-mean", type=float, default=0.0,
               help="norm of a direction shared by every token embedding at init, relative to the random part")
p.add_argument("--positional-init", type=int, default=3,
               help="start layer 0 heads 0..N-1 as RoPE position-only heads (1..N tokens back); all weights still train")
p.add_argument("--tied", type=int, default=1, help="tie the output matrix to the token embedding (copying a value is then easy)")
p.add_argument("--induction-share", type=float, default=0.5, help="share of steps on repeated random spans, in the first phases")
p.add_argument("--max-len", type=int, default=8192, help="longest training row; later phases train at this length")
p.add_argument("--new-head-windows", default="",
               help="with --init-export of a model with fewer heads: layer 0's new heads start as position-only heads "
                    "over these windows of offsets, e.g. 4-8,9-16")
p.add_argument("--recency-heads", default="",
               help="layer 0's heads that get a score falling with distance on --recency-pairs (see recency_prior)")
p.add_argument("--recency-pairs", default="11,13,15,17,19,21",
               help="the rotary pairs of that score: slow ones a widened model leaves free (head_dim 64, base 1e6)")
p.add_argument("--recency-amplitude", type=float, default=4.0)
p.add_argument("--recompute-above", type=int, default=8192,
               help="rows longer than this recompute each block in the backward pass (gradient checkpointing)")
p.add_argument("--phases", default="",
               help="curriculum as from:T:batch:induction,... (fractions of the time budget), instead of the default")
args = p.parse_args()
# The shape not given: the --init-export model's (a leg that continues the shipped file needs no shape flags), else
# the first model's. A shape given that differs from the export's reshapes it (reshape_heads, --init-layer-map).
_start = json.load(open(os.path.join(args.init_export, "manifest.json")))["hparams"] if args.init_export else {}
for _name, _key, _default in (("layers", "nLayer", 3), ("dim", "nEmbd", 128), ("heads", "nHead", 4), ("kv_heads", "nHeadKv", 4),
                              ("ffn", "nFf", 384), ("rope_base", "ropeFreqBase", 1e6), ("head_dim", "headDim", 0)):
    if getattr(args, _name) is None:
        setattr(args, _name, _start.get(_key, _default) if not (_name == "layers" and args.init_layer_map) else _default)
HD = args.head_dim or args.dim // args.heads

torch.set_num_threads(args.threads)
DEV = torch.device(args.device)
# On a GPU (torch >= 2): fused causal attention, the same function as the explicit softmax below, without its T x T
# matrix in memory. The CPU path stays the explicit one (Debian's torch 1.13 has no fused attention).
FUSED = DEV.type == "cuda" and hasattr(F, "scaled_dot_product_attention")
if DEV.type == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = True
torch.manual_seed(args.seed)
np.random.seed(args.seed)
os.makedirs(args.out, exist_ok=True)

META = json.load(open(os.path.join(args.data, "meta.json")))
VOCAB = META["vocabSize"]


ATTN_CHUNK = 256  # query rows per attention chunk on the CPU (256 and 512 measured fastest at 4,096 tokens)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(T, head_dim, base):
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32, device=DEV) / head_dim)  # theta_i = base^(-2i/d)
    ang = torch.arange(T, dtype=torch.float32, device=DEV)[:, None] * inv[None, :]
    return ang.cos(), ang.sin()  # [T, head_dim/2]


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; llama.cpp "normal" rope rotates adjacent pairs (x[2i], x[2i+1]).
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        d, h, kv = args.dim, args.heads, args.kv_heads
        self.hd = HD
        self.attn_norm = RMSNorm(d, args.rms_eps)
        self.wq = nn.Linear(d, h * self.hd, bias=False)
        self.wk = nn.Linear(d, kv * self.hd, bias=False)
        self.wv = nn.Linear(d, kv * self.hd, bias=False)
        self.wo = nn.Linear(h * self.hd, d, bias=False)
        self.ffn_norm = RMSNorm(d, args.rms_eps)
        self.w_gate = nn.Linear(d, args.ffn, bias=False)
        self.w_up = nn.Linear(d, args.ffn, bias=False)
        self.w_down = nn.Linear(args.ffn, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, args.heads, self.hd).transpose(1, 2)
        k = self.wk(h).view(B, T, args.kv_heads, self.hd).transpose(1, 2)
        v = self.wv(h).view(B, T, args.kv_heads, self.hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if args.kv_heads != args.heads:  # ggml broadcast: q head i uses kv head i // (heads/kv_heads)
            rep = args.heads // args.kv_heads
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        if FUSED:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, -1)
        else:
            # Queries in chunks, each against the keys up to its end: the upper triangle is never computed, and a
            # chunk's scores stay in cache (2.5x faster than one T x T pass at 4,096 tokens). One fused call per
            # chunk for the scores, their scale and the causal mask.
            H = q.shape[1]
            q, k, v = (t.reshape(B * H, T, self.hd) for t in (q, k, v))
            outs = []
            for s in range(0, T, ATTN_CHUNK):
                e = min(T, s + ATTN_CHUNK)
                att = torch.baddbmm(mask[s:e, :e], q[:, s:e], k[:, :e].transpose(1, 2), alpha=1.0 / math.sqrt(self.hd))
                outs.append(torch.bmm(att.softmax(-1), v[:, :e]))
            o = torch.cat(outs, 1).view(B, H, T, self.hd).transpose(1, 2).reshape(B, T, -1)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class TinyLlama(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, args.dim)
        self.blocks = nn.ModuleList([Block() for _ in range(args.layers)])
        self.norm = RMSNorm(args.dim, args.rms_eps)
        self.out = nn.Linear(args.dim, VOCAB, bias=False)
        nn.init.normal_(self.tok.weight, std=0.5)
        with torch.no_grad():
            # A direction shared by all tokens acts as the bias llama lacks: with it, q and k can
            # be the same for every token, so RoPE position-only heads (previous token, two back)
            # are learnable from the shared projections instead of from each token's embedding.
            shared = torch.randn(args.dim)
            self.tok.weight += args.embed_mean * 0.5 * math.sqrt(args.dim) * shared / shared.norm()
        for n, prm in self.named_parameters():
            if prm.dim() == 2 and "tok" not in n:
                nn.init.normal_(prm, std=0.5 / math.sqrt(prm.shape[1]))
        if args.positional_init:
            self.positional_prior()
        if args.tied:
            self.out.weight = self.tok.weight
            # Tied logits are h·e: a small final-norm gain keeps them O(1) at the start.
            nn.init.constant_(self.norm.weight, 0.2)

    @torch.no_grad()
    def positional_prior(self, pairs=6, amplitude=8.0, layer=0, offsets=None, windows=None, first_head=0, trained=False):
        """A starting point, not a circuit: embedding dim 0 starts as a constant channel (the bias
        llama lacks), and layer 0's first heads start with q/k read from it so that their RoPE
        score peaks 1, 2, ... tokens back (a multi-token key needs several). Values, outputs, keys,
        the lookup and the copy are random and learned; every weight here trains like any other."""
        emb = self.tok.weight
        if layer == 0 and not trained:
            emb[:, 0] = float(emb[:, 1:].pow(2).sum(1).sqrt().mean())
        const = float(emb[:, 0].mean())  # a trained embedding (a new layer over exported ones) keeps its channel
        rms = math.sqrt((const ** 2 + float(emb[:, 1:].pow(2).sum(1).mean())) / args.dim)
        c = const / rms  # the constant channel after RMSNorm
        hd = HD
        theta = args.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        r1 = math.sqrt(amplitude * math.sqrt(hd))
        blk = self.blocks[layer]
        offsets = offsets or list(range(1, min(args.positional_init, args.heads) + 1))
        # A window of offsets: the q of each offset in it, summed, scores every offset of the window alike (a bag of
        # those tokens); the sum is scaled so that its peak is as high as a single offset's.
        windows = windows or [(o, o) for o in offsets]
        for head, (lo, hi) in enumerate(windows[:args.heads - first_head], start=first_head):
            span = torch.arange(lo, hi + 1, dtype=torch.float64)
            # A wide window: a lower peak (the offsets in it alike) and four slower pairs that fade what is far away
            # (at 8,192 tokens 3 % of the attention beyond 32 tokens back).
            n_pairs, r = (pairs, r1) if hi == lo else (pairs + 4, math.sqrt(3.0 * math.sqrt(hd)))
            for i in range(n_pairs):
                row = head * hd + 2 * i
                qc = torch.cos(-span * theta[i]).sum() / len(span)
                qs = torch.sin(-span * theta[i]).sum() / len(span)
                blk.wq.weight[row, 0] = r * float(qc) / c
                blk.wq.weight[row + 1, 0] = r * float(qs) / c
                blk.wk.weight[row, 0] = r / c
                blk.wk.weight[row + 1, 0] = 0.0

    @torch.no_grad()
    def recency_prior(self, heads, pairs, amplitude):
        """Layer 0's heads `heads` get a score that falls with distance on rotary pairs `pairs` (slow ones, free in a
        widened model): q and k of those pairs read the constant channel only, so the score is amplitude * sum of
        cos(theta * distance): flat over the last tokens, many nats lower hundreds of tokens back. A position-only
        head trained on short rows otherwise leaks attention to the thousands of far positions of a long one (a
        quarter to a half of it at 8,192 tokens, measured on the step-4,208 model)."""
        blk = self.blocks[0]
        emb = self.tok.weight
        normed = emb * torch.rsqrt(emb.pow(2).mean(-1, keepdim=True) + args.rms_eps) * blk.attn_norm.weight
        c = float(normed[:, 0].mean())
        r = math.sqrt(amplitude * math.sqrt(HD))
        for head in heads:
            for i in pairs:
                row = head * HD + 2 * i
                for lin in (blk.wq, blk.wk):
                    lin.weight[row:row + 2] = 0.0
                    lin.weight[row, 0] = r / c

    def hidden(self, idx):
        B, T = idx.shape
        cos, sin = rope_tables(T, HD, args.rope_base)
        mask = None if FUSED else torch.full((T, T), float("-inf"), device=DEV).triu(1)
        x = self.tok(idx)
        for b in self.blocks:
            # Rows longer than --recompute-above: recompute each block in the backward pass instead of keeping its
            # attention (about T x T / 2 floats a head; 2.4 GB for three layers of six heads at 8,192 tokens).
            recompute = T > args.recompute_above and self.training and not FUSED
            x = checkpoint(b, x, cos, sin, mask) if recompute else b(x, cos, sin, mask)
        return self.norm(x)


def pair_map(old_hd, old_base):
    """Old rotary pair i -> the new pair that turns at the same rate (theta = base^(-2i/head_dim)); the function of an
    exported model is kept only where such a pair exists, so a base and a width that do not fit are refused."""
    old_theta = old_base ** (-torch.arange(0, old_hd, 2, dtype=torch.float64) / old_hd)
    new_theta = args.rope_base ** (-torch.arange(0, HD, 2, dtype=torch.float64) / HD)
    out = [int(torch.argmin((new_theta.log() - th.log()).abs())) for th in old_theta]
    for i, j in enumerate(out):
        assert abs(math.log(new_theta[j] / old_theta[i])) < 1e-5, \
            f"no pair of head_dim {HD}, base {args.rope_base:g} turns like pair {i} of head_dim {old_hd}, base {old_base:g}"
    return out


def widen(name, t, old, new):
    """An exported tensor in a wider model (a larger --dim and/or --ffn), the function unchanged: the old block is
    copied; the new residual dimensions start at zero (embedding columns, output rows of wo and w_down), and every norm
    weight is scaled by sqrt(old dim / dim) because the RMS now averages over zeros too; the new inputs of q/k/v and
    gate/up are small and random (they read zeros until the new dimensions fill, and pass gradients at once); the new
    FFN units have random gate/up rows and zero down columns."""
    out = new.detach().clone()
    kind = name.split(".")[-2] if name.count(".") > 1 else name.split(".")[0]
    if t.dim() == 1:  # a norm weight
        out.fill_(1.0)
        out[: t.shape[0]] = t
        return out * math.sqrt(old["nEmbd"] / args.dim)
    if kind == "tok":
        out.zero_()
    elif kind in ("wo", "w_down"):
        out.zero_()
    else:  # wq, wk, wv, w_gate, w_up: new input columns small
        out[:, old["nEmbd"]:] *= 0.1
    out[: t.shape[0], : t.shape[1]] = t
    return out


def reshape_heads(kind, t, old, new):
    """An exported q/k/v/output matrix of narrower or fewer heads in this model's heads, the function unchanged. Old
    rotary pair i becomes the new pair that turns at its rate (pair_map: with a larger base and wider heads the new
    pairs are the slow ones, still over any distance); q is scaled for the 1/sqrt(head_dim) softmax scale. The new q
    rows and output columns start at zero (new heads add nothing yet), the new k and v rows small and random, so that
    q and the output get gradients from the start."""
    old_hd = old.get("headDim") or old["nEmbd"] // old["nHead"]
    pm = torch.tensor(pair_map(old_hd, old["ropeFreqBase"]))
    d = args.dim
    if kind == "wo":
        out = torch.zeros(d, args.heads, HD // 2, 2)
        out[:, :old["nHead"], pm] = t.view(d, old["nHead"], old_hd // 2, 2)
        return out
    h, old_h = (args.heads, old["nHead"]) if kind == "wq" else (args.kv_heads, old["nHeadKv"])
    out = new.detach().clone().view(h, HD // 2, 2, d) * (0.0 if kind == "wq" else 0.1)
    out[:old_h, pm] = t.view(old_h, old_hd // 2, 2, d) * (math.sqrt(HD / old_hd) if kind == "wq" else 1.0)
    return out


model = TinyLlama().to(DEV)
rows = TrainingRows(args.data, args.seed)
print("training sets: " + " ".join(f"{k} {len(v[0])}" for k, v in rows.sets.items()), flush=True)
VAL_T = [T for T in (512, 2048, 8192) if T <= args.max_len]
opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)
nparams = sum(p.numel() for p in model.parameters())
print(f"params {nparams} vocab {VOCAB}", flush=True)
step0 = 0
if args.init_export:
    layer_map = [int(x) for x in args.init_layer_map.split(",")] if args.init_layer_map else list(range(args.layers))
    names = export_names(args.layers, args.tied, layer_map)
    state = model.state_dict()
    with torch.no_grad():
        for i in set(range(args.layers)) - set(layer_map):  # a new layer adds nothing until it has learned something
            model.blocks[i].wo.weight.zero_()
            model.blocks[i].w_down.weight.zero_()
        m = json.load(open(os.path.join(args.init_export, "manifest.json")))
        old = m["hparams"]
        old_hd = old.get("headDim") or old["nEmbd"] // old["nHead"]
        reshaped = (old_hd, old["nHead"], old["ropeFreqBase"]) != (HD, args.heads, args.rope_base)
        for ours, theirs in names.items():
            t = torch.from_numpy(read_export_tensor(args.init_export, theirs))
            kind = ours.split(".")[-2]
            if reshaped and kind in ("wq", "wk", "wv", "wo"):
                t = reshape_heads(kind, t, old, state[ours])
            t = t.view(m["tensors"][theirs]) if t.numel() == math.prod(m["tensors"][theirs]) else t
            if tuple(t.shape) != tuple(state[ours].shape):
                t = widen(ours, t, old, state[ours])
            state[ours].copy_(t.view(state[ours].shape))
        if args.recency_heads:
            model.recency_prior([int(x) for x in args.recency_heads.split(",")],
                                [int(x) for x in args.recency_pairs.split(",")], args.recency_amplitude)
        if args.new_head_windows:  # layer 0's new heads: position-only windows (their outputs start at zero)
            model.positional_prior(windows=[tuple(int(x) for x in w.split("-")) for w in args.new_head_windows.split(",")],
                                   first_head=old["nHead"], trained=True)
        if args.new_layer_offsets:  # after the copy: the constant channel is the exported embedding's
            for i in set(range(args.layers)) - set(layer_map):
                model.positional_prior(layer=i, offsets=[int(x) for x in args.new_layer_offsets.split(",")])
    step0 = args.init_step
    print(f"initialised from {args.init_export}", flush=True)
if args.resume:
    ck = torch.load(args.resume, map_location=DEV)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    step0 = ck["step"]


def loss_on(idx, amask):
    """Cross-entropy on answer positions (+ a sampled LM term on other positions)."""
    x, y = idx[:, :-1], idx[:, 1:]
    ans = amask[:, 1:] > 0
    h = model.hidden(x)
    other = (~ans) & (torch.rand(ans.shape, device=DEV) < args.lm_fraction) & (y != rows.eos)
    la = F.cross_entropy(model.out(h[ans]), y[ans]) if ans.any() else h.sum() * 0
    lo = F.cross_entropy(model.out(h[other]), y[other]) if other.any() else h.sum() * 0
    return args.answer_weight * la + args.lm_weight * lo, la, lo


@torch.no_grad()
def evaluate(T, bs=1):
    """Teacher-forced exact-answer accuracy per kind: an answer counts when every one of its tokens is the argmax."""
    model.eval()
    tok, m = rows.val(T)
    tok, m = tok[:max(2, 16384 // T)], m[:max(2, 16384 // T)]
    right = {1: 0, 2: 0}
    total = {1: 0, 2: 0}
    for i in range(0, len(tok), bs):
        idx = torch.from_numpy(tok[i:i + bs]).to(DEV)
        am = m[i:i + bs, 1:]
        # Logits on answer positions only (the whole vocabulary at every position is most of an evaluation's time).
        at = torch.from_numpy(am > 0).to(DEV)
        ok = np.zeros(am.shape, dtype=bool)
        ok[am > 0] = (model.out(model.hidden(idx[:, :-1])[at]).argmax(-1) == idx[:, 1:][at]).cpu().numpy()
        for r in range(len(am)):
            j = 0
            while j < am.shape[1]:
                if am[r, j] == 0:
                    j += 1
                    continue
                kind, k = int(am[r, j]), j
                while k < am.shape[1] and am[r, k] == kind:
                    k += 1
                total[kind] += 1
                right[kind] += int(ok[r, j:k].all())
                j = k
    model.train()
    return {f"value{T}": right[1] / max(1, total[1]), f"file{T}": right[2] / max(1, total[2])}


def evaluate_all():
    acc = {}
    for T in VAL_T:
        acc.update(evaluate(T))
    return acc


def export(tag):
    """Raw float32 tensors (torch layout) + manifest for scripts/model/exportGguf.ts."""
    d = os.path.join(args.out, "export")
    os.makedirs(d, exist_ok=True)
    tensors = {}

    def put(name, t):
        a = t.detach().float().cpu().contiguous().numpy()
        a.astype("<f4").tofile(os.path.join(d, name + ".f32"))
        tensors[name] = list(a.shape)

    # Tied: llama.cpp uses token_embd as the output matrix when output.weight is absent.
    state = model.state_dict()
    for ours, theirs in export_names(args.layers, args.tied).items():
        put(theirs, state[ours])
    manifest = {
        "tag": tag,
        "hparams": {"nLayer": args.layers, "nEmbd": args.dim, "nHead": args.heads, "nHeadKv": args.kv_heads,
                    "nFf": args.ffn, "contextLength": 8192, "rmsEps": args.rms_eps, "ropeFreqBase": args.rope_base,
                    **({"headDim": HD} if HD != args.dim // args.heads else {})},
        "vocabSize": VOCAB,
        "tensors": tensors,
        "training": history,
    }
    json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"), indent=1)


# Curriculum by fraction of the wall-time budget: (start, T, batch, share of plain induction steps). Repeated random
# spans teach the induction head (copy what followed this token last time); short rows dense with facts then tie it
# to the lookup; longer rows with more code teach it to find one fact among thousands of tokens. The last phases
# train at the longest lengths the card promises: RoPE positions beyond the longest training row are never seen
# (measured on the first model: 50 % at 4k when trained to 2k).
PHASES = [
    (0.00, 256, 16, args.induction_share),
    (0.08, 512, 8, args.induction_share * 0.6),
    (0.22, 1024, 4, args.induction_share * 0.4),
    (0.45, 2048, 2, args.induction_share * 0.2),
    (0.68, 4096, 1, args.induction_share * 0.1),
    (0.90, 8192, 1, 0.0),
]
if args.phases:
    PHASES = [(float(f), int(t), int(b), float(i)) for f, t, b, i in (ph.split(":") for ph in args.phases.split(","))]
PHASES = [ph for ph in PHASES if ph[1] <= args.max_len]
budget = args.minutes * 60
t_start = time.time()
last_ck = t_start
last_eval = t_start
history = {"steps": 0, "seconds": 0, "log": [], **({"initStep": step0} if args.init_export else {})}
step = step0
run_avg = None
while True:
    elapsed = time.time() - t_start
    if elapsed >= budget:
        break
    frac = args.phase_from + (1 - args.phase_from) * elapsed / budget
    _, T, B, induction = [ph for ph in PHASES if frac >= ph[0]][-1]
    warm = min(1.0, (step - step0 + 1) / max(1, args.warmup_steps))
    lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
    for g in opt.param_groups:
        g["lr"] = lr
    is_lookup = np.random.random() >= induction
    B *= args.batch_scale
    t, m = rows.batch(B, T) if is_lookup else rows.induction_batch(B, T)
    idx, am = torch.from_numpy(t).to(DEV), torch.from_numpy(m).to(DEV)
    loss, la, lo = loss_on(idx, am)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    step += 1
    if is_lookup:  # the running answer loss follows the lookup rows only
        run_avg = la.item() if run_avg is None else 0.95 * run_avg + 0.05 * la.item()
    if step % 25 == 0:
        print(f"step {step} t {elapsed:.0f}s T {T} lr {lr:.2e} ans_loss {run_avg or 0:.3f} lm_loss {lo.item():.3f}", flush=True)
    if time.time() - last_eval > args.eval_minutes * 60:
        acc = evaluate_all()
        history["log"].append({"step": step, "seconds": round(elapsed), "ansLoss": round(run_avg or 0, 4), **acc})
        print(f"  eval step {step}: exact answers " + " ".join(f"{k} {a:.3f}" for k, a in acc.items()), flush=True)
        last_eval = time.time()
    if time.time() - last_ck > args.checkpoint_minutes * 60:
        history.update(steps=step, seconds=round(time.time() - t_start))
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "args": vars(args)}, os.path.join(args.out, "ckpt.pt"))
        export(f"step{step}")
        last_ck = time.time()
        print(f"  checkpoint + export at step {step}", flush=True)

history.update(steps=step, seconds=round(time.time() - t_start))
acc = evaluate_all()
history["final"] = {**acc, "ansLoss": run_avg}
print(f"final step {step}: exact answers " + " ".join(f"{k} {a:.3f}" for k, a in acc.items()), flush=True)
torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "args": vars(args)}, os.path.join(args.out, "ckpt.pt"))
export(f"step{step}")
print("done", flush=True)
