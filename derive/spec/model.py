"""The validated, immutable network a user described, read from YAML with every mistake reported."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import yaml

from derive import activations
from derive.activations import Activation
from derive.errors import Problem
from derive.numbers import Carry, parse_number
from derive.spec.source import Collector, suggest

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")  # used with fullmatch: `$` would let "O1\n" through
NUMERIC = re.compile(r"\s*[-+.0-9]", re.ASCII)  # names start with a letter: this can only be a number
# Words the notes or the answer grammar (derive/check/grammar.py, derive/check/names.py) give a
# meaning of their own, with that meaning: a name spelt like one would be typeset like it, or be read
# as it in an answer.
RESERVED = {
    "L": "the notes write the loss as L",
    "y": "the notes write the target as y",
    "z": "the notes write a weighted sum as z",
    "e": "answers read `e` as Euler's number (e^-z)",
    "eta": "the notes write the learning rate as η, and answers read `eta` as η",
    "sigma": "answers read `sigma` as the sigmoid σ(…)",
    "delta": "the notes write ∂L/∂z as δ, and answers read `delta` as δ",
    "sigmoid": "answers read `sigmoid` as the function σ(…), so an answer could not use this name",
    "exp": "answers read `exp` as the exponential function exp(…), so an answer could not use this name",
    "ln": "answers read `ln` as the natural logarithm ln(…), so an answer could not use this name",
    "log": "answers read `log` as the natural logarithm log(…), so an answer could not use this name",
    "tanh": "answers read `tanh` as the function tanh(…), so an answer could not use this name",
    "d": "answers read `d` as the d of a derivative (dL/dw1), so an answer could not use this name",
    "loss": "an answer's key `loss` means the loss L",
    "error": "an answer's key `error` means the error y − ŷ",
}
# Symbols the notes generate with an index: z₁ and δ₁ for neuron O1 (or h1), y₁ for output 1.
INDEXED_SYMBOLS = {
    "z": ("z", "the weighted sum"),
    "delta": ("δ", "δ = ∂L/∂z"),
    "y": ("y", "the target"),
}
_NEURON_INDEX = re.compile(r"[A-Za-z]+[0-9]+", re.ASCII)  # O21 → z₂₁, as derive.latex subscripts it
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEXED_NAME = re.compile(r"(z|delta|y)_?([0-9]+(?:_[0-9]+)?)", re.ASCII)
# Characters that show as nothing (or as a plain space) in an editor and a terminal.
# (Control characters are escaped by derive.errors.clean, as \n or \x1b.)
_INVISIBLE = {"Cf", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
_HANGUL_FILLERS = set("\u115f\u1160\u3164\uffa0")
TOP_KEYS = {
    "title",
    "inputs",
    "neurons",
    "outputs",
    "parameters",
    "loss",
    "learning_rate",
    "data",
    "numbers",
    "freeze",
    "layers",
    "activation",
    "naming",
    "optimizer",
    "batch_size",
    "batch_reduction",
    "epochs",
    "render",
}
RENDER_KEYS = {"plot_weight", "explain"}
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


# Each optimizer's hyper-parameters with their defaults: PyTorch's and Kingma & Ba's (beta1 0.9,
# beta2 0.999, epsilon 1e-8), the momentum 0.9 everyone quotes (PyTorch's own default is 0), and
# RMSProp's rho 0.9 from Hinton's lecture and Keras (PyTorch's alpha is 0.99). `perceptron` is the
# perceptron learning rule for a thresholded single neuron, which has no hyper-parameters.
OPTIMIZERS: dict[str, dict[str, Fraction]] = {
    "sgd": {},
    "momentum": {"beta": Fraction(9, 10)},
    "nesterov": {"beta": Fraction(9, 10)},
    "rmsprop": {"rho": Fraction(9, 10), "epsilon": Fraction(1, 10**8)},
    "adam": {"beta1": Fraction(9, 10), "beta2": Fraction(999, 1000), "epsilon": Fraction(1, 10**8)},
    "perceptron": {},
}


@dataclass(frozen=True)
class Training:
    """How to train over the data: the optimizer and the hyper-parameters the file wrote
    (hyper_parameters() fills in the defaults), the batch size (None: the whole data set), how a
    batch's gradients combine, and the epochs. `given` names the keys the file wrote, so the notes
    can say which values are defaults."""

    optimizer: str = "sgd"
    hyper: tuple[tuple[str, Fraction], ...] = ()
    batch_size: int | None = 1
    batch_reduction: str = "mean"
    epochs: int = 1
    given: frozenset[str] = frozenset()

    def hyper_parameters(self) -> dict[str, Fraction]:
        return {**OPTIMIZERS[self.optimizer], **dict(self.hyper)}


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
    plot_weight: str | None = None  # `render: {plot_weight: w4}`: the notes show its descent curve
    explain: tuple[str, ...] = ()  # `render: {explain: [w4, w1]}`: derived first, in this order
    source: str = "<text>"
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    training: Training = Training()

    @cached_property
    def _by_name(self) -> dict[str, Neuron]:
        return {n.name: n for n in self.neurons}

    def neuron(self, name: str) -> Neuron:
        return self._by_name[name]

    def edge_count(self) -> int:
        return sum(len(n.edges) for n in self.neurons)


# -- names ---------------------------------------------------------------------------------------
def _hidden(ch: str) -> bool:
    return ch != " " and (unicodedata.category(ch) in _INVISIBLE or ch in _HANGUL_FILLERS)


def visible(text: str) -> str:
    """`text` with every invisible character (zero-width, non-breaking space, control, combining
    mark) written as an escape such as \\u200b, so a message shows what an editor hides."""
    return "".join(f"\\u{ord(ch):04x}" if _hidden(ch) else ch for ch in text)


def _example_name(what: str) -> str:
    """A name of the kind `what` describes, for hints."""
    if "input" in what:
        return "x1"
    if any(word in what for word in ("parameter", "weight", "bias")):
        return "w1"
    return "O1"


def read_name(c: Collector, node, path: str, what: str) -> str | None:
    text = c.scalar(node, path, what)
    if text is None:
        return None
    if not NAME.fullmatch(text):
        hidden = next((ch for ch in text if _hidden(ch)), None)
        shown = visible(text if len(text) <= 40 else text[:37] + "...")
        if hidden is not None:
            c.error(
                node,
                visible(path),
                f"{what} `{shown}` contains an invisible character, U+{ord(hidden):04X} "
                f"({unicodedata.name(hidden, 'unnamed').lower()})",
                "delete it (most editors do not show it): names use only ASCII letters, digits and _",
            )
            return None
        c.error(
            node,
            path,
            f"{what} `{shown}` is not a usable name",
            "names start with a letter and use only ASCII letters, digits and _ (at most 32), like x1, O21, w4",
        )
        return None
    if text in RESERVED:
        c.error(
            node,
            path,
            f"{what} `{text}` is reserved: {RESERVED[text]}",
            f"choose another name, such as {_example_name(what)}",
        )
        return None
    return text


def notation_clash(name: str, neurons: list[str], names: set[str]) -> str | None:
    """Why `name` would be confused with a symbol the notes generate (z₁, δ₁, y₁ for an index; zO1,
    deltaO1 for a neuron; dw1 for another name, read as the derivative sign before it; w1new for a
    parameter), or None. `neurons` and `names` are every neuron and every name of the network."""
    m = _INDEXED_NAME.fullmatch(name)
    if m:
        stem, index = m.groups()
        symbol, meaning = INDEXED_SYMBOLS[stem]
        shown = symbol + _subscript(index)
        if stem == "y":
            return f"the notes write {meaning} of output {index} as {shown}, and answers read `{name}` as it"
        owner = next(
            (n for n in neurons if n != name and _NEURON_INDEX.fullmatch(n) and n.lstrip(_LETTERS) == index), None
        )
        whose = f"of neuron {owner}" if owner else f"of a neuron with index {index}"
        return f"the notes write {meaning} {whose} as {shown}, and answers read `{name}` as it"
    for stem, (symbol, meaning) in INDEXED_SYMBOLS.items():
        rest = name[len(stem) :].lstrip("_") if name.startswith(stem) else ""
        if stem != "y" and rest in neurons and rest != name:
            return f"answers read `{name}` as {meaning} of neuron {rest}, {symbol}({rest})"
    if name.startswith("d") and name[1:] in names:
        return f"answers read `{name}` as d {name[1:]}, the derivative sign d before `{name[1:]}` (as in dL/{name})"
    for ending in ("_new", "new"):
        base = name.removesuffix(ending)
        if base != name and base in names:
            return f"answers read `{name}` as the updated value of `{base}`, new({base})"
    return None


def _subscript(index: str) -> str:
    return index.translate(str.maketrans("0123456789_", "₀₁₂₃₄₅₆₇₈₉,"))


def learning_rate_problem(value: Fraction) -> tuple[str, str] | None:
    """(message, hint) when `value` is not a usable learning rate, the one rule of the file's
    `learning_rate` and of the command-line options that override it."""
    if value < 0:
        return (
            "the learning rate must not be negative (a step against the gradient would climb the loss)",
            "a small positive number such as 0.1",
        )
    return None


# -- reading pieces --------------------------------------------------------------------------------


def read_number(c: Collector, node, path: str, what: str) -> Fraction | None:
    text = c.scalar(node, path, what, bool_hint="write a number such as 0.5 (or 1 and 0 for true and false)")
    if text is None:
        return None
    if node.tag.endswith(":float") and text.strip().lower().lstrip("+-") in (".nan", ".inf"):
        c.error(node, path, f"{what} `{text}` is not a finite number", "write a decimal such as 0.01")
        return None
    try:
        return parse_number(text)
    except ValueError as exc:
        shown = visible(text if len(text) <= 30 else text[:27] + "...")
        problem, _, why = str(exc).rpartition(" (")  # "is too large (the limit is ...)": the hint is last
        if not problem:
            problem, why = why, ""
        c.error(node, path, f"{what} `{shown}` {problem}", why.removesuffix(")") or "write a decimal such as 0.01")
        return None


def read_activation(c: Collector, node, path: str) -> Activation | None:
    if isinstance(node, yaml.MappingNode):
        items = c.mapping(node, path, "activation")
        if items is None:
            return None
        c.unknown_keys(items, {"name", "slope"}, path, "activation")
        fields = {k: v for k, _, v in items}
        if "name" not in fields:
            c.missing(node, path + ".name", "activation mapping needs a `name`", "e.g. {name: leaky_relu, slope: 0.1}")
            return None
        act = read_activation(c, fields["name"], path + ".name")
        if act and "slope" in fields:
            slope = read_number(c, fields["slope"], path + ".slope", "slope")
            if act.name != "leaky_relu":
                c.error(
                    fields["slope"],
                    path + ".slope",
                    f"`slope` belongs to leaky_relu, not {act.name}",
                    "remove `slope`, or use `{name: leaky_relu, slope: 0.1}`",
                )
            elif slope is not None:
                act = Activation("leaky_relu", slope)
        return act
    text = c.scalar(node, path, "activation")
    if text is None:
        return None
    if text not in activations.NAMES:
        c.error(
            node,
            path,
            f"unknown activation `{text}`",
            suggest(text, activations.NAMES) + " (allowed: " + ", ".join(activations.NAMES) + ")",
        )
        return None
    return Activation(text)


def read_weight(c: Collector, node, path: str, what: str) -> str | Fraction | None:
    """A parameter name or a fixed number (a value that starts like a number is read as one)."""
    if isinstance(node, yaml.ScalarNode) and (
        node.tag.endswith((":int", ":float")) or NUMERIC.match(node.value) or node.value.lstrip()[:1].isdecimal()
    ):  # a digit of another script (٣, ３) starts a number too, which read_number then refuses with the reason
        return read_number(c, node, path, what)
    return read_name(c, node, path, what)


# -- the explicit form ----------------------------------------------------------------------------------
@dataclass
class Spec:
    """The network before cross-checks: what the explicit form or the dense expansion says."""

    inputs: dict[str, str]
    neurons: dict[str, Neuron]
    nodes: dict[str, yaml.Node]  # where each neuron was written, for messages
    parameters: dict[str, Fraction]
    param_nodes: dict[str, yaml.Node]  # also names whose value was wrong (already reported)
    outputs: list[str] | None = None
    broken: set[str] = field(default_factory=set)  # neurons named correctly but written wrongly


def read_inputs(c: Collector, node) -> dict[str, str]:
    inputs = {}
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(c.sequence(node, "$.inputs", "inputs") or []):
            name = read_name(c, item, f"$.inputs[{i}]", "input name")
            if name in inputs:
                c.error(item, f"$.inputs[{i}]", f"input `{name}` is listed twice", "remove one of them")
            elif name:
                inputs[name] = name
                c.keys[f"$.inputs.{name}"] = item
        return inputs
    for key, knode, vnode in c.mapping(node, "$.inputs", "inputs", "e.g. inputs: {x1: IQ, x2: Study hours}") or []:
        name = read_name(c, knode, f"$.inputs.{key}", "input name")
        is_null = isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null")
        label = key if is_null else c.scalar(vnode, f"$.inputs.{key}", "input label")
        if name and label is not None:
            inputs[name] = label
    return inputs


FROM_HINT = "write `from: {x1: w1, x2: w2}`: each source with its weight (a parameter name or a number)"


def _read_neuron(c: Collector, name: str, node, path: str) -> Neuron | None:
    items = c.mapping(node, path, f"neuron {name}", "e.g. {from: {x1: w1}, bias: b1, activation: sigmoid}")
    if items is None:
        return None
    c.unknown_keys(items, NEURON_KEYS, path, f"neuron {name}")
    fields = {k: v for k, _, v in items}
    edges = []
    if "from" not in fields:
        c.missing(node, path + ".from", f"neuron {name} has no `from:`", FROM_HINT)
    for key, knode, vnode in (
        c.mapping(fields["from"], path + ".from", "from", FROM_HINT) or [] if "from" in fields else []
    ):
        source = read_name(c, knode, f"{path}.from.{key}", "source")
        weight = read_weight(c, vnode, f"{path}.from.{key}", f"the weight from {key}")
        if source and weight is not None:
            edges.append(Edge(source, weight))
    bias = read_weight(c, fields["bias"], path + ".bias", "bias") if "bias" in fields else None
    act = read_activation(c, fields["activation"], path + ".activation") if "activation" in fields else None
    if "activation" not in fields:
        c.missing(
            node,
            path + ".activation",
            f"neuron {name} has no `activation:`",
            "add e.g. `activation: sigmoid` (allowed: " + ", ".join(activations.NAMES) + ")",
        )
    threshold = read_number(c, fields["threshold"], path + ".threshold", "threshold") if "threshold" in fields else None
    if act is None:
        return None
    return Neuron(name, tuple(edges), bias, act, threshold)


def read_parameters(c: Collector, entry) -> tuple[dict[str, Fraction], dict[str, yaml.Node]]:
    """Values by name; `nodes` also holds names whose value was wrong (already reported)."""
    params: dict[str, Fraction] = {}
    nodes: dict[str, yaml.Node] = {}
    if entry is None:
        return params, nodes
    items = c.mapping(entry[1], "$.parameters", "parameters", "e.g. parameters: {w1: 0.01, b1: 0.5}")
    if items is None:
        c.explained.add("$.parameters")
    for key, knode, vnode in items or []:
        name = read_name(c, knode, f"$.parameters.{key}", "parameter name")
        value = read_number(c, vnode, f"$.parameters.{key}", f"parameter {key}")
        if name:
            nodes[name] = knode
        elif NAME.fullmatch(plain := "".join(ch for ch in key if not _hidden(ch))):
            nodes[plain] = knode  # reported with its invisible character; the edges that use it are right
        if name and value is not None:
            params[name] = value
    return params, nodes
