"""How long the default independent check takes on random small networks (issue 13).

    python bench/verify_random.py              # 300 networks, seed 13
    python bench/verify_random.py -n 50 --seed 1 --keep /tmp/nets

Each network has 1–4 inputs, 1–3 hidden layers of 1–4 neurons, 1–3 outputs, every differentiable
activation (sigmoid, tanh, ReLU, leaky ReLU with a random slope, linear; softmax outputs), every loss
that fits its outputs, and skip connections (a neuron also takes each node of an earlier layer with
probability 0.3). Weights, biases and inputs are short decimals, so a z of exactly 0 happens now and
then, as in a lecture. Each is rendered twice, each time in a fresh process with the default options,
as a user runs it: `derive NET -o /dev/null` (Markdown) and `derive NET -f json -o -` (JSON, which
says which method checked). Printed: the slowest and the median whole-process time of each, how many
took longer than 5 s, and how many were checked by SymPy, by central differences, or not at all.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
SLOW = 5.0  # seconds: the default --verify-budget, and the threshold
TIMEOUT = 600  # a process that runs this long is stopped and counted as such


def _dec(rng: random.Random, low: int, high: int, places: int) -> str:
    k = rng.randint(low, high)
    text = f"{abs(k) / 10**places:.{places}f}".rstrip("0").rstrip(".") or "0"
    return ("-" if k < 0 and text != "0" else "") + text


def _act(rng: random.Random, name: str) -> str:
    if name == "leaky_relu" and rng.random() < 0.7:
        slope = rng.choice(["0.01", "0.1", "0.2", "0.3"])
        return f"{{name: leaky_relu, slope: {slope}}}"
    return name


def network(rng: random.Random, index: int) -> str:
    """YAML of one random network of the issue's shape."""
    n_in = rng.randint(1, 4)
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    n_out = rng.randint(1, 3)
    layers = [[f"x{i + 1}" for i in range(n_in)]]
    lines, params = [], {}

    def neuron(name: str, layer: int, activation: str) -> None:
        sources = list(layers[layer - 1]) + [
            s for earlier in layers[: layer - 1] for s in earlier if rng.random() < 0.3
        ]
        edges = []
        for s in sources:
            w = f"w{sum(p.startswith('w') for p in params) + 1}"
            params[w] = _dec(rng, -150, 150, 2)
            edges.append(f"{s}: {w}")
        bias = ""
        if rng.random() < 0.85:
            b = f"b{sum(p.startswith('b') for p in params) + 1}"
            params[b] = _dec(rng, -100, 100, 2)
            bias = f", bias: {b}"
        lines.append(f"  {name}: {{from: {{{', '.join(edges)}}}{bias}, activation: {activation}}}")

    for li, size in enumerate(sizes, start=1):
        names = [f"O{li}{j + 1}" for j in range(size)]
        for name in names:
            neuron(name, li, _act(rng, rng.choice(HIDDEN)))
        layers.append(names)
    out_layer = len(sizes) + 1
    outs = [f"O{out_layer}{j + 1}" for j in range(n_out)]
    softmax = n_out >= 2 and rng.random() < 0.25
    if softmax:
        loss = rng.choice(["categorical_cross_entropy", "categorical_cross_entropy", "mse", "mae"])
        acts = ["softmax"] * n_out
    else:
        loss = rng.choice(["squared_error", "half_squared_error", "mse", "mae", "binary_cross_entropy"])
        acts = ["sigmoid" if loss == "binary_cross_entropy" else _act(rng, rng.choice(HIDDEN)) for _ in outs]
    for name, act in zip(outs, acts, strict=True):
        neuron(name, out_layer, act)
    if softmax:
        hot = rng.randrange(n_out)
        ys = ["1" if k == hot else "0" for k in range(n_out)]
    elif loss == "binary_cross_entropy":
        ys = [rng.choice(["0", "1", _dec(rng, 1, 9, 1)]) for _ in outs]
    else:
        ys = [_dec(rng, -10, 20, 1) for _ in outs]
    xs = ", ".join(f"{x}: {_dec(rng, -30, 30, 1)}" for x in layers[0])
    y = ys[0] if n_out == 1 else "[" + ", ".join(ys) + "]"
    return (
        "\n".join(
            [
                f"title: Random network {index}",
                "inputs: {" + ", ".join(f"{x}: input {x}" for x in layers[0]) + "}",
                "neurons:",
                *lines,
                f"outputs: [{', '.join(outs)}]",
                "parameters: {" + ", ".join(f"{k}: {v}" for k, v in params.items()) + "}",
                f"loss: {loss}",
                "learning_rate: 0.1",
                "data:",
                f"  - {{{xs}, y: {y}}}",
            ]
        )
        + "\n"
    )


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess | None]:
    """Whole-process wall time of `derive ARGS`, and its result (None when it ran out of TIMEOUT)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "derive.cli", *args], capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="how many networks (default 300)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", default=None, help="write the networks to this folder (default: a scratch folder)")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    folder = Path(opts.keep or tempfile.mkdtemp(prefix="verify_random_"))
    folder.mkdir(parents=True, exist_ok=True)
    md_times, json_times, methods, failures = [], [], Counter(), []
    slowest = ("", 0.0)
    for i in range(opts.n):
        path = folder / f"net_{i:03d}.yaml"
        path.write_text(network(rng, i), encoding="utf-8")
        t_md, md = run([str(path), "-o", "/dev/null"])
        t_json, js = run([str(path), "-f", "json", "-o", "-"])
        md_times.append(t_md)
        json_times.append(t_json)
        if max(t_md, t_json) > slowest[1]:
            slowest = (path.name, max(t_md, t_json))
        if md is None or js is None or md.returncode or js.returncode:
            failures.append(
                f"{path.name}: "
                + ("timed out" if md is None or js is None else (md.stderr or js.stderr).strip()[-300:])
            )
            methods["failed to render"] += 1
            continue
        check = json.loads(js.stdout).get("check")
        if check is None:
            methods["no gradients (not differentiable)"] += 1
        elif check["done"] and check["agreed"]:
            methods[f"checked by {check['method']}"] += 1
        elif check["done"]:
            methods["CHECK FAILED"] += 1
            failures.append(f"{path.name}: check failed: {check['reason']}")
        else:
            methods["not checked"] += 1
            failures.append(f"{path.name}: not checked: {check['sympy_skipped']}; {check['reason']}")
        print(
            f"{i + 1:4d}/{opts.n}  {path.name}  md {t_md:6.2f} s  json {t_json:6.2f} s  {check and check['method']}",
            flush=True,
        )
    both = [max(a, b) for a, b in zip(md_times, json_times, strict=True)]
    print()
    print(f"networks: {opts.n} (seed {opts.seed}, in {folder})")
    for name, times in (("markdown (-o /dev/null)", md_times), ("json (-f json -o -)", json_times)):
        print(
            f"{name:26s} slowest {max(times):6.2f} s   median {statistics.median(times):5.2f} s   "
            f"over {SLOW:g} s: {sum(t > SLOW for t in times)}"
        )
    print(
        f"slowest network: {slowest[0]} ({slowest[1]:.2f} s); networks with either run over {SLOW:g} s: "
        f"{sum(t > SLOW for t in both)}"
    )
    for what, count in sorted(methods.items()):
        print(f"  {what}: {count}")
    for line in failures:
        print("  " + line)


if __name__ == "__main__":
    main()
