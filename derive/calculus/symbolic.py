"""SymPy views of the network: each output composed from inputs and parameters, and an independent
check of back-propagation against SymPy's own derivative of the composed loss."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from derive import defaults, losses
from derive.calculus import sym_eval
from derive.latex import tex_name, to_tex
from derive.spec.model import DataPoint, Network
from derive.numbers import Num

MAX_CHECK_PARAMS = 60
MAX_CHECK_OPS = 4000
MAX_CHECK_COST = 20_000  # tree size × parameters: about a second of SymPy differentiation
MAX_SHOWN_OPS = defaults.MAX_EXPRESSION  # what the notes show unless told otherwise (--max-expression)
MAX_SHOWN_EDGES = 40  # composing costs more than it shows beyond this


def _rat(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


def _symbols(net: Network) -> dict[str, sympy.Symbol]:
    # Names were checked against a strict pattern; Symbol() never parses text.
    return {n: sympy.Symbol(n) for n in list(net.inputs) + list(net.parameters)}


def composed(net: Network, apply, values: dict[str, sympy.Expr], keep_order: bool = False) -> dict[str, sympy.Expr]:
    """O of every neuron as an expression of `values` (inputs and parameters), via `apply(neuron, z)`;
    `keep_order` keeps each sum as written (w·x terms, then the bias) for display."""
    env = dict(values)
    group = []
    for n in net.neurons:
        terms = [sympy.Mul(_weight(e.weight, env), env[e.source], evaluate=not keep_order) for e in n.edges]
        if n.bias is not None:
            terms.append(_weight(n.bias, env))
        z = sympy.Add(*terms, evaluate=not keep_order) if terms else sympy.Integer(0)
        if n.activation.couples_outputs:
            group.append((n.name, z))
        else:
            env[n.name] = apply(n, z)
    total = sum(sympy.exp(z) for _, z in group)
    for name, z in group:
        env[name] = sympy.exp(z) / total
    return env


def _weight(w, env):
    return env[w] if isinstance(w, str) else _rat(w)


def _display_apply(neuron, z):
    return neuron.activation.sympy_display(z)


def output_tex(net: Network, max_ops: int = MAX_SHOWN_OPS) -> dict[str, str | None]:
    """Each output written out in inputs and parameters, or None where that is too long to read."""
    if net.edge_count() > MAX_SHOWN_EDGES:
        return {o: None for o in net.outputs}
    least = _fewest_ops(net)
    if all(least[o] > max_ops for o in net.outputs):
        return {o: None for o in net.outputs}  # count_ops would say so too, after composing
    syms = _symbols(net)
    env = composed(net, _display_apply, syms, keep_order=True)
    names = {s: tex_name(n) for n, s in syms.items()}
    shown = {}
    for o in net.outputs:
        expr = env[o]
        shown[o] = to_tex(expr, names) if sympy.count_ops(expr) <= max_ops else None
    return shown


def _fewest_ops(net: Network) -> dict[str, int]:
    """A lower bound on sympy.count_ops of each neuron's composed output: a sum of k terms has at
    least k − 1 operations, and every use of a neuron repeats its expression."""
    least = {x: 0 for x in net.inputs}
    for n in net.neurons:
        terms = len(n.edges) + (n.bias is not None)
        least[n.name] = max(terms - 1, 0) + sum(least[e.source] for e in n.edges)
    return least


@dataclass(frozen=True)
class Check:
    """The outcome of checking back-propagation against SymPy's derivative of the composed loss."""

    done: bool
    agreed: bool = False
    digits: int = 0
    worst: str = ""
    reason: str = ""


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


def verify(net: Network, point: DataPoint, grads: dict[str, Num], digits: int = 30) -> Check:
    """Differentiate the composed loss with SymPy (sigmoid as 1/(1+e^−z), ReLU as a Piecewise) and
    compare each derivative, evaluated to `digits` digits, with the back-propagated value."""
    if len(net.parameters) > MAX_CHECK_PARAMS:
        return Check(False, reason=f"{len(net.parameters)} parameters is more than the {MAX_CHECK_PARAMS} the symbolic check affords")
    if check_cost(net) > MAX_CHECK_COST:
        return Check(False, reason=f"written out in full the composed loss has about {tree_size(net)} terms, and "
                     f"differentiating that {len(net.parameters)} times costs more than the symbolic check affords")
    params = {p: sympy.Symbol(p, real=True) for p in net.parameters}
    values = {**{k: _rat(v) for k, v in point.inputs.items()}, **params}
    env = composed(net, lambda n, z: n.activation.sympy_apply(z), values)
    loss = losses.sympy_value(net.loss, [env[o] for o in net.outputs], [_rat(t) for t in point.targets])
    if sympy.count_ops(loss) > MAX_CHECK_OPS:
        return Check(False, reason="the composed loss is too large for the symbolic check")
    at = {params[p]: _rat(v) for p, v in net.parameters.items()}
    derivatives = [sympy.diff(loss, sym) for sym in params.values()]
    theirs = _values(derivatives, at, digits)
    if isinstance(theirs, str):
        return Check(False, reason=f"SymPy left the derivative for {theirs} unevaluated")
    worst, worst_name = mpmath.mpf(0), ""
    with mpmath.workdps(digits + 10):
        for p, value in zip(params, theirs):
            ours = grads[p].mp
            err = abs(value - ours) / max(abs(ours), mpmath.mpf(10) ** (-digits))
            if err > worst or not worst_name:
                worst, worst_name = err, p
    agreed = worst < mpmath.mpf(10) ** (-(digits - 5))
    return Check(True, agreed, digits - 5, worst_name, "" if agreed else f"{worst_name} differs by {mpmath.nstr(worst, 3)} (relative)")


def _values(derivatives, at, digits):
    """SymPy's derivatives as numbers: each shared subexpression evaluated once (sym_eval), or, for
    a kind of expression that does not know, SymPy's own evalf; the parameter's name where neither
    gives a number."""
    try:
        return sym_eval.values(derivatives, at, digits + 5)
    except (sym_eval.Unsupported, ZeroDivisionError, ValueError, TypeError):
        pass
    out = []
    with mpmath.workdps(digits + 10):
        for sym, d in zip(at, derivatives):
            exact = d.evalf(digits + 5, subs=at)
            if not exact.is_Number:
                return str(sym)
            out.append(mpmath.mpf(str(exact)))
    return out
