"""The fair anchor for derive's work per edge (issue 16): a hand-written back-propagation in mpmath at
derive's working precision (50 digits), reading the same explicit network file with PyYAML's C
loader, against derive's JSON of it, side by side in one run.

    python bench/backprop_anchor.py [--sizes 64,64,1 256,256,1 784,125,10] [--repeat 3]

For each dense sigmoid network with the squared error (its explicit form, as `derive --expand` writes
it): derive's work in this process (read, forward pass, back-propagation, updates, JSON text; the
SymPy check off, as it is for a network this big) against the script's (read, forward pass,
back-propagation, updates), in microseconds per edge, their ratio, and whether every gradient agrees
to the 20 significant digits derive prints; beside them the same back-propagation in NumPy float64
(layer by layer, reading the same file), and whether its gradients agree to 1e-9 relative. The fastest of --repeat runs counts; the machine's load
average is printed with the figures (a shared machine's times swing with it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from itertools import pairwise
from pathlib import Path

import mpmath
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DIGITS = 50  # derive's working precision (derive.numbers.WORK_DIGITS)


def dense_text(sizes: list[int]) -> str:
    """The explicit form of a dense sigmoid network with reproducible random weights."""
    from derive import load_network
    from derive.spec.expand import expand_text

    xs = ", ".join(f"{(i % 7 - 3) / 10:g}" for i in range(sizes[0]))
    ys = "1" if sizes[-1] == 1 else "[" + ", ".join("1" if k == 0 else "0" for k in range(sizes[-1])) + "]"
    shorthand = (
        f"title: dense {sizes}\nlayers: {sizes}\nactivation: sigmoid\nparameters:\n"
        f"  random: {{seed: 7, low: -1, high: 1, decimals: 2}}\ndata:\n  - {{x: [{xs}], y: {ys}}}\n"
    )
    return expand_text(load_network(text=shorthand))


def anchor(text: str) -> dict[str, mpmath.mpf]:
    """Every gradient, by back-propagation written out by hand: read, forward, backward, update."""
    doc = yaml.load(text, Loader=yaml.CSafeLoader)
    num = lambda v: mpmath.mpf(str(v))  # noqa: E731 - the decimal as written (YAML gives a float)
    with mpmath.workdps(DIGITS):
        params = {k: num(v) for k, v in doc["parameters"].items()}
        point = doc["data"][0]
        outputs = doc["outputs"]
        ys = point["y"] if isinstance(point["y"], list) else [point["y"]]
        target = {o: num(y) for o, y in zip(outputs, ys, strict=True)}
        value = {x: num(point[x]) for x in doc["inputs"]}
        neurons = doc["neurons"]
        fprime = {}
        for name, n in neurons.items():  # written in forward order
            z = params[n["bias"]] if "bias" in n else mpmath.mpf(0)
            for src, w in n["from"].items():
                z += params[w] * value[src]
            o = 1 / (1 + mpmath.exp(-z))
            value[name], fprime[name] = o, o * (1 - o)
        dL_dO = {name: mpmath.mpf(0) for name in neurons}
        for o in outputs:
            dL_dO[o] = -2 * (target[o] - value[o])  # the squared error summed over the outputs
        grads: dict[str, mpmath.mpf] = {}
        for name in reversed(list(neurons)):
            n = neurons[name]
            delta = fprime[name] * dL_dO[name]
            for src, w in n["from"].items():
                grads[w] = grads.get(w, 0) + delta * value[src]
                if src in dL_dO:
                    dL_dO[src] += params[w] * delta
            if "bias" in n:
                grads[n["bias"]] = grads.get(n["bias"], 0) + delta
        eta = num(doc["learning_rate"])
        _updated = {k: params[k] - eta * grads[k] for k in params}
    return grads


def numpy_anchor(text: str) -> dict[str, float]:
    """The same back-propagation in NumPy float64, layer by layer (bench/float_script.py): what a float
    implementation costs, to set beside the 50-digit ones."""
    from float_script import numpy_gradients

    return numpy_gradients(yaml.load(text, Loader=yaml.CSafeLoader))


def derive_json(text: str) -> dict:
    from derive import explain

    return json.loads(explain(text=text, fmt="json", verify=False).text)


def fastest(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="*", default=["64,64,1", "256,256,1", "784,125,10"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; CPU seconds, fastest of {args.repeat}")
    print(
        f"{'network':>14} {'edges':>8} {'derive µs/edge':>15} {'anchor µs/edge':>15} {'ratio':>6}  digits agree"
        f" {'NumPy µs/edge':>14}  NumPy to 1e-9"
    )
    derive_json(dense_text([2, 2, 1]))  # imports and compiled templates, outside the timing
    numpy_anchor(dense_text([2, 2, 1]))
    for spec in args.sizes:
        sizes = [int(s) for s in spec.split(",")]
        text = dense_text(sizes)
        edges = sum(a * b for a, b in pairwise(sizes))
        t_derive, data = fastest(lambda t=text: derive_json(t), args.repeat)
        t_anchor, grads = fastest(lambda t=text: anchor(t), args.repeat)
        with mpmath.workdps(DIGITS):  # 20 printed digits: within half a unit of the 20th
            agree = all(
                abs(mpmath.mpf(data["gradients"][p]["value"]) - g) <= abs(g) * mpmath.mpf(10) ** -19
                for p, g in grads.items()
            )
        t_numpy, floats = fastest(lambda t=text: numpy_anchor(t), args.repeat)
        close = all(abs(floats[p] - float(g)) <= 1e-9 * max(abs(float(g)), 1e-300) for p, g in grads.items())
        print(
            f"{sizes!s:>14} {edges:>8,} {t_derive / edges * 1e6:>15.1f} {t_anchor / edges * 1e6:>15.1f} "
            f"{t_derive / t_anchor:>6.1f}  {'yes' if agree else 'NO':<12} {t_numpy / edges * 1e6:>14.2f}  "
            f"{'yes' if close else 'NO'}"
        )


if __name__ == "__main__":
    main()
