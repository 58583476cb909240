"""Numbers for an answer's expression at one state: a small evaluator over the SymPy tree the
parser built (no lambdify, which is eval-based), refusing overflow instead of computing it."""

from __future__ import annotations

import mpmath
import sympy

from derive.check.names import ETA, LOSS, Names, target_symbol
from derive.check.truth import State, local, total
from derive.numbers import Num
from derive.spec.model import Network

DPS = 40
MAX_MAGNITUDE = 10**5  # |exp argument| and |exponent · log base| above this overflow
MAX_BINARY_EXPONENT = 332_200  # a value beyond 10^±100,000 (2^±332,200) is refused, not computed on


class Undefined(Exception):
    """The expression has no real value at this point (log of a negative, division by zero, overflow)."""


def environment(net: Network, names: Names, s: State, expr: sympy.Expr) -> dict[sympy.Symbol, mpmath.mpf]:
    """The value of every symbol of `expr` at state `s`; derivative placeholders get their true value."""
    env = {}
    with mpmath.workdps(s.fwd.dps):
        for sym in expr.free_symbols:
            env[sym] = _symbol_value(net, names, s, sym).mp
    return env


def _symbol_value(net: Network, names: Names, s: State, sym) -> Num:
    if sym in names.derivs:
        top, bottom = names.derivs[sym]
        return total(net, s, bottom) if top[0] == "L" else local(net, s, top, bottom)
    if sym == LOSS:
        return s.fwd.loss
    if sym == ETA:
        return Num(net.learning_rate)
    for i in range(len(net.outputs)):
        if sym == target_symbol(net, i):
            return s.fwd.targets()[i]
    name = sym.name
    if name.startswith("z("):
        return s.fwd.neurons[name[2:-1]].z
    if name in s.fwd.neurons:
        return s.fwd.neurons[name].O
    return s.fwd.params[name] if name in s.fwd.params else s.fwd.inputs[name]


def evaluate(expr: sympy.Expr, env: dict) -> mpmath.mpf:
    """The value of `expr` with the symbols of `env`."""
    with mpmath.workdps(DPS):
        v = _eval(expr, env)
        if not mpmath.isfinite(v):
            raise Undefined("the value is not a finite number")
        if v and abs(mpmath.mag(v)) > MAX_BINARY_EXPONENT:
            raise Undefined(
                f"the value is about 10^{int(mpmath.mag(v) * 0.30103)}: too {'large' if mpmath.mag(v) > 0 else 'small'}"
            )
        return v


def _eval(e, env):
    if e.is_Symbol:
        return env[e]
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e is sympy.E:
        return mpmath.e
    args = [_eval(a, env) for a in e.args]
    if e.is_Add:
        return mpmath.fsum(args)
    if e.is_Mul:
        result = mpmath.mpf(1)
        for a in args:
            result *= a
        return result
    if e.is_Pow:
        return _power(args[0], args[1], e.args[1])
    if isinstance(e, sympy.exp):
        if abs(args[0]) > MAX_MAGNITUDE:
            raise Undefined("exp overflows")
        return mpmath.exp(args[0])
    if isinstance(e, sympy.log):
        if args[0] <= 0:
            raise Undefined("log of a number that is not positive")
        return mpmath.log(args[0])
    if isinstance(e, sympy.tanh):
        return mpmath.tanh(args[0])
    raise Undefined(f"cannot evaluate {type(e).__name__}")


def _power(base, exponent, exponent_expr):
    if base == 0:
        if exponent <= 0:
            raise Undefined("division by zero")
        return mpmath.mpf(0)
    if base < 0 and not exponent_expr.is_Integer:
        raise Undefined("a negative number to a fractional power")
    if abs(exponent * mpmath.log(abs(base))) > MAX_MAGNITUDE:
        raise Undefined("the power overflows")
    if exponent_expr.is_Integer:
        return base ** int(exponent_expr)
    return mpmath.power(base, exponent)


def close(a, b, rel=mpmath.mpf(10) ** -20) -> bool:
    """Whether two computed values agree to far more digits than any answer is written with."""
    with mpmath.workdps(DPS):
        return abs(a - b) <= rel * max(abs(a), abs(b), mpmath.mpf(10) ** -25)
