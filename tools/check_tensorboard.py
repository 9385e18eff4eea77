#!/usr/bin/env python3
"""Reads a run's TensorBoard files (runs/X/tb/) back with TensorBoard's own EventAccumulator and
compares every scalar with log.jsonl (and the last per-class IoUs with metrics.json): same
steps, same values (as float32, TensorBoard's simple_value type), nothing missing, nothing extra;
the confusion matrix and sample images are there and decode to the sizes recorded.

    pip install tensorboard
    python3 tools/check_tensorboard.py runs/demo
"""
import io
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# log.jsonl key → TensorBoard tag (Training/TensorBoardSink.swift uses the same table).
TAGS = {"loss": "train/loss", "lr": "train/lr", "img_per_s": "train/img_per_s", "val_miou": "val/miou",
        "val_pixel_acc": "val/pixel_acc", "val_mean_acc": "val/mean_acc", "val_fwiou": "val/fwiou"}


def png_size(data):
    """(width, height) from the PNG's IHDR chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    run = sys.argv[1]
    acc = EventAccumulator(os.path.join(run, "tb"), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    expected = defaultdict(list)
    with open(os.path.join(run, "log.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            for key, tag in TAGS.items():
                if key in record:
                    v = record[key]
                    expected[tag].append((record["step"], float("nan") if v is None else v))
    problems = []
    compared = 0
    for tag, want in sorted(expected.items()):
        got = [(e.step, e.value) for e in acc.Scalars(tag)] if tag in tags["scalars"] else []
        if len(got) != len(want):
            problems.append(f"{tag}: {len(got)} values in TensorBoard, {len(want)} in log.jsonl")
            continue
        for (gs, gv), (ws, wv) in zip(got, want):
            same = (math.isnan(gv) and math.isnan(wv)) or np.float32(gv) == np.float32(wv)
            if gs != ws or not same:
                problems.append(f"{tag}: TensorBoard step {gs} = {gv!r}, log.jsonl step {ws} = {wv!r}")
            compared += 1
    extra = [t for t in tags["scalars"] if t not in expected and not t.startswith("val_iou/")]
    if extra:
        problems.append(f"scalars TensorBoard has that log.jsonl does not: {extra}")
    metrics = json.load(open(os.path.join(run, "metrics.json")))
    names = metrics.get("classNames") or [f"class{k}" for k in range(len(metrics["perClassIoU"]))]
    for name, iou in zip(names, metrics["perClassIoU"]):
        tag = "val_iou/" + name
        if iou is None:
            continue
        if tag not in tags["scalars"]:
            problems.append(f"{tag} missing")
            continue
        last = acc.Scalars(tag)[-1].value
        if np.float32(last) != np.float32(iou):
            problems.append(f"{tag}: last {last!r}, metrics.json {iou!r}")
        compared += 1
    images = tags["images"]
    for tag in images:
        for e in acc.Images(tag):
            if png_size(e.encoded_image_string) != (e.width, e.height):
                problems.append(f"{tag}: PNG size {png_size(e.encoded_image_string)} vs recorded {(e.width, e.height)}")
    if "val/confusion" not in images:
        problems.append("no val/confusion image")
    samples = [t for t in images if t.startswith("samples/")]
    if not samples:
        problems.append("no samples/ images")
    for p in problems:
        print("MISMATCH", p)
    print(f"{run}: {compared} scalars compared ({len(expected)} log.jsonl series, "
          f"{sum(t.startswith('val_iou/') for t in tags['scalars'])} per-class IoU tags), "
          f"{len(images)} image tags ({len(samples)} samples), {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
