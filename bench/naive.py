"""The obvious way to get every gradient of a network with numbers, for comparison with derive: compose
the whole loss as one SymPy expression, call `diff` once per parameter, substitute the numbers, and
evaluate to 30 digits. It shares nothing with derive's arithmetic; derive's loader is used only to
read the network file into neurons, weights and the data point.

    python bench/naive.py NETWORK.yaml --out gradients.json [--limit SECONDS]

Writes {"gradients": {name: "decimal"}, "seconds": {...}, "done": n, "total": N} to --out; with
--limit it stops after the parameter that passes the limit and says "finished": false. Exit code 0
either way.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

START = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy

from derive import load_network

DIGITS = 30


def activation(name: str, z):
    if name == "sigmoid":
        return 1 / (1 + sympy.exp(-z))
    if name == "tanh":
        return sympy.tanh(z)
    if name == "relu":
        return sympy.Piecewise((z, z > 0), (0, True))
    if name == "linear":
        return z
    raise SystemExit(f"naive.py: activation {name} is not supported")


def loss(name: str, outputs: list, targets: list):
    errors = [(t - o) ** 2 for o, t in zip(outputs, targets)]
    if name == "squared_error":
        return sympy.Add(*errors)
    if name == "half_squared_error":
        return sympy.Rational(1, 2) * sympy.Add(*errors)
    if name == "mse":
        return sympy.Rational(1, len(errors)) * sympy.Add(*errors)
    raise SystemExit(f"naive.py: loss {name} is not supported")


def rational(x) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


def compose(net):
    """The loss as one expression of the parameter symbols (inputs and targets as numbers)."""
    point = net.data[0]
    symbols = {p: sympy.Symbol(p) for p in net.parameters}
    value = {k: rational(v) for k, v in point.inputs.items()}
    for n in net.neurons:
        z = sympy.Add(*[(symbols[e.weight] if isinstance(e.weight, str) else rational(e.weight)) * value[e.source]
                        for e in n.edges])
        if n.bias is not None:
            z += symbols[n.bias] if isinstance(n.bias, str) else rational(n.bias)
        value[n.name] = activation(n.activation.name, z)
    outputs = [value[o] for o in net.outputs]
    return loss(net.loss, outputs, [rational(t) for t in point.targets]), symbols


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=float, default=None, help="stop after this many seconds of work")
    args = ap.parse_args()
    net = load_network(args.network)
    imported = time.perf_counter()
    total, symbols = compose(net)
    composed = time.perf_counter()
    at = {symbols[p]: rational(v) for p, v in net.parameters.items()}
    gradients, diff_s, subs_s = {}, 0.0, 0.0
    for p, s in symbols.items():
        t = time.perf_counter()
        d = sympy.diff(total, s)
        u = time.perf_counter()
        gradients[p] = str(sympy.N(d.subs(at), DIGITS))
        diff_s, subs_s = diff_s + u - t, subs_s + time.perf_counter() - u
        if args.limit is not None and time.perf_counter() - imported > args.limit:
            break
    end = time.perf_counter()
    Path(args.out).write_text(json.dumps({
        "gradients": gradients, "done": len(gradients), "total": len(symbols),
        "finished": len(gradients) == len(symbols),
        "seconds": {"import": imported - START, "compose": composed - imported, "diff": diff_s,
                    "substitute": subs_s, "work": end - imported}}, indent=1))


if __name__ == "__main__":
    main()
