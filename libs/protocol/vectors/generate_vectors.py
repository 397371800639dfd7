#!/usr/bin/env python3
"""Independent reference implementation of the Aegis protocol encodings (docs/protocol.md).

Writes libs/protocol/vectors/*.json, which the TypeScript specs (libs/protocol/src/*.spec.ts)
load and must reproduce byte for byte. Shares no code with the TypeScript implementation: it is
written from docs/protocol.md so that a disagreement points at an ambiguity in the spec.

Re-run (from the repository root; .cache/ is git-ignored):
    python3 -m venv .cache/pyvectors
    .cache/pyvectors/bin/pip install pycryptodome==3.23.0 coincurve==21.0.0
    .cache/pyvectors/bin/python libs/protocol/vectors/generate_vectors.py

Keccak-256 comes from pycryptodome (hashlib.sha3_256 is NIST SHA3, a different function);
secp256k1 signing from coincurve (libsecp256k1: RFC 6979 nonces, low-s), recovery id appended.
"""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from Crypto.Hash import keccak
from coincurve import PrivateKey, PublicKey

OUT = Path(__file__).resolve().parent
TWO64 = 1 << 64
WEIGHT_SCALE = 1 << 32


def k256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def u16(n: int) -> bytes:
    return struct.pack(">H", n)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def i32(n: int) -> bytes:
    return struct.pack(">i", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


def f32(x: float) -> float:
    """Round to float32, as the runtime hands logits over."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------- task
def encode_task(t: dict) -> bytes:
    model = t["modelId"].encode("utf-8")
    out = b"aegis/task/v1" + u16(len(model)) + model
    out += u32(len(t["promptTokens"])) + b"".join(u32(x) for x in t["promptTokens"])
    out += u32(t["maxNewTokens"]) + u32(t["topK"]) + u32(t["temperatureMilli"])
    out += u32(len(t["stopTokens"])) + b"".join(u32(x) for x in t["stopTokens"])
    out += u64(t["nonce"])
    return out


TASKS = [
    ("minimal", dict(modelId="m", promptTokens=[0], maxNewTokens=1, topK=1, temperatureMilli=0, stopTokens=[], nonce=0)),
    ("typical", dict(modelId="aegis-tiny-v1", promptTokens=[1, 17, 42, 255, 3], maxNewTokens=32, topK=40,
                     temperatureMilli=700, stopTokens=[2], nonce=1)),
    ("max-values", dict(modelId="a" * 64, promptTokens=[0xFFFFFFFE, 0x7FFFFFFF, 65536], maxNewTokens=0xFFFFFFFF,
                        topK=0xFFFFFFFF, temperatureMilli=10000, stopTokens=[0, 0xFFFFFFFE], nonce=TWO64 - 1)),
    ("punctuated-model-id", dict(modelId="llama-3.1_8b.q4", promptTokens=[128000, 9906], maxNewTokens=128, topK=50,
                                 temperatureMilli=1000, stopTokens=[128001, 128009], nonce=0x0123456789ABCDEF)),
    ("many-stops", dict(modelId="x", promptTokens=list(range(10)), maxNewTokens=5, topK=2, temperatureMilli=1,
                        stopTokens=[9, 8, 7], nonce=42)),
]


def task_json(t: dict) -> dict:
    return {**t, "nonce": str(t["nonce"])}


# ---------------------------------------------------------------- identity
PRIVATE_KEYS = [
    "0x0000000000000000000000000000000000000000000000000000000000000001",
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",  # n - 1
    "0x" + k256(b"aegis/test/key/verifier").hex(),
]


def address_of(priv_hex: str) -> str:
    pub = PrivateKey(bytes.fromhex(priv_hex[2:])).public_key.format(compressed=False)
    return hx(k256(pub[1:])[12:])


def sign(priv_hex: str, digest: bytes) -> bytes:
    sig = PrivateKey(bytes.fromhex(priv_hex[2:])).sign_recoverable(digest, hasher=None)
    assert len(sig) == 65 and sig[64] in (0, 1)
    # Independent check that the signature recovers to the signer.
    pub = PublicKey.from_signature_and_message(sig, digest, hasher=None)
    assert hx(k256(pub.format(compressed=False)[1:])[12:]) == address_of(priv_hex)
    return sig


# ---------------------------------------------------------------- ASLI
def asli_seed(node: str, task_hash: bytes) -> bytes:
    return k256(b"asli/seed/v1" + bytes.fromhex(node[2:]) + task_hash)


def step_random(seed: bytes, t: int) -> int:
    return int.from_bytes(k256(seed + b"step" + u32(t))[:8], "big")


def round_half_even(x: float) -> int:
    return round(x)  # Python rounds floats half to even, exactly


def asli_distribution(logits: list[float], top_k: int, temp_milli: int) -> tuple[list[int], list[int], int]:
    if temp_milli == 0:
        best = sorted(range(len(logits)), key=lambda i: (-logits[i], i))[0]
        return [best], [WEIGHT_SCALE], WEIGHT_SCALE
    t = temp_milli / 1000
    scaled = [x / t for x in logits]
    order = sorted(range(len(scaled)), key=lambda i: (-scaled[i], i))[:top_k]
    m = scaled[order[0]]
    exps = [math.exp(scaled[i] - m) for i in order]
    z = 0.0
    for e in exps:
        z += e
    weights = [round_half_even(e / z * WEIGHT_SCALE) for e in exps]
    return order, weights, sum(weights)


def sample_token(tokens: list[int], weights: list[int], total: int, u: int) -> int:
    cum = 0
    for tok, w in zip(tokens, weights):
        cum += w
        if cum * TWO64 > u * total:
            return tok
    raise AssertionError("no token")


def boundary_draws(weights: list[int], total: int) -> list[int]:
    """u values on both sides of each CDF boundary (first few), plus the extremes."""
    us = {0, TWO64 - 1, TWO64 // 2}
    cum = 0
    for w in weights[:4]:
        cum += w
        # smallest u with cum * 2^64 <= u * total: the first u that moves past this token
        edge = -(-cum * TWO64 // total)
        for u in (edge - 1, edge):
            if 0 <= u < TWO64:
                us.add(u)
    return sorted(us)


DISTRIBUTIONS = [
    ("ties-and-order", [0.5, 2.0, 2.0, -1.25, 3.0, 2.0, 0.0, -8.0], 4, 1000),
    ("cold", [1.0, 0.75, 0.5, 0.25, 0.0, -0.25], 6, 250),
    ("hot-inexact-temperature", [4.0, -3.5, 1.125, 0.0, 2.5, 2.5, -0.0625, 7.75, -12.0, 3.0], 7, 700),
    ("greedy-tie", [1.0, 5.5, -2.0, 5.5, 5.5], 3, 0),
    ("top1", [0.25, 0.5, 0.75], 1, 1500),
    ("large-spread", [30.0, -30.0, 0.0, 15.5, -100.0, 29.5], 6, 1000),
    ("max-temperature", [3.0, 2.0, 1.0, 0.0], 4, 10000),
    ("min-temperature", [1.0, 0.99951171875, 0.5], 3, 1),
    ("uniform", [0.0] * 16, 16, 1000),
]


# ---------------------------------------------------------------- probes
def position_from_hash(h: bytes, shape: dict) -> dict:
    return {
        "layer": int.from_bytes(h[0:8], "big") % shape["layers"],
        "position": int.from_bytes(h[8:16], "big") % shape["positions"],
        "index": int.from_bytes(h[16:24], "big") % shape["hidden"],
    }


def probe_positions(seed: bytes, count: int, shape: dict) -> list[dict]:
    return [position_from_hash(k256(seed + b"probe" + u32(i)), shape) for i in range(count)]


def final_probe_position(seed: bytes, shape: dict) -> dict:
    h = k256(seed + b"probe-final")
    return {"layer": shape["layers"] - 1, "position": shape["positions"] - 1,
            "index": int.from_bytes(h[0:8], "big") % shape["hidden"]}


def quantize(h: float, q: int) -> int:
    v = round_half_even(h * 2.0**q)
    assert -(2**31) <= v < 2**31
    return v


QUANTIZE = [
    (0.0, 16), (1.0, 16), (-1.0, 16), (0.123456789, 20), (-3.75, 8),
    (1.5 / 256, 8), (2.5 / 256, 8), (-2.5 / 256, 8), (-1.5 / 256, 8), (0.5 / 1024, 10), (-0.5 / 1024, 10),
    (32767.999984741211, 16), (-32768.0, 16), (1e-9, 24), (7.0000001, 0), (2.5, 0), (3.5, 0),
]


# ---------------------------------------------------------------- result, PoW, verdict
def encode_result(task_hash: bytes, node: str, tokens: list[int], probes: list[dict]) -> bytes:
    out = b"aegis/result/v1" + task_hash + bytes.fromhex(node[2:])
    out += u32(len(tokens)) + b"".join(u32(t) for t in tokens)
    out += u32(len(probes))
    for p in probes:
        out += u16(p["layer"]) + u32(p["position"]) + u32(p["index"]) + i32(p["value"])
    return out


def pow_start(verifier: str, digest: bytes, nonce: int) -> bytes:
    return k256(b"aegis/pow/v2" + bytes.fromhex(verifier[2:]) + digest + u64(nonce))


def pow_read(chain: bytes, i: int, shape: dict) -> dict:
    p = position_from_hash(chain, shape)
    if i == 0:
        return {"layer": shape["layers"] - 1, "position": shape["positions"] - 1, "index": p["index"]}
    if i % 4 != 0:
        return {**p, "layer": shape["layers"] - 1}
    return p


def pow_walk(verifier: str, digest: bytes, nonce: int, count: int, shape: dict, value_at) -> tuple[list[dict], list[int], bytes]:
    """The PoW walk: read i sits where chain value c_i says, c_{i+1} = keccak(c_i || i32(value_i))."""
    chain = pow_start(verifier, digest, nonce)
    positions, values = [], []
    for i in range(count):
        p = pow_read(chain, i, shape)
        v = value_at(p)
        positions.append(p)
        values.append(v)
        chain = k256(chain + i32(v))
    return positions, values, chain


def fake_value(p: dict) -> int:
    return fake_hidden(p["layer"], p["position"], p["index"])


def leading_zero_bits(h: bytes) -> int:
    n = int.from_bytes(h, "big")
    return 256 - n.bit_length()


def encode_verdict(digest: bytes, verifier: str, kind: str, nonce: int, values: list[int]) -> bytes:
    kind_byte = {"ACCEPT": 1, "REJECT": 2}[kind]
    out = b"aegis/verdict/v1" + digest + bytes.fromhex(verifier[2:]) + bytes([kind_byte]) + u64(nonce)
    return out + u32(len(values)) + b"".join(i32(v) for v in values)


def fake_hidden(layer: int, position: int, index: int) -> int:
    """A deterministic stand-in for a quantised hidden state, so PoW vectors are reproducible."""
    return int.from_bytes(k256(b"hidden" + u32(layer) + u32(position) + u32(index))[:4], "big", signed=True)


def main() -> None:
    tasks = []
    for name, t in TASKS:
        enc = encode_task(t)
        tasks.append({"name": name, "spec": task_json(t), "encoding": hx(enc), "hash": hx(k256(enc))})

    identities = []
    for i, priv in enumerate(PRIVATE_KEYS):
        digest = k256(b"aegis/test/digest/" + bytes([i]))
        identities.append({
            "privateKey": priv, "address": address_of(priv),
            "publicKey": hx(PrivateKey(bytes.fromhex(priv[2:])).public_key.format(compressed=False)),
            "digest": hx(digest), "signature": hx(sign(priv, digest)),
        })

    seeds = []
    for ident in identities[:2]:
        for task in tasks[:2]:
            th = bytes.fromhex(task["hash"][2:])
            seed = asli_seed(ident["address"], th)
            steps = [0, 1, 2, 127, 0xFFFFFFFF]
            seeds.append({"node": ident["address"], "taskHash": task["hash"], "seed": hx(seed),
                          "steps": [{"t": t, "u": str(step_random(seed, t))} for t in steps]})

    dists = []
    for name, raw, k, temp in DISTRIBUTIONS:
        logits = [f32(x) for x in raw]
        assert logits == raw, f"{name}: logits must be exactly representable in float32"
        tokens, weights, total = asli_distribution(logits, k, temp)
        draws = boundary_draws(weights, total)
        draws += [step_random(bytes.fromhex(seeds[0]["seed"][2:]), t) for t in range(4)]
        dists.append({"name": name, "logits": logits, "topK": k, "temperatureMilli": temp,
                      "tokens": tokens, "weights": weights, "total": total,
                      "samples": [{"u": str(u), "token": sample_token(tokens, weights, total, u)} for u in draws]})

    shapes = [{"layers": 4, "positions": 37, "hidden": 64}, {"layers": 32, "positions": 4096, "hidden": 4096},
              {"layers": 1, "positions": 1, "hidden": 1}]
    probe_sets = []
    for s, shape in zip(seeds, shapes):
        seed = bytes.fromhex(s["seed"][2:])
        probe_sets.append({"seed": s["seed"], "count": 8, "shape": shape, "positions": probe_positions(seed, 8, shape),
                           "final": final_probe_position(seed, shape)})
    quant = [{"h": h, "q": q, "value": quantize(h, q)} for h, q in QUANTIZE]

    results = []
    for ident, task, s in ((identities[1], tasks[1], seeds[2]), (identities[3], tasks[3], seeds[0])):
        shape = shapes[0]
        positions = probe_positions(bytes.fromhex(s["seed"][2:]), 5, shape)
        probes = [{**p, "value": fake_hidden(p["layer"], p["position"], p["index"])} for p in positions]
        tokens = [17, 0, 0xFFFFFFFF, 2]
        th = bytes.fromhex(task["hash"][2:])
        enc = encode_result(th, ident["address"], tokens, probes)
        digest = k256(enc)
        results.append({"privateKey": ident["privateKey"], "result": {"taskHash": task["hash"], "node": ident["address"],
                        "tokens": tokens, "probes": probes}, "encoding": hx(enc), "digest": hx(digest),
                        "signature": hx(sign(ident["privateKey"], digest))})
    results.append({"privateKey": identities[0]["privateKey"],
                    "result": {"taskHash": tasks[0]["hash"], "node": identities[0]["address"], "tokens": [], "probes": []},
                    "encoding": hx(encode_result(bytes.fromhex(tasks[0]["hash"][2:]), identities[0]["address"], [], [])),
                    "digest": hx(k256(encode_result(bytes.fromhex(tasks[0]["hash"][2:]), identities[0]["address"], [], []))),
                    "signature": hx(sign(identities[0]["privateKey"],
                                         k256(encode_result(bytes.fromhex(tasks[0]["hash"][2:]), identities[0]["address"], [], []))))})

    pows = []
    verifier = identities[3]
    for res, nonce, shape in ((results[0], 0, shapes[1]), (results[1], 5, shapes[1]), (results[0], TWO64 - 1, shapes[1]),
                              (results[1], 7, shapes[2])):
        digest = bytes.fromhex(res["digest"][2:])
        positions, values, h = pow_walk(verifier["address"], digest, nonce, 6, shape, fake_value)
        pows.append({"verifier": verifier["address"], "submissionDigest": res["digest"], "nonce": str(nonce), "count": 6,
                     "shape": shape, "positions": positions, "values": values, "hash": hx(h),
                     "leadingZeroBits": leading_zero_bits(h)})
    # A solved instance: the first nonce meeting 8 bits, so a TS grinder must find the same one.
    digest = bytes.fromhex(results[0]["digest"][2:])
    nonce = 0
    while True:
        positions, values, h = pow_walk(verifier["address"], digest, nonce, 4, shapes[0], fake_value)
        if leading_zero_bits(h) >= 8:
            break
        nonce += 1
    solved = {"verifier": verifier["address"], "submissionDigest": results[0]["digest"], "shape": shapes[0], "count": 4,
              "bits": 8, "nonce": str(nonce), "tries": nonce + 1, "positions": positions, "values": values, "hash": hx(h)}

    verdicts = []
    for res, kind, p in ((results[0], "ACCEPT", pows[0]), (results[1], "REJECT", pows[1]), (results[0], "ACCEPT", pows[2])):
        digest = bytes.fromhex(res["digest"][2:])
        enc = encode_verdict(digest, verifier["address"], kind, int(p["nonce"]), p["values"])
        vd = k256(enc)
        verdicts.append({"privateKey": verifier["privateKey"],
                         "verdict": {"submissionDigest": res["digest"], "verifier": verifier["address"], "kind": kind,
                                     "nonce": p["nonce"], "values": p["values"]},
                         "encoding": hx(enc), "digest": hx(vd), "signature": hx(sign(verifier["privateKey"], vd))})

    files = {
        "task.vectors.json": {"tasks": tasks},
        "identity.vectors.json": {"identities": identities},
        "asli.vectors.json": {"seeds": seeds, "distributions": dists},
        "probes.vectors.json": {"probeSets": probe_sets, "quantize": quant},
        "result.vectors.json": {"results": results},
        "pow.vectors.json": {"pows": pows, "solved": solved},
        "verdict.vectors.json": {"verdicts": verdicts},
    }
    header = "Generated by libs/protocol/vectors/generate_vectors.py; do not edit by hand."
    for name, body in files.items():
        (OUT / name).write_text(json.dumps({"_comment": header, **body}, indent=1) + "\n")
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
