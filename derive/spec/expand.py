"""`derive --expand`: the explicit form of a network, as YAML a user can rename and edit.

This is the reader's inverse and lives beside it: plain Python, no template and nothing of
derive.render, so `--expand` loads neither Jinja2 nor any output format.
"""

from __future__ import annotations

import json
from fractions import Fraction

from derive.numbers import exact_decimal
from derive.spec.model import Network

HEADER = "# Explicit form written by `derive --expand`; rename anything and it stays a valid network file."


def yaml_number(x: Fraction) -> str:
    """An exact decimal where one exists, else a quoted ratio (read back exactly)."""
    text = exact_decimal(x, max_places=30)
    return text if text is not None else f'"{x.numerator}/{x.denominator}"'


def yaml_string(s: object) -> str:
    """A JSON string, which is also a valid YAML string (quotes, backslashes and all)."""
    return json.dumps(str(s), ensure_ascii=False)


def _ref(w) -> str:
    return w if isinstance(w, str) else yaml_number(w)


def _neuron(n) -> str:
    parts = ["from: {" + ", ".join(f"{e.source}: {_ref(e.weight)}" for e in n.edges) + "}"]
    if n.bias is not None:
        parts.append(f"bias: {_ref(n.bias)}")
    act = n.activation
    parts.append(
        f"activation: {{name: leaky_relu, slope: {yaml_number(act.slope)}}}"
        if act.name == "leaky_relu"
        else f"activation: {act.name}"
    )
    if n.threshold is not None:
        parts.append(f"threshold: {yaml_number(n.threshold)}")
    return f"  {n.name}: {{{', '.join(parts)}}}"


def _training(net: Network) -> list[str]:
    """The training keys that differ from their defaults."""
    t, lines = net.training, []
    if t.optimizer != "sgd" or t.hyper:
        lines.append(
            f"optimizer: {{name: {t.optimizer}" + "".join(f", {k}: {yaml_number(v)}" for k, v in t.hyper) + "}"
        )
    if t.batch_size != 1:
        lines.append(f"batch_size: {t.batch_size if t.batch_size else 'full'}")
    if t.batch_reduction != "mean":
        lines.append(f"batch_reduction: {t.batch_reduction}")
    if t.epochs != 1:
        lines.append(f"epochs: {t.epochs}")
    return lines


def _point(p) -> str:
    inputs = "".join(f"{k}: {yaml_number(v)}, " for k, v in p.inputs.items())
    y = yaml_number(p.targets[0]) if len(p.targets) == 1 else "[" + ", ".join(map(yaml_number, p.targets)) + "]"
    return f"  - {{{inputs}y: {y}}}"


def expand_text(net: Network) -> str:
    carry = net.carry.mode + (f" {net.carry.digits}" if net.carry.mode != "exact" else "")
    lines = [
        HEADER,
        f"title: {yaml_string(net.title)}",
        "inputs:",
        *(f"  {name}: {yaml_string(label)}" for name, label in net.inputs.items()),
        "neurons:",
        *(_neuron(n) for n in net.neurons),
        f"outputs: [{', '.join(net.outputs)}]",
        "parameters:",
        *(f"  {name}: {yaml_number(value)}" for name, value in net.parameters.items()),
        f"loss: {net.loss}",
        f"learning_rate: {yaml_number(net.learning_rate)}",
        *([f"freeze: [{', '.join(sorted(net.freeze))}]"] if net.freeze else []),
        *_training(net),
        *_render(net),
        "data:",
        *(_point(p) for p in net.data),
        "numbers:",
        f"  carry: {carry}",
        f"  show: {net.show}",
    ]
    return "\n".join(lines) + "\n"


def _render(net) -> list[str]:
    """The `render:` block, when the file had one."""
    items = ([f"plot_weight: {net.plot_weight}"] if net.plot_weight else []) + (
        [f"explain: [{', '.join(net.explain)}]"] if net.explain else []
    )
    return [f"render: {{{', '.join(items)}}}"] if items else []
