"""Answers → SymPy, by a real grammar (lark, LALR) and a builder that makes every node itself:
Symbol() for names checked against the network, Rational for numbers. Nothing is ever passed to
eval, sympify, parse_expr or lambdify, and limits are checked before any work that could grow."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

import lark
import sympy
from lark import Lark, Transformer, v_args

from derive.check.grammar import GRAMMAR, LATEX_COMMANDS, syntax_message
from derive.check.names import Names
from derive.errors import DeriveError
from derive.numbers import parse_number

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_EXPONENT = 100
MAX_POWER_CHAIN = 3
MAX_BITS = 20000  # an exact number in an answer stays below about 10^6000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_COMMAND = re.compile(r"\\([A-Za-z]+)")


class ExpressionError(DeriveError):
    """An answer that cannot be read: what is wrong, at which character, and how to fix it."""

    def __init__(self, message: str, position: int | None = None, hint: str = ""):
        self.position, self.hint, self.bare = position, hint, message
        where = f"at character {position + 1}: " if position is not None else ""
        super().__init__(where + message + (f" ({hint})" if hint else ""))


@dataclass
class Val:
    """A value being built, with where it starts and what the limits need to know."""

    expr: sympy.Expr
    pos: int
    chain: int = 0  # how many powers are stacked in it
    number: str | None = None  # the literal when this is a lone (signed) number


@dataclass
class Part:
    """One side of an answer `a = b = c`."""

    expr: sympy.Expr
    text: str
    number: str | None  # the literal, when the side is a lone number
    decimals: list[str] = field(default_factory=list)


def parse_answer(text: str, names: Names) -> list[Part]:
    """The sides of an answer (one unless it is written `a = b`), each as a SymPy expression."""
    precheck(text)
    builder = _Builder(names, text)
    with _LOCK:
        _Builder.current = builder
        try:
            return cast("list[Part]", _parser().parse(text))  # the parser's transformer builds the parts
        except lark.exceptions.UnexpectedInput as exc:
            raise _syntax_error(exc, text) from None
        except RecursionError:
            raise ExpressionError(
                "the expression is nested too deeply", None, "write it with fewer brackets and powers"
            ) from None
        finally:
            _Builder.current = None


def precheck(text: str) -> None:
    """Refuse what could cost time or memory before the parser sees it."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the answer is {len(text):,} characters long; at most {MAX_LENGTH:,} are read",
            None,
            "write the expression itself, without the working around it",
        )
    bad = _CONTROL.search(text)
    if bad:
        raise ExpressionError(f"a control character (U+{ord(bad.group()):04X})", bad.start(), "delete it")
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"brackets are nested more than {MAX_DEPTH} deep",
                i,
                "no derivation needs that many; check for a runaway bracket",
            )
    for m in _COMMAND.finditer(text):
        if m.group(1) not in LATEX_COMMANDS:
            raise ExpressionError(
                f"unknown LaTeX command `\\{m.group(1)}`",
                m.start(),
                "understood: " + ", ".join("\\" + c for c in sorted(LATEX_COMMANDS)),
            )


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # The builder runs inside the LALR parser as each rule is reduced, so no tree is kept and
    # nothing recurses over the input (a long chain of signs cannot exhaust the stack).
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", transformer=_Dispatch())


_RULES = (
    "equation",
    "number",
    "name",
    "zof",
    "deriv",
    "qn_name",
    "qn_z",
    "partial_frac",
    "partial_slash",
    "group",
    "add",
    "sub",
    "mul",
    "imul",
    "div",
    "neg",
    "pos",
    "square",
    "pow",
    "call",
    "frac",
)


def _forward(rule: str):
    def method(self, *children):
        return getattr(_Builder.current, rule)(*children)

    return method


# The parser is built once; each rule is forwarded to the builder of the parse in progress.
_Dispatch = v_args(inline=True)(type("_Dispatch", (Transformer,), {r: _forward(r) for r in _RULES}))


def _syntax_error(exc, text: str) -> ExpressionError:
    return ExpressionError(*syntax_message(exc, text))


class _Builder:
    """Makes SymPy expressions for one parse; each method is one rule of the grammar."""

    current: _Builder | None = None

    def __init__(self, names: Names, text: str):
        self.names, self.text = names, text
        self.decimals: list[str] = []

    # -- sides --------------------------------------------------------------------------------------
    def equation(self, *items):
        sides, starts = [items[0]], [0]
        for i in range(1, len(items), 2):
            starts.append(items[i].end_pos)
            sides.append(items[i + 1])
        ends = [items[i].start_pos for i in range(1, len(items), 2)] + [len(self.text)]
        parts = []
        for side, a, b in zip(sides, starts, ends, strict=True):
            _check_finite(side)
            parts.append(Part(side.expr, self.text[a:b].strip(), side.number, list(self.decimals)))
        return parts

    # -- leaves -------------------------------------------------------------------------------------
    def number(self, tok):
        try:
            value = parse_number(str(tok))
        except ValueError as exc:
            raise ExpressionError(f"the number `{_short(tok)}` {exc}", tok.start_pos) from None
        if "." in tok:
            self.decimals.append(str(tok))
        return Val(sympy.Rational(value.numerator, value.denominator), tok.start_pos, number=str(tok))

    def name(self, tok):
        expr = self.names.resolve(str(tok))
        if expr is None:
            raise ExpressionError(
                f"`{_short(tok)}` is not a name in this network", tok.start_pos, self.names.suggestion(str(tok))
            )
        return Val(expr, tok.start_pos)

    def zof(self, ztok, tok):
        node = self.names.node(f"z({tok})")
        if node is None:
            raise ExpressionError(
                f"z({_short(tok)}): `{_short(tok)}` is not a neuron",
                ztok.start_pos,
                "z(n) is the weighted sum of neuron n, e.g. z(O1)",
            )
        return Val(self.names.z_symbol(node[1]), ztok.start_pos)

    def deriv(self, tok):
        m = re.fullmatch(r"[d∂]\s*(.+?)\s*/\s*[d∂]\s*(.+)", str(tok), re.S)
        assert m is not None, "the grammar's deriv token has this form"
        return self._derivative(m.group(1), m.group(2), tok.start_pos, str(tok))

    def qn_name(self, tok):
        return (str(tok), tok.start_pos)

    def qn_z(self, ztok, tok):
        return (f"z({tok})", ztok.start_pos)

    def partial_frac(self, _p1, top, _p2, bottom):
        return self._derivative(top[0], bottom[0], top[1], f"d{top[0]}/d{bottom[0]}")

    def partial_slash(self, _p1, top, _p2, bottom):
        return self._derivative(top[0], bottom[0], top[1], f"d{top[0]}/d{bottom[0]}")

    def _derivative(self, top: str, bottom: str, pos: int, written: str):
        a, b = self.names.node(top), self.names.node(bottom)
        if a is not None and b is not None:
            return Val(self.names.derivative(a, b), pos)
        # `dx/dy` may also be two names divided, when the network has names that start with d
        num, den = self.names.resolve("d" + top), self.names.resolve("d" + bottom)
        if num is not None and den is not None and "∂" not in written:
            return Val(num / den, pos)
        wrong = top if a is None else bottom
        raise ExpressionError(
            f"`{_short(written)}`: `{_short(wrong)}` is not L, a neuron, z(neuron), a parameter "
            "or an input of this network",
            pos,
            self.names.suggestion(wrong),
        )

    # -- operators ----------------------------------------------------------------------------------
    def group(self, v):
        return v

    def add(self, a, b):
        return self._num(a.expr + b.expr, a.pos)

    def sub(self, a, b):
        return self._num(a.expr - b.expr, a.pos)

    def mul(self, a, b):
        return self._num(a.expr * b.expr, a.pos)

    def imul(self, a, b):
        if a.number is not None and b.number is not None:
            raise ExpressionError(
                f"two numbers side by side: `{a.number} {b.number}`",
                b.pos,
                "write * between them, or remove the space inside the number",
            )
        return self._num(a.expr * b.expr, a.pos)

    def div(self, a, b):
        if b.expr == 0:
            raise ExpressionError("division by zero", b.pos)
        return self._num(a.expr / b.expr, a.pos)

    def neg(self, v):
        return Val(-v.expr, v.pos, v.chain, "-" + v.number if v.number and not v.number.startswith("-") else None)

    def pos(self, v):
        return v

    def square(self, base, _tok):
        return self._power(base, Val(sympy.Integer(2), base.pos), base.pos)

    def pow(self, base, tok, exponent):
        return self._power(base, exponent, tok.start_pos)

    def _power(self, base: Val, exponent: Val, at: int) -> Val:
        chain = base.chain + exponent.chain + 1
        if chain > MAX_POWER_CHAIN:
            raise ExpressionError(
                f"more than {MAX_POWER_CHAIN} powers are stacked",
                at,
                "a derivation never needs a power of a power of a power",
            )
        e, b = exponent.expr, base.expr
        if e.is_Number and abs(e) > MAX_EXPONENT:
            raise ExpressionError(
                f"the exponent {_short(e)} is too large (at most {MAX_EXPONENT} in size)",
                at,
                "write the power out only as far as a derivation needs it",
            )
        if e.is_Rational and not e.is_Integer and e.q > MAX_EXPONENT:
            raise ExpressionError(f"the exponent {_short(e)} has too fine a fraction", at, "use a simpler exponent")
        if b == 0 and e.is_Number and e < 0:
            raise ExpressionError("division by zero (0 to a negative power)", at)
        if b.is_Rational and e.is_Rational and _bits(b) * (abs(e.p) + 1) > MAX_BITS:
            raise ExpressionError("the number is too large", at, "an answer needs no numbers this big")
        return Val(sympy.Pow(b, e), base.pos, chain)

    def call(self, func, *rest):
        prime, arg = (rest[0], rest[1]) if len(rest) == 2 else (None, rest[0])
        name = str(func).lstrip("\\")
        u = arg.expr
        if name in ("sigmoid", "sigma", "σ"):
            s = 1 / (1 + sympy.exp(-u))
            return Val(s * (1 - s) if prime else s, func.start_pos)
        if name == "tanh":
            return Val(1 - sympy.tanh(u) ** 2 if prime else sympy.tanh(u), func.start_pos)
        if name == "exp":
            return Val(sympy.exp(u), func.start_pos)
        if prime:
            return Val(1 / u, func.start_pos)  # log′(u) = 1/u
        if u.is_Number and u <= 0:
            raise ExpressionError(f"log of {_short(u)}: the logarithm needs a positive number", func.start_pos)
        return Val(sympy.log(u), func.start_pos)

    def frac(self, a, b):
        return self.div(a, b)

    def _num(self, expr, pos: int) -> Val:
        if expr.is_Rational and _bits(expr) > MAX_BITS:
            raise ExpressionError("a number in the answer is too large", pos, "an answer needs no numbers this big")
        return Val(expr, pos)


def _bits(r) -> int:
    return int(r.p).bit_length() + int(r.q).bit_length()


def _check_finite(v: Val) -> None:
    if v.expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError("the expression divides by zero", v.pos)


def _short(x) -> str:
    huge = isinstance(x, sympy.Basic) and x.is_Rational and _bits(x) > 200
    text = "a huge number" if huge else str(x)
    return text if len(text) <= 30 else text[:27] + "…"
