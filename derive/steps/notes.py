"""The worked example as plain data (titles, prose, TeX lines, values) that every template reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from derive import defaults, losses, progress
from derive.calculus.graph import Forward, forward
from derive.calculus.symbolic import output_tex
from derive.latex import partial, tex_name, z_names
from derive.numbers import Num, exact_text, json_decimal
from derive.output import shown_path
from derive.spec.model import Network
from derive.steps.backward import backward_section
from derive.steps.document import BackwardSection, Carried, ForwardStep, Threshold
from derive.steps.layers import LIST_ROWS, TABLE_ROWS, Layers, abbreviate, forward_matrix, forward_rows, layers_of
from derive.texnum import TexNumbers


@dataclass
class Options:
    """Limits on how much is written out; each has a command-line flag."""

    point: int = defaults.POINT - 1  # which data point (0-based)
    max_paths: int = defaults.MAX_PATHS  # list paths one by one up to this many per parameter
    verify: bool = True
    verify_budget: float = defaults.VERIFY_BUDGET  # seconds of SymPy before the numeric check takes over
    detail: bool = True  # build the worked derivations (Markdown); JSON needs only the numbers
    explain: list[str] | None = None  # parameters derived in full (default: all, or a few of a big network)
    max_derivations: int = (
        defaults.MAX_DERIVATIONS
    )  # networks with more parameters get full derivations for a sample only
    max_expression: int = defaults.MAX_EXPRESSION  # operations in a composed output expression before it is left out


@dataclass
class Document:
    title: str
    source: str
    facts: dict
    network: dict
    forward: list[ForwardStep]
    loss: dict
    backward: BackwardSection
    carry: dict | None
    numbers: dict = field(default_factory=dict)  # every value, for JSON
    values: Forward | None = None  # the forward pass as the notes show it (carried), for the pictures
    # derive.pictures.drawing.Pictures, drawn at render time when asked for (typed Any: the steps layer
    # does not import pictures, not even for a type)
    pictures: Any = None
    layers: dict | None = None  # a big network's layer-by-layer view (more parameters than max_derivations)
    results: dict = field(default_factory=dict)  # shown text of each line's result -> its value (None: ambiguous)


def build(net: Network, options: Options | None = None) -> Document:
    """Everything the notes say about one data point of `net`."""
    options = options or Options()
    point = net.data[options.point]
    progress.stage("forward pass")
    exact = forward(net, point)
    shown = forward(net, point, net.carry) if net.carry.mode != "exact" else exact
    tn = TexNumbers(net.show)
    zt = z_names([n.name for n in net.neurons])
    facts = _facts(net, options, point, tn)
    detail = options.detail
    layers = layers_of(net) if detail and len(net.parameters) > options.max_derivations else None
    network = _network(net, zt, tn, options.max_expression, layers) if detail else {}
    steps = _forward_steps(shown, zt, tn, layers) if detail else []
    progress.stage("back-propagation")
    doc = Document(
        title=net.title,
        source=shown_path(net.source),
        facts=facts,
        network=network,
        forward=steps,
        loss=_loss_step(shown, tn) if detail else {},
        backward=backward_section(net, shown, exact, zt, tn, options),
        carry=None,
        layers=_layer_view(net, shown, layers, tn) if layers else None,
    )
    if shown is not exact and options.detail:
        doc.carry = _carry_comparison(net, shown, exact, doc.backward, tn)
    doc.numbers = _numbers(net, exact, doc.backward, options, shown)
    doc.values = shown
    doc.results = tn.results
    progress.stage("writing the notes")  # what the caller does next
    return doc


def _layer_view(net: Network, fwd: Forward, layers: Layers, tn: TexNumbers) -> dict:
    return {
        "count": len(layers.groups),
        "sizes": [len(net.inputs)] + [len(g) for g in layers.groups],
        "layered": layers.layered,
        "forward": forward_rows(fwd, layers, tn),
        "matrix": forward_matrix(net, layers) if layers.layered else None,
    }


def _examples(net: Network, layers: Layers | None) -> list:
    """The neurons written out one by one: all of them, or the first of each layer of a big network."""
    return list(net.neurons) if layers is None else [net.neuron(g[0]) for g in layers.groups]


def _facts(net: Network, options: Options, point, tn: TexNumbers) -> dict:
    acts = []
    seen = set()
    for n in net.neurons:
        a = n.activation
        if (a.name, a.slope) not in seen:
            seen.add((a.name, a.slope))
            acts.append({"name": a.name, "definition": a.definition(), "convention": a.convention})
    targets = [tex_name("y") if len(net.outputs) == 1 else f"y_{{{i}}}" for i in range(1, len(net.outputs) + 1)]
    return {
        "loss": net.loss,
        "loss_description": losses.of(net.loss).description,
        "loss_formula": "L = " + losses.tex_formula(net.loss, [tex_name(o) for o in net.outputs], targets),
        "eta": tn.text(Num(net.learning_rate)),
        "activations": acts,
        "carry": net.carry.describe(),
        "carry_mode": net.carry.mode,
        "show": net.show,
        "point_index": options.point + 1,
        "point_count": len(net.data),
        "targets": targets,
        "target_lines": [f"{t} = {tn.text(Num(y))}" for t, y in zip(targets, point.targets, strict=True)],
        "frozen": sorted(net.freeze),
        "softmax_ce": losses.of(net.loss).softmax_shortcut(point.targets),
    }


def _apply(net: Network, n, zt: dict[str, str]) -> str:
    """f(z) in symbols; softmax as its fraction, since its value needs every z of its group."""
    if not n.activation.couples_outputs:
        return n.activation.tex_apply(zt[n.name])
    group = [zt[m.name] for m in net.neurons if m.activation.couples_outputs]
    below = " + ".join(f"e^{{{z}}}" for z in group) if len(group) <= 4 else r"\sum_j e^{z_j}"
    return rf"\frac{{e^{{{zt[n.name]}}}}}{{{below}}}"


def _network(net: Network, zt: dict[str, str], tn: TexNumbers, max_ops: int, layers: Layers | None = None) -> dict:
    short = abbreviate if layers else list
    neurons = []
    for n in _examples(net, layers):
        terms = [rf"{_w_tex(e.weight, tn)}\,{tex_name(e.source)}" for e in n.edges]
        if n.bias is not None:
            terms.append(_w_tex(n.bias, tn))
        z = zt[n.name]
        neurons.append(
            {
                "name": n.name,
                "tex": tex_name(n.name),
                "activation": n.activation.name,
                "z_line": f"{z} = " + (" + ".join(short(terms)) or "0"),
                "O_line": f"{tex_name(n.name)} = " + _apply(net, n, zt),
                "is_output": n.name in net.outputs,
                "threshold": _opt(n.threshold, tn),
            }
        )
    rows = LIST_ROWS if layers else TABLE_ROWS
    progress.stage("composed output")
    comp = output_tex(net, max_ops)
    params = list(net.parameters.items())
    return {
        "inputs": [{"name": k, "tex": tex_name(k), "label": v} for k, v in list(net.inputs.items())[:rows]],
        "hidden_inputs": max(len(net.inputs) - rows, 0),
        "neurons": neurons,
        "parameters": [
            {"name": p, "tex": tex_name(p), "value": tn.text(Num(v)), "frozen": p in net.freeze}
            for p, v in params[:rows]
        ],
        "hidden_parameters": max(len(params) - rows, 0),
        "outputs": [
            {
                "name": o,
                "tex": tex_name(o),
                "composed": comp[o],
                "z": zt[o] if net.neuron(o).activation.couples_outputs else None,  # softmax: through its z
            }
            for o in net.outputs
        ],
        "sizes": {
            "inputs": len(net.inputs),
            "neurons": len(net.neurons),
            "edges": net.edge_count(),
            "parameters": len(net.parameters),
        },
    }


def _w_tex(w, tn: TexNumbers) -> str:
    return tex_name(w) if isinstance(w, str) else tn.arg(Num(w))


def _opt(x, tn):
    return None if x is None else tn.text(Num(x))


def _forward_steps(fwd: Forward, zt: dict[str, str], tn: TexNumbers, layers: Layers | None = None) -> list[ForwardStep]:
    short = abbreviate if layers else list
    return [_forward_step(fwd, n, zt, tn, short) for n in _examples(fwd.net, layers)]


def _forward_step(fwd: Forward, n, zt: dict[str, str], tn: TexNumbers, short) -> ForwardStep:
    v = fwd.neurons[n.name]
    terms = [rf"{tn.arg(fwd.value(e.source))} \cdot {tn.arg(fwd.weight(e.weight))}" for e in n.edges]
    if n.bias is not None:
        terms.append(tn.arg(fwd.weight(n.bias)))
    z_line = f"{zt[n.name]} = " + (" + ".join(short(terms)) or "0") + f" {tn.eq(v.z)}"
    O = tex_name(n.name)
    act = n.activation
    O_line = f"{O} = {act.tex_forward(zt[n.name], v.z, tn.text, explicit=True)} {tn.eq(v.computed)}"
    carried = threshold = None
    if v.O is not v.computed:
        is_output = n.name in fwd.net.outputs
        how = f"written with {fwd.net.show} significant digits" if is_output else fwd.carry.describe()
        carried = Carried(tn.text(v.O), how, is_output)
    if n.threshold is not None:
        above = (v.O - n.threshold).sign() >= 0
        threshold = Threshold(tn.text(Num(n.threshold)), 1 if above else 0, r"\ge" if above else "<")
    return ForwardStep(n.name, O, z_line, O_line, act.name, carried, threshold)


def _loss_step(fwd: Forward, tn: TexNumbers) -> dict:
    net = fwd.net
    yhat = [tn.arg(x) for x in fwd.outputs()]
    ys = [tn.arg(y) for y in fwd.targets()]
    return {
        "substituted": "L = " + losses.tex_formula(net.loss, yhat, ys) + f" {tn.eq(fwd.loss)}",
        "value": tn.text(fwd.loss),
        "errors": [
            {
                "output": tex_name(o),
                "target": "y" if len(net.outputs) == 1 else f"y_{{{k}}}",
                "line": f"{t} - {p} {tn.eq(e)}",
            }
            for k, (o, t, p, e) in enumerate(zip(net.outputs, ys, yhat, fwd.error, strict=True), 1)
        ],
    }


def _carry_comparison(net, shown: Forward, exact: Forward, back: BackwardSection, tn: TexNumbers) -> dict:
    rows = []
    for n in net.neurons[:TABLE_ROWS]:
        a, b = shown.neurons[n.name].O, exact.neurons[n.name].O
        rows.append(
            {"quantity": tex_name(n.name), "hand": tn.text(a), "full": tn.text(b), "differs": tn.text(a) != tn.text(b)}
        )
    rows.append(
        {
            "quantity": "L",
            "hand": tn.text(shown.loss),
            "full": tn.text(exact.loss),
            "differs": tn.text(shown.loss) != tn.text(exact.loss),
        }
    )
    for p in back.params:
        if p.row:
            rows.append(
                {
                    "quantity": partial("L", p.tex),
                    "hand": p.value,
                    "full": p.full_value,
                    "differs": p.value != p.full_value,
                }
            )
    hidden = max(len(net.neurons) - TABLE_ROWS, 0) + back.hidden_rows
    return {
        "description": net.carry.describe(),
        "rows": rows,
        "changed": [r for r in rows if r["differs"]],
        "hidden": hidden,
    }


def _numbers(net: Network, exact: Forward, back: BackwardSection, options: Options, shown: Forward) -> dict:
    """Every value at full precision, as decimal strings of 20 significant digits, with exact forms;
    in a carry mode also `carried`: the same values as the hand calculation gets them, each hidden
    activation cut and each output written with `show` digits before it is used (what the notes print)."""

    def pair(x: Num) -> dict:
        return {"value": json_decimal(x), "exact": exact_text(x)}

    fwd = {
        n: {"z": json_decimal(v.z), "z_exact": exact_text(v.z), "O": json_decimal(v.O), "O_exact": exact_text(v.O)}
        for n, v in exact.neurons.items()
    }
    out: dict[str, Any] = {
        "forward": fwd,
        "loss": json_decimal(exact.loss),
        "loss_exact": exact_text(exact.loss),
        "error": [json_decimal(e) for e in exact.error],
    }
    if back.available:
        out["gradients"] = back.json
        out["updated"] = {p: json_decimal(v) for p, v in back.updated_exact.items()}
    if shown is not exact:
        out["carried"] = {
            "how": net.carry.describe(),
            "forward": {n: {"z": json_decimal(v.z), "O": json_decimal(v.O)} for n, v in shown.neurons.items()},
            "loss": json_decimal(shown.loss),
            **back.carried,
        }
    return out
