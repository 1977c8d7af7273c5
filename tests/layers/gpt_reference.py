"""An independent GPT-2 reference in PyTorch (float64) for the parity test.

usage: /usr/bin/python3 gpt_reference.py DIR

DIR holds what tests/layers/gpt_parity_test.cpp wrote: config.txt
("key=value" words; rope=1 for rotary positions instead of wpe), manifest.txt (one "name dim0 dim1 ..." line per
parameter), <name>.f32 (little-endian float32, row-major), tokens.i32 and
targets.i32 (int32). This script writes loss.txt and grad.<name>.f32.
It follows the model of layers/gpt.h with PyTorch's own ops, written from
the equations, not from knnformer's code.
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(directory):
    config = dict(word.split("=") for word in open(f"{directory}/config.txt").read().split())
    config = {key: int(value) for key, value in config.items()}
    parameters = {}
    for line in open(f"{directory}/manifest.txt"):
        name, *dims = line.split()
        values = np.fromfile(f"{directory}/{name}.f32", dtype="<f4").reshape([int(d) for d in dims])
        parameters[name] = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tokens = torch.tensor(np.fromfile(f"{directory}/tokens.i32", dtype="<i4").astype(np.int64))
    targets = torch.tensor(np.fromfile(f"{directory}/targets.i32", dtype="<i4").astype(np.int64))
    return config, parameters, tokens, targets


def causal_attention(q, k, v):
    time, head_dim = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(head_dim)
    future = torch.triu(torch.ones(time, time, dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v


def rotate_by_position(x):
    """Rotary positions: the pair (2i, 2i+1) of row t turned by t * 10000^(-2i/d)."""
    time, head_dim = x.shape[-2], x.shape[-1]
    frequencies = 10000.0 ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(time, dtype=torch.float64)[:, None] * frequencies[None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    turned = torch.stack((even * angles.cos() - odd * angles.sin(), even * angles.sin() + odd * angles.cos()), dim=-1)
    return turned.flatten(-2)


def loss_of(config, p, tokens, targets):
    batch, time = config["batch"], config["time"]
    width, heads = config["n_embd"], config["n_head"]
    rotary = config.get("rope", 0) == 1
    tokens = tokens.view(batch, time)
    x = p["wte.weight"][tokens] if rotary else p["wte.weight"][tokens] + p["wpe.weight"][:time]
    for i in range(config["n_layer"]):
        h = f"h.{i}."
        normed = F.layer_norm(x, (width,), p[h + "ln_1.weight"], p[h + "ln_1.bias"], 1e-5)
        qkv = F.linear(normed, p[h + "attn.qkv.weight"], p[h + "attn.qkv.bias"])
        q, k, v = (part.view(batch, time, heads, width // heads).transpose(1, 2) for part in qkv.split(width, dim=-1))
        if rotary:
            q, k = rotate_by_position(q), rotate_by_position(k)
        attended = causal_attention(q, k, v).transpose(1, 2).reshape(batch, time, width)
        x = x + F.linear(attended, p[h + "attn.proj.weight"], p[h + "attn.proj.bias"])
        normed = F.layer_norm(x, (width,), p[h + "ln_2.weight"], p[h + "ln_2.bias"], 1e-5)
        hidden = F.gelu(F.linear(normed, p[h + "mlp.fc.weight"], p[h + "mlp.fc.bias"]), approximate="tanh")
        x = x + F.linear(hidden, p[h + "mlp.proj.weight"], p[h + "mlp.proj.bias"])
    x = F.layer_norm(x, (width,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
    logits = x @ p["wte.weight"].T
    return F.cross_entropy(logits.reshape(batch * time, -1), targets)


def main():
    directory = sys.argv[1]
    config, parameters, tokens, targets = load(directory)
    loss = loss_of(config, parameters, tokens, targets)
    loss.backward()
    with open(f"{directory}/loss.txt", "w") as out:
        out.write(repr(loss.item()) + "\n")
    for name, tensor in parameters.items():
        tensor.grad.numpy().astype("<f4").tofile(f"{directory}/grad.{name}.f32")


if __name__ == "__main__":
    main()
