"""Judging a formula: equal to the expected one or not, by simplification and by values at random
points (where every O and z is what a forward pass gives, so O2·(1 − O2) and σ(z2)(1 − σ(z2)) agree);
when not equal, a point where they differ and the likely cause, read from yours ÷ expected."""

from __future__ import annotations

import contextlib

import mpmath
import sympy

from derive.check.evaluate import DPS, Undefined, close, environment, evaluate
from derive.check.formulas import expected_formula, names_of, path_value, paths
from derive.check.names import L_NODE, Names, Quantity, label, target_symbol
from derive.check.numeric import RIGHT, WRONG, Judgement
from derive.check.parse import ExpressionError, parse_answer
from derive.check.truth import LinkError, State, random_states, step, value, why_not
from derive.spec.model import DataPoint, Network

MAX_EXPAND_OPS = 80
LOSS_RULES = {
    "squared_error": "L = (y − ŷ)², so ∂L/∂ŷ = 2(ŷ − y)",
    "half_squared_error": "L = ½(y − ŷ)², so ∂L/∂ŷ = ŷ − y",
    "mse": "L = (1/K)Σ(y − ŷ)², so ∂L/∂ŷ = (2/K)(ŷ − y)",
}
MIN_POINTS = 5
NO_SLIP = "no simple slip explains the difference: compare your formula with the worked step"
RANDOM_CHECKS = 6  # random points where a formula with the data point's y, x or weights written in is compared


def judge_formula(
    net: Network,
    names: Names,
    q: Quantity,
    expr: sympy.Expr,
    states: list[State],
    template: str | None,
    point: DataPoint | None = None,
) -> Judgement:
    """`states[0]` is the data point itself (`point`); the rest are random points. A formula with the
    point's y, x or current weights written in as numbers is right when it equals the expected one
    with those held at the point's values."""
    bad = bad_factors(net, names, expr)
    expected = names_of(template) if template else ""
    if bad:
        return Judgement(WRONG, expected=expected, causes=bad)
    mine, truth, used = [], [], []
    for s in states:
        try:
            a = evaluate(expr, environment(net, names, s, expr))
        except Undefined as exc:
            if s is states[0]:
                return Judgement(
                    WRONG, expected=expected, causes=[f"your formula has no value at the data point: {exc}"]
                )
            continue
        mine.append(a)
        truth.append(value(net, s, q).mp)
        used.append(s)
    if len(used) < MIN_POINTS:
        return Judgement(
            WRONG,
            expected=expected,
            causes=["your formula has no value at most points (a log or a power of a negative number?)"],
        )
    if all(close(a, b) for a, b in zip(mine, truth, strict=True)):
        proved = _simplifies_to_zero(net, names, expr, template)
        how = "identical after simplifying" if proved else f"equal at the data point and {len(used) - 1} random points"
        return Judgement(RIGHT, method=how)
    written_in = _substituted(net, names, q, expr, template, states[0], point)
    if written_in:
        return Judgement(
            RIGHT, f"right (with {written_in} substituted)", method=f"equal at the data point with {written_in}"
        )
    i = next(k for k, (a, b) in enumerate(zip(mine, truth, strict=True)) if not close(a, b))
    j = Judgement(WRONG, expected=expected, method=f"values at {len(used)} points")
    j.point = _where(net, names, used[i], expr, template, mine[i], truth[i])
    j.difference = f"{_n(mine[i] - truth[i])} at {used[i].where}"
    j.causes = causes(net, q, used, mine, truth) or _swapped(net, names, q, expr, used, truth) or [NO_SLIP]
    return j


def _substituted(
    net: Network, names: Names, q: Quantity, expr, template: str | None, at: State, point_of: DataPoint | None
) -> str:
    """What of the data point the person wrote in as numbers (y = 1, x1 = 95, w4 = 0.02), when the
    formula equals the expected one with exactly those held at the data point's values; "" otherwise.
    Only the targets, the inputs and the current parameters may be written in: the names the expected
    formula has and yours lacks say which."""
    if template is None or point_of is None:
        return ""
    try:
        wanted = parse_answer(names_of(template), names)[0].expr.free_symbols
    except ExpressionError:
        return ""
    point = at.fwd
    kinds = {
        "targets": {target_symbol(net, i): t for i, t in enumerate(point.targets())},
        "inputs": {names.symbol(x): point.inputs[x] for x in net.inputs},
        "parameters": {names.symbol(p): point.params[p] for p in net.parameters},
    }
    missing = {
        k: {s: v for s, v in syms.items() if s in wanted and s not in expr.free_symbols} for k, syms in kinds.items()
    }
    keep = frozenset(k for k, syms in missing.items() if syms)
    if not keep:
        return ""
    states = random_states(net, RANDOM_CHECKS, keep=keep, at=point_of)
    if len(states) < MIN_POINTS:
        return ""
    for s in states:
        try:
            a = evaluate(expr, environment(net, names, s, expr))
        except Undefined:
            return ""
        if not close(a, value(net, s, q).mp):
            return ""
    return ", ".join(
        f"{names_of('{' + str(sym) + '}')} = {_n(v.mp)}" for syms in missing.values() for sym, v in syms.items()
    )


def bad_factors(net: Network, names: Names, expr: sympy.Expr) -> list[str]:
    """Derivatives in the formula that are not a step of any path, each with why."""
    found = []
    for sym in sorted(expr.free_symbols & set(names.derivs), key=str):
        top, bottom = names.derivs[sym]
        if (top != L_NODE and step(net, top, bottom) is None) or bottom == L_NODE or top[0] in ("p", "x"):
            found.append(f"wrong factor {sym}: {why_not(net, top, bottom)}")
    return found


def _simplifies_to_zero(net: Network, names: Names, expr, template: str | None) -> bool:
    """Whether yours − expected expands to 0, with each derivative you wrote replaced by its formula
    (tried only where expanding stays small)."""
    if template is None or sympy.count_ops(expr) > MAX_EXPAND_OPS:
        return False
    try:
        expected = parse_answer(names_of(template), names)[0].expr
        formulas = {}
        for sym in expr.free_symbols & set(names.derivs):
            top, bottom = names.derivs[sym]
            inner = expected_formula(net, Quantity("d", top=top, bottom=bottom))
            if inner is None:
                return False
            formulas[sym] = parse_answer(names_of(inner), names)[0].expr
    except ExpressionError:
        return False  # a formula with relu′ or sign() is not in the answer grammar
    mine = expr.xreplace(formulas)
    if any(p.exp.is_Integer and abs(p.exp) > 8 for p in mine.atoms(sympy.Pow)):
        return False
    return sympy.expand(mine - expected) == 0


def _where(net, names, s: State, expr, template, mine, truth) -> list[str]:
    syms = set(expr.free_symbols)
    if template:
        with contextlib.suppress(ExpressionError):
            syms |= parse_answer(names_of(template), names)[0].expr.free_symbols
    env = environment(net, names, s, sympy.Add(*syms) if syms else sympy.Integer(0))
    shown = ", ".join(
        f"{names_of('{' + str(k) + '}')} = {_n(v)}" for k, v in sorted(env.items(), key=lambda kv: str(kv[0]))
    )
    return [f"at {s.where}" + (f" ({shown})" if shown else ""), f"yours = {_n(mine)}, expected = {_n(truth)}"]


def _n(x) -> str:
    text = mpmath.nstr(x, 6)
    return text[:-2] if text.endswith(".0") else text


# -- likely causes --------------------------------------------------------------------------------------
def causes(net: Network, q: Quantity, states: list[State], mine, truth) -> list[str]:
    """Why yours differs, when yours ÷ expected or yours − expected is a recognisable thing."""
    with mpmath.workdps(DPS):
        return _causes(net, q, states, mine, truth)


def _causes(net: Network, q: Quantity, states: list[State], mine, truth) -> list[str]:
    ratios = [a / b for a, b in zip(mine, truth, strict=True) if abs(b) > mpmath.mpf(10) ** -30]
    found = []
    if len(ratios) >= 3:
        found += _ratio_causes(net, q, states, mine, truth)
    if q.is_derivative and q.top == L_NODE:
        found += _path_causes(net, q, states, mine, truth)
    return found


def _swapped(net: Network, names: Names, q: Quantity, expr, states: list[State], truth) -> list[str]:
    """An O where its z belongs (σ′(O2) for σ′(z2)), or a z where its O belongs: the formula is right
    with that one name put back."""
    for n in net.neurons:
        o, z = names.symbol(n.name), names.z_symbol(n.name)
        for wrote, meant, words in (
            (o, z, f"{n.name} where z({n.name}) belongs: the activation takes z({n.name}) and gives {n.name}"),
            (z, o, f"z({n.name}) where {n.name} belongs: z({n.name}) is the weighted sum, {n.name} its activation"),
        ):
            if wrote not in expr.free_symbols:
                continue
            fixed = expr.xreplace({wrote: meant})
            try:
                values = [evaluate(fixed, environment(net, names, s, fixed)) for s in states]
            except Undefined:
                continue
            if all(close(a, b) for a, b in zip(values, truth, strict=True)):
                return [words]
    return []


def _ratio_causes(net: Network, q: Quantity, states, mine, truth) -> list[str]:
    def constant(c):
        return all(close(a, c * b) for a, b in zip(mine, truth, strict=True))

    if constant(-1):
        return ["sign: your formula is the negative of the expected one"]
    for c, what in ((2, "twice"), (mpmath.mpf(1) / 2, "half"), (-2, "minus twice"), (-mpmath.mpf(1) / 2, "minus half")):
        if constant(c):
            rule = LOSS_RULES.get(net.loss, "see its definition in the notes")
            return [
                f"a factor of 2 from the loss convention: yours is {what} the expected value; "
                f"this network's loss is {net.loss} ({rule})"
            ]
    for per_state in _candidates(net, states).values():
        for sign, words in ((1, ""), (-1, " and the sign")):
            if all(close(a, sign * f * b) for a, b, f in zip(mine, truth, per_state[0], strict=True)):
                return [per_state[1] + words]
            if all(close(a * f, sign * b) for a, b, f in zip(mine, truth, per_state[0], strict=True)):
                return [per_state[2] + words]
    return []


def _candidates(net: Network, states) -> dict[str, tuple[list, str, str]]:
    """For each name: its value per state, and what yours = expected × value (or ÷ value) means."""
    found = {}
    for n in net.neurons:
        if all(s.back is not None and n.name in s.back.fprime for s in states):
            f = [s.back.fprime[n.name].mp for s in states]
            prime = n.activation.prime_words(n.name)
            found[f"f'({n.name})"] = (
                f,
                f"an extra activation derivative of {n.name}: {prime} appears once too often",
                f"a missing activation derivative of {n.name}: the factor {prime} is missing",
            )
    for name in list(net.inputs) + [n.name for n in net.neurons] + list(net.parameters):
        vals = [_plain(s, name) for s in states]
        found[name] = (vals, f"an extra factor {name}", f"a missing factor {name}")
    names = list(net.inputs) + [n.name for n in net.neurons] + list(net.parameters)
    for a in names:
        for b in names:
            if a != b:
                vals = [_plain(s, a) / _plain(s, b) for s in states]
                found[f"{a}/{b}"] = (vals, f"{a} where {b} belongs", f"{b} where {a} belongs")
    return found


def _plain(s: State, name: str):
    if name in s.fwd.neurons:
        return s.fwd.neurons[name].O.mp
    return (s.fwd.params[name] if name in s.fwd.params else s.fwd.inputs[name]).mp


def _path_causes(net: Network, q: Quantity, states, mine, truth) -> list[str]:
    found = paths(net, q.bottom, 16)
    if len(found) < 2 or len(found) > 16:
        return []
    per_path = []
    for p in found:
        try:
            per_path.append((" → ".join(label(n) for n in p), [path_value(net, s, p).mp for s in states]))
        except LinkError:
            return []
    for route, per in per_path:
        if all(close(a, b - c) for a, b, c in zip(mine, truth, per, strict=True)):
            return [f"a missing path: {route} is not in your sum"]
    for route, per in per_path:
        if all(close(a, c) for a, c in zip(mine, per, strict=True)):
            return [f"only one path: yours is the path {route}; {q.key} sums {len(found)} paths"]
    return []
