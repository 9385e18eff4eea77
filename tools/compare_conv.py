#!/usr/bin/env python3
"""Side-by-side 3x3 conv benchmark: swift-fcn (`fcn bench --op conv --json`) and PyTorch
(tools/bench_pytorch.py), alternating ROUNDS times on the same machine, so that load from other
processes hits both alike. Prints a Markdown table of the median over rounds of each run's
median, with the spread (min..max of the round medians), and the ratio ours/PyTorch.

    python3 tools/compare_conv.py [--rounds 5] [--fcn .build/release/fcn] [--out docs/benchmarks.md]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


DOC_HEADER = ("# Benchmarks\n\nAll numbers are measured side by side in one run on one machine; the machine is\n"
              "shared and noisy, so each is a median over alternating rounds with its spread.\n\n")


def replace_section(path, marker, section):
    """Writes `section` (starting with the heading `marker`) into the Markdown file at `path`,
    replacing an older section with that heading and keeping every other section."""
    text = open(path).read() if os.path.exists(path) else DOC_HEADER
    if marker in text:
        start = text.index(marker)
        nxt = text.find("\n### ", start + 1)
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--fcn", default=os.path.join(HERE, "..", ".build", "release", "fcn"))
    ap.add_argument("--out", help="write the table into this Markdown file (section 'conv3x3')")
    args = ap.parse_args()

    medians = {}  # (framework, pass) -> [round medians]
    for _ in range(args.rounds):
        for cmd in ([args.fcn, "bench", "--op", "conv", "--json", "--repeats", str(args.repeats)],
                    [sys.executable, os.path.join(HERE, "bench_pytorch.py"), "--repeats", str(args.repeats)]):
            for r in run_lines(cmd):
                medians.setdefault((r["framework"], r["pass"]), []).append(r["gflops"])

    import torch
    isa = subprocess.run([args.fcn, "bench", "--op", "conv", "--repeats", "1", "--warmup", "0"],
                         capture_output=True, text=True).stdout.splitlines()[0]
    lines = [
        f"### 3x3 convolution, N=2, 256->256, 64x64, fp32 ({datetime.date.today()})",
        "",
        f"Machine: {isa.removeprefix('machine: ')}; PyTorch {torch.__version__}.",
        f"Command: `python3 tools/compare_conv.py --rounds {args.rounds}` (alternating runs; each run",
        f"times {args.repeats} repeats; table: median over rounds of each run's median, spread = min..max).",
        "",
        "| pass | swift-fcn GFLOP/s | PyTorch GFLOP/s | ratio |",
        "|---|---|---|---|",
    ]
    for p in ("fwd", "bwd_data", "bwd_weights"):
        ours, theirs = medians[("swift-fcn", p)], medians[("pytorch", p)]
        mo, mt = statistics.median(ours), statistics.median(theirs)
        lines.append(f"| {p} | {mo:.1f} ({min(ours):.0f}..{max(ours):.0f}) | {mt:.1f} ({min(theirs):.0f}..{max(theirs):.0f}) | {mo / mt:.2f}x |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        replace_section(args.out, "### 3x3 convolution", table)

if __name__ == "__main__":
    main()
