#!/usr/bin/env python3
"""The cost model of docs/scaling.md: one data-parallel training step on N machines.

    T(N) = T_compute + exposed(T_allreduce(N))
    T_allreduce(N) = 2 (N-1)/N * G / B  +  2 (N-1) * buckets * alpha      (ring all-reduce)
    exposed(T) = max(0, T - hidden),   hidden = min(T, overlap * T_backward)

T_compute: one machine's measured step at its share of the batch (weak scaling: each machine
keeps its batch, the global batch grows with N). G: gradient bytes (trainable parameters x 4, from
`fcn info`). B: link bandwidth. alpha: per-message latency. buckets: G / 4 MiB (the bucket size of
Sources/Distributed/GradientBuckets.swift). T_backward = 2/3 T_compute (backward costs about
twice forward). overlap: the share of backward during which the all-reduce can proceed (1 = all
of it, the ideal; 0 = reduce after backward). Efficiency = T_compute / T(N).

    python3 tools/scaling_table.py --compute course-fcn8=2.5 --compute fcn8s=6.9 \
        --gradient course-fcn8=41398115 --gradient fcn8s=134362751 [--alpha-us 20] [--overlap 0 1]
"""
import argparse


def step(n, compute, grad_bytes, gbps, alpha, overlap):
    if n == 1:
        return compute
    buckets = max(1, round(grad_bytes / (4 << 20)))
    comm = 2 * (n - 1) / n * grad_bytes / (gbps * 1e9 / 8) + 2 * (n - 1) * buckets * alpha
    hidden = min(comm, overlap * 2 / 3 * compute)
    return compute + comm - hidden


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compute", action="append", required=True, help="MODEL=seconds per step on one machine")
    ap.add_argument("--gradient", action="append", required=True, help="MODEL=trainable parameters")
    ap.add_argument("--alpha-us", type=float, default=20.0)
    ap.add_argument("--overlap", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--bandwidths", type=float, nargs="+", default=[10, 25, 100])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    args = ap.parse_args()
    compute = {k: float(v) for k, v in (c.split("=") for c in args.compute)}
    params = {k: int(v) for k, v in (g.split("=") for g in args.gradient)}
    alpha = args.alpha_us * 1e-6
    for model in compute:
        g = 4 * params[model]
        print(f"**{model}**: step {compute[model]:.2f} s on one machine, gradient {g / 1e6:.0f} MB "
              f"({round(g / (4 << 20))} buckets). Efficiency T_compute / T(N), "
              + " / ".join(f"overlap {o:g}" for o in args.overlap) + " in each cell.\n")
        print("| N | " + " | ".join(f"{b:g} Gb/s" for b in args.bandwidths) + " |")
        print("|---|" + "---|" * len(args.bandwidths))
        for n in args.sizes:
            cells = []
            for b in args.bandwidths:
                effs = [compute[model] / step(n, compute[model], g, b, alpha, o) for o in args.overlap]
                cells.append(" / ".join(("**" if e < 0.8 else "") + f"{e:.0%}" + ("**" if e < 0.8 else "")
                                        for e in effs))
            print(f"| {n} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
