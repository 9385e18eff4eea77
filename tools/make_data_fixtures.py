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


if __name__ == "__main__":
    codecs()
