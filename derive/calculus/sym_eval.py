"""Numbers for SymPy expressions without `evalf(subs=...)`: each distinct subexpression is evaluated
once (the expressions SymPy's `diff` returns share most of their subtrees, which evalf walks again
and again), at a working precision that is raised until two evaluations agree."""

from __future__ import annotations

import mpmath
import sympy


class Unsupported(Exception):
    """An expression node this evaluator does not know: the symbolic check is then not done (evalf,
    the only other way, is exponential in depth on these derivatives)."""


def _relation(e, v):
    a, b = v(e.lhs), v(e.rhs)
    return {
        sympy.StrictGreaterThan: a > b,
        sympy.GreaterThan: a >= b,
        sympy.StrictLessThan: a < b,
        sympy.LessThan: a <= b,
        sympy.Equality: a == b,
        sympy.Unequality: a != b,
    }[type(e)]


def _truth(e, v) -> bool:
    if e is sympy.true:
        return True
    if e is sympy.false:
        return False
    if isinstance(e, sympy.And):
        return all(_truth(a, v) for a in e.args)
    if isinstance(e, sympy.Or):
        return any(_truth(a, v) for a in e.args)
    if isinstance(e, sympy.Not):
        return not _truth(e.args[0], v)
    if isinstance(e, sympy.core.relational.Relational):
        return _relation(e, v)
    raise Unsupported(type(e).__name__)


def _power(base, exp_expr, v):
    if exp_expr.is_Integer:
        return base ** int(exp_expr)
    if exp_expr == sympy.Rational(1, 2) and base >= 0:
        return mpmath.sqrt(base)
    if base > 0:
        return mpmath.power(base, v(exp_expr))
    raise Unsupported("power of a negative number")


FUNCTIONS = {
    sympy.exp: mpmath.exp,
    sympy.log: mpmath.log,
    sympy.tanh: mpmath.tanh,
    sympy.Abs: abs,
    sympy.sign: mpmath.sign,
    sympy.cosh: mpmath.cosh,
    sympy.sinh: mpmath.sinh,
}


def _node(e, v):
    """The value of one node, given `v` for its children."""
    if e.is_Symbol:
        raise Unsupported(f"free symbol {e}")
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e.is_Float:
        return mpmath.mpf(e._mpf_)
    if e.is_Add:
        return mpmath.fsum(v(a) for a in e.args)
    if e.is_Mul:
        return mpmath.fprod(v(a) for a in e.args)
    if e.is_Pow:
        return _power(v(e.base), e.exp, v)
    if isinstance(e, sympy.Piecewise):
        for expr, cond in e.args:
            if _truth(cond, v):
                return v(expr)
        raise Unsupported("no piece applies")
    f = FUNCTIONS.get(type(e))
    if f is not None:
        return f(v(e.args[0]))
    raise Unsupported(type(e).__name__)


def evaluate(exprs: list, at: dict, dps: int) -> list:
    """The value of each expression with the symbols in `at` (Symbol → Rational) substituted, at `dps`
    digits; raises Unsupported for what it does not know."""
    with mpmath.workdps(dps):
        memo = {s: mpmath.mpf(int(r.p)) / int(r.q) for s, r in at.items()}

        def v(e):
            got = memo.get(e)
            if got is None:
                got = memo[e] = _node(e, v)
            return got

        return [v(e) for e in exprs]


def values(exprs: list, at: dict, digits: int, tick=None) -> list:
    """Each expression to `digits` significant digits (relative; absolute 10^-digits near zero): raise
    the precision until two evaluations agree that far, as evalf does. `tick()`, called before each
    evaluation, may raise to stop (the symbolic check's time budget)."""
    dps = 2 * digits + 20
    if tick:
        tick()
    last = evaluate(exprs, at, dps)
    for _ in range(6):
        dps *= 2
        if tick:
            tick()
        now = evaluate(exprs, at, dps)
        with mpmath.workdps(dps):
            tol, floor = mpmath.mpf(10) ** -(digits + 5), mpmath.mpf(10) ** -(2 * digits)
            if all(abs(a - b) <= tol * max(abs(b), floor) for a, b in zip(last, now, strict=True)):
                return now
        last = now
    raise Unsupported("the values did not settle")
