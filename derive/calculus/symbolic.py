"""The independent check of back-propagation: SymPy's own derivative of the composed loss, within a
time budget, and where SymPy does not check, central differences of the forward pass; and each output
written out in inputs and parameters for the notes. What needs SymPy itself is in
derive.calculus.sympy_forms, imported only when SymPy is used (its import is most of a start-up)."""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from fractions import Fraction

import mpmath

from derive import defaults
from derive.calculus.check_result import Check
from derive.calculus.graph import Forward, forward
from derive.numbers import WORK_DIGITS, Num
from derive.spec.model import DataPoint, Network

MAX_CHECK_PARAMS = 60
MAX_CHECK_COST = 20_000  # tree size × parameters: about a second of SymPy differentiation
MAX_SHOWN_OPS = defaults.MAX_EXPRESSION  # what the notes show unless told otherwise (--max-expression)
MAX_SHOWN_EDGES = 40  # composing costs more than it shows beyond this


def output_tex(net: Network, max_ops: int = MAX_SHOWN_OPS) -> dict[str, str | None]:
    """Each output written out in inputs and parameters, or None where that is too long to read."""
    if net.edge_count() > MAX_SHOWN_EDGES:
        return {o: None for o in net.outputs}
    least = _fewest_ops(net)
    if all(least[o] > max_ops for o in net.outputs):
        return {o: None for o in net.outputs}  # count_ops would say so too, after composing
    from derive.calculus import sympy_forms  # SymPy: only where an output is short enough to show

    return sympy_forms.output_tex(net, max_ops)


def _fewest_ops(net: Network) -> dict[str, int]:
    """A lower bound on sympy.count_ops of each neuron's composed output: a sum of k terms has at
    least k − 1 operations, and every use of a neuron repeats its expression."""
    least = {x: 0 for x in net.inputs}
    for n in net.neurons:
        terms = len(n.edges) + (n.bias is not None)
        least[n.name] = max(terms - 1, 0) + sum(least[e.source] for e in n.edges)
    return least


def tree_size(net: Network) -> int:
    """Nodes of the composed loss written out as a tree (every use of a neuron repeats its whole
    expression): what SymPy's diff walks. Counted on the network, so nothing is composed to find it;
    it grows with the number of paths, not edges."""
    size = {x: 1 for x in net.inputs}
    for n in net.neurons:
        z = sum(size[e.source] + 2 for e in n.edges) + (1 if n.bias is not None else 0)
        size[n.name] = z + 5
    return sum(size[o] for o in net.outputs) + 3 * len(net.outputs)


def check_cost(net: Network) -> int:
    """The check differentiates the composed loss once per parameter: tree size × parameters."""
    return tree_size(net) * len(net.parameters)


MAX_ALARM = 1e6  # seconds: a longer budget sets no timer


class _OutOfTime(Exception):
    """The SymPy check's time budget ran out (raised by the alarm, or between derivatives)."""


@contextmanager
def _deadline(seconds: float):
    """Yield a function that raises _OutOfTime once `seconds` have passed. In the main thread, where
    Python delivers SIGALRM, an interval timer also interrupts SymPy mid-computation (one diff or one
    composing can take far longer than the budget); the previous handler and timer are restored
    whatever happens. Elsewhere only the calls between steps can stop it."""
    end = time.monotonic() + seconds

    def tick() -> None:
        if time.monotonic() >= end:
            raise _OutOfTime

    alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not alarm or seconds > MAX_ALARM:  # beyond it, no time limit worth a timer (and inf overflows one)
        yield tick
        return

    def on_alarm(signum, frame):
        raise _OutOfTime

    old_delay, old_interval = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:  # armed inside: a budget shorter than this line can ring before setitimer returns
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield tick
    finally:
        _disarm(previous)
        if old_delay > 0:  # someone else's timer: what was left of it, at least a moment
            left = old_delay - (time.monotonic() - (end - seconds))
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)


def _disarm(previous) -> None:
    """Stop the timer and put the previous handler back. An alarm already on its way can still reach
    our handler until the handler is replaced, so its _OutOfTime is caught here and the two steps
    are repeated; once `previous` is installed our handler is never called again."""
    while True:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            return
        except _OutOfTime:
            continue


def verify(
    net: Network, point: DataPoint, grads: dict[str, Num], digits: int = 30, budget: float = defaults.VERIFY_BUDGET
) -> Check:
    """Check the back-propagated `grads` independently: SymPy differentiates the composed loss (sigmoid
    as 1/(1+e^−z), each ReLU-like neuron as the branch its z takes at this point) and each derivative,
    evaluated to `digits` digits, is compared; for at most `budget` seconds. Where SymPy does not check
    (too big, out of time, a derivative it cannot evaluate), central differences of the forward pass
    do (numeric_check)."""
    fwd = forward(net, point)  # exact: which side of 0 each z is on, from the forward pass alone
    why = _sympy_skipped(net, budget)
    if not why:
        try:
            from derive.calculus.sympy_forms import sympy_check  # SymPy: only where it checks

            with _deadline(budget) as tick:
                checked = sympy_check(net, fwd, grads, digits, tick)
        except _OutOfTime:
            checked = f"it did not finish within its time budget of {budget:g} s (--verify-budget)"
        if isinstance(checked, Check):
            return checked
        why = checked
    return replace(numeric_check(net, point, grads, fwd), skipped=why)


def _sympy_skipped(net: Network, budget: float) -> str:
    """Why SymPy is not even tried ("" if it is): sizes known without composing anything."""
    if budget <= 0:
        return f"its time budget is {budget:g} s (--verify-budget)"
    if len(net.parameters) > MAX_CHECK_PARAMS:
        return f"{len(net.parameters)} parameters is more than the {MAX_CHECK_PARAMS} it affords"
    if check_cost(net) > MAX_CHECK_COST:
        return (
            f"written out in full the composed loss has about {tree_size(net)} terms, and "
            f"differentiating that {len(net.parameters)} times costs more than it affords"
        )
    return ""


# -- the numeric check: central differences of the forward pass --------------------------------------
# Each parameter is moved by ±h and ±2h exactly (Fractions) and the loss recomputed by graph.forward,
# which works at 50 digits at least (more where a large |z| saturates an activation). For parameters,
# inputs and z of ordinary size each loss then carries an absolute rounding error of about
# 10^-48·max(1, |L|); the check allows ε = 10^-(digits − ROUNDING_DIGITS)·max(1, |L|), a margin of a
# million. D(h) = (L(p+h) − L(p−h))/2h is ∂L/∂p + h²·L‴/6 + O(h⁴), so Richardson's (4·D(h) − D(2h))/3
# removes the h² term, leaving h⁴·L⁽⁵⁾/30 and a rounding error of at most 1.5·ε/h. With h = 10^-12
# these are about 10^-48·L⁽⁵⁾ and 10^-30·max(1, |L|): a gradient down to 10^-10·max(1, |L|) agrees to
# 20 significant digits, a smaller one to as many as the rounding leaves (the notes print the least).
# (Plain central differences at 50 digits would have to trade one error against the other: h = 10^-20
# keeps h² small but leaves 10^-22·|L| of rounding, 18 digits for a gradient of 10^-4.)
NUMERIC_STEP = Fraction(1, 10**12)
STEP_TEX = "10^{-12}"  # NUMERIC_STEP as the notes write it
NUMERIC_DIGITS = 20
ROUNDING_DIGITS = 8  # the loss is trusted to the forward pass's working digits less these
NUMERIC_PASSES = 4  # forward passes per parameter: p ± h, p ± 2h
MIN_RESOLVED = 6  # digits of a gradient that central differences must resolve for it to count as checked
MAX_NUMERIC_COST = 160_000  # passes × parameters × (edges + neurons): about two seconds at most


def numeric_check(net: Network, point: DataPoint, grads: dict[str, Num], base: Forward | None = None) -> Check:
    """Compare each back-propagated gradient with the central differences of the loss. Two kinds of
    parameter are compared but not counted as checked, and the reason names them: one whose moves
    take some ReLU-like neuron's z (or an MAE residual) across 0 (across a kink a difference quotient
    measures neither side's slope), and one whose gradient is so small beside the loss that the
    forward pass's rounding leaves fewer than MIN_RESOLVED digits of it (a vanishing gradient)."""
    passes = NUMERIC_PASSES * len(net.parameters)
    if passes * (net.edge_count() + len(net.neurons)) > MAX_NUMERIC_COST:
        return Check(
            False,
            reason=f"they would need {passes} forward passes of {net.edge_count()} edges, more than the check affords",
        )
    base = base or forward(net, point)
    h = NUMERIC_STEP
    worst, worst_name, least = mpmath.mpf(-1), "", NUMERIC_DIGITS
    kinks: dict[str, str] = {}  # parameter → what its moves take across 0
    tiny: dict[str, mpmath.mpf] = {}  # parameter → its gradient, too small to resolve
    for p, value in net.parameters.items():
        moved = [forward(net, point, params={**net.parameters, p: value + k * h}) for k in (1, -1, 2, -2)]
        crossed = next((c for c in (_crossed(net, base, m) for m in moved) if c), "")
        if crossed:
            kinks[p] = crossed
            continue
        dps = max(m.dps for m in moved)
        with mpmath.workdps(dps + 10):
            exact = [m.loss.exact for m in moved if m.loss.exact is not None]
            if len(exact) == len(moved):  # rational all through (linear, ReLU): no rounding at all
                up, down, up2, down2 = exact
                estimate = _mpf((4 * (up - down) / (2 * h) - (up2 - down2) / (4 * h)) / 3)
                rounding = mpmath.mpf(0)
            else:
                up, down, up2, down2 = (m.loss.mp for m in moved)
                hm = _mpf(h)
                estimate = (4 * (up - down) / (2 * hm) - (up2 - down2) / (4 * hm)) / 3
                rounding = mpmath.mpf(1.5) * mpmath.mpf(10) ** (ROUNDING_DIGITS - dps) * max(1, abs(base.loss.mp)) / hm
            ours = grads[p].mp
            tol = max(mpmath.mpf(10) ** -NUMERIC_DIGITS * abs(ours), rounding)
            err = abs(estimate - ours)
            if err > tol:
                return Check(
                    True,
                    False,
                    NUMERIC_DIGITS,
                    p,
                    f"{p}: back-propagation gives {mpmath.nstr(ours, 12)}, "
                    f"central differences {mpmath.nstr(estimate, 12)}",
                    method="numeric",
                    step=STEP_TEX,
                )
            if ours != 0 and tol > mpmath.mpf(10) ** -NUMERIC_DIGITS * abs(ours):  # the rounding limits it
                digits = int(mpmath.floor(-mpmath.log10(tol / abs(ours))))
                if digits < MIN_RESOLVED:
                    tiny[p] = ours
                    continue
                least = min(least, digits)
            nearness = err / tol if tol else mpmath.mpf(0)  # tol = 0: an exact zero, met exactly
            if nearness > worst:  # the parameter nearest its limit
                worst, worst_name = nearness, p
    if kinks or tiny:
        judged = len(net.parameters) - len(kinks) - len(tiny)
        why = []
        if tiny:
            smallest = mpmath.nstr(min(tiny.values(), key=abs), 3)
            size = f"gradient ({smallest}) is" if len(tiny) == 1 else f"gradients (down to {smallest}) are"
            why.append(
                f"{_some(list(tiny))}, whose {size} too small beside the loss for forward passes at "
                f"{WORK_DIGITS} digits to resolve"
            )
        if kinks:
            why.append(
                "; ".join(f"{p} ({where})" for p, where in kinks.items()) + ": a move of 10^-12 takes a kink's "
                "argument across 0, where the slope jumps, so a difference there measures neither side"
            )
        return Check(
            False,
            digits=least,
            reason=(
                f"they agree with back-propagation for {judged} of the {len(net.parameters)} parameters to "
                f"{least} significant digits, but cannot judge "
                if judged
                else "they cannot judge any parameter: "
            )
            + "; nor ".join(why),
            method="numeric",
            step=STEP_TEX,
        )
    return Check(True, True, least, worst_name, method="numeric", step=STEP_TEX)


def _some(names: list[str], shown: int = 5) -> str:
    """A few names, and how many more: w1, w2, w3, w4, w5 and 33 more."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _crossed(net: Network, base: Forward, moved: Forward) -> str:
    """What changed sides of a kink between the two passes ("" if nothing did)."""
    for n in net.neurons:
        if n.activation.piecewise and base.neurons[n.name].z.sign() != moved.neurons[n.name].z.sign():
            return f"{n.name}'s z is {'0' if base.neurons[n.name].z.is_zero() else 'next to 0'}"
    if net.loss == "mae":
        for o, y in zip(net.outputs, base.targets(), strict=True):
            if (base.neurons[o].O - y).sign() != (moved.neurons[o].O - y).sign():
                return f"the residual {o} − y is {'0' if (base.neurons[o].O - y).is_zero() else 'next to 0'}"
    return ""


def _mpf(x: Fraction) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator
