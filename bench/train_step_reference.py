"""PyTorch reference for bench_train_step: the same GPT (pre-LayerNorm, tied
LM head, GELU tanh form, causal attention), the same AdamW, the same
configurations, tokens/s of forward + backward + update; in fp32, or in bf16
as PyTorch users train on CPUs: the forward under
torch.autocast("cpu", dtype=torch.bfloat16), the weights and AdamW fp32.

usage: python3 bench/train_step_reference.py [threads] [steps] [CONFIGS] [fp32|bf16]
  CONFIGS: a comma-separated list of cfgTiny, cfgA, cfgB, cfgC (cfgA,cfgB by default)
Run it with Debian's /usr/bin/python3 (torch 1.13; install libopenblas0-openmp
so that it does not run on the reference BLAS) or with a PyPI torch 2.x, which
has its own BLAS and scaled_dot_product_attention. It prints which it used.
"""
import contextlib
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def attend(self, x):
        batch, length, width = x.shape
        q, k, v = (t.view(batch, length, self.heads, -1).transpose(1, 2) for t in self.qkv(x).split(width, dim=-1))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            mask = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
            y = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(batch, length, width))

    def forward(self, x):
        x = x + self.attend(self.ln_1(x))
        return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, tokens, targets):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def run(name, batch, length, layers, heads, width, vocab, steps, precision):
    torch.manual_seed(1)
    model = GPT(vocab, length, layers, heads, width)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    tokens = torch.randint(vocab, (batch, length))
    targets = torch.randint(vocab, (batch, length))
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
        with autocast:
            loss = model(tokens, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 2:
            times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(f"{name:7s} B={batch:<2d} T={length:<5d} L={layers} H={heads} C={width:<4d}  "
          f"{median * 1e3:8.1f} ms/step  {batch * length / median:9.0f} tok/s")


def loaded_blas():
    """The BLAS library this process actually mapped (Debian's torch uses libblas.so.3's alternative)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libraries = {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() or "mkl" in line.lower()}
    return ", ".join(sorted(libraries)) or "built into torch"


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    precision = sys.argv[4] if len(sys.argv) > 4 else "fp32"
    if precision not in ("fp32", "bf16"):
        sys.exit(f"train_step_reference.py: precision '{precision}' is not one of: fp32, bf16")
    torch.set_num_threads(threads)
    print(f"PyTorch {torch.__version__}, {threads} threads, median of {steps} steps, {precision}, "
          f"BLAS: {loaded_blas()}")
    chosen = (sys.argv[3] if len(sys.argv) > 3 else "cfgA,cfgB").split(",")
    for name, *shape in [("cfgTiny", 12, 64, 4, 4, 128, 65), ("cfgA", 8, 256, 4, 4, 256, 256),
                         ("cfgB", 4, 1024, 6, 6, 384, 256), ("cfgC", 1, 1024, 12, 12, 768, 50304)]:
        if name in chosen:
            run(name, *shape, steps, precision)


if __name__ == "__main__":
    main()
