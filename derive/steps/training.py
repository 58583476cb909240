"""A training run as plain data for the templates (Markdown and LaTeX read the same dicts): settings,
the first step (or every step) in full, one table row per step, epochs, and the final weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import mpmath

from derive import losses
from derive.calculus.grad import successors, uses
from derive.latex import delta_names, partial, tex_name, z_names
from derive.numbers import Num
from derive.spec.model import Network
from derive.steps.document import Combined, PointStep, TrainStep, Update
from derive.texnum import TexNumbers
from derive.train.optimizers import DEFAULT_SOURCE, HYPER_TEX, ZERO, in_sentence
from derive.train.run import Run, Step
from derive.train.to_json import training_json

MAX_ROWS = 200  # rows of a study's step table; past this, the JSON holds the rest
MAX_COLUMNS = 4  # parameters shown as columns of the progress table (the result table shows every one);
# with epoch, L and ‖∇L‖ that is 7 columns, what a page (and a 42rem HTML column) holds
MAX_PROGRESS_ROWS = 25  # rows of the progress table, its start row included
FEW_EPOCHS = 8  # fewer epochs than this (of several steps each): the progress table counts steps instead
NORM_TERMS = 3  # squares per line of the gradient's size, so the formula breaks before the margin
TRACE_STEPS = 5  # steps of the optimizer's state followed for one parameter


@dataclass(frozen=True)
class StepNotes(TrainStep):
    """A step written out in full, as the notes show it: the gradient's size over several lines, the
    optimizer's rule worked once (for `worked`) and its numbers for every parameter in `table`."""

    norm_lines: tuple[str, ...] = ()
    worked: Update | None = None
    table: dict | None = None  # {"headers": [Markdown], "rows": [{"tex": TeX, "cells": [TeX]}]}
    still: tuple[str, ...] = field(default=())  # sentences (Markdown) on parameters a zero gradient left alone


@dataclass
class TrainDoc:
    """What a training template reads; `numbers` is the JSON (given, or made when first asked for, so
    notes in another format never build it); `pictures` a derive.pictures.drawing.Pictures."""

    kind: str  # training | perceptron | study_lr | study_depth
    title: str
    source: str
    body: dict
    json: dict | Callable[[], dict]
    pictures: Any = None  # derive.pictures.drawing.Pictures (the steps layer does not import pictures)

    @property
    def numbers(self) -> dict:
        if callable(self.json):
            self.json = self.json()
        return self.json


class TrainNumbers(TexNumbers):
    """TexNumbers for training notes: a zero is exact, with `=`, even when it was carried as an mpmath
    number (a gradient times an input of exactly 0 is exactly 0, not about 0)."""

    def exact(self, x: Num) -> bool:
        return _is_zero(x) or super().exact(x)


def _is_zero(x: Num) -> bool:
    return x.exact == 0 if x.exact is not None else bool(x.mp == 0)


def training_doc(r: Run, detail: set[int] | None, pictures=None, steps_json: list[dict] | None = None) -> TrainDoc:
    """`detail`: the step numbers written out in full (None: every step). `steps_json`: every step's
    JSON, written as the run went, for a run that kept only the steps its notes show whole."""
    net, tn = r.net, TrainNumbers(r.net.show)
    zt = z_names([n.name for n in net.neurons])
    full = [s for s in r.steps if (detail is None or s.number in detail) and s.points[0].fwd is not None]
    body = {
        "heading": heading(net.title),
        "facts": facts(r, tn),
        "detailed": [step_detail(r, s, tn, zt) for s in full],
        "columns": [tex_name(p) for p in list(net.parameters)[:MAX_COLUMNS]],
        "hidden_columns": max(0, len(net.parameters) - MAX_COLUMNS),
        "hidden": [tex_name(p) for p in list(net.parameters)[MAX_COLUMNS:]],
        "trace": trace(r, tn),
        "final": final(r, tn),
        "stopped": r.stopped,
        "softmax": softmax_section(r, tn),
    }
    body["rows"], body["rows_note"] = progress_rows(r, tn)
    body["by_steps"] = bool(progress_steps(r.settings.epochs, len(r.batches)))
    return TrainDoc("training", net.title, net.source, body, lambda: training_json(r, steps_json), pictures)


def whole_steps(detail: set[int] | None) -> Callable[[int], bool] | None:
    """The steps the notes read whole: those written out in full, and the first TRACE_STEPS (the
    optimizer's trace); None (every step) when every step is written out."""
    if detail is None:
        return None
    kept = frozenset(detail) | frozenset(range(1, TRACE_STEPS + 1))
    return kept.__contains__


def progress_epochs(epochs: int) -> frozenset[int]:
    """The epochs with a row in the progress table of a run of `epochs` epochs that ran to its end
    (one a row when they fit, else every k-th and the last); their weights are what the notes show."""
    every = 1 if epochs + 1 <= MAX_PROGRESS_ROWS else -(-epochs // (MAX_PROGRESS_ROWS - 2))
    return frozenset([*range(every, epochs + 1, every), epochs])


def facts(r: Run, tn: TexNumbers) -> dict:
    net, s, opt = r.net, r.settings, r.optimizer
    n, size = len(net.data), len(r.batches[0])
    outs = [tex_name(o) for o in net.outputs]
    ys = ["y"] if len(outs) == 1 else [f"y_{{{k}}}" for k in range(1, len(outs) + 1)]
    given = net.training.given if s.optimizer == net.training.optimizer else set()
    return {
        "optimizer": s.optimizer,
        "optimizer_title": opt.named(size, n),
        "optimizer_text": in_sentence(opt.named(size, n)),
        "stateful": bool(opt.columns),
        "idea": opt.idea,
        "formula": list(opt.formula),
        "hyper": [
            {
                "name": k,
                "tex": HYPER_TEX[k],
                "value": tn.text(Num(v)),
                "default": k not in given,
                "source": DEFAULT_SOURCE[k],
            }
            for k, v in s.hyper.items()
        ],
        "eta": tn.text(Num(s.eta)),
        "points": n,
        "batch_size": size,
        "full_batch": size == n,
        "reduction": s.reduction,
        "epochs": s.epochs,
        "steps_per_epoch": len(r.batches),
        "total_steps": len(r.batches) * s.epochs,
        "uneven": n % size != 0,
        "loss": net.loss,
        "loss_description": losses.of(net.loss).description,
        "loss_formula": "L = " + losses.tex_formula(net.loss, outs, ys),
        "frozen": [tex_name(p) for p in net.parameters if p in net.freeze],
        "carried": net.carry.mode != "exact",
        "show": net.show,
        "data_columns": [tex_name(i) for i in net.inputs] + ys,
        "data": [
            [tn.text(Num(p.inputs[i])) for i in net.inputs] + [tn.text(Num(t)) for t in p.targets] for p in net.data
        ],
        "batches": [", ".join(str(i + 1) for i in b) for b in r.batches],
    }


def heading(title: str) -> str:
    """The notes' title: the network's own, with "training notes" added unless it already speaks of training."""
    return title if "train" in title.lower() else f"{title}: training notes"


def step_detail(r: Run, s: Step, tn: TexNumbers, zt: dict) -> StepNotes:
    net = r.net
    names = list(net.parameters)
    with mpmath.workdps(max(_kept(pt.fwd).dps for pt in s.points)):
        points = tuple(point_detail(net, pt, tn, zt) for pt in s.points)
        scale = (
            "" if len(s.points) == 1 else (rf"\tfrac{{1}}{{{len(s.points)}}}" if r.settings.reduction == "mean" else "")
        )
        combine = tuple(_combined(p, s, scale, tn) for p in names)
        loss_terms = " + ".join(tn.arg(pt.loss) for pt in s.points)
        loss_line = (
            f"L = {scale}\\left({loss_terms}\\right) {tn.eq(s.loss)}" if scale else f"L = {loss_terms} {tn.eq(s.loss)}"
        )
        norm_lines = _norm_lines(r, s, tn)
    updates = []
    for p in names:
        if p in s.records:
            lines = r.optimizer.lines(s.records[p], s.after[p], s.number, tn, tex_name(p))
        else:
            lines = [rf"{tex_name(p)} = {tn.text(s.before[p])}"]
        updates.append(Update(tex_name(p), p not in s.records, tuple(lines)))
    worked = table = None
    if r.optimizer.columns and r.trainable:  # a rule with state: worked once, then a table of its numbers
        worked = next(u for u, p in zip(updates, names, strict=True) if p == r.trainable[0])
        table = _update_table(r, s, tn)
    return StepNotes(
        number=s.number,
        epoch=s.epoch,
        points=points,
        batch=tuple(i + 1 for i in s.batch),
        combine=combine,
        loss_line=loss_line,
        norm_line=norm_lines[-1],
        updates=tuple(updates),
        size=len(s.points),
        norm_lines=norm_lines,
        worked=worked,
        table=table,
        still=tuple(_zero_gradients(r, s, tn)),
    )


def _norm_lines(r: Run, s: Step, tn: TexNumbers) -> tuple[str, ...]:
    """‖g‖ as an aligned block: the sum of squares a few terms per line, then its root (the one long
    line √(a² + b² + …) would run off the page for any but the smallest network)."""
    squares = [f"{tn.arg(s.grads[p])}^{{2}}" for p in r.trainable]
    if not squares:
        return (r"\lVert g \rVert = 0",)
    total = sum((s.grads[p] * s.grads[p] for p in r.trainable), ZERO)
    chunks = [" + ".join(squares[i : i + NORM_TERMS]) for i in range(0, len(squares), NORM_TERMS)]
    lines = [rf"\lVert g \rVert^{{2}} = {chunks[0]}"] + [rf"&\quad + {c}" for c in chunks[1:]]
    if len(chunks) == 1:
        lines[0] += f" {tn.eq(total)}"
    else:
        lines.append(f"&{tn.eq(total)}")
    lines.append(rf"\lVert g \rVert = \sqrt{{{tn.text(total)}}} {tn.eq(s.norm)}")
    return tuple(lines)


def _update_table(r: Run, s: Step, tn: TexNumbers) -> dict:
    """Every trainable parameter's numbers at step `s`, one row each: gradient, the optimizer's state,
    the value before and after."""
    t = s.number
    cols = r.optimizer.columns
    headers = [f"$g_{{{t}}}$"] + [f"${c.format(t=t)}$" for c, _ in cols] + ["before", "after"]
    rows = [
        {
            "tex": tex_name(p),
            "cells": [tn.text(s.grads[p])]
            + [tn.text(s.records[p][key]) for _, key in cols]
            + [tn.text(s.before[p]), tn.text(s.after[p])],
        }
        for p in r.trainable
    ]
    return {"headers": headers, "rows": rows}


def _zero_gradients(r: Run, s: Step, tn: TexNumbers) -> list[str]:
    """A sentence for each parameter whose gradient is exactly 0 at this step: not moved, or moved
    only by what the optimizer remembers of earlier steps."""
    out = []
    for p in r.trainable:
        if not _is_zero(s.grads[p]):
            continue
        dL = partial("L", tex_name(p))
        if _same(s.before[p], s.after[p]):
            out.append(
                f"${dL} = 0$ at this step, so ${tex_name(p)}$ is not updated: it keeps its value "
                f"${tn.text(s.after[p])}$."
            )
        else:
            out.append(
                f"${dL} = 0$ at this step, yet ${tex_name(p)}$ still moves: the optimizer's memory of "
                "earlier gradients carries it."
            )
    return out


def _same(a: Num, b: Num) -> bool:
    if a.exact is not None and b.exact is not None:
        return a.exact == b.exact
    return bool(a.mp == b.mp)


def _combined(p: str, s: Step, scale: str, tn: TexNumbers) -> Combined:
    """The batch gradient of `p` from its per-point gradients (one point: just its value)."""
    g = f"g_{{{tex_name(p)}}}"
    if len(s.points) == 1:
        return Combined(tex_name(p), f"{g} {tn.eq(s.grads[p])}")
    terms = " + ".join(tn.arg(pt.grads[p]) for pt in s.points)
    line = f"{scale}\\left({terms}\\right)" if scale else terms
    return Combined(tex_name(p), f"{g} = {line} {tn.eq(s.grads[p])}")


def point_detail(net: Network, pt, tn: TexNumbers, zt: dict) -> PointStep:
    """Forward pass, loss, δ sweep and every gradient of one data point, numbers substituted."""
    fwd, back = pt.fwd, pt.back
    forward_lines = []
    for n in net.neurons:
        v = fwd.neurons[n.name]
        terms = [rf"{tn.arg(fwd.value(e.source))} \cdot {tn.arg(fwd.weight(e.weight))}" for e in n.edges]
        if n.bias is not None:
            terms.append(tn.arg(fwd.weight(n.bias)))
        forward_lines.append(f"{zt[n.name]} = " + (" + ".join(terms) or "0") + f" {tn.eq(v.z)}")
        arg = n.activation.tex_forward(zt[n.name], v.z, tn.text)
        forward_lines.append(f"{tex_name(n.name)} = {arg} {tn.eq(v.O)}")
    yhat, ys = [tn.arg(x) for x in fwd.outputs()], [tn.arg(y) for y in fwd.targets()]
    loss_line = f"L_{{{pt.index + 1}}} = " + losses.tex_formula(net.loss, yhat, ys) + f" {tn.eq(fwd.loss)}"
    return PointStep(
        index=pt.index + 1,
        forward=tuple(forward_lines),
        loss=loss_line,
        deltas=tuple(delta_lines(net, fwd, back, tn, zt)),
        grads=tuple(grad_lines(net, pt, tn, zt)),
    )


def delta_lines(net, fwd, back, tn, zt) -> list[str]:
    succ, out = successors(net), []
    dt = delta_names(list(zt))  # zt names every neuron, so δ takes the same subscripts as z
    ce = losses.of(net.loss).softmax_shortcut(fwd.point.targets)
    for n in reversed(net.neurons):
        d, v = dt[n.name], back.delta[n.name]
        if n.activation.couples_outputs:
            if ce:
                y = tn.arg(Num(fwd.point.targets[net.outputs.index(n.name)]))
                out.append(rf"{d} = {tex_name(n.name)} - y = {tn.arg(fwd.neurons[n.name].O)} - {y} {tn.eq(v)}")
            else:
                out.append(
                    rf"{d} = {tex_name(n.name)}\Bigl(\tfrac{{\partial L}}{{\partial {tex_name(n.name)}}} - "
                    rf"\sum_j \tfrac{{\partial L}}{{\partial O_j}} O_j\Bigr) {tn.eq(v)}"
                )
            continue
        sym = [rf"{_w(w, tn)}\,{dt[m]}" for m, w in succ[n.name]]
        terms = [rf"{tn.arg(fwd.weight(w))} \cdot {tn.arg(back.delta[m])}" for m, w in succ[n.name]]
        if n.name in net.outputs:
            sym.insert(0, partial("L", tex_name(n.name)))
            terms.insert(0, tn.arg(back.dL_dyhat[n.name]))
        prime = "1" if n.activation.derivative_is_one else n.activation.tex_prime(zt[n.name])
        out.append(
            rf"{d} = {prime} \cdot {_bracket(sym)} = {tn.arg(back.fprime[n.name])} \cdot {_bracket(terms)} {tn.eq(v)}"
        )
    return out


def _w(w, tn) -> str:
    return tex_name(w) if isinstance(w, str) else tn.arg(Num(w))


def _bracket(terms: list[str]) -> str:
    if not terms:
        return "0"
    return terms[0] if len(terms) == 1 else r"\left(" + " + ".join(terms) + r"\right)"


def grad_lines(net, pt, tn, zt) -> list[str]:
    fwd, back, out = pt.fwd, pt.back, []
    dt = delta_names(list(zt))
    for p, found in uses(net).items():
        sym = [f"{dt[u.neuron]} \\cdot {tex_name(u.source)}" if u.source else dt[u.neuron] for u in found]
        num = [
            f"{tn.arg(back.delta[u.neuron])} \\cdot {tn.arg(fwd.value(u.source))}"
            if u.source
            else tn.arg(back.delta[u.neuron])
            for u in found
        ]
        lhs = partial(f"L_{{{pt.index + 1}}}", tex_name(p))
        numbers = " + ".join(num) or "0"
        numbers = "" if len(found) == 1 and found[0].source is None else f" = {numbers}"
        out.append(f"{lhs} = {' + '.join(sym) or '0'}{numbers} {tn.eq(back.gradients[p])}")
    return out


def progress_steps(epochs: int, per_epoch: int) -> frozenset[int]:
    """The steps after which the progress table has a row when it counts steps, not epochs: for a run
    of few epochs of several steps each, every N-th step (N chosen for at most MAX_PROGRESS_ROWS rows)
    and the last. Empty when the table counts epochs."""
    total = epochs * per_epoch
    if epochs >= FEW_EPOCHS or per_epoch == 1:
        return frozenset()
    every = -(-total // (MAX_PROGRESS_ROWS - 2))
    return frozenset([*range(every, total + 1, every), total])


def progress_rows(r: Run, tn: TexNumbers) -> tuple[list[dict], str]:
    """The progress table: the start, then one row per epoch (every k-th epoch and the last when
    there are more than fit in MAX_PROGRESS_ROWS rows), or, for a run of few epochs, per N steps;
    each with the loss over the whole data set and its gradient's size at the weights of that moment,
    and those weights."""
    names = list(r.net.parameters)[:MAX_COLUMNS]

    def row(label: str, ev) -> dict:
        return {
            "label": label,
            "loss": tn.text(ev.loss),
            "norm": tn.text(ev.norm),
            "params": [tn.text(ev.params[p]) for p in names],
        }

    planned = progress_steps(r.settings.epochs, len(r.batches))
    if planned:
        every = min(planned)
        rows = [row("start", r.epochs[0])] + [row(str(n), r.checkpoints[n]) for n in sorted(r.checkpoints)]
        how = "every step" if every == 1 else f"every {every} steps"
        note = (
            f"With only {r.settings.epochs} epoch{'s' if r.settings.epochs != 1 else ''}, the table has a row "
            f"after {how}{' and after the last' if len(r.steps) % every else ''}, not one per epoch."
        )
        return rows, note
    done = len(r.epochs) - 1  # epochs completed (a run stopped early ends inside one)
    every = 1 if done + 1 <= MAX_PROGRESS_ROWS else -(-done // (MAX_PROGRESS_ROWS - 2))
    if any(not r.epochs[e].params for e in range(every, done + 1, every)):
        # a long run stopped early that kept the weights of the rows planned for all its epochs
        every = -(-r.settings.epochs // (MAX_PROGRESS_ROWS - 2))
    chosen = [e for e in range(1, done + 1) if e % every == 0]
    if done and (not chosen or chosen[-1] != done):
        chosen.append(done)
    rows = [row("start", r.epochs[0])] + [row(str(e), r.epochs[e]) for e in chosen]
    if every == 1:
        note = "There is one row for every epoch."
    else:
        note = (
            f"One row for each of the {done:,} epochs would be too many to read, so there is one row every "
            f"{every} epochs{', and one for the last' if done % every else ''}: {len(chosen)} rows after the start."
        )
    return rows, note


def trace(r: Run, tn: TexNumbers, count: int = TRACE_STEPS) -> dict | None:
    """One parameter through the optimizer's first steps, as a table, so its state (velocity, averages)
    is seen to build; step 2's first line is written out, the first that uses remembered state."""
    if not r.trainable or len(r.steps) < 2 or not r.optimizer.columns:
        return None
    p = r.trainable[0]
    cols = r.optimizer.columns
    rows = [
        {
            "number": s.number,
            "cells": [tn.text(s.records[p]["g"])]
            + [tn.text(s.records[p][key]) for _, key in cols]
            + [tn.text(s.after[p])],
        }
        for s in r.steps[:count]
    ]
    second = r.steps[1]
    example = r.optimizer.lines(second.records[p], second.after[p], 2, tn, tex_name(p))[0]
    headers = ["$g_{t}$"] + [f"${c.format(t='t')}$" for c, _ in cols] + [f"${tex_name(p)}$ after"]
    still = [
        {"number": s.number, "moved": not _same(s.before[p], s.after[p])}
        for s in r.steps[:count]
        if _is_zero(s.records[p]["g"])
    ]
    return {"param": tex_name(p), "headers": headers, "rows": rows, "example": example, "still": still}


def final(r: Run, tn: TexNumbers) -> dict:
    net, last = r.net, r.epochs[-1]
    params = [
        {"tex": tex_name(p), "initial": tn.text(Num(v)), "final": tn.text(r.final[p]), "frozen": p in net.freeze}
        for p, v in net.parameters.items()
    ]
    return {
        "params": params,
        "loss_start": tn.text(r.epochs[0].loss),
        "loss_end": tn.text(last.loss),
        "norm_end": tn.text(last.norm),
        "epochs_done": len(r.epochs) - 1,
    }


T = TypeVar("T")


def _kept(value: T | None) -> T:
    """A step's forward pass or gradients, which the run keeps for every step written out in full."""
    if value is None:
        raise ValueError("the run did not keep this step's values; it is not one written out in full")
    return value


def softmax_section(r: Run, tn: TexNumbers) -> dict | None:
    """The softmax Jacobian at the first data point, once, and ∂L/∂z = O − y worked from it."""
    net = r.net
    soft = [n.name for n in net.neurons if n.activation.couples_outputs]
    first = r.steps[0].points[0] if r.steps else None
    if not soft or first is None or first.fwd is None:
        return None
    fwd, back = first.fwd, _kept(first.back)
    O = {n: fwd.neurons[n].O for n in soft}
    zt = z_names([n.name for n in net.neurons])
    with mpmath.workdps(fwd.dps):
        jac = [[tn.text(O[k] * ((1 if k == j else 0) - O[j])) for j in soft] for k in soft]
        dz = [
            {
                "tex": tex_name(k),
                "line": partial("L", zt[k])
                + " = "
                + " + ".join(
                    f"{tn.arg(back.dL_dyhat[j])} \\cdot {tn.arg(O[j] * ((1 if k == j else 0) - O[k]))}" for j in soft
                )
                + f" {tn.eq(back.delta[k])}",
                "value": tn.text(back.delta[k]),
                "direct": f"{tn.arg(O[k])} - {tn.arg(Num(fwd.point.targets[net.outputs.index(k)]))}",
            }
            for k in soft
        ]
    return {
        "names": [tex_name(n) for n in soft],
        "jacobian": jac,
        "dz": dz,
        "point": first.index + 1,
        "ce": losses.of(net.loss).softmax_shortcut(fwd.point.targets),
    }
