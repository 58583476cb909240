"""The validated, immutable network a user described, read from YAML with every mistake reported."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import yaml

from . import activations, losses
from .activations import Activation
from .errors import Problem
from .numbers import Carry, parse_number
from .source import Collector, compose, suggest

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
RESERVED = {"L", "y", "z", "eta", "sigma", "delta", "e"}
TOP_KEYS = {"title", "inputs", "neurons", "outputs", "parameters", "loss", "learning_rate", "data",
            "numbers", "freeze", "layers", "activation", "naming"}
NEURON_KEYS = {"from", "bias", "activation", "threshold"}


@dataclass(frozen=True)
class Edge:
    """A connection into a neuron: `source` times a parameter name or a fixed number."""

    source: str
    weight: str | Fraction


@dataclass(frozen=True)
class Neuron:
    """z = Σ weight·source + bias; O = activation(z); `threshold` turns O into a class (0 or 1)."""

    name: str
    edges: tuple[Edge, ...]
    bias: str | Fraction | None
    activation: Activation
    threshold: Fraction | None = None


@dataclass(frozen=True)
class DataPoint:
    inputs: dict[str, Fraction]
    targets: tuple[Fraction, ...]


@dataclass(frozen=True)
class Network:
    """Everything a derivation needs; neurons are in topological (forward) order."""

    title: str
    inputs: dict[str, str]  # name -> label
    neurons: tuple[Neuron, ...]
    outputs: tuple[str, ...]
    parameters: dict[str, Fraction]
    loss: str
    learning_rate: Fraction
    data: tuple[DataPoint, ...]
    carry: Carry = Carry()
    show: int = 5
    freeze: frozenset[str] = frozenset()
    source: str = "<text>"
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_name", {n.name: n for n in self.neurons})

    def neuron(self, name: str) -> Neuron:
        return self._by_name[name]

    def edge_count(self) -> int:
        return sum(len(n.edges) for n in self.neurons)


# -- reading pieces --------------------------------------------------------------------------------
def read_name(c: Collector, node, path: str, what: str) -> str | None:
    text = c.scalar(node, path, what)
    if text is None:
        return None
    if not NAME.match(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        c.error(node, path, f"{what} `{shown}` is not a usable name",
                "names start with a letter and use only ASCII letters, digits and _ (at most 32), like x1, O21, w4")
        return None
    if text in RESERVED:
        c.error(node, path, f"{what} `{text}` is reserved for the notation (L, y, z, e, eta, sigma, delta)",
                "choose another name, such as O1 or w1")
        return None
    return text


def read_number(c: Collector, node, path: str, what: str) -> Fraction | None:
    text = c.scalar(node, path, what)
    if text is None:
        return None
    try:
        return parse_number(text)
    except ValueError as exc:
        shown = text if len(text) <= 30 else text[:27] + "..."
        c.error(node, path, f"{what} `{shown}` {exc}")
        return None


def read_activation(c: Collector, node, path: str) -> Activation | None:
    if isinstance(node, yaml.MappingNode):
        items = c.mapping(node, path, "activation") or []
        c.unknown_keys(items, {"name", "slope"}, path, "activation")
        fields = {k: v for k, _, v in items}
        if "name" not in fields:
            c.error(node, path, "activation mapping needs a `name`", "e.g. {name: leaky_relu, slope: 0.1}")
            return None
        act = read_activation(c, fields["name"], path + ".name")
        if act and "slope" in fields:
            slope = read_number(c, fields["slope"], path + ".slope", "slope")
            if act.name != "leaky_relu":
                c.error(fields["slope"], path + ".slope", f"`slope` belongs to leaky_relu, not {act.name}")
            elif slope is not None:
                act = Activation("leaky_relu", slope)
        return act
    text = c.scalar(node, path, "activation")
    if text is None:
        return None
    if text not in activations.NAMES:
        c.error(node, path, f"unknown activation `{text}`", suggest(text, activations.NAMES)
                + " (allowed: " + ", ".join(activations.NAMES) + ")")
        return None
    return Activation(text)


def read_weight(c: Collector, node, path: str) -> str | Fraction | None:
    """A parameter name or a fixed number."""
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith((":int", ":float")):
        return read_number(c, node, path, "fixed weight")
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
        try:
            return parse_number(node.value)
        except ValueError:
            pass
    return read_name(c, node, path, "parameter")


# -- the explicit form ----------------------------------------------------------------------------------
@dataclass
class Spec:
    """The network before cross-checks: what the explicit form or the dense expansion says."""

    inputs: dict[str, str]
    neurons: dict[str, Neuron]
    nodes: dict[str, yaml.Node]  # where each neuron was written, for messages
    parameters: dict[str, Fraction]
    param_nodes: dict[str, yaml.Node]
    outputs: list[str] | None = None


def read_inputs(c: Collector, node) -> dict[str, str]:
    inputs = {}
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(c.sequence(node, "$.inputs", "inputs") or []):
            name = read_name(c, item, f"$.inputs[{i}]", "input name")
            if name:
                inputs[name] = name
        return inputs
    for key, knode, vnode in c.mapping(node, "$.inputs", "inputs") or []:
        name = read_name(c, knode, f"$.inputs.{key}", "input name")
        is_null = isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null")
        label = key if is_null else c.scalar(vnode, f"$.inputs.{key}", "input label")
        if name and label is not None:
            inputs[name] = label
    return inputs


def _read_neuron(c: Collector, name: str, node, path: str) -> Neuron | None:
    items = c.mapping(node, path, f"neuron {name}")
    if items is None:
        return None
    c.unknown_keys(items, NEURON_KEYS, path, f"neuron {name}")
    fields = {k: v for k, _, v in items}
    edges = []
    if "from" not in fields:
        c.error(node, path, f"neuron {name} has no `from:`", "e.g. from: {x1: w1, x2: w2}")
    for key, knode, vnode in c.mapping(fields["from"], path + ".from", "from") or [] if "from" in fields else []:
        source = read_name(c, knode, f"{path}.from.{key}", "source")
        weight = read_weight(c, vnode, f"{path}.from.{key}")
        if source and weight is not None:
            edges.append(Edge(source, weight))
    bias = read_weight(c, fields["bias"], path + ".bias") if "bias" in fields else None
    act = read_activation(c, fields["activation"], path + ".activation") if "activation" in fields else None
    if "activation" not in fields:
        c.error(node, path, f"neuron {name} has no `activation:`", "allowed: " + ", ".join(activations.NAMES))
    threshold = read_number(c, fields["threshold"], path + ".threshold", "threshold") if "threshold" in fields else None
    if act is None:
        return None
    return Neuron(name, tuple(edges), bias, act, threshold)


def read_parameters(c: Collector, entry) -> tuple[dict[str, Fraction], dict[str, yaml.Node]]:
    params, nodes = {}, {}
    if entry is None:
        return params, nodes
    for key, knode, vnode in c.mapping(entry[1], "$.parameters", "parameters") or []:
        name = read_name(c, knode, f"$.parameters.{key}", "parameter name")
        value = read_number(c, vnode, f"$.parameters.{key}", f"parameter {key}")
        if name and value is not None:
            params[name], nodes[name] = value, knode
    return params, nodes
