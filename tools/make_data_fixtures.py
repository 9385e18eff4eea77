#!/usr/bin/env python3
"""Writes the SegData test fixtures under Tests/SegDataTests/Fixtures/.

Expected values come from independent tools: Pillow writes PNG layouts our encoder does not
(16-bit gray, RGBA, 4-bit palette), and pycocotools' annToMask rasterizes the COCO annotations
(the masks our Swift rasterizer must reproduce pixel for pixel).

    pip install pycocotools pillow numpy
    python3 tools/make_data_fixtures.py
"""
import json
import os

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SegDataTests", "Fixtures")


def voc_palette():
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def codecs():
    d = os.path.join(ROOT, "codecs")
    os.makedirs(d, exist_ok=True)
    # 16-bit grayscale label values 0,1,2,3,250,255 (3x2).
    a = np.array([[0, 1, 2], [3, 250, 255]], dtype=np.uint16)
    Image.fromarray(a).save(os.path.join(d, "gray16.png"))
    # RGBA 2x1.
    a = np.array([[[10, 20, 30, 255], [200, 100, 50, 7]]], dtype=np.uint8)
    Image.fromarray(a).save(os.path.join(d, "rgba.png"))
    # 4-bit palette 17x1 (odd width exercises row padding of packed samples).
    a = np.array([list(range(16)) + [1]], dtype=np.uint8)
    im = Image.fromarray(a).convert("P")
    im.putpalette(voc_palette()[: 16 * 3])
    im.save(os.path.join(d, "palette4.png"), bits=4)
    # 1-bit grayscale 10x3 (each row padded to 2 bytes): a checkerboard of 0/1.
    a = (np.indices((3, 10)).sum(0) % 2).astype(bool)
    Image.fromarray(a).save(os.path.join(d, "gray1.png"))


def coco():
    """A tiny COCO set whose expected masks come from pycocotools' annToMask."""
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    d = os.path.join(ROOT, "coco")
    os.makedirs(os.path.join(d, "images", "sub"), exist_ok=True)
    os.makedirs(os.path.join(d, "expected"), exist_ok=True)
    rng = np.random.RandomState(1234)
    images = [
        {"id": 3, "file_name": "a.png", "width": 37, "height": 29},
        {"id": 1, "file_name": "sub/b.jpg", "width": 24, "height": 20},
        {"id": 7, "file_name": "c.png", "width": 16, "height": 12},
        {"id": 11, "file_name": "d.png", "width": 50, "height": 40},
    ]
    for im in images:
        px = rng.randint(0, 256, size=(im["height"], im["width"], 3)).astype(np.uint8)
        Image.fromarray(px).save(os.path.join(d, "images", im["file_name"]))
    # Category ids out of order and with gaps: class id = 1 + position by sorted id.
    categories = [{"id": 9, "name": "bottle"}, {"id": 2, "name": "paper"}, {"id": 5, "name": "can"}]
    anns = []

    def add(image_id, cat, seg, iscrowd=0, area=None):
        anns.append({"id": 100 + len(anns), "image_id": image_id, "category_id": cat,
                     "segmentation": seg, "iscrowd": iscrowd, "bbox": [0, 0, 1, 1]})
        if area is not None:
            anns[-1]["area"] = area

    # Image 3: hand-made polygons: fractional, concave, bow-tie (self-intersecting), partly
    # outside, repeated points, a tiny one, and a two-part object; plus random polygons.
    add(3, 2, [[2.3, 1.7, 30.6, 3.2, 33.9, 25.1, 4.4, 27.8]])
    add(3, 5, [[5, 5, 20, 5, 20, 20, 12, 10, 5, 20]])
    add(3, 9, [[8, 8, 18, 18, 18, 8, 8, 18]])
    add(3, 5, [[-4.2, -3, 10, 2, 6, 40]])
    add(3, 9, [[25, 3, 25, 3, 31, 9, 31, 9, 27, 14]])
    add(3, 2, [[14.2, 14.1, 15.1, 14.3, 14.6, 15.2]])
    add(3, 9, [[1, 22, 6, 22, 6, 27], [28, 18, 36, 18, 36.9, 28.9, 28, 28]])
    for _ in range(12):
        n = rng.randint(3, 9)
        cx, cy = rng.uniform(0, 37), rng.uniform(0, 29)
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(1, 12, n)
        poly = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1).round(2).ravel().tolist()
        add(3, int(rng.choice([2, 5, 9])), [poly])
    # Image 1: compressed RLE (string counts) and a crowd region as uncompressed counts.
    m = np.zeros((20, 24), dtype=np.uint8, order="F")
    m[3:15, 2:9] = 1
    m[10:18, 12:22] = 1
    rle = mask_utils.encode(m)
    add(1, 5, {"size": [20, 24], "counts": rle["counts"].decode("ascii")}, area=float(m.sum()))
    m2 = (rng.uniform(size=(20, 24)) < 0.3).astype(np.uint8)
    flat = m2.ravel(order="F")
    counts, cur, run = [], 0, 0
    for v in flat:
        if v != cur:
            counts.append(run)
            run, cur = 0, v
        run += 1
    counts.append(run)
    add(1, 2, {"size": [20, 24], "counts": [int(c) for c in counts]}, iscrowd=1, area=float(m2.sum()))
    add(1, 9, [[0, 0, 23.5, 0, 23.5, 19.5, 0, 19.5]])
    # Image 7 has no annotations: all background.
    # Image 11: many random polygons on coarse grids (0.5 and 0.1 steps put vertices exactly on
    # pixel centres and edges, where maskApi's rounding decides), some reaching outside.
    for j in range(40):
        n = rng.randint(3, 12)
        step = [0.5, 0.1, 1.0][j % 3]
        pts = np.round(rng.uniform(-6, 56, (n, 2)) / step) * step
        if j % 4 == 0:  # a small local polygon instead of one spanning the image
            pts = np.round((rng.uniform(0, 6, (n, 2)) + rng.uniform(0, 44, 2)) / step) * step
        add(11, int(rng.choice([2, 5, 9])), [[round(float(v), 2) for v in pts.ravel()]])

    ann_path = os.path.join(d, "annotations.json")
    with open(ann_path, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": categories}, f)

    # Expected output via pycocotools: per-annotation masks stacked vertically (0/1), and the
    # label map painted in descending area (pycocotools' "area" when missing: rle area).
    coco = COCO(ann_path)
    cat_ids = sorted(c["id"] for c in categories)
    for im in images:
        ids = coco.getAnnIds(imgIds=[im["id"]])
        ann_list = coco.loadAnns(ids)
        h, w = im["height"], im["width"]
        stem = os.path.splitext(im["file_name"])[0].replace("/", "_")
        if ann_list:
            stack = np.concatenate([coco.annToMask(a) for a in ann_list], 0).astype(np.uint8)
            Image.fromarray(stack).save(os.path.join(d, "expected", "anns_%s.png" % stem))
        label = np.zeros((h, w), dtype=np.uint8)
        def area_of(a):
            return a["area"] if "area" in a else float(mask_utils.area(coco.annToRLE(a)))
        order = sorted(range(len(ann_list)), key=lambda i: (-area_of(ann_list[i]), i))
        for i in order:
            a = ann_list[i]
            label[coco.annToMask(a) == 1] = 1 + cat_ids.index(a["category_id"])
        Image.fromarray(label).save(os.path.join(d, "expected", "label_%s.png" % stem))


def save_palette(a, path):
    # Build the "P" image from raw bytes so the values are the palette indices exactly.
    im = Image.frombytes("P", (a.shape[1], a.shape[0]), a.astype(np.uint8).tobytes())
    im.putpalette(voc_palette())
    im.save(path)


def trees():
    """Tiny folder/, voc/ and cityscapes/ trees with masks known by construction."""
    rng = np.random.RandomState(99)
    # folder: 3 images (png, jpg, png), masks as palette, gray, palette; classes.txt; splits.
    d = os.path.join(ROOT, "folder")
    os.makedirs(os.path.join(d, "images"), exist_ok=True)
    os.makedirs(os.path.join(d, "masks"), exist_ok=True)
    for name, ext, w, h in [("a", "png", 6, 4), ("b", "jpg", 8, 8), ("c", "png", 5, 3)]:
        Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8)).save(os.path.join(d, "images", name + "." + ext))
        m = (np.arange(w * h).reshape(h, w) % 3).astype(np.uint8)
        m[0, 0] = 255
        if name == "b":
            Image.fromarray(m).save(os.path.join(d, "masks", name + ".png"))
        else:
            save_palette(m, os.path.join(d, "masks", name + ".png"))
    with open(os.path.join(d, "classes.txt"), "w") as f:
        f.write("background\nred\nblue\n")
    with open(os.path.join(d, "train.txt"), "w") as f:
        f.write("a\nb.jpg\n")
    with open(os.path.join(d, "val.txt"), "w") as f:
        f.write("c\n")

    # voc: VOCdevkit/VOC2012 with two ids; masks with a 255 border.
    v = os.path.join(ROOT, "voc", "VOCdevkit", "VOC2012")
    for sub in ["JPEGImages", "SegmentationClass", "ImageSets/Segmentation"]:
        os.makedirs(os.path.join(v, sub), exist_ok=True)
    for i, vid in enumerate(["2007_000032", "2007_000039"]):
        Image.fromarray(rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)).save(os.path.join(v, "JPEGImages", vid + ".jpg"))
        m = np.full((5, 7), 255, np.uint8)
        m[1:4, 1:6] = 0
        m[2, 2:5] = 1 + 14 * i  # aeroplane, then person
        save_palette(m, os.path.join(v, "SegmentationClass", vid + ".png"))
    with open(os.path.join(v, "ImageSets/Segmentation/train.txt"), "w") as f:
        f.write("2007_000032\n")
    with open(os.path.join(v, "ImageSets/Segmentation/val.txt"), "w") as f:
        f.write("2007_000039\n")

    # cityscapes: one train and one val image with gray labelIds.
    c = os.path.join(ROOT, "cityscapes")
    for split, city, name in [("train", "aachen", "aachen_000000_000019"), ("val", "lindau", "lindau_000001_000019")]:
        os.makedirs(os.path.join(c, "leftImg8bit", split, city), exist_ok=True)
        os.makedirs(os.path.join(c, "gtFine", split, city), exist_ok=True)
        Image.fromarray(rng.randint(0, 256, (2, 4, 3)).astype(np.uint8)).save(
            os.path.join(c, "leftImg8bit", split, city, name + "_leftImg8bit.png"))
        Image.fromarray(np.array([[7, 8, 26, 33], [0, 5, 24, 23]], np.uint8)).save(
            os.path.join(c, "gtFine", split, city, name + "_gtFine_labelIds.png"))


if __name__ == "__main__":
    codecs()
    coco()
    trees()
