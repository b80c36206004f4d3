#!/usr/bin/env python3
"""Writes the small Fashion-MNIST-format fixtures under tests/data/ (Python standard library only).

    python3 scripts/make_test_fixtures.py [--out tests/data]

tests/data/fashion-mnist-tiny/          a valid set: 64 train and 32 test items of synthetic images
tests/data/fashion-mnist-broken/<case>/ t10k-* files, each broken in one way (see BROKEN below)

The pixel and label formulas are repeated in tests/unit/fashion_mnist_test.cc, which checks the
loaded values against them; change both together. Output is deterministic (gzip mtime 0), and
the generated files are committed, so the tests need no Python; rerun this after editing it.
"""

import argparse
import gzip
import os
import struct

SIDE = 28
TRAIN_COUNT = 64
TEST_COUNT = 32


def label(split, i):
    return (7 * i + 3) % 10 if split == "train" else i % 10


def pixel(split, i, r, c):
    base = 13 if split == "train" else 101
    return (base + 37 * i + 11 * r + 5 * c + 19 * label(split, i)) % 256


def idx(type_code, dims, payload):
    header = bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + payload


def images_idx(split, count, rows=SIDE, cols=SIDE):
    data = bytes(pixel(split, i, r, c) for i in range(count) for r in range(rows) for c in range(cols))
    return idx(0x08, [count, rows, cols], data)


def labels_idx(split, count):
    return idx(0x08, [count], bytes(label(split, i) for i in range(count)))


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data"))
    out = ap.parse_args().out

    tiny = os.path.join(out, "fashion-mnist-tiny")
    for split, prefix, count in (("train", "train", TRAIN_COUNT), ("test", "t10k", TEST_COUNT)):
        write(os.path.join(tiny, prefix + "-images-idx3-ubyte.gz"), gz(images_idx(split, count)))
        write(os.path.join(tiny, prefix + "-labels-idx1-ubyte.gz"), gz(labels_idx(split, count)))

    good_images = images_idx("test", TEST_COUNT)
    good_labels = labels_idx("test", TEST_COUNT)
    bad_label = bytearray(good_labels)
    bad_label[8 + 5] = 10  # label[5] = 10
    corrupt = bytearray(gz(good_images))
    for k in range(40, 60):  # scramble deflate data after the 10-byte header
        corrupt[k] ^= 0xA5
    # case -> (images file bytes, labels file bytes)
    broken = {
        # gzip stream cut in the middle
        "truncated-gzip": (gz(good_images)[: len(gz(good_images)) // 2], gz(good_labels)),
        # deflate data scrambled
        "corrupt-gzip": (bytes(corrupt), gz(good_labels)),
        # plain IDX bytes, not compressed
        "not-gzip": (good_images, gz(good_labels)),
        # bytes after the end of the gzip stream
        "trailing-garbage-gzip": (gz(good_images) + b"garbage!", gz(good_labels)),
        # labels stored with the images' magic (rank 3: [32, 1, 1])
        "wrong-magic": (gz(good_images), gz(idx(0x08, [TEST_COUNT, 1, 1], good_labels[8:]))),
        # 32 images, 31 labels
        "count-mismatch": (gz(good_images), gz(labels_idx("test", TEST_COUNT - 1))),
        # IDX data shorter than the header's dimensions
        "short-data": (gz(good_images[:-100]), gz(good_labels)),
        # IDX data longer than the header's dimensions
        "trailing-data": (gz(good_images + b"\x00" * 7), gz(good_labels)),
        # a label outside 0..9
        "bad-label": (gz(good_images), gz(bytes(bad_label))),
        # 28x27 images
        "bad-size": (gz(images_idx("test", TEST_COUNT, SIDE, SIDE - 1)), gz(good_labels)),
        # valid: the images file is two concatenated gzip members
        "multi-member": (gz(good_images[:5000]) + gz(good_images[5000:]), gz(good_labels)),
    }
    for case, (images, labels) in broken.items():
        d = os.path.join(out, "fashion-mnist-broken", case)
        write(os.path.join(d, "t10k-images-idx3-ubyte.gz"), images)
        write(os.path.join(d, "t10k-labels-idx1-ubyte.gz"), labels)


if __name__ == "__main__":
    main()
