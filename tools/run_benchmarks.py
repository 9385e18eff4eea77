#!/usr/bin/env python3
"""`make bench`: swift-fcn against PyTorch on this machine, side by side, written to
docs/benchmarks.md.

For each configuration (model, size, batch, mode, precision) both frameworks run alternately
ROUNDS times (`fcn bench --model ... --json` and tools/bench_pytorch.py), so that load from
other processes hits both alike. The table gives the median over rounds of each run's median
step, its spread (min..max over rounds), images/s, the ratio ours/PyTorch, swift-fcn's share of
the machine's 3x3-conv limit (measured by `fcn bench` in the same process), and for training the
peak RSS of both processes and its ratio. bf16 rows run only where the CPU has bf16.
The "int8 inference" section times, in each swift-fcn run, the training graph in eval mode, the
folded fp32 inference network and its int8 quantisation side by side (`fcn bench --precision
int8`), alternating with PyTorch fp32 inference.

    python3 tools/run_benchmarks.py [--rounds 3] [--steps 10] [--out docs/benchmarks.md] [--int8-only]
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_conv import replace_section, run_lines  # noqa: E402

# (model, size, batch): the course net at two sizes and the paper's FCN-8s, 21 classes (VOC).
CONFIGS = [("course-fcn8", "256x256", 2), ("course-fcn8", "512x512", 1), ("fcn8s", "256x256", 2)]


def spread(values):
    return statistics.median(values), min(values), max(values)


def measure(args, model, size, batch, mode, dtype):
    ours, theirs = [], []
    common = ["--model", model, "--classes", "21", "--size", size, "--batch", str(batch), "--mode", mode]
    for _ in range(args.rounds):
        ours += run_lines([args.fcn, "bench", *common, "--steps", str(args.steps), "--warmup", "2",
                           "--precision", "bf16" if dtype == "bf16" else "fp32", "--json"])
        theirs += run_lines([sys.executable, os.path.join(HERE, "bench_pytorch.py"), *common,
                             "--repeats", str(args.steps)] + (["--bf16"] if dtype == "bf16" else []))
    # `--mode infer --precision bf16` also times folded fp32 beside bf16 (one record each): keep
    # the records of this row's type.
    want = "bf16" if dtype == "bf16" else "f32"
    return [r for r in ours if r.get("dtype", "f32") == want], theirs


def row(model, size, batch, mode, dtype, ours, theirs):
    os_, ts = [r["img_per_s"] for r in ours], [r["img_per_s"] for r in theirs]
    (mo, lo, hi), (mt, lt, ht) = spread(os_), spread(ts)
    pct = statistics.median(r["pct_of_limit"] for r in ours)
    # The host's speed drifts within a run; the fastest step of each side is the least disturbed.
    best = (batch / min(r["step_s_min"] for r in ours)) / (batch / min(r["step_s_min"] for r in theirs))
    rss_o = max(r["peak_rss_bytes"] for r in ours) / 2**20
    rss_t = max(r["peak_rss_bytes"] for r in theirs) / 2**20
    return (f"| {model} | {size} | {batch} | {mode} | {dtype} | {mo:.2f} ({lo:.2f}..{hi:.2f}) | "
            f"{mt:.2f} ({lt:.2f}..{ht:.2f}) | **{mo / mt:.2f}x** | {best:.2f}x | {pct:.0f}% | "
            f"{rss_o:.0f} | {rss_t:.0f} | {rss_o / rss_t:.2f} |")


def int8_rows(args, model, size, batch):
    """swift-fcn graph / folded fp32 / int8 (one process, interleaved) and PyTorch fp32 inference."""
    ours, theirs = [], []
    common = ["--model", model, "--classes", "21", "--size", size, "--batch", str(batch), "--mode", "infer"]
    for _ in range(args.rounds):
        ours += run_lines([args.fcn, "bench", *common, "--steps", str(args.steps), "--warmup", "2",
                           "--precision", "int8", "--json"])
        theirs += run_lines([sys.executable, os.path.join(HERE, "bench_pytorch.py"), *common,
                             "--repeats", str(args.steps)])
    by = {e: [r["img_per_s"] for r in ours if r.get("engine") == e] for e in ("graph", "folded", "int8")}
    (g, _, _), (f, _, _), (q, ql, qh), (t, _, _) = (spread(by["graph"]), spread(by["folded"]), spread(by["int8"]),
                                                    spread([r["img_per_s"] for r in theirs]))
    ratios = [i / fo for i, fo in zip(by["int8"], by["folded"])]
    gops = statistics.median(r["gflops"] for r in ours if r.get("engine") == "int8")
    pct_f = statistics.median(r["pct_of_limit"] for r in ours if r.get("engine") == "folded")
    pct_g = statistics.median(r["pct_of_limit"] for r in ours if r.get("engine") == "graph")
    return (f"| {model} | {size} | {batch} | {g:.2f} ({pct_g:.0f}%) | {f:.2f} ({pct_f:.0f}%) | {q:.2f} ({ql:.2f}..{qh:.2f}) | "
            f"{t:.2f} | **{statistics.median(ratios):.2f}x** ({min(ratios):.2f}..{max(ratios):.2f}) | "
            f"{q / t:.2f}x | {gops:.0f} |")


def int8_section(args, machine, torch):
    rows = []
    for model, size, batch in CONFIGS:
        if args.only and args.only not in model:
            continue
        rows.append(int8_rows(args, model, size, batch))
        print(rows[-1], flush=True)
    lines = [
        f"### int8 inference, 21 classes ({datetime.date.today()})",
        "",
        f"Machine: {machine.removeprefix('machine: ')}; PyTorch {torch.__version__} fp32.",
        f"Command: `python3 tools/run_benchmarks.py --rounds {args.rounds} --steps {args.steps}` (int8 section).",
        "swift-fcn's three engines run interleaved step by step in one process (`fcn bench --mode infer",
        "--precision int8`): graph = the training graph in eval mode (inference before issue 17), folded =",
        "BatchNorm folded into the convolutions (what `fcn eval|predict` run now), int8 = that network",
        "quantised (percentile scales from 4 synthetic images, every convolution int8).",
        "img/s: median over rounds (fp32 columns with their % of the fp32 3x3-conv limit); int8/folded: median",
        "of the per-round ratios (min..max); GOP/s: int8's multiply-adds x2 per second.",
        "",
        "| model | size | batch | graph fp32 img/s | folded fp32 img/s | int8 img/s | PyTorch fp32 img/s "
        "| int8 / folded fp32 | int8 / PyTorch | int8 GOP/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    replace_section(args.out, "### int8 inference", section)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per run (>= 3)")
    ap.add_argument("--fcn", default=os.path.join(HERE, "..", ".build", "release", "fcn"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "benchmarks.md"))
    ap.add_argument("--only", help="run only configurations whose model name contains this")
    ap.add_argument("--int8-only", action="store_true", help="run only the int8 inference section")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("error: PyTorch is needed for the baseline: pip install torch==2.13.0 numpy (CPU build)")
    if not os.path.exists(args.fcn):
        sys.exit(f"error: {args.fcn} not found: run `make build` first")

    machine = subprocess.run([args.fcn, "bench", "--op", "conv", "--repeats", "1", "--warmup", "0"],
                             capture_output=True, text=True).stdout.splitlines()[0]
    bf16 = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    dtypes = ["fp32", "bf16"] if bf16 else ["fp32"]
    if args.int8_only:
        int8_section(args, machine, torch)
        return
    rows = []
    for model, size, batch in CONFIGS:
        if args.only and args.only not in model:
            continue
        for mode in ("infer", "train"):
            for dtype in dtypes:
                ours, theirs = measure(args, model, size, batch, mode, dtype)
                rows.append(row(model, size, batch, mode, dtype, ours, theirs))
                print(rows[-1], flush=True)

    lines = [
        f"### Whole models, 21 classes ({datetime.date.today()})",
        "",
        f"Machine: {machine.removeprefix('machine: ')}; PyTorch {torch.__version__} "
        f"(threads {torch.get_num_threads()}); bf16: {'yes' if bf16 else 'not on this CPU (fp32 only)'}.",
        f"Command: `make bench` = `python3 tools/run_benchmarks.py --rounds {args.rounds} --steps {args.steps}`.",
        "Each cell: median over alternating rounds of each run's median step, as images/s, with the",
        "spread (min..max over rounds). Inference: eval mode, no autograd. Training: forward,",
        "cross-entropy, backward, SGD momentum step. `% of limit`: swift-fcn's GFLOP/s (training counts",
        "forward + backward-data + backward-weights) over the 3x3-conv limit `fcn bench` measures in the",
        "same process. Best-step ratio: fastest single step of each side (the host's speed drifts; this is",
        "the least disturbed comparison). Peak RSS: the whole process's (getrusage), MiB, largest over rounds.",
        "",
        "| model | size | batch | mode | dtype | swift-fcn img/s | PyTorch img/s | ratio | best-step ratio | % of limit "
        "| swift-fcn RSS | PyTorch RSS | RSS ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    replace_section(args.out, "### Whole models", section)
    int8_section(args, machine, torch)
    # Data-parallel row (issue 15): mpirun -np 2 x 1 thread against 1 process x 2 threads.
    if shutil.which("mpirun") and not args.only:
        subprocess.run([sys.executable, os.path.join(HERE, "bench_data_parallel.py"), "--fcn", args.fcn,
                        "--out", args.out], check=True)

if __name__ == "__main__":
    main()
