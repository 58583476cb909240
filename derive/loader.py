"""Reading a network file: YAML nodes → explicit or dense spec → cross-checked, immutable Network."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import yaml

from . import losses
from .model import (TOP_KEYS, Network, Spec, _read_neuron, read_inputs, read_name, read_number,
                    read_parameters)
from .numbers import Carry
from .source import Collector, compose, suggest

CARRY = re.compile(r"^(exact|round|truncate)(?:\s+(\d{1,2}))?$")


def load(text: str, name: str = "<text>") -> Network:
    """Parse and validate network YAML text; raises SpecError listing every problem."""
    root = compose(text, name)
    c = Collector(name)
    items = c.mapping(root, "$", "the network file")
    c.raise_if_any()
    top = {k: (kn, vn) for k, kn, vn in items}
    c.unknown_keys(items, TOP_KEYS, "$", "the network file")
    if "layers" in top:
        from .dense import expand_dense

        spec = expand_dense(c, top)
    else:
        spec = _explicit(c, top)
    net = _assemble(c, top, spec, name)
    c.raise_if_any()
    return net



def _explicit(c: Collector, top) -> Spec:
    if "neurons" not in top:
        c.error(None, "$", "the file needs `neurons:` (explicit form) or `layers:` (dense shorthand)",
                "see examples/pass_fail.yaml and examples/two_paths_dense.yaml")
    inputs = read_inputs(c, top["inputs"][1]) if "inputs" in top else {}
    if "inputs" not in top:
        c.error(None, "$.inputs", "missing `inputs:`", "list the input names with a label, e.g. `inputs: {x1: IQ}`")
    neurons, nodes = {}, {}
    for key, knode, vnode in (c.mapping(top["neurons"][1], "$.neurons", "neurons") or []) if "neurons" in top else []:
        path = f"$.neurons.{key}"
        name = read_name(c, knode, path, "neuron name")
        neuron = _read_neuron(c, name, vnode, path) if name else None
        if neuron:
            neurons[name], nodes[name] = neuron, knode
    params, pnodes = read_parameters(c, top.get("parameters"))
    return Spec(inputs, neurons, nodes, params, pnodes)




def _assemble(c: Collector, top, spec: Spec, name: str) -> Network | None:
    known = _check_names(c, spec)
    _check_references(c, spec, known)
    order = _topological(c, spec)
    outputs = _outputs(c, top, spec)
    loss = _loss(c, top, spec, outputs)
    data = _data(c, top, spec, outputs)
    carry, show = _numbers(c, top)
    freeze = _freeze(c, top, spec)
    eta = read_number(c, top["learning_rate"][1], "$.learning_rate", "learning_rate") if "learning_rate" in top else Fraction(1, 10)
    if eta is not None and eta < 0:
        c.error(top["learning_rate"][1], "$.learning_rate", "the learning rate must not be negative",
                "a small positive number such as 0.1")
    title = c.scalar(top["title"][1], "$.title", "title") if "title" in top else Path(name).stem
    if c.problems or order is None:
        return None
    return Network(title=title, inputs=spec.inputs, neurons=tuple(spec.neurons[n] for n in order),
                   outputs=tuple(outputs), parameters=spec.parameters, loss=loss, learning_rate=eta,
                   data=tuple(data), carry=carry, show=show, freeze=freeze, source=name,
                   warnings=tuple(c.warnings))


def _check_names(c: Collector, spec: Spec) -> set[str]:
    seen: dict[str, str] = {}
    for kind, names in (("input", spec.inputs), ("neuron", spec.neurons), ("parameter", spec.parameters)):
        for n in names:
            if n in seen:
                node = spec.nodes.get(n) or spec.param_nodes.get(n)
                c.error(node, "$", f"`{n}` names both an {seen[n]} and a {kind}", "give each a different name")
            seen.setdefault(n, kind)
    return set(spec.inputs) | set(spec.neurons)


def _check_references(c: Collector, spec: Spec, known: set[str]) -> None:
    used_params, used_sources = set(), set()
    for n, neuron in spec.neurons.items():
        node = spec.nodes[n]
        refs = [(e.weight, f"$.neurons.{n}.from.{e.source}") for e in neuron.edges]
        refs.append((neuron.bias, f"$.neurons.{n}.bias"))
        for e in neuron.edges:
            used_sources.add(e.source)
            if e.source not in known:
                c.error(node, f"$.neurons.{n}.from.{e.source}", f"`{e.source}` is neither an input nor a neuron",
                        suggest(e.source, known))
            elif e.source == n:
                c.error(node, f"$.neurons.{n}.from.{e.source}", f"neuron {n} feeds itself", "remove the loop")
        for weight, path in refs:
            if isinstance(weight, str):
                used_params.add(weight)
                if weight not in spec.parameters:
                    c.error(node, path, f"parameter `{weight}` has no value in `parameters:`",
                            suggest(weight, spec.parameters) if spec.parameters else f"add `{weight}: 0.1` under parameters")
    for p, pnode in spec.param_nodes.items():
        if p not in used_params:
            c.warn(pnode, f"$.parameters.{p}", f"parameter `{p}` is defined but no edge or bias uses it")
    for i in spec.inputs:
        if i not in used_sources:
            c.warn(None, f"$.inputs.{i}", f"input `{i}` feeds no neuron")


def _topological(c: Collector, spec: Spec) -> list[str] | None:
    """Neurons in forward order (Kahn), or None after naming a cycle."""
    preds = {n: {e.source for e in neu.edges if e.source in spec.neurons and e.source != n}
             for n, neu in spec.neurons.items()}
    order, ready = [], [n for n in spec.neurons if not preds[n]]
    remaining = {n: set(p) for n, p in preds.items()}
    succ: dict[str, list[str]] = {n: [] for n in spec.neurons}
    for n, ps in preds.items():
        for p in ps:
            succ[p].append(n)
    while ready:
        n = ready.pop(0)
        order.append(n)
        for m in succ[n]:
            remaining[m].discard(n)
            if not remaining[m] and m not in order and m not in ready:
                ready.append(m)
    if len(order) == len(spec.neurons):
        return order
    cycle = _find_cycle({n: remaining[n] for n in spec.neurons if n not in order})
    c.error(spec.nodes[cycle[0]], f"$.neurons.{cycle[0]}", "the neurons form a cycle: " + " → ".join(cycle + [cycle[0]]),
            "a feed-forward network must be acyclic; remove one of these connections")
    return None


def _find_cycle(preds: dict[str, set[str]]) -> list[str]:
    start = next(iter(preds))
    path, seen = [start], {start: 0}
    while True:
        nxt = next(p for p in sorted(preds[path[-1]]) if p in preds)
        if nxt in seen:
            return list(reversed(path[seen[nxt]:]))
        seen[nxt] = len(path)
        path.append(nxt)


def _outputs(c: Collector, top, spec: Spec) -> list[str]:
    if spec.outputs is not None:
        return spec.outputs
    if "outputs" not in top:
        fed = {e.source for neu in spec.neurons.values() for e in neu.edges}
        return [n for n in spec.neurons if n not in fed]
    outs = []
    for i, node in enumerate(c.sequence(top["outputs"][1], "$.outputs", "outputs") or []):
        name = read_name(c, node, f"$.outputs[{i}]", "output")
        if name and name not in spec.neurons:
            c.error(node, f"$.outputs[{i}]", f"output `{name}` is not a neuron", suggest(name, spec.neurons))
        elif name in outs:
            c.error(node, f"$.outputs[{i}]", f"output `{name}` is listed twice")
        elif name:
            outs.append(name)
    if not outs and not c.problems:
        c.error(top["outputs"][1], "$.outputs", "no outputs listed", "name the output neuron(s), e.g. [O2]")
    return outs


def _loss(c: Collector, top, spec: Spec, outputs: list[str]) -> str:
    if "loss" not in top:
        return "squared_error"
    node = top["loss"][1]
    name = c.scalar(node, "$.loss", "loss")
    if name is None:
        return "squared_error"
    if name not in losses.NAMES:
        c.error(node, "$.loss", f"unknown loss `{name}`", suggest(name, losses.NAMES) + " (allowed: " + ", ".join(losses.NAMES) + ")")
        return name
    acts = {spec.neurons[o].activation.name for o in outputs if o in spec.neurons}
    softmax = {n for n, neu in spec.neurons.items() if neu.activation.name == "softmax"}
    if name == "categorical_cross_entropy" and acts != {"softmax"}:
        c.error(node, "$.loss", "categorical_cross_entropy needs softmax on every output neuron",
                "set `activation: softmax` on the outputs, or use binary_cross_entropy with sigmoid outputs")
    if name == "binary_cross_entropy" and not acts <= {"sigmoid", "softmax"}:
        c.error(node, "$.loss", "binary_cross_entropy needs outputs between 0 and 1 (sigmoid outputs)",
                "set `activation: sigmoid` on the outputs, or use squared_error")
    for n in softmax:
        if n not in outputs or any(e.source == n for neu in spec.neurons.values() for e in neu.edges):
            c.error(spec.nodes[n], f"$.neurons.{n}.activation", f"softmax on {n}: softmax belongs on output neurons only",
                    "use sigmoid, tanh or relu on hidden neurons")
    if softmax and len(softmax) < 2:
        c.error(spec.nodes[next(iter(softmax))], "$.neurons", "softmax needs at least two output neurons",
                "use sigmoid for a single output")
    for n, neu in spec.neurons.items():
        if neu.threshold is not None and n not in outputs:
            c.error(spec.nodes[n], f"$.neurons.{n}.threshold", "a threshold belongs on an output neuron")
    return name


def _data(c: Collector, top, spec: Spec, outputs: list[str]) -> list:
    from .model import DataPoint

    if "data" not in top:
        c.error(None, "$.data", "missing `data:` (no data point to work through)",
                "add e.g. `data: [{x1: 95, x2: 4, x3: 4, y: 1}]`")
        return []
    rows = c.sequence(top["data"][1], "$.data", "data") or []
    if not rows and isinstance(top["data"][1], yaml.SequenceNode):
        c.error(top["data"][1], "$.data", "`data:` is empty (no data point to work through)",
                "add at least one row, e.g. `- {x1: 1, y: 0}`")
    points = []
    for i, row in enumerate(rows):
        path = f"$.data[{i}]"
        items = c.mapping(row, path, "a data point")
        if items is None:
            continue
        fields = {k: v for k, _, v in items}
        c.unknown_keys(items, set(spec.inputs) | {"x", "y"}, path, "a data point")
        values = _point_inputs(c, fields, spec, path, row)
        targets = _targets(c, fields, path, row, len(outputs))
        if values is not None and targets is not None:
            points.append(DataPoint(values, tuple(targets)))
    return points


def _point_inputs(c, fields, spec, path, row):
    names = list(spec.inputs)
    if "x" in fields:
        items = c.sequence(fields["x"], path + ".x", "x") or []
        if len(items) != len(names):
            c.error(fields["x"], path + ".x", f"x has {len(items)} values but the network has {len(names)} inputs ({', '.join(names)})")
            return None
        vals = [read_number(c, n, f"{path}.x[{j}]", "input value") for j, n in enumerate(items)]
        return None if None in vals else dict(zip(names, vals))
    values = {}
    for n in names:
        if n not in fields:
            c.error(row, path, f"data point has no value for input `{n}`", f"add `{n}: ...` to this row")
            continue
        values[n] = read_number(c, fields[n], f"{path}.{n}", f"input {n}")
    return None if len(values) < len(names) or None in values.values() else values


def _targets(c, fields, path, row, count):
    if "y" not in fields:
        c.error(row, path, "data point has no target `y`", "add `y: 1` (or a list, one per output)")
        return None
    node = fields["y"]
    nodes = c.sequence(node, path + ".y", "y") if isinstance(node, yaml.SequenceNode) else [node]
    if nodes is None:
        return None
    if len(nodes) != count:
        c.error(node, path + ".y", f"y has {len(nodes)} value(s) but the network has {count} output(s)",
                "give one target per output, in the order of `outputs:`")
        return None
    ys = [read_number(c, n, f"{path}.y", "target") for n in nodes]
    return None if None in ys else ys


def _numbers(c: Collector, top) -> tuple[Carry, int]:
    carry, show = Carry(), 5
    if "numbers" not in top:
        return carry, show
    items = c.mapping(top["numbers"][1], "$.numbers", "numbers") or []
    c.unknown_keys(items, {"carry", "show"}, "$.numbers", "numbers")
    for key, _, node in items:
        text = c.scalar(node, f"$.numbers.{key}", key)
        if text is None:
            continue
        if key == "carry":
            m = CARRY.match(text.strip())
            if not m or (m.group(1) == "exact") == bool(m.group(2)):
                c.error(node, "$.numbers.carry", f"carry `{text}` is not understood",
                        "write `exact`, `round N` or `truncate N` (N decimals, e.g. truncate 3)")
            else:
                carry = Carry(m.group(1), int(m.group(2) or 0))
        elif key == "show":
            if not text.isdigit() or not 1 <= int(text) <= 30:
                c.error(node, "$.numbers.show", f"show `{text}` must be a whole number of digits from 1 to 30")
            else:
                show = int(text)
    return carry, show


def _freeze(c: Collector, top, spec: Spec) -> frozenset[str]:
    if "freeze" not in top:
        return frozenset()
    names = set()
    for i, node in enumerate(c.sequence(top["freeze"][1], "$.freeze", "freeze") or []):
        n = read_name(c, node, f"$.freeze[{i}]", "frozen parameter")
        if n and n not in spec.parameters:
            c.error(node, f"$.freeze[{i}]", f"`{n}` is not a parameter", suggest(n, spec.parameters))
        elif n:
            names.add(n)
    return frozenset(names)
