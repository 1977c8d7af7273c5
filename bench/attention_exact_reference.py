#!/usr/bin/python3
"""Exact causal attention: knnformer against PyTorch, in the same run.

One layer, B=1, H=4, d=64, causal, for each T: forward and forward+backward
wall time and process CPU time (each the best of --repeats after a warm-up)
and peak memory. On a machine shared with other work wall times follow its
load, while CPU time (all threads) shows the work each system does. Every
measurement runs in a fresh process, so that each peak resident set is its
own, and the runs for one T follow each other, so that load from elsewhere on
the machine hits them alike. Compared:

  knnformer       build/bench_attention_exact --csv (fused flash-style op)
  eager 1.13      softmax(QKᵀ·s + causal mask) V in Debian's PyTorch 1.13
                  (/usr/bin/python3; BLAS is whatever libblas.so.3 the system selects)
  sdpa 2.x        torch.nn.functional.scaled_dot_product_attention(is_causal=True)
                  in a PyTorch 2.x from PyPI (--torch2 PYTHON), when given
  eager 2.x       the eager formula in that PyTorch 2.x (--torch2-eager)

With --precision bf16, knnformer runs its bf16 tile products
(bench_attention_exact --precision bf16) and PyTorch 2.x takes q, k, v and
dO as bfloat16 tensors, which its scaled_dot_product_attention computes with
bf16 products and fp32 softmax statistics; eager 1.13 is left out.

PyTorch runs with torch.set_num_threads(--threads) and OMP/OpenBLAS threads
set alike. Eager attention needs about 12.7 GB at T=16384 (its T×T score,
probability and gradient matrices); a T is skipped for it when the machine's
available memory would not hold it.

usage: /usr/bin/python3 bench/attention_exact_reference.py
           [--knnformer build/bench_attention_exact] [--torch2 /tmp/torch2/bin/python]
           [--torch2-eager] [--T 1024,2048,4096,8192,16384] [--repeats 3] [--threads 2]
           [--precision fp32|bf16]
"""
import argparse
import os
import subprocess
import sys

BATCH, HEADS, DIM = 1, 4, 64
EAGER_BYTES_AT_16384 = 12.7e9  # measured peak of eager fwd+bwd; it grows as T²


# --- worker side: runs inside the PyTorch being measured -------------------------------------


def resident_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def loaded_blas_libraries():
    """Shared libraries mapped into this process that provide BLAS."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if any(key in path.lower() for key in ("blas", "mkl", "dnnl", "lapack")):
                names.add(os.path.realpath(path))
    return sorted(names)


def worker_info(torch):
    torch.ones(64, 64) @ torch.ones(64, 64)  # makes sure BLAS is loaded
    config = torch.__config__.show()
    settings = [line.strip(" -") for line in config.splitlines()
                if any(key in line for key in ("MKL", "oneDNN", "CPU capability")) and "Build settings" not in line]
    build = [item.split(":")[-1].strip() for item in config.split(",") if "BLAS_INFO" in item]
    print(f"torch {torch.__version__} ({sys.executable}), {torch.get_num_threads()} threads")
    for line in settings + build:
        print(f"  config: {line}")
    for path in loaded_blas_libraries():
        print(f"  loaded: {path}")


def worker_measure(torch, kind, time, repeats, precision):
    import time as clock

    torch.manual_seed(0)
    shape = (BATCH, HEADS, time, DIM)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    q, k, v = (torch.randn(shape, dtype=dtype, requires_grad=True) for _ in range(3))
    out_grad = torch.randn(shape, dtype=dtype)
    scale = DIM ** -0.5
    if kind == "eager":
        future = torch.ones(time, time, dtype=torch.bool).triu(1)  # a constant buffer, as in nanoGPT

        def attention():
            scores = (q @ k.transpose(-2, -1)) * scale
            return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
    else:
        def attention():
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

    def forward():
        with torch.no_grad():
            attention()

    def step():
        for x in (q, k, v):
            x.grad = None
        attention().backward(out_grad)

    def best_of(work):
        """(best wall seconds, best CPU seconds) of the runs after a warm-up."""
        start = clock.perf_counter()
        work()
        warm_up = clock.perf_counter() - start
        walls, cpus = [], []
        for _ in range(repeats if warm_up < 5 else 1):  # long runs vary little: one is enough
            start, cpu_start = clock.perf_counter(), clock.process_time()
            work()
            walls.append(clock.perf_counter() - start)
            cpus.append(clock.process_time() - cpu_start)
        return min(walls), min(cpus)

    baseline = resident_bytes("VmRSS")
    forward_wall, forward_cpu = best_of(forward)
    step_wall, step_cpu = best_of(step)
    peak = resident_bytes("VmHWM") - baseline
    print(f"{time},{forward_wall:.6f},{step_wall:.6f},0,{peak},{forward_cpu:.6f},{step_cpu:.6f}")


def worker(args):
    import torch

    torch.set_num_threads(args.threads)
    if args.worker == "info":
        worker_info(torch)
    else:
        worker_measure(torch, args.worker, args.T[0], args.repeats, args.precision)


# --- driver side ---------------------------------------------------------------------------------


def thread_environment(threads):
    environment = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[name] = str(threads)
    return environment


def run(command, threads):
    """Runs a measuring process; returns its last output line, or None when it failed."""
    result = subprocess.run(command, capture_output=True, text=True, env=thread_environment(threads))
    if result.returncode != 0:
        print(f"  ({' '.join(command[:3])} ... failed: {result.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return result.stdout.strip().splitlines()[-1]


def parse_row(line):
    """A measurement from a CSV line T,forward,step,arena bytes,rss bytes,forward cpu,step cpu."""
    if line is None:
        return None
    _, forward, step, arena, rss, forward_cpu, step_cpu = line.split(",")
    return {"forward": float(forward), "step": float(step), "bytes": max(int(arena), int(rss)),
            "forward cpu": float(forward_cpu), "step cpu": float(step_cpu)}


def available_bytes():
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def worker_command(python, kind, time, args):
    return [python, os.path.abspath(__file__), "--worker", kind, "--T", str(time),
            "--repeats", str(args.repeats), "--threads", str(args.threads), "--precision", args.precision]


def measure_all(args):
    systems = ["knnformer"] + (["eager 1.13"] if args.precision == "fp32" else [])
    if args.torch2:
        systems.append("sdpa 2.x")
        if args.torch2_eager:
            systems.append("eager 2.x")
    for python in [sys.executable] + ([args.torch2] if args.torch2 else []):
        info = subprocess.run([python, os.path.abspath(__file__), "--worker", "info", "--threads", str(args.threads)],
                              capture_output=True, text=True, env=thread_environment(args.threads))
        print(info.stdout.rstrip() if info.returncode == 0 else f"{python}: no usable torch: {info.stderr.strip()}")

    results = {}
    for time in args.T:
        eager_fits = EAGER_BYTES_AT_16384 * (time / 16384) ** 2 < 0.85 * available_bytes()
        commands = {
            "knnformer": [args.knnformer, "--csv", "--T", str(time), "--repeats", str(args.repeats),
                          "--threads", str(args.threads), "--precision", args.precision],
            "eager 1.13": worker_command(sys.executable, "eager", time, args) if eager_fits else None,
            "sdpa 2.x": worker_command(args.torch2, "sdpa", time, args) if args.torch2 else None,
            "eager 2.x": worker_command(args.torch2, "eager", time, args) if args.torch2 and eager_fits else None,
        }
        for system in systems:
            command = commands[system]
            results[(system, time)] = parse_row(run(command, args.threads)) if command else None
            print(f"  T={time} {system}: {results[(system, time)] or 'skipped'}", file=sys.stderr, flush=True)
    return systems, results


def print_table(systems, results, args, clock):
    """One table: fwd and fwd+bwd ms by `clock` (wall or cpu), peak MB, and ratios PyTorch / knnformer."""
    forward, step = ("forward", "step") if clock == "wall" else ("forward cpu", "step cpu")
    print(f"\n{clock} time in ms (fwd, fwd+bwd) and peak MB above the inputs; "
          "ratios = PyTorch time / knnformer time (fwd, fwd+bwd)")
    header = f"{'T':>6} | {'knnformer':>20}"
    for system in systems[1:]:
        header += f" | {system:>20} {'ratios':>11}"
    print(header)
    for time in args.T:
        ours = results[("knnformer", time)]
        line = f"{time:>6} | "
        line += (f"{ours[forward] * 1e3:6.0f} {ours[step] * 1e3:6.0f} {ours['bytes'] / 1e6:6.0f}" if ours
                 else f"{'failed':>20}")
        for system in systems[1:]:
            theirs = results[(system, time)]
            if theirs is None:
                line += f" | {'skipped':>20} {'':>11}"
                continue
            ratios = f"{theirs[forward] / ours[forward]:4.1f}x {theirs[step] / ours[step]:4.1f}x" if ours else ""
            line += (f" | {theirs[forward] * 1e3:6.0f} {theirs[step] * 1e3:6.0f} {theirs['bytes'] / 1e6:6.0f}"
                     f" {ratios:>11}")
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knnformer", default="build/bench_attention_exact")
    parser.add_argument("--torch2", help="python of a PyTorch 2.x, for scaled_dot_product_attention")
    parser.add_argument("--torch2-eager", action="store_true", help="also time eager attention in PyTorch 2.x")
    parser.add_argument("--T", type=lambda text: [int(t) for t in text.split(",")],
                        default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--worker", choices=["info", "eager", "sdpa"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
    else:
        systems, results = measure_all(args)
        print(f"\nexact causal attention, B={BATCH} H={HEADS} d={DIM}, {args.precision}, {args.threads} threads, "
              f"best of {args.repeats}")
        print_table(systems, results, args, "wall")
        print_table(systems, results, args, "cpu")


if __name__ == "__main__":
    main()
