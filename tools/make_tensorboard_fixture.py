"""Writes Tests/InteropTests/Fixtures/tensorboard/: an event file written by TensorBoard's own
writer (tensorboard.summary.writer.event_file_writer.EventFileWriter) and events.json, the same
events as data. TensorBoardFormatTests (Swift) encodes events.json with swift-fcn's writer and
requires the very same bytes.

    pip install tensorboard
    python3 tools/make_tensorboard_fixture.py

The writer stamps its first record (file_version) with time.time(); the script fixes the clock
so the file is reproducible. The events cover what fcn train logs: scalars (including 0.0,
negative, NaN-free values, a step of 0 and a step past 2^31), and a PNG image."""
import base64
import glob
import json
import os
import shutil
import tempfile
import zlib
import struct

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer import event_file_writer

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "Tests", "InteropTests", "Fixtures", "tensorboard")
WALL = 1_700_000_000.25


def tiny_png():
    """A 3x2 RGB PNG, made by hand (its bytes only have to be fixed, not pretty)."""
    w, h = 3, 2
    raw = b"".join(b"\x00" + bytes((40 * x + 80 * y) % 256 for x in range(w) for _ in range(3)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")), h, w


def main():
    png, h, w = tiny_png()
    events = [
        {"wall_time": WALL + 1, "step": 1, "values": [
            {"tag": "train/loss", "scalar": 2.5}, {"tag": "train/lr", "scalar": 0.01},
            {"tag": "train/img_per_s", "scalar": 17.125}]},
        {"wall_time": WALL + 2, "step": 0, "values": [{"tag": "val/miou", "scalar": 0.0}]},
        {"wall_time": WALL + 3.5, "step": 2**33 + 5, "values": [
            {"tag": "val_iou/background", "scalar": -1.5e-7}, {"tag": "val_iou/class 1 ✓", "scalar": 0.333333}]},
        {"wall_time": WALL + 4, "step": 40, "values": [
            {"tag": "val/confusion", "image": {"height": h, "width": w, "colorspace": 3,
                                               "png_base64": base64.b64encode(png).decode()}}]},
    ]
    tmp = tempfile.mkdtemp()
    real_time = event_file_writer.time.time
    event_file_writer.time.time = lambda: WALL
    try:
        writer = event_file_writer.EventFileWriter(tmp)
    finally:
        event_file_writer.time.time = real_time
    for e in events:
        values = []
        for v in e["values"]:
            if "scalar" in v:
                values.append(summary_pb2.Summary.Value(tag=v["tag"], simple_value=v["scalar"]))
            else:
                i = v["image"]
                values.append(summary_pb2.Summary.Value(tag=v["tag"], image=summary_pb2.Summary.Image(
                    height=i["height"], width=i["width"], colorspace=i["colorspace"],
                    encoded_image_string=base64.b64decode(i["png_base64"]))))
        writer.add_event(event_pb2.Event(wall_time=e["wall_time"], step=e["step"],
                                         summary=summary_pb2.Summary(value=values)))
    writer.close()
    [path] = glob.glob(os.path.join(tmp, "events.out.tfevents.*"))
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(path, os.path.join(OUT, "reference.tfevents"))
    with open(os.path.join(OUT, "events.json"), "w") as f:
        json.dump({"file_version_wall_time": WALL, "events": events}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(tmp)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
