#!/usr/bin/env python3
"""Data-parallel training speed on this machine: `mpirun -np 2 fcn train` with one math thread
per process against one process with two threads, same global batch, interleaved rounds (so
that load from other processes hits both alike), plus the 2-process run with the all-reduce
after backward instead of overlapped with it (FCN_ALLREDUCE_OVERLAP=0), which measures how much
of the reduction the overlap hides. Images/s and the all-reduce wait come from each run's
log.jsonl step records (the first `--warmup` steps dropped: primitive creation, first touches).

    python3 tools/bench_data_parallel.py [--rounds 3] [--steps 6] [--out docs/benchmarks.md]

Writes the section "### Data-parallel training" of the output file (make bench runs it through
tools/run_benchmarks.py).
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_conv import replace_section  # noqa: E402

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]


def train(fcn, run, processes, threads, args, overlap=True):
    """One training run; returns (median img/s over the timed steps, median all-reduce wait s)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    if not overlap:
        env["FCN_ALLREDUCE_OVERLAP"] = "0"
    cmd = [fcn, "train", "--model", args.model, "--classes", "21", "--data", "synthetic:16",
           "--synthetic-size", args.size, "--batch", str(args.batch), "--steps", str(args.steps + args.warmup),
           "--checkpoint-every", "0", "--workers", "1", "--run", run]
    if processes > 1:
        forward = ["-x", "OMP_NUM_THREADS", "-x", "OMP_WAIT_POLICY"] + ([] if overlap else ["-x", "FCN_ALLREDUCE_OVERLAP"])
        cmd = MPIRUN + ["-np", str(processes)] + forward + cmd
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    steps = [json.loads(l) for l in open(os.path.join(run, "log.jsonl")) if '"img_per_s"' in l]
    timed = steps[args.warmup:]
    shutil.rmtree(run, ignore_errors=True)
    rate = statistics.median(s["img_per_s"] for s in timed)
    wait = statistics.median(s.get("allreduce_wait_s", 0.0) for s in timed)
    return rate, wait


def spread(xs):
    return f"{statistics.median(xs):.3f} ({min(xs):.3f}..{max(xs):.3f})"


def measure(args):
    tmp = tempfile.mkdtemp(prefix="fcn-dp-bench-")
    one, two, two_blocking = [], [], []
    for r in range(args.rounds):
        one.append(train(args.fcn, os.path.join(tmp, "one"), 1, 2, args))
        two.append(train(args.fcn, os.path.join(tmp, "two"), 2, 1, args))
        two_blocking.append(train(args.fcn, os.path.join(tmp, "blocking"), 2, 1, args, overlap=False))
        print(f"round {r + 1}: 1×2 threads {one[-1][0]:.3f} img/s; 2×1 thread {two[-1][0]:.3f} img/s "
              f"(wait {two[-1][1]:.3f} s); 2×1 blocking {two_blocking[-1][0]:.3f} img/s "
              f"(wait {two_blocking[-1][1]:.3f} s)", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return one, two, two_blocking


def section(args, one, two, two_blocking):
    ratios = [t[0] / o[0] for o, t in zip(one, two)]
    hidden = [1 - t[1] / b[1] if b[1] > 0 else 0 for t, b in zip(two, two_blocking)]
    lines = [
        f"### Data-parallel training ({datetime.date.today()})",
        "",
        f"`{args.model}` {args.size}, global batch {args.batch}, 21 classes; {args.rounds} interleaved rounds of "
        f"{args.steps} timed steps (after {args.warmup} warm-up steps); median (min..max) over rounds of each run's "
        "median step. Command: `python3 tools/bench_data_parallel.py "
        f"--rounds {args.rounds} --steps {args.steps}` (part of `make bench`). The machine was shared with "
        "other builds while this ran: compare the columns of one round, not rows of different days.",
        "",
        "| run | img/s | all-reduce wait per step (s) |",
        "|---|---|---|",
        f"| 1 process, 2 threads | {spread([o[0] for o in one])} | — |",
        f"| `mpirun -np 2`, 1 thread each, all-reduce overlapped with backward | {spread([t[0] for t in two])} "
        f"| {spread([t[1] for t in two])} |",
        f"| `mpirun -np 2`, 1 thread each, all-reduce after backward | {spread([t[0] for t in two_blocking])} "
        f"| {spread([t[1] for t in two_blocking])} |",
        "",
        f"2 processes / 1 process, per round: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(median **{statistics.median(ratios):.2f}x**). Share of the all-reduce wait hidden by the overlap, "
        f"per round: {', '.join(f'{h:.0%}' for h in hidden)}.",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--model", default="course-fcn8")
    ap.add_argument("--size", default="256x256")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--fcn", default=os.path.join(HERE, "..", ".build", "release", "fcn"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "benchmarks.md"))
    args = ap.parse_args()
    if shutil.which("mpirun") is None:
        sys.exit("error: mpirun not found (scripts/setup installs Open MPI)")
    text = section(args, *measure(args))
    print(text)
    replace_section(args.out, "### Data-parallel training", text)


if __name__ == "__main__":
    main()
