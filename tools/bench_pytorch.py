#!/usr/bin/env python3
"""PyTorch CPU baseline for swift-fcn's `fcn bench`: same op shapes, same output format, so the
two can be compared line by line on one machine.

  python3 tools/bench_pytorch.py [--bf16] [--repeats 10]
      3x3 conv (N=2, 256->256, 64x64, pad 1, stride 1): fwd, bwd_data, bwd_weights.
  python3 tools/bench_pytorch.py --model course-fcn8 --size 256x256 --batch 2 --mode infer|train
      the course's FCN class (shared/reference/seed_fcn.py) end to end; --model fcn8s runs the
      paper's FCN-8s (tools/paper_fcn.py).

Prints one JSON object per line on stdout; context (versions, threads, ISA) goes to stderr.
Uses all cores: torch.set_num_threads(os.cpu_count()).
"""
import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEFAULT_SEED_FCN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "shared", "reference", "seed_fcn.py")


def bf16_supported():
    # PyTorch runs bf16 convs on oneDNN only where the CPU has native bf16 (AVX-512 BF16 / AMX);
    # elsewhere it would emulate slowly, which is not a number worth reporting.
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def time_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def bench_conv(dtype_name, warmup, repeats):
    n, c, h, w = 2, 256, 64, 64
    flops = 2 * n * c * h * w * c * 9  # 2·N·Cout·H·W·Cin·k², stride 1 and pad 1 keep H×W
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w, requires_grad=True)
    weight = (torch.randn(c, c, 3, 3) * 0.02).requires_grad_()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype_name == "bf16")

    def forward():
        with torch.no_grad(), autocast:
            F.conv2d(x, weight, padding=1)

    # One graph, reused: autograd.grad with a single input runs only that half of the conv
    # backward (grad_input_mask), so each pass is timed on its own, as a trainer would run it.
    with autocast:
        y = F.conv2d(x, weight, padding=1)
    grad_y = torch.randn_like(y)

    def backward_data():
        torch.autograd.grad(y, x, grad_y, retain_graph=True)

    def backward_weights():
        torch.autograd.grad(y, weight, grad_y, retain_graph=True)

    for name, fn in (("fwd", forward), ("bwd_data", backward_data),
                     ("bwd_weights", backward_weights)):
        ms = time_ms(fn, warmup, repeats)
        median = statistics.median(ms)
        print(json.dumps({
            "framework": "pytorch", "op": "conv3x3", "pass": name, "dtype": dtype_name,
            "ms_median": round(median, 3), "ms_min": round(min(ms), 3),
            "ms_max": round(max(ms), 3), "gflops": round(flops / (median * 1e-3) / 1e9, 1),
        }), flush=True)


def load_seed_fcn(path):
    spec = importlib.util.spec_from_file_location("seed_fcn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_model(args, height, width):
    if args.model == "fcn8s":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import paper_fcn
        torch.manual_seed(0)
        return paper_fcn.PaperFCN8s(args.classes)
    resolution = int(args.model.removeprefix("course-fcn"))
    if resolution != 32 and (height % 32 or width % 32):
        # The seed class's skip additions fail otherwise (250x250: 14 vs 15 at pool4).
        sys.exit(f"error: {args.model} needs sides that are multiples of 32, got {args.size}")
    seed_fcn = load_seed_fcn(args.course_fcn)
    factory = {8: seed_fcn.FCN8, 16: seed_fcn.FCN16, 32: seed_fcn.FCN32}[resolution]
    torch.manual_seed(0)
    return factory(args.classes)  # FCN8/16/32(num_class): the class count is the only argument


def bench_model(args):
    height, width = (int(s) for s in args.size.lower().split("x"))
    model = make_model(args, height, width)
    x = torch.randn(args.batch, 3, height, width)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)

    if args.mode == "infer":
        model.eval()

        def step():
            with torch.inference_mode(), autocast:
                model(x)
    else:
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        with torch.no_grad():
            out_h, out_w = model(x).shape[-2:]  # the seed's FCN-32 output need not equal the input
        target = torch.randint(0, args.classes, (args.batch, out_h, out_w))

        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = F.cross_entropy(model(x), target)
            loss.backward()
            optimizer.step()

    ms = time_ms(step, args.model_warmup, args.repeats)
    step_s = statistics.median(ms) / 1e3
    print(json.dumps({
        "framework": "pytorch", "model": args.model, "mode": args.mode,
        "dtype": "bf16" if args.bf16 else "f32", "batch": args.batch, "size": args.size,
        "classes": args.classes, "img_per_s": round(args.batch / step_s, 3),
        "step_s_median": round(step_s, 4), "step_s_min": round(min(ms) / 1e3, 4),
        # ru_maxrss is KiB on Linux: the process's peak, model and activations included.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bf16", action="store_true", help="also run bf16 (autocast) where supported")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats (>= 3)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed conv warm-up runs")
    parser.add_argument("--model", choices=["course-fcn8", "course-fcn16", "course-fcn32", "fcn8s"])
    parser.add_argument("--size", default="256x256", help="HxW of the model input")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--mode", choices=["infer", "train"], default="infer")
    # 11 = background + the 10 categories of the 2021 recycling (trash) data set of the seed note.
    parser.add_argument("--classes", type=int, default=11, help="number of classes")
    parser.add_argument("--model-warmup", type=int, default=2, help="untimed model steps")
    parser.add_argument("--course-fcn", default=DEFAULT_SEED_FCN, help="path of seed_fcn.py")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")

    torch.set_num_threads(os.cpu_count())
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"ISA {torch.backends.cpu.get_cpu_capability()}, bf16 supported: {bf16_supported()}",
          file=sys.stderr)
    if args.bf16 and not bf16_supported():
        print("# --bf16 skipped: this CPU has no native bf16 in PyTorch/oneDNN; f32 only",
              file=sys.stderr)
        args.bf16 = False

    if args.model:
        bench_model(args)
    else:
        bench_conv("f32", args.warmup, args.repeats)
        if args.bf16:
            bench_conv("bf16", args.warmup, args.repeats)


if __name__ == "__main__":
    main()
