"""The dense shorthand: `layers: [2, 2, 2, 1]` expanded to named neurons, weights and biases."""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from itertools import pairwise

import yaml

from derive.activations import Activation
from derive.spec.model import Edge, Neuron, Spec, read_activation, read_number, read_parameters
from derive.spec.source import Collector

NAMINGS = ("lecture",)
MAX_UNITS = 100_000
SIZE = re.compile(r"[0-9]{1,6}", re.ASCII)
RANDOM_HINT = "e.g. random: {seed: 7, low: -1, high: 1, decimals: 2}"


def expand_dense(c: Collector, top) -> Spec:
    """Lecture naming: inputs x1.., neurons O11, O12, O21.. (layer, index), weights w1.. layer by layer
    (for each neuron in turn, one per source), biases b1.. one per neuron in order."""
    for key in ("neurons", "inputs", "outputs"):
        if key in top:
            c.error(
                top[key][0],
                f"$.{key}",
                f"`{key}:` does not go with `layers:` (the shorthand names them itself)",
                "run `derive --expand FILE` to get the explicit form, then edit that",
            )
    sizes = _sizes(c, top["layers"][1])
    if "naming" in top:
        naming = c.scalar(top["naming"][1], "$.naming", "naming")
        if naming is not None and naming not in NAMINGS:
            c.error(top["naming"][1], "$.naming", f"unknown naming `{naming}`", "allowed: " + ", ".join(NAMINGS))
    acts = _activations(c, top.get("activation"), len(sizes) - 1 if sizes else None)
    if not sizes or acts is None:
        return Spec({}, {}, {}, {}, {})
    inputs = {f"x{i}": f"x{i}" for i in range(1, sizes[0] + 1)}
    sep = "_" if max(len(sizes), max(sizes)) > 9 else ""
    layers = [list(inputs)] + [[f"O{k}{sep}{i}" for i in range(1, size + 1)] for k, size in enumerate(sizes[1:], 1)]
    neurons, w, names = {}, 0, []
    for k in range(1, len(layers)):
        for name in layers[k]:
            edges = []
            for src in layers[k - 1]:
                w += 1
                edges.append(Edge(src, f"w{w}"))
            neurons[name] = edges
    weights = [f"w{i}" for i in range(1, w + 1)]
    biases = [f"b{i}" for i in range(1, len(neurons) + 1)]
    names = weights + biases
    built = {}
    for (name, edges), bias, act in zip(neurons.items(), biases, _per_neuron(acts, layers), strict=True):
        built[name] = Neuron(name, tuple(edges), bias, act)
    node = top["layers"][1]
    params, pnodes = _parameters(c, top.get("parameters"), names)
    return Spec(inputs, built, {n: node for n in built}, params, pnodes, outputs=layers[-1])


def _sizes(c: Collector, node) -> list[int]:
    items = c.sequence(node, "$.layers", "layers", "e.g. layers: [2, 2, 1] (inputs, hidden sizes..., outputs)")
    if items is None:
        return []
    sizes = []
    for i, item in enumerate(items):
        text = c.scalar(item, f"$.layers[{i}]", "layer size")
        if text is not None and (not SIZE.fullmatch(text) or int(text) < 1):
            shown = text if len(text) <= 12 else text[:9] + "..."
            c.error(
                item,
                f"$.layers[{i}]",
                f"layer size `{shown}` must be a whole number of at least 1",
                "write the number of units in this layer, e.g. 2",
            )
        elif text is not None:
            sizes.append(int(text))
    if len(sizes) == len(items) and len(sizes) < 2:
        c.error(node, "$.layers", "layers needs at least an input size and an output size", "e.g. layers: [2, 2, 1]")
    total = sum(a * b for a, b in pairwise(sizes))
    if total > MAX_UNITS:
        c.error(node, "$.layers", f"these layers have {total} weights; the limit is {MAX_UNITS}", "use smaller layers")
    return sizes if len(sizes) == len(items) and len(sizes) >= 2 and total <= MAX_UNITS else []


def _activations(c: Collector, entry, count: int | None) -> list[Activation] | None:
    """One activation per layer after the inputs; `count` is None when the layers are wrong."""
    if entry is None:
        c.missing(
            None,
            "$.activation",
            "the dense shorthand needs `activation:` (one for all layers, or a list)",
            "e.g. activation: sigmoid",
        )
        return None
    node = entry[1]
    if isinstance(node, yaml.SequenceNode):
        items = c.sequence(node, "$.activation", "activation") or []
        acts = [read_activation(c, n, f"$.activation[{i}]") for i, n in enumerate(items)]
        if count is not None and len(items) != count:
            c.error(
                node,
                "$.activation",
                f"activation lists {len(items)} layers but there are {count} layers after the inputs",
                "give one activation per hidden and output layer",
            )
            return None
        read = [a for a in acts if a is not None]
        return None if len(read) != len(acts) or count is None else read
    act = read_activation(c, node, "$.activation")
    return None if act is None or count is None else [act] * count


def _per_neuron(acts, layers):
    for k, layer in enumerate(layers[1:]):
        for _ in layer:
            yield acts[k]


def _parameters(c: Collector, entry, names: list[str]):
    if entry is None:
        c.missing(
            None,
            "$.parameters",
            "missing `parameters:`",
            "give values by name or `random: {seed: 7, low: -1, high: 1, decimals: 2}`",
        )
        return {}, {}
    node = entry[1]
    if isinstance(node, yaml.MappingNode) and any(k.value == "random" for k, _ in node.value):
        params = _random(c, node, names)
        if c.failed("$.parameters"):
            c.explained.add("$.parameters")
        return params, {}
    params, pnodes = read_parameters(c, entry)
    missing = [n for n in names if n not in pnodes]
    if missing and not c.failed("$.parameters"):
        shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        c.error(
            node,
            "$.parameters",
            f"no value for {len(missing)} parameter(s): {shown}",
            "give every weight and bias a value, or use `random:`",
        )
    return params, pnodes


def _random(c: Collector, node, names: list[str]) -> dict[str, Fraction]:
    items = c.mapping(node, "$.parameters", "parameters") or []
    c.unknown_keys(items, {"random"}, "$.parameters", "parameters")
    entry = next((v for k, _, v in items if k == "random"), None)
    fields = c.mapping(entry, "$.parameters.random", "random", RANDOM_HINT) if entry is not None else None
    c.unknown_keys(fields or [], {"seed", "low", "high", "decimals"}, "$.parameters.random", "random")
    spec = {k: v for k, _, v in fields or []}
    read = {
        k: read_number(c, spec[k], f"$.parameters.random.{k}", k) if k in spec else d
        for k, d in (("seed", Fraction(0)), ("low", Fraction(-1)), ("high", Fraction(1)), ("decimals", Fraction(2)))
    }
    if fields is None or None in read.values():
        return {}
    got = {k: v for k, v in read.items() if v is not None}  # all of them
    scale = 10 ** int(got["decimals"]) if got["decimals"].denominator == 1 and 0 <= got["decimals"] <= 6 else None
    if scale is None or math.ceil(got["low"] * scale) > math.floor(got["high"] * scale):
        c.error(
            entry,
            "$.parameters.random",
            "random needs low ≤ high, a number with `decimals` places between "
            "them, and decimals a whole number from 0 to 6",
            RANDOM_HINT,
        )
        return {}
    lo, hi = math.ceil(got["low"] * scale), math.floor(got["high"] * scale)
    rng = random.Random(int(got["seed"]))  # a fixed algorithm: the same seed gives the same numbers
    return {n: Fraction(rng.randint(lo, hi), scale) for n in names}
