"""The perceptron run and the two studies as plain data for the templates (Markdown and LaTeX alike)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath

from derive import losses
from derive.calculus.grad import check_differentiable
from derive.errors import NotDifferentiable
from derive.latex import tex_name
from derive.numbers import Num
from derive.steps.document import PerceptronStep
from derive.steps.training import MAX_ROWS, TrainDoc
from derive.texnum import TexNumbers
from derive.train.optimizers import in_sentence
from derive.train.perceptron import PRun
from derive.train.studies import RULES
from derive.train.to_json import depth_json, lr_json, perceptron_json

MAX_EPOCH_ROWS = 25


# -- the perceptron ----------------------------------------------------------------------------------
def perceptron_doc(p: PRun, pictures=None) -> TrainDoc:
    net, tn = p.net, TexNumbers(p.net.show)
    neuron = net.neurons[0]
    act = neuron.activation.name
    try:
        check_differentiable(net)
        why_not = None
    except NotDifferentiable as exc:
        why_not = str(exc)
    body = {
        "neuron": tex_name(neuron.name),
        "activation": act,
        "threshold": tn.text(Num(p.threshold)),
        "z_star": tn.text(p.z_star),
        "z_star_exact": tn.exact(p.z_star),
        "eta": tn.text(Num(p.eta)),
        "limit": p.limit,
        "why_not_gradients": why_not,
        "params": [tex_name(x) for x in net.parameters],
        "frozen": [tex_name(x) for x in net.parameters if x in net.freeze],
        "inputs": [tex_name(i) for i in net.inputs],
        "data": [[tn.text(Num(d.inputs[i])) for i in net.inputs] + [str(int(d.targets[0]))] for d in net.data],
        "first_epoch": [_pstep(p, s, tn) for s in p.steps if s.epoch == 1],
        "rows": [
            {
                "number": s.number,
                "epoch": s.epoch,
                "point": s.point + 1,
                "z": tn.text(s.z),
                "predicted": s.predicted,
                "target": s.target,
                "updated": s.error != 0,
                "params": [tn.text(Num(s.after[x])) for x in net.parameters],
            }
            for s in p.steps[:MAX_ROWS]
        ],
        "rows_cut": max(0, len(p.steps) - MAX_ROWS),
        "mistakes": p.mistakes,
        "updates": p.updates,
        "converged": p.converged,
        "cycle": p.cycle,
        "initial": [tn.text(Num(v)) for v in p.initial.values()],
        "final": [tn.text(Num(p.final[x])) for x in net.parameters],
        "boundary": _boundary(p, p.final, tn),
        "initial_boundary": _boundary(p, p.initial, tn),
        "proof": _proof(p, tn),
        "points": len(net.data),
    }
    return TrainDoc("perceptron", net.title, net.source, body, perceptron_json(p), pictures)


def _terms(p: PRun, params, point, tn) -> tuple[str, str]:
    """z written with symbols and with this point's numbers."""
    n = p.net.neurons[0]

    def w(x):
        return Num(params[x]) if isinstance(x, str) else Num(x)

    sym = [
        rf"{tex_name(e.weight) if isinstance(e.weight, str) else tn.arg(Num(e.weight))}\,{tex_name(e.source)}"
        for e in n.edges
    ]
    num = [rf"{tn.arg(w(e.weight))} \cdot {tn.arg(Num(point.inputs[e.source]))}" for e in n.edges]
    if n.bias is not None:
        sym.append(tex_name(n.bias) if isinstance(n.bias, str) else tn.arg(Num(n.bias)))
        num.append(tn.arg(w(n.bias)))
    return " + ".join(sym) or "0", " + ".join(num) or "0"


@dataclass(frozen=True)
class PerceptronNotes(PerceptronStep):
    """A point of the first epoch as the notes show it: also the weights a wrong answer left as they
    were, because their input is 0 (the update η·(y − ŷ)·x is then 0)."""

    unmoved: tuple[tuple[str, str], ...] = ()  # (weight, its input), TeX


def _pstep(p: PRun, s, tn) -> PerceptronStep:
    net = p.net
    n = net.neurons[0]
    _, num = _terms(p, s.before, net.data[s.point], tn)
    lines = [f"z = {num} {tn.eq(s.z)}"]
    if not n.activation.outputs_class:
        lines.append(f"{tex_name(n.name)} = {n.activation.tex_apply(tn.text(s.z))} {tn.eq(s.out)}")
    updates, unmoved = [], []
    if s.error:
        for e in n.edges:  # rows of an aligned block, aligned on the arrow
            if isinstance(e.weight, str) and e.weight in p.trainable:
                if net.data[s.point].inputs[e.source] == 0:
                    unmoved.append((tex_name(e.weight), tex_name(e.source)))
                updates.append(
                    rf"{tex_name(e.weight)} &\leftarrow {tn.arg(Num(s.before[e.weight]))} + {tn.arg(Num(p.eta))} "
                    rf"\cdot ({s.error}) \cdot {tn.arg(Num(net.data[s.point].inputs[e.source]))} "
                    rf"= {tn.text(Num(s.after[e.weight]))}"
                )
        if isinstance(n.bias, str) and n.bias in p.trainable:
            updates.append(
                rf"{tex_name(n.bias)} &\leftarrow {tn.arg(Num(s.before[n.bias]))} + {tn.arg(Num(p.eta))} "
                rf"\cdot ({s.error}) = {tn.text(Num(s.after[n.bias]))}"
            )
    relation = r"\ge" if s.predicted else "<"
    return PerceptronNotes(
        number=s.number,
        point=s.point + 1,
        lines=tuple(lines),
        predicted=s.predicted,
        target=s.target,
        class_line=rf"{tex_name(n.name)} {relation} {tn.text(Num(p.threshold))} \Rightarrow \hat y = {s.predicted}",
        updates=tuple(updates),
        unmoved=tuple(unmoved),
    )


def _boundary(p: PRun, params, tn) -> str:
    """The decision boundary w·x + b = z*, a negative term written as a subtraction."""
    n = p.net.neurons[0]

    def value(w) -> Num:
        return Num(params[w]) if isinstance(w, str) else Num(w)

    terms = [(value(e.weight), rf"\,{tex_name(e.source)}") for e in n.edges]
    if n.bias is not None:
        terms.append((value(n.bias), ""))
    return f"{_signed_sum(terms, tn)} = {tn.text(p.z_star)}"


def _signed_sum(terms: list[tuple[Num, str]], tn) -> str:
    """c₁x₁ + c₂x₂ …: each (coefficient, what it multiplies); a coefficient shown negative after the
    first is written as a subtraction of its size, as by hand."""
    out = ""
    for i, (c, x) in enumerate(terms):
        shown = tn.text(c)
        if i == 0:
            out = shown + x
        elif shown.startswith("-"):
            out += f" - {tn.text(-c)}{x}"
        else:
            out += f" + {shown}{x}"
    return out or "0"


def _proof(p: PRun, tn) -> dict | None:
    if p.proof is None:
        return None
    net = p.net

    def point(i):
        d = net.data[i]
        return "(" + ", ".join(tn.text(Num(d.inputs[x])) for x in net.inputs) + ")"

    (a, b), (c, d) = p.proof["ones"], p.proof["zeros"]
    total = "(" + ", ".join(tn.text(Num(v)) for v in p.proof["sum"].values()) + ")"
    return {
        "a": a + 1,
        "b": b + 1,
        "c": c + 1,
        "d": d + 1,
        "pa": point(a),
        "pb": point(b),
        "pc": point(c),
        "pd": point(d),
        "sum": total,
        "z_star": tn.text(p.z_star),
    }


# -- the learning-rate study ---------------------------------------------------------------------------
def lr_doc(net, results, epochs: int, pictures=None) -> TrainDoc:
    tn = TexNumbers(net.show)
    first = results[0].run
    rows = []
    for r in results:
        ev = r.run.epochs
        with mpmath.workdps(50):
            ratio = tn.text(ev[-1].norm / ev[0].norm) if not ev[0].norm.is_zero() else "0"
        rows.append(
            {
                "rate": tn.text(Num(r.rate)),
                "verdict": r.verdict,
                "start": tn.text(ev[0].loss),
                "end": tn.text(ev[-1].loss),
                "epochs": len(ev) - 1,
                "ratio": ratio,
                "flips": r.flips,
                "pairs": r.pairs,
                "stopped": r.run.stopped,
                "params": [tn.text(r.run.final[x]) for x in list(net.parameters)[:6]],
            }
        )
    shown = sorted(set(range(min(MAX_EPOCH_ROWS, epochs + 1))) | {epochs})
    table = [
        {"epoch": e, "losses": [tn.text(r.run.epochs[e].loss) if e < len(r.run.epochs) else "—" for r in results]}
        for e in shown
    ]
    body = {
        "rows": rows,
        "table": table,
        "rates": [tn.text(Num(r.rate)) for r in results],
        "rules": RULES,
        "epochs": epochs,
        "optimizer": first.optimizer.named(len(first.batches[0]), len(net.data)),
        "optimizer_text": in_sentence(first.optimizer.named(len(first.batches[0]), len(net.data))),
        "optimizer_name": first.settings.optimizer,
        "batch_size": len(first.batches[0]),
        "points": len(net.data),
        "reduction": first.settings.reduction,
        "loss_description": losses.of(net.loss).description,
        "formula": list(first.optimizer.formula),
        "param_columns": [tex_name(x) for x in list(net.parameters)[:6]],
        "verdicts": sorted({r.verdict for r in results}),
    }
    return TrainDoc("study_lr", net.title, net.source, body, lr_json(net, results, epochs), pictures)


# -- the depth study -----------------------------------------------------------------------------------
def depth_doc(net, variants, point: int, pictures=None) -> TrainDoc:
    tn = TexNumbers(net.show)
    chain = [r.neuron for r in variants[0].rows]
    blocks = []
    for v in variants:
        rows = [
            {
                "neuron": tex_name(r.neuron),
                "activation": r.activation,
                "z": tn.text(r.z),
                "fprime": tn.text(r.fprime),
                "bound": tn.text(Num(r.bound)),
                "weight": ""
                if r.weight is None
                else (tex_name(r.weight) if isinstance(r.weight, str) else tn.text(Num(r.weight))),
                "weight_value": "" if r.weight_value is None else tn.text(r.weight_value),
                "link": "" if r.link is None else tn.text(r.link),
                "product": "" if r.product is None else tn.text(abs(r.product)),
                "bound_product": "" if r.product_bound is None else tn.text(r.product_bound),
                "delta": tn.text(abs(r.delta)),
                "within": r.product is None or (abs(r.product).mp <= r.product_bound.mp),
            }
            for r in v.rows
        ]
        blocks.append(
            {
                "activation": v.activation,
                "scale": tn.text(Num(v.scale)),
                "rows": rows,
                "first_weight": tex_name(v.first_weight) if v.first_weight else None,
                "first_gradient": tn.text(abs(v.first_gradient)) if v.first_gradient is not None else None,
                "kept_output": v.kept_output,
            }
        )
    links = len(chain) - 1
    comparison = [
        {"links": k + 1, "below": tex_name(chain[k + 1]), "values": [tn.text(abs(v.rows[k].product)) for v in variants]}
        for k in range(links)
    ]
    scales = sorted({tn.text(Num(v.scale)) for v in variants}, key=float)
    headers = [v.activation + ("" if v.scale == 1 else rf" ($w \times {tn.text(Num(v.scale))}$)") for v in variants]
    body = {
        "chain": [tex_name(n) for n in chain],
        "links": links,
        "point": point + 1,
        "blocks": blocks,
        "comparison": comparison,
        "headers": headers,
        "scales": scales,
        "big": scales[-1] if len(scales) > 1 else None,
        "quarter_power": tn.text(Num(Fraction(1, 4**links))),
        "exploding": [h for h, v in zip(headers, variants, strict=True) if (abs(v.rows[links - 1].product).mp > 1)],
        "vanishing": [h for h, v in zip(headers, variants, strict=True) if (abs(v.rows[links - 1].product).mp < 0.01)],
        "all_within": all(r["within"] for b in blocks if b["activation"] == "sigmoid" for r in b["rows"]),
    }
    return TrainDoc("study_depth", net.title, net.source, body, depth_json(net, variants), pictures)
