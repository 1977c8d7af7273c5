"""Interleaved rounds of one benchmark under several variants, and a table
of their medians with the ratio of each to the first variant.

A variant is a build directory, environment settings such as a SIMD
target cap, and arguments of its own appended to the common ones (written
+ARGUMENT, such as +bf16 for bench_train_step's precision); every round
runs each variant once, one after the other, so
that a change in the machine's load touches all variants alike. The table
gives each figure's median over the rounds, its range, and the median of
the per-round ratios to the first variant (above 1: faster than it).

usage: python3 bench/interleaved.py [--rounds 5] --variant LABEL=BUILD[,NAME=VALUE|,+ARGUMENT...] ... -- BENCH ARGS...
  BENCH is one of bench_attention_exact (with --csv), bench_attention,
  bench_train_step or bench_kernels (with --fast-only). For bench_train_step,
  BUILD may name a Python interpreter with PyTorch instead of a build
  directory: that variant runs bench/train_step_reference.py with the same
  arguments.

  python3 bench/interleaved.py --variant best=build --variant avx2=build,KNNFORMER_SIMD=avx2,DNNL_MAX_CPU_ISA=AVX2 \\
      -- bench_attention_exact --threads 1 --repeats 3 --T 1024,2048 --csv
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def exact_attention_figures(output):
    """bench_attention_exact --csv: T,forward_s,fwd_bwd_s,...; times in ms, lower is better."""
    figures = {}
    for line in output.splitlines():
        fields = line.split(",")
        if len(fields) >= 3 and fields[0].isdigit():
            figures[f"exact T={fields[0]} forward ms"] = 1e3 * float(fields[1])
            figures[f"exact T={fields[0]} fwd+bwd ms"] = 1e3 * float(fields[2])
    return figures


def attention_mode_figures(output):
    """bench_attention's table: mode, T, fwd ms, fwd+bwd ms, ...; lower is better."""
    figures = {}
    for line in output.splitlines():
        match = re.match(r"^(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s", line)
        if match:
            mode, length = match.group(1), match.group(2)
            figures[f"{mode} T={length} fwd+bwd ms"] = float(match.group(4))
    return figures


def kernel_figures(output):
    """bench_kernels' table: | kernel | shape | threads | scalar GB/s | SIMD GB/s | ...; one thread; higher is better."""
    figures = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[2] == "1":
            figures[f"{cells[0]} {cells[1]} GB/s"] = float(cells[4])
    return figures


def train_step_figures(output):
    """bench_train_step and train_step_reference.py: 'cfgA B=... N tok/s', and
    bench_train_step's FMA peak of the target in use (and in bf16 its bf16
    peak and product); higher is better."""
    figures = {}
    for line in output.splitlines():
        peak = re.search(r"FMA peak now: ([\d.]+) GFLOP/s", line)
        if peak:
            figures["FMA peak GFLOP/s"] = float(peak.group(1))
        bf16_peak = re.search(r"bf16 dot-product peak now: ([\d.]+) GFLOP/s.*bf16 matmul \S+ now: ([\d.]+) GFLOP/s",
                              line)
        if bf16_peak:
            figures["bf16 dot-product peak GFLOP/s"] = float(bf16_peak.group(1))
            figures["oneDNN bf16 matmul GFLOP/s"] = float(bf16_peak.group(2))
        match = re.match(r"^(cfg\w+)\s.*?([\d.]+) tok/s", line)
        if match:
            figures[f"{match.group(1)} tok/s"] = float(match.group(2))
    return figures


PARSERS = {
    "bench_attention_exact": exact_attention_figures,
    "bench_attention": attention_mode_figures,
    "bench_train_step": train_step_figures,
    "bench_kernels": kernel_figures,
}


def parse_variant(text):
    label, _, rest = text.partition("=")
    build, *settings = rest.split(",")
    extra_arguments = [setting[1:] for setting in settings if setting.startswith("+")]
    assignments = [setting for setting in settings if not setting.startswith("+")]
    if not label or not build or not all("=" in setting for setting in assignments):
        raise SystemExit(f"--variant {text}: expected LABEL=BUILD[,NAME=VALUE|,+ARGUMENT...]")
    return label, build, dict(setting.split("=", 1) for setting in assignments), extra_arguments


def command_for(build, bench, arguments):
    if Path(build).is_dir():
        return [str(Path(build) / bench), *arguments]
    if bench != "bench_train_step":
        raise SystemExit(f"{build}: not a build directory (an interpreter serves bench_train_step alone)")
    return [build, str(REPOSITORY / "bench" / "train_step_reference.py"), *arguments]


def run_once(command, environment):
    merged = {**os.environ, **environment}
    result = subprocess.run(command, env=merged, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {result.returncode}\n{result.stderr.strip()}")
    return result.stdout


def higher_is_better(key):
    return key.endswith(("tok/s", "GB/s", "GFLOP/s"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variant", action="append", required=True, type=parse_variant)
    parser.add_argument("bench", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    bench_command = options.bench[1:] if options.bench[:1] == ["--"] else options.bench
    if not bench_command or bench_command[0] not in PARSERS:
        raise SystemExit(f"expected one of {', '.join(PARSERS)} after --")
    bench, arguments = bench_command[0], bench_command[1:]

    # figures[label][key] = one value per round
    figures = {label: {} for label, *_ in options.variant}
    for round_number in range(options.rounds):
        for label, build, environment, extra_arguments in options.variant:
            output = run_once(command_for(build, bench, arguments + extra_arguments), environment)
            for key, value in PARSERS[bench](output).items():
                figures[label].setdefault(key, []).append(value)
        print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr)

    first = options.variant[0][0]
    labels = [label for label, *_ in options.variant]
    print("| figure | " + " | ".join(labels) + " |")
    print("|---" * (len(labels) + 1) + "|")
    keys = list(dict.fromkeys(key for label in labels for key in figures[label]))
    for key in keys:
        cells = [key]
        for label in labels:
            values = figures[label].get(key, [])
            if not values:
                cells.append("–")
                continue
            cell = f"{statistics.median(values):.4g} ({min(values):.4g}–{max(values):.4g})"
            if label != first and key in figures[first]:
                ratios = [(value / reference if higher_is_better(key) else reference / value)
                          for value, reference in zip(values, figures[first][key])]
                cell += f", {statistics.median(ratios):.2f}×"
            cells.append(cell)
        print("| " + " | ".join(cells) + " |")
    print(f"\n{options.rounds} interleaved rounds of {bench} {' '.join(arguments)}; median (range), and the median "
          f"of the per-round ratios to {first} (above 1: faster than {first}).")


if __name__ == "__main__":
    main()
