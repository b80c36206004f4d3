#!/usr/bin/env python3
"""Writes a tiny ONNX MLP for the fuzz seed corpora (scripts/fuzz_corpus.sh): input [1,IN],
Gemm ip1 (HID x IN, transB) + ReLU, Gemm ip2 (OUT x HID, transB), deterministic weights. The
protobuf is encoded by hand (no onnx package needed).

    scripts/tiny_mlp_onnx.py OUT.onnx [IN HID OUT]      (default 32 16 10: 672 weights)
"""
import random
import struct
import sys


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def vi(field, v):
    return key(field, 0) + varint(v)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def tensor(name, dims, values):
    t = b"".join(vi(1, d) for d in dims) + vi(2, 1) + ld(8, name)
    return t + ld(9, struct.pack("<%df" % len(values), *values))


def value_info(name, dims):
    shape = b"".join(ld(1, vi(1, d)) for d in dims)
    return ld(1, name) + ld(2, ld(1, vi(1, 1) + ld(2, shape)))


def node(name, op, inputs, outputs, attrs=b""):
    return (b"".join(ld(1, i) for i in inputs) + b"".join(ld(2, o) for o in outputs) +
            ld(3, name) + ld(4, op) + attrs)


def main():
    out = sys.argv[1]
    n_in, hid, n_out = (int(a) for a in sys.argv[2:5]) if len(sys.argv) >= 5 else (32, 16, 10)
    rng = random.Random(8)
    w = lambda n: [rng.uniform(-0.5, 0.5) for _ in range(n)]
    trans_b = ld(5, ld(1, "transB") + vi(3, 1) + vi(20, 2))
    graph = (
        ld(1, node("ip1", "Gemm", ["input", "ip1.weight", "ip1.bias"], ["h1"], trans_b)) +
        ld(1, node("relu1", "Relu", ["h1"], ["r1"])) +
        ld(1, node("ip2", "Gemm", ["r1", "ip2.weight", "ip2.bias"], ["output"], trans_b)) +
        ld(2, "tiny-mlp") +
        ld(5, tensor("ip1.weight", [hid, n_in], w(hid * n_in))) +
        ld(5, tensor("ip1.bias", [hid], w(hid))) +
        ld(5, tensor("ip2.weight", [n_out, hid], w(n_out * hid))) +
        ld(5, tensor("ip2.bias", [n_out], w(n_out))) +
        ld(11, value_info("input", [1, n_in])) +
        ld(12, value_info("output", [1, n_out])))
    model = vi(1, 7) + ld(2, "sieve-fuzz") + ld(7, graph) + ld(8, ld(1, "") + vi(2, 13))
    with open(out, "wb") as f:
        f.write(model)


if __name__ == "__main__":
    main()
