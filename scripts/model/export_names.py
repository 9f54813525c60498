"""Names of train.py's tensors in an export (manifest.json + one raw float32 file per tensor), the layout
exportGguf.ts assembles into a GGUF and ggufToExport.ts writes back: one table for writing and reading an export."""

import os

import numpy as np

LAYER_TENSORS = [("attn_norm", "attnNorm"), ("wq", "wq"), ("wk", "wk"), ("wv", "wv"), ("wo", "wo"),
                 ("ffn_norm", "ffnNorm"), ("w_gate", "wGate"), ("w_up", "wUp"), ("w_down", "wDown")]


def export_names(layers, tied=True, layer_map=None):
    """{state-dict name: export name}. layer_map[i] is the model layer that export layer i belongs to (default: the
    same); tied: the output matrix is the token embedding and has no tensor of its own."""
    names = {"tok.weight": "tokenEmbd", "norm.weight": "outputNorm"}
    if not tied:
        names["out.weight"] = "output"
    for i, mine in enumerate(layer_map if layer_map is not None else range(layers)):
        for ours, theirs in LAYER_TENSORS:
            names[f"blocks.{mine}.{ours}.weight"] = f"layers.{i}.{theirs}"
    return names


def read_export_tensor(export_dir, name):
    """One tensor of an export, flat float32 (the manifest holds its shape)."""
    return np.fromfile(os.path.join(export_dir, name + ".f32"), dtype="<f4")
