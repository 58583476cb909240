"""Reading a network file: YAML nodes → explicit or dense spec → cross-checked, immutable Network."""

from __future__ import annotations

import re
from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from derive import losses
from derive.numbers import Carry, exact_decimal
from derive.spec.model import (
    RENDER_KEYS,
    TOP_KEYS,
    DataPoint,
    Network,
    Neuron,
    Spec,
    _read_neuron,
    learning_rate_problem,
    notation_clash,
    read_inputs,
    read_name,
    read_number,
    read_parameters,
)
from derive.spec.source import Collector, close_match, compose, suggest
from derive.spec.training import read_training

CARRY = re.compile(r"(exact|round|truncate)(?:\s+([0-9]{1,2}))?", re.ASCII)
SHOW = re.compile(r"[0-9]{1,2}", re.ASCII)
# Where the shape of the network is written: while any of these has a problem, checks that count
# inputs and outputs would only repeat it.
STRUCTURE = ("$.inputs", "$.neurons", "$.layers", "$.activation", "$.outputs")
NEURONS_HINT = "one line per neuron, e.g. `O1: {from: {x1: w1}, bias: b1, activation: sigmoid}`"


def load(text: str, name: str = "<text>") -> Network:
    """Parse and validate network YAML text; raises SpecError listing every problem."""
    root = compose(text, name)
    c = Collector(name, root)
    items = c.mapping(root, "$", "the network file", "start from examples/pass_fail.yaml (see README: Input format)")
    c.raise_if_any()
    assert items is not None  # raise_if_any raised where the file is not a mapping
    top = {k: (kn, vn) for k, kn, vn in items}
    c.unknown_keys(items, TOP_KEYS, "$", "the network file")
    if "layers" in top:
        from derive.spec.dense import expand_dense

        spec = expand_dense(c, top)
    else:
        spec = _explicit(c, top)
    net = _assemble(c, top, spec, name)
    c.raise_if_any()
    assert net is not None  # _assemble gives None only with problems, which raise_if_any raised
    return net


def _explicit(c: Collector, top) -> Spec:
    if "neurons" not in top:
        c.missing(
            None,
            "$.neurons",
            "the file needs `neurons:` (explicit form) or `layers:` (dense shorthand)",
            "see examples/pass_fail.yaml and examples/two_paths_dense.yaml",
        )
    if "inputs" not in top:
        c.missing(None, "$.inputs", "missing `inputs:`", "list the input names with a label, e.g. `inputs: {x1: IQ}`")
    inputs = read_inputs(c, top["inputs"][1]) if "inputs" in top else {}
    neurons, nodes, broken = _read_neurons(c, top)
    params, pnodes = read_parameters(c, top.get("parameters"))
    used = list(dict.fromkeys(w for _, w in _weights(neurons) if isinstance(w, str)))
    if "parameters" not in top and used:
        c.missing(
            None,
            "$.parameters",
            f"missing `parameters:`; the neurons use {_listing(used)}",
            f"give each a starting value, e.g. `parameters: {{{used[0]}: 0.1}}`",
        )
    return Spec(inputs, neurons, nodes, params, pnodes, broken=broken)


def _listing(names: list[str], most: int = 12) -> str:
    return ", ".join(names[:most]) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def _read_neurons(c: Collector, top):
    """Neurons by name, where each was written, and the names of neurons written wrongly."""
    neurons: dict[str, Neuron] = {}
    nodes: dict[str, Any] = {}
    broken: set[str] = set()
    if "neurons" not in top:
        return neurons, nodes, broken
    items = c.mapping(top["neurons"][1], "$.neurons", "neurons", NEURONS_HINT)
    if items == []:
        c.error(top["neurons"][1], "$.neurons", "`neurons:` is empty", NEURONS_HINT)
    for key, knode, vnode in items or []:
        path = f"$.neurons.{key}"
        name = read_name(c, knode, path, "neuron name")
        neuron = _read_neuron(c, name, vnode, path) if name else None
        if name and neuron:
            neurons[name], nodes[name] = neuron, knode
        elif name:
            broken.add(name)
    return neurons, nodes, broken


def _weights(neurons):
    """(path, weight) of every edge and bias, in file order."""
    for n, neuron in neurons.items():
        for e in neuron.edges:
            yield f"$.neurons.{n}.from.{e.source}", e.weight
        yield f"$.neurons.{n}.bias", neuron.bias


def _assemble(c: Collector, top, spec: Spec, name: str) -> Network | None:
    _check_names(c, spec)
    _check_references(c, spec)
    order = _topological(c, spec)
    outputs = _outputs(c, top, spec)
    _check_activations(c, spec, outputs)
    loss = _loss(c, top, spec, outputs)
    data = _data(c, top, spec, outputs, loss)
    carry, show = _numbers(c, top)
    freeze = _freeze(c, top, spec)
    plot_weight, explain = _render_options(c, top, spec)
    training = read_training(c, top)
    eta = (
        read_number(c, top["learning_rate"][1], "$.learning_rate", "learning_rate")
        if "learning_rate" in top
        else Fraction(1, 10)
    )
    refused = learning_rate_problem(eta) if eta is not None else None
    if refused is not None:
        c.error(top["learning_rate"][1], "$.learning_rate", *refused)
    title = c.scalar(top["title"][1], "$.title", "title") if "title" in top else Path(name).stem
    if c.problems or order is None or title is None or eta is None:  # each of these None has a problem
        return None
    return Network(
        title=title,
        inputs=spec.inputs,
        neurons=tuple(spec.neurons[n] for n in order),
        outputs=tuple(outputs),
        parameters=spec.parameters,
        loss=loss,
        learning_rate=eta,
        data=tuple(data),
        carry=carry,
        show=show,
        freeze=freeze,
        plot_weight=plot_weight,
        explain=explain,
        source=name,
        warnings=tuple(c.warnings),
        training=training,
    )


def _check_names(c: Collector, spec: Spec) -> None:
    seen: dict[str, str] = {}
    for kind, section, names in (
        ("input", "inputs", spec.inputs),
        ("neuron", "neurons", spec.neurons),
        ("parameter", "parameters", spec.param_nodes),
    ):
        for n in names:
            if n in seen:
                path = f"$.{section}.{n}"
                c.error(
                    c.keys.get(path, spec.nodes.get(n)),
                    path,
                    f"`{n}` names both an {seen[n]} and a {kind}",
                    "give each a different name",
                )
            seen.setdefault(n, kind)
    _check_notation(c, spec, seen)


# A name in place of a generated symbol: the first of these letters with the name's own index that
# the network does not use yet.
_RENAME = {"input": "xui", "neuron": "Ohn", "parameter": "wbpv"}


def _check_notation(c: Collector, spec: Spec, kinds: dict[str, str]) -> None:
    """Refuse names the notes or the answers would confuse with a generated symbol (z1 with the
    weighted sum z₁ of neuron O1, dw1 with the derivative sign before w1, …), once, where defined."""
    neurons, names = list(spec.neurons) + sorted(spec.broken), set(kinds)
    for n, kind in kinds.items():
        why = notation_clash(n, neurons, names)
        if why is None:
            continue
        section = {"input": "inputs", "neuron": "neurons", "parameter": "parameters"}[kind]
        path = f"$.{section}.{n}"
        index = "".join(ch for ch in n if ch.isdigit()) or "1"
        other = next(
            (f"{letter}{index}" for letter in _RENAME[kind] if f"{letter}{index}" not in names), f"{kind}{index}"
        )
        c.error(
            c.keys.get(path, spec.nodes.get(n, spec.param_nodes.get(n))),
            path,
            f"{kind} name `{n}` collides with the notation: {why}",
            f"rename it everywhere it is written, e.g. to `{other}`",
        )


def _check_references(c: Collector, spec: Spec) -> None:
    known = set(spec.inputs) | set(spec.neurons) | spec.broken
    check_sources = not c.failed("$.inputs") and "$.inputs" not in c.explained
    used_sources = set()
    for n, neuron in spec.neurons.items():
        for e in neuron.edges:
            path = f"$.neurons.{n}.from.{e.source}"
            used_sources.add(e.source)
            if e.source == n:
                c.error(
                    c.keys.get(path, spec.nodes[n]),
                    path,
                    f"neuron {n} feeds itself",
                    f"remove `{n}` from its own `from:`; a feed-forward network has no loops",
                )
            elif check_sources and e.source not in known:
                c.error(
                    c.keys.get(path, spec.nodes[n]),
                    path,
                    f"`{e.source}` is neither an input nor a neuron",
                    suggest(e.source, known),
                )
    _check_parameters(c, spec)
    for i in spec.inputs:
        if i not in used_sources:
            c.warn(c.keys.get(f"$.inputs.{i}"), f"$.inputs.{i}", f"input `{i}` feeds no neuron")


def _check_parameters(c: Collector, spec: Spec) -> None:
    defined = set(spec.parameters) | set(spec.param_nodes)
    used = set()
    for path, weight in _weights(spec.neurons):
        if not isinstance(weight, str):
            continue
        used.add(weight)
        if weight not in defined and "$.parameters" not in c.explained:
            close = close_match(weight, defined)
            hint = (
                f"did you mean `{close}`? If not, add " if close else "add "
            ) + f"`{weight}: 0.1` under `parameters:`"
            c.error(
                c.values.get(path, spec.nodes[path.split(".")[2]]),
                path,
                f"parameter `{weight}` has no value in `parameters:`",
                hint,
            )
    for p, pnode in spec.param_nodes.items():
        if p not in used:
            c.warn(pnode, f"$.parameters.{p}", f"parameter `{p}` is defined but no edge or bias uses it")


def _topological(c: Collector, spec: Spec) -> list[str] | None:
    """Neurons in forward order (Kahn), or None after naming a cycle."""
    preds = {
        n: {e.source for e in neu.edges if e.source in spec.neurons and e.source != n}
        for n, neu in spec.neurons.items()
    }
    succ: dict[str, list[str]] = {n: [] for n in spec.neurons}
    for n, ps in preds.items():
        for p in ps:
            succ[p].append(n)
    remaining = {n: set(p) for n, p in preds.items()}
    order, ready = [], deque(n for n in spec.neurons if not preds[n])
    while ready:
        n = ready.popleft()
        order.append(n)
        for m in succ[n]:
            remaining[m].discard(n)
            if not remaining[m]:
                ready.append(m)
    if len(order) == len(spec.neurons):
        return order
    placed, position = set(order), {n: i for i, n in enumerate(spec.neurons)}
    cycle = _find_cycle({n: remaining[n] for n in spec.neurons if n not in placed})
    start = cycle.index(min(cycle, key=lambda n: position[n]))
    cycle = cycle[start:] + cycle[:start]  # begin where the file does
    path = f"$.neurons.{cycle[0]}"
    shown = cycle if len(cycle) <= 12 else [*cycle[:6], f"... ({len(cycle)} neurons) ...", *cycle[-2:]]
    shown = [*shown, cycle[0]]
    c.error(
        c.keys.get(path, spec.nodes[cycle[0]]),
        path,
        "the neurons form a cycle: " + " → ".join(shown),
        "a feed-forward network must be acyclic; remove one of these connections",
    )
    return None


def _find_cycle(preds: dict[str, set[str]]) -> list[str]:
    start = next(iter(preds))
    path, seen = [start], {start: 0}
    while True:
        nxt = next(p for p in sorted(preds[path[-1]]) if p in preds)
        if nxt in seen:
            return list(reversed(path[seen[nxt] :]))
        seen[nxt] = len(path)
        path.append(nxt)


def _outputs(c: Collector, top, spec: Spec) -> list[str]:
    if spec.outputs is not None:
        return spec.outputs
    if "outputs" not in top:
        fed = {e.source for neu in spec.neurons.values() for e in neu.edges}
        return [n for n in spec.neurons if n not in fed]
    outs = []
    for i, node in enumerate(c.sequence(top["outputs"][1], "$.outputs", "outputs", "e.g. outputs: [O2]") or []):
        name = read_name(c, node, f"$.outputs[{i}]", "output")
        if name in outs:
            c.error(node, f"$.outputs[{i}]", f"output `{name}` is listed twice", "remove one of them")
        elif name and name not in spec.neurons and name not in spec.broken:
            c.error(node, f"$.outputs[{i}]", f"output `{name}` is not a neuron", suggest(name, spec.neurons))
        elif name:
            outs.append(name)
    if not outs and not c.failed("$.outputs"):
        c.error(top["outputs"][1], "$.outputs", "no outputs listed", "name the output neuron(s), e.g. [O2]")
    return outs


def _place(c: Collector, spec: Spec, neuron: str, key: str) -> tuple[Any, str]:
    """(node, path) of a neuron's `key`: in the explicit form that line, in the dense form `$.<key>`."""
    path = f"$.neurons.{neuron}.{key}"
    if path in c.values:
        return c.values[path], path
    if f"$.neurons.{neuron}" in c.keys:
        return c.keys[f"$.neurons.{neuron}"], path
    return c.values.get(f"$.{key}", spec.nodes.get(neuron)), f"$.{key}"


def _check_activations(c: Collector, spec: Spec, outputs: list[str]) -> None:
    """Softmax only on output neurons (two or more of them), thresholds only on outputs."""
    fed = {e.source for neu in spec.neurons.values() for e in neu.edges}
    softmax = [n for n, neu in spec.neurons.items() if neu.activation.couples_outputs]
    for n in softmax:
        if n not in outputs or n in fed:
            c.error(
                *_place(c, spec, n, "activation"),
                f"softmax on {n}: softmax belongs on output neurons only",
                "use sigmoid, tanh or relu on hidden neurons",
            )
    at_outputs = [n for n in softmax if n in outputs and n not in fed]
    if len(at_outputs) == 1:
        c.error(
            *_place(c, spec, at_outputs[0], "activation"),
            "softmax needs at least two output neurons",
            "use sigmoid for a single output",
        )
    for n, neu in spec.neurons.items():
        if neu.threshold is not None and (n not in outputs or n in fed):
            c.error(
                *_place(c, spec, n, "threshold"),
                f"a threshold belongs on an output neuron, and {n} is hidden",
                "remove `threshold:` here, or put it on the output neuron",
            )


def _loss(c: Collector, top, spec: Spec, outputs: list[str]) -> str:
    if "loss" not in top:
        return "squared_error"
    node = top["loss"][1]
    name = c.scalar(node, "$.loss", "loss")
    if name is None:
        return "squared_error"
    if name not in losses.NAMES:
        c.error(
            node,
            "$.loss",
            f"unknown loss `{name}`",
            suggest(name, losses.NAMES) + " (allowed: " + ", ".join(losses.NAMES) + ")",
        )
        return name
    if not outputs or any(o not in spec.neurons for o in outputs):
        return name  # the outputs have a problem of their own
    acts = {o: spec.neurons[o].activation for o in outputs}
    loss = losses.of(name)
    if loss.pairs_with_softmax and not all(a.couples_outputs for a in acts.values()):
        others = _listing([f"{o} is {a.name}" for o, a in acts.items() if not a.couples_outputs])
        c.error(
            node,
            "$.loss",
            f"{name} needs softmax on every output neuron ({others})",
            "set `activation: softmax` on the outputs, or use binary_cross_entropy with sigmoid outputs",
        )
    if loss.needs_probabilities and not all(a.outputs_probabilities for a in acts.values()):
        others = _listing([f"{o} is {a.name}" for o, a in acts.items() if not a.outputs_probabilities])
        c.error(
            node,
            "$.loss",
            f"{name} needs outputs between 0 and 1, but {others}",
            "set `activation: sigmoid` on the outputs, or use squared_error",
        )
    return name


def _data(c: Collector, top, spec: Spec, outputs: list[str], loss: str) -> list:
    if "data" not in top:
        c.missing(
            None,
            "$.data",
            "missing `data:` (no data point to work through)",
            "add e.g. `data: [{x1: 95, x2: 4, x3: 4, y: 1}]`",
        )
        return []
    node = top["data"][1]
    if (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")) or node.value == []:
        c.error(
            node,
            "$.data",
            "`data:` is empty (no data point to work through)",
            "add at least one row, e.g. `- {x1: 1, y: 0}`",
        )
        return []
    rows = c.sequence(node, "$.data", "data", "one row per data point, e.g. `- {x1: 95, y: 1}`") or []
    inputs_ok = not c.failed("$.inputs", "$.layers", "$.activation") and "$.inputs" not in c.explained
    shape_ok = not c.failed(*STRUCTURE)
    points = []
    for i, row in enumerate(rows):
        path = f"$.data[{i}]"
        items = c.mapping(row, path, "a data point", "e.g. {x1: 95, x2: 4, y: 1}")
        if items is None:
            continue
        fields = {k: v for k, _, v in items}
        if inputs_ok:
            c.unknown_keys(items, set(spec.inputs) | {"x", "y"}, path, "a data point", spec.inputs or None)
        values = _point_inputs(c, items, spec, path, row, inputs_ok)
        targets = _targets(c, fields, path, row, len(outputs), shape_ok)
        if targets is not None and loss in TARGET_RULES:
            _check_targets(c, fields["y"], path + ".y", targets, loss)
        if values is not None and targets is not None:
            points.append(DataPoint(values, tuple(targets)))
    return points


def _point_inputs(c, items, spec, path, row, check):
    names = list(spec.inputs)
    fields = {k: v for k, _, v in items}
    named = [(k, knode) for k, knode, _ in items if k in spec.inputs and k != "x"]
    if "x" in fields and named:
        key, knode = named[0]
        c.error(
            knode,
            f"{path}.{key}",
            f"this data point gives its inputs twice: as the list `x:` and by name (`{key}:`)",
            "write them one way: either `x: [...]` with one value per input in order, or each input by name",
        )
        return None
    if "x" in fields:
        items = c.sequence(fields["x"], path + ".x", "x", "e.g. x: [0.5, -1.0], one value per input")
        if items is None:
            return None
        vals = [read_number(c, n, f"{path}.x[{j}]", "input value") for j, n in enumerate(items)]
        if check and len(items) != len(names):
            c.error(
                fields["x"],
                path + ".x",
                f"x has {len(items)} values but the network has {len(names)} inputs ({_listing(names)})",
                "give one value per input, in that order",
            )
        return None if None in vals or len(vals) != len(names) else dict(zip(names, vals, strict=True))
    values = {}
    for n in names:
        if n not in fields:
            if check:
                c.error(row, path, f"data point has no value for input `{n}`", f"add `{n}: ...` to this row")
            continue
        values[n] = read_number(c, fields[n], f"{path}.{n}", f"input {n}")
    return None if len(values) < len(names) or None in values.values() else values


def _targets(c, fields, path, row, count, check):
    if "y" not in fields:
        c.error(row, path, "data point has no target `y`", "add `y: 1` (or a list, one per output)")
        return None
    node = fields["y"]
    if isinstance(node, yaml.SequenceNode):
        nodes = c.sequence(node, path + ".y", "y") or []
        ys = [read_number(c, n, f"{path}.y[{j}]", "target") for j, n in enumerate(nodes)]
    else:
        nodes, ys = [node], [read_number(c, node, path + ".y", "target")]
    if check and len(nodes) != count:
        c.error(
            node,
            path + ".y",
            f"y has {len(nodes)} value(s) but the network has {count} output(s)",
            "give one target per output, in the order of `outputs:`",
        )
        return None
    return None if None in ys else ys


TARGET_RULES = {
    "binary_cross_entropy": "binary_cross_entropy targets are probabilities: each y lies between 0 and 1",
    "categorical_cross_entropy": "categorical_cross_entropy targets are probabilities: each y lies between "
    "0 and 1 and together they sum to 1",
}


def _check_targets(c: Collector, node, path: str, targets: list[Fraction], loss: str) -> None:
    """Targets a cross-entropy can take: probabilities (BCE each in [0, 1]; CE also summing to 1)."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for j, (y, item) in enumerate(zip(targets, items, strict=True)):
        if not 0 <= y <= 1:
            where = f"{path}[{j}]" if isinstance(node, yaml.SequenceNode) else path
            c.error(item, where, f"target `{item.value}` is outside [0, 1]: {TARGET_RULES[loss]}", _target_hint(loss))
            return
    total = sum(targets, Fraction(0))
    if loss == "categorical_cross_entropy" and total != 1:
        shown = exact_decimal(total, 12) or str(total)
        c.error(node, path, f"the targets sum to {shown}: {TARGET_RULES[loss]}", _target_hint(loss))


def _target_hint(loss: str) -> str:
    if loss == "binary_cross_entropy":
        return "write 1 or 0 for the class (or a probability such as 0.8)"
    return "write the class one-hot, e.g. [0, 1, 0], or probabilities such as [0.2, 0.7, 0.1]"


def _numbers(c: Collector, top) -> tuple[Carry, int]:
    carry, show = Carry(), 5
    if "numbers" not in top:
        return carry, show
    items = c.mapping(top["numbers"][1], "$.numbers", "numbers", "e.g. numbers: {carry: truncate 3, show: 5}") or []
    c.unknown_keys(items, {"carry", "show"}, "$.numbers", "numbers")
    for key, _, node in items:
        text = c.scalar(node, f"$.numbers.{key}", key) if key in ("carry", "show") else None
        if text is None:
            continue
        if key == "carry":
            m = CARRY.fullmatch(text.strip())
            if not m or (m.group(1) == "exact") == bool(m.group(2)):
                c.error(
                    node,
                    "$.numbers.carry",
                    f"carry `{text}` is not understood",
                    "write `exact`, `round N` or `truncate N` (N decimals, e.g. truncate 3)",
                )
            else:
                carry = Carry(m.group(1), int(m.group(2) or 0))
        elif not SHOW.fullmatch(text) or not 1 <= int(text) <= 30:
            c.error(
                node, "$.numbers.show", f"show `{text}` must be a whole number of digits from 1 to 30", "e.g. show: 5"
            )
        else:
            show = int(text)
    return carry, show


def _render_options(c: Collector, top, spec: Spec) -> tuple[str | None, tuple[str, ...]]:
    """`render:`, how the file's own notes are rendered (so `derive FILE` gives them as committed):
    `plot_weight`, the parameter whose gradient-descent curve the notes show, and `explain`, the
    parameters derived first, in that order."""
    if "render" not in top:
        return None, ()
    hint = "e.g. render: {plot_weight: w4, explain: [w4, w1]}"
    items = c.mapping(top["render"][1], "$.render", "render", hint) or []
    c.unknown_keys(items, RENDER_KEYS, "$.render", "render")
    found = {k: v for k, _, v in items}
    defined = set(spec.parameters) | set(spec.param_nodes)
    known = "$.parameters" in c.explained
    plot_weight = None
    if "plot_weight" in found:
        name = read_name(c, found["plot_weight"], "$.render.plot_weight", "parameter")
        if name and name not in defined and not known:
            c.error(
                found["plot_weight"], "$.render.plot_weight", f"`{name}` is not a parameter", suggest(name, defined)
            )
        else:
            plot_weight = name
    explain: list[str] = []
    if "explain" in found:
        nodes = c.sequence(found["explain"], "$.render.explain", "explain", "e.g. explain: [w4, w1]") or []
        for i, node in enumerate(nodes):
            n = read_name(c, node, f"$.render.explain[{i}]", "parameter")
            if n and n not in defined and not known:
                c.error(node, f"$.render.explain[{i}]", f"`{n}` is not a parameter", suggest(n, defined))
            elif n in explain:
                c.error(node, f"$.render.explain[{i}]", f"`{n}` is listed twice", "name each parameter once")
            elif n:
                explain.append(n)
    return plot_weight, tuple(explain)


def _freeze(c: Collector, top, spec: Spec) -> frozenset[str]:
    if "freeze" not in top:
        return frozenset()
    names, defined = set(), set(spec.parameters) | set(spec.param_nodes)
    for i, node in enumerate(c.sequence(top["freeze"][1], "$.freeze", "freeze", "e.g. freeze: [b1, b2]") or []):
        n = read_name(c, node, f"$.freeze[{i}]", "frozen parameter")
        if n and n not in defined and "$.parameters" not in c.explained:
            c.error(node, f"$.freeze[{i}]", f"`{n}` is not a parameter", suggest(n, defined))
        elif n:
            names.add(n)
    return frozenset(names)
