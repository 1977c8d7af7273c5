"""Interleaved rounds of the data-parallel benchmark: the same training step
(cfgA or cfgB, two micro-batches) in one process of two threads and in two
processes of one thread under mpirun, alternately, so that the machine's load
touches both alike. Prints each variant's median tokens/s, the median of the
per-round ratios (two processes over one), and the two processes' median
gradient sum and wait for the slowest; then the allreduce figures and the
scale-out projection of the last round.

usage: python3 bench/data_parallel.py [--build build] [--rounds 5] [--steps 6] [--config cfgA|cfgB]
"""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
STEP = re.compile(r"^(cfg\w+) .*?([\d.]+) ms/step\s+(\d+) tok/s; gradient sum ([\d.]+) ms .*?"
                  r"waiting for the slowest process ([\d.]+) ms")


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def steps_of(output):
    figures = {}
    for line in output.splitlines():
        match = STEP.match(line)
        if match:
            figures[match.group(1)] = {"tok/s": float(match.group(3)), "sum ms": float(match.group(4)),
                                       "wait ms": float(match.group(5))}
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--config", default="")
    arguments = parser.parse_args()
    bench = str(REPOSITORY / arguments.build / "bench_data_parallel")
    common = ["--micro-batches", "2", "--steps", str(arguments.steps), "--config", arguments.config]
    alone = [bench, "--threads", "2"] + common
    pair = ["mpirun", "--allow-run-as-root", "-np", "2", bench, "--threads", "1"] + common
    rounds = []
    last_pair_output = ""
    for number in range(arguments.rounds):
        one = steps_of(run(alone))
        last_pair_output = run(pair)
        two = steps_of(last_pair_output)
        rounds.append((one, two))
        print(f"round {number + 1}: " + "; ".join(
            f"{name} {one[name]['tok/s']:.0f} / {two[name]['tok/s']:.0f} tok/s" for name in one), flush=True)
    print("\n| config | 1 process x 2 threads | 2 processes x 1 thread | ratio (rounds) | gradient sum | "
          "waiting for the slowest |")
    print("|---|---|---|---|---|---|")
    for name in rounds[0][0]:
        one = [r[0][name]["tok/s"] for r in rounds]
        two = [r[1][name]["tok/s"] for r in rounds]
        ratios = [b / a for a, b in zip(one, two)]
        sums = [r[1][name]["sum ms"] for r in rounds]
        waits = [r[1][name]["wait ms"] for r in rounds]
        print(f"| {name} | {statistics.median(one):.0f} tok/s | {statistics.median(two):.0f} tok/s | "
              f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{statistics.median(sums):.1f} ms | {statistics.median(waits):.1f} ms |")
    print("\nlast round, 2 processes:")
    print("\n".join(line for line in last_pair_output.splitlines() if not STEP.match(line)))


if __name__ == "__main__":
    main()
