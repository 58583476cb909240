"""Whole-process float64 anchors of issue 16, beside bench/mpmath_script.py: the same explicit network
file (`derive --expand`: dense, sigmoid, squared error, one data point) read with PyYAML's C loader,
back-propagated in float64, every gradient and updated value written as JSON.

    python bench/float_script.py numpy NETWORK.yaml OUT.json   # NumPy, layer by layer
    python bench/float_script.py torch NETWORK.yaml OUT.json   # PyTorch float64 autograd, where installed

Exit status 3 (and a message) when the library asked for is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from itertools import pairwise
from pathlib import Path

import yaml

NOT_INSTALLED = 3


def layers_of(doc: dict) -> list[list[str]]:
    """The neurons by layer (a neuron's layer: one more than its deepest source), inputs first."""
    depth = {x: 0 for x in doc["inputs"]}
    for name, n in doc["neurons"].items():
        depth[name] = 1 + max(depth[s] for s in n["from"])
    layers: list[list[str]] = [list(doc["inputs"])]
    for name in doc["neurons"]:
        while len(layers) <= depth[name]:
            layers.append([])
        layers[depth[name]].append(name)
    return layers


def numpy_gradients(doc: dict) -> dict[str, float]:
    """Every gradient by back-propagation in NumPy float64, layer by layer."""
    import numpy as np

    params, neurons, point = doc["parameters"], doc["neurons"], doc["data"][0]
    layers = layers_of(doc)
    weights, biases = [], []
    for below, here in pairwise(layers):
        index = {s: i for i, s in enumerate(below)}
        w = np.zeros((len(here), len(below)))
        for r, name in enumerate(here):
            for src, p in neurons[name]["from"].items():
                w[r, index[src]] = params[p]
        weights.append(w)
        biases.append(np.array([params[neurons[n]["bias"]] for n in here], dtype=float))
    acts = [np.array([point[x] for x in layers[0]], dtype=float)]
    for w, b in zip(weights, biases, strict=True):
        acts.append(1 / (1 + np.exp(-(w @ acts[-1] + b))))
    ys = point["y"] if isinstance(point["y"], list) else [point["y"]]
    y = np.array([ys[doc["outputs"].index(n)] for n in layers[-1]], dtype=float)
    delta = -2 * (y - acts[-1]) * acts[-1] * (1 - acts[-1])
    grads: dict[str, float] = {}
    for k in range(len(weights) - 1, -1, -1):
        gw = np.outer(delta, acts[k])
        index = {s: i for i, s in enumerate(layers[k])}
        for r, name in enumerate(layers[k + 1]):
            for src, p in neurons[name]["from"].items():
                grads[p] = float(gw[r, index[src]])
            grads[neurons[name]["bias"]] = float(delta[r])
        if k:
            delta = (weights[k].T @ delta) * acts[k] * (1 - acts[k])
    return grads


def torch_gradients(doc: dict) -> dict[str, float]:
    """Every gradient by PyTorch's autograd in float64: one weight matrix and bias vector per layer."""
    import torch

    params, neurons, point = doc["parameters"], doc["neurons"], doc["data"][0]
    layers = layers_of(doc)
    weights, biases, names = [], [], []
    for below, here in pairwise(layers):
        index = {s: i for i, s in enumerate(below)}
        w = torch.zeros(len(here), len(below), dtype=torch.float64)
        for r, name in enumerate(here):
            for src, p in neurons[name]["from"].items():
                w[r, index[src]] = params[p]
        b = torch.tensor([params[neurons[n]["bias"]] for n in here], dtype=torch.float64)
        weights.append(w.requires_grad_())
        biases.append(b.requires_grad_())
        names.append((below, here))
    act = torch.tensor([point[x] for x in layers[0]], dtype=torch.float64)
    for w, b in zip(weights, biases, strict=True):
        act = torch.sigmoid(w @ act + b)
    ys = point["y"] if isinstance(point["y"], list) else [point["y"]]
    y = torch.tensor([ys[doc["outputs"].index(n)] for n in layers[-1]], dtype=torch.float64)
    ((y - act) ** 2).sum().backward()
    grads: dict[str, float] = {}
    for (below, here), w, b in zip(names, weights, biases, strict=True):
        index = {s: i for i, s in enumerate(below)}
        gw, gb = w.grad.tolist(), b.grad.tolist()
        for r, name in enumerate(here):
            for src, p in neurons[name]["from"].items():
                grads[p] = gw[r][index[src]]
            grads[neurons[name]["bias"]] = gb[r]
    return grads


def main() -> int:
    backend, network, out = sys.argv[1:4]
    if importlib.util.find_spec(backend) is None:
        print(f"{backend} is not installed", file=sys.stderr)
        return NOT_INSTALLED
    doc = yaml.load(Path(network).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    grads = numpy_gradients(doc) if backend == "numpy" else torch_gradients(doc)
    eta, params = float(doc["learning_rate"]), doc["parameters"]
    result = {p: {"gradient": g, "updated": params[p] - eta * g} for p, g in grads.items()}
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
