"""SymPy views of the network: each output composed from inputs and parameters (shown in the notes),
and SymPy's own derivative of the composed loss checked against back-propagation. Imported only where
SymPy is used (derive.calculus.symbolic decides when); importing it imports SymPy."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy

from derive import losses
from derive.calculus import sym_eval
from derive.calculus.check_result import MAX_CHECK_OPS, Check
from derive.calculus.graph import Forward
from derive.latex import tex_name, z_names
from derive.latex_sympy import to_tex
from derive.numbers import Num
from derive.spec.model import Network


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
        z = _z(n, env, keep_order)
        if n.activation.couples_outputs:
            group.append((n.name, z))
        else:
            env[n.name] = apply(n, z)
    total = sum(sympy.exp(z) for _, z in group)
    for name, z in group:
        env[name] = sympy.exp(z) / total
    return env


def _z(n, env: dict[str, sympy.Expr], keep_order: bool = False) -> sympy.Expr:
    """The weighted sum of neuron `n` in the expressions `env` gives what feeds it."""
    terms = [sympy.Mul(_weight(e.weight, env), env[e.source], evaluate=not keep_order) for e in n.edges]
    if n.bias is not None:
        terms.append(_weight(n.bias, env))
    return sympy.Add(*terms, evaluate=not keep_order) if terms else sympy.Integer(0)


def _weight(w, env):
    return env[w] if isinstance(w, str) else _rat(w)


def _display_apply(neuron, z):
    return neuron.activation.sympy_display(z)


def output_tex(net: Network, max_ops: int) -> dict[str, str | None]:
    """Each output composed and written as TeX, or None where it has more than `max_ops` operations."""
    syms = _symbols(net)
    env = composed(net, _display_apply, syms, keep_order=True)
    names = {s: tex_name(n) for n, s in syms.items()}
    # Softmax outputs share one denominator: written out in full, each would repeat every weighted sum
    # of the layer and no line could hold it. Each is written as a lecturer does, e^{z}/(sum of e^{z}),
    # followed by its own weighted sum in the inputs and parameters.
    coupled = {n.name: n for n in net.neurons if n.activation.couples_outputs}
    zt = z_names([n.name for n in net.neurons])
    total = " + ".join(f"e^{{{zt[name]}}}" for name in coupled)
    shown: dict[str, str | None] = {}
    for o in net.outputs:
        expr = _z(coupled[o], env, keep_order=True) if o in coupled else env[o]
        if sympy.count_ops(expr) > max_ops:
            shown[o] = None
        elif o in coupled:
            shown[o] = rf"\frac{{e^{{{zt[o]}}}}}{{{total}}}, \quad {zt[o]} = {to_tex(expr, names)}"
        else:
            shown[o] = to_tex(expr, names)
    return shown


def sympy_check(net: Network, fwd: Forward, grads: dict[str, Num], digits: int, tick) -> Check | str:
    """SymPy's derivative of the composed loss for each parameter against `grads`; a reason (str)
    where SymPy cannot give every derivative as a number."""
    params = {p: sympy.Symbol(p, real=True) for p in net.parameters}
    values = {**{k: _rat(v) for k, v in fwd.point.inputs.items()}, **params}
    env = composed(net, lambda n, z: n.activation.sympy_active(z, fwd.neurons[n.name].z), values)
    loss = losses.sympy_value(net.loss, [env[o] for o in net.outputs], [_rat(t) for t in fwd.point.targets])
    tick()
    if sympy.count_ops(loss) > MAX_CHECK_OPS:
        return "the composed loss is too large for it"
    at = {params[p]: _rat(v) for p, v in net.parameters.items()}
    derivatives = []
    for sym in params.values():
        tick()
        derivatives.append(sympy.diff(loss, sym))
    try:
        theirs = sym_eval.values(derivatives, at, digits + 5, tick)
    except (sym_eval.Unsupported, ZeroDivisionError, ValueError, TypeError) as exc:
        # No slow fallback (evalf(subs=…) is exponential in depth here): the numeric check takes over.
        return f"its derivatives could not be evaluated as numbers ({exc or type(exc).__name__})"
    worst, worst_name = mpmath.mpf(0), ""
    with mpmath.workdps(digits + 10):
        for p, value in zip(params, theirs, strict=True):
            ours = grads[p].mp
            err = abs(value - ours) / max(abs(ours), mpmath.mpf(10) ** (-digits))
            if err > worst or not worst_name:
                worst, worst_name = err, p
    agreed = worst < mpmath.mpf(10) ** (-(digits - 5))
    return Check(
        True,
        agreed,
        digits - 5,
        worst_name,
        "" if agreed else f"{worst_name} differs by {mpmath.nstr(worst, 3)} (relative)",
        method="sympy",
        piecewise=any(n.activation.piecewise for n in net.neurons),
    )
