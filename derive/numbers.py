"""Exact and high-precision numbers, hand-calculation carry modes, and how numbers are shown."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import mpmath
from mpmath import libmp

from derive.digits import nstr_rational

# Values are right to at least 17 significant digits because they are computed with this many
# more; derivatives of saturated units are formed without cancellation (σ′ = σ(z)·σ(−z)).
WORK_DIGITS = 50
MAX_WORK_DIGITS = 3000  # σ(z) for |z| up to about 6,800 keeps 1 − σ(z) to full relative precision


def digits_for(max_abs_z) -> int:
    """Working digits so that 1 − σ(z), 1 − tanh(z) and e^−|z| keep WORK_DIGITS digits of their own."""
    extra = int(float(max_abs_z) * 0.4343) + 5 if max_abs_z > 10 else 0
    return min(WORK_DIGITS + extra, MAX_WORK_DIGITS)


JSON_DIGITS = 20
MAX_ABS = Fraction(10) ** 15

# ASCII only: `\d` would also match Arabic-Indic (٣) or full-width (３) digits, which the JSON Schema
# (ECMAScript regular expressions) refuses; derive and the schema keep one rule.
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$", re.ASCII)
_RATIO = re.compile(r"^[+-]?[0-9]+/[0-9]+$", re.ASCII)
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(?:([_, '\u00a0\u202f])[0-9]{3})+(\.[0-9]*)?$")
_SIGNS = {"\u2212": "minus sign", "\u2013": "en dash", "\u2014": "em dash", "\ufe63": "small hyphen-minus"}


def parse_number(text: str) -> Fraction:
    """The exact value of a decimal (`0.01`, `-2.5e-3`) or ratio (`1/3`); ValueError says why not.
    Only ASCII digits are read; the message of a ValueError ends in a hint in brackets."""
    s = text.strip()
    if len(s) > 60:
        raise ValueError("is too long for a number (at most 60 characters)")
    _refuse_lookalikes(s)
    if _RATIO.match(s):
        num, den = s.split("/")
        if int(den) == 0:
            raise ValueError("divides by zero")
        value = Fraction(int(num), int(den))
    elif _NUMBER.match(s):
        value = Fraction(Decimal(s))
    else:
        raise ValueError("is not a number (write a decimal such as 0.01, -2.5e-3, or a ratio 1/3)")
    if abs(value) > MAX_ABS:
        raise ValueError("is too large (the limit is 10^15 in size)")
    return value


def _refuse_lookalikes(s: str) -> None:
    """A ValueError naming what makes `s` look like a number without being one: digits of another
    script, a typographic minus, or digits grouped with `_`, `,` or spaces."""
    odd = next((ch for ch in s if not ch.isascii()), None)
    if odd is not None and odd.isdecimal():
        ascii_digit = str(unicodedata.decimal(odd))
        raise ValueError(
            f"uses the digit {odd} (U+{ord(odd):04X} {unicodedata.name(odd, 'a digit')}), which is not an "
            f"ASCII digit (write numbers with the digits 0-9: {ascii_digit} for {odd})"
        )
    if odd in _SIGNS:
        raise ValueError(f"has a {_SIGNS[odd]} (U+{ord(odd):04X}) where a minus goes (write the ASCII `-`: -0.5)")
    if odd is not None:
        raise ValueError(
            f"contains `{odd}` (U+{ord(odd):04X} {unicodedata.name(odd, 'a non-ASCII character')}) "
            "(write numbers with ASCII only: digits 0-9, `.`, `-`, `e`, or a ratio such as 1/3)"
        )
    grouped = _GROUPED.match(s)
    if grouped:
        sep = {"_": "`_`", ",": "commas", "'": "`'`"}.get(grouped.group(1), "spaces")
        plain = re.sub(r"[_, '\u00a0\u202f]", "", s)
        raise ValueError(f"groups its digits with {sep} (write {plain}: numbers have no digit separators)")
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", s):
        raise ValueError(f"has a decimal comma (write {s.replace(',', '.')}: the decimal point is `.`)")
    if "_" in s and re.fullmatch(r"[+-]?[0-9_.eE+-]+", s):
        raise ValueError(f"contains `_` (write {s.replace('_', '')}: numbers have no digit separators)")


class Num:
    """A value known exactly (a Fraction) when it is rational, and always to WORK_DIGITS digits."""

    __slots__ = ("_mp", "exact")

    def __init__(self, exact: Fraction | None = None, mp: mpmath.mpf | None = None):
        self.exact = exact
        self._mp = mp

    @property
    def mp(self) -> mpmath.mpf:
        """The value as an mpmath number (computed on demand for exact values, as mpf(p) / q at
        max(WORK_DIGITS, current) digits; without a context switch, since this runs once per value)."""
        if self._mp is None:
            assert self.exact is not None, "a Num holds an exact value, an mpf, or both"
            self._mp = _fraction_mpf(self.exact)
        return self._mp

    @classmethod
    def of(cls, x) -> Num:
        """Wrap an int, Fraction, mpf or Num."""
        if isinstance(x, Num):
            return x
        if isinstance(x, (int, Fraction)):
            return cls(Fraction(x))
        return cls(None, mpmath.mpf(x))

    # Each operation is exact when both sides are, else rounded at the caller's mpmath.workdps.
    def __add__(self, o):
        o = o if type(o) is Num else Num.of(o)
        if self.exact is not None and o.exact is not None:
            return Num(self.exact + o.exact)
        return Num(None, self.mp + o.mp)

    __radd__ = __add__

    def __sub__(self, o):
        o = o if type(o) is Num else Num.of(o)
        if self.exact is not None and o.exact is not None:
            return Num(self.exact - o.exact)
        return Num(None, self.mp - o.mp)

    def __rsub__(self, o):
        return Num.of(o) - self

    def __mul__(self, o):
        o = o if type(o) is Num else Num.of(o)
        if self.exact is not None and o.exact is not None:
            return Num(self.exact * o.exact)
        if self.exact == 0 or o.exact == 0:  # 0 times anything finite is exactly 0, not ≈ 0
            return Num(Fraction(0))
        return Num(None, self.mp * o.mp)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = o if type(o) is Num else Num.of(o)
        if self.exact is not None and o.exact is not None:
            return Num(self.exact / o.exact)
        return Num(None, self.mp / o.mp)

    def __neg__(self):
        return Num(-self.exact) if self.exact is not None else Num(None, -self.mp)

    def __abs__(self):
        return self if self.sign() >= 0 else -self

    def sign(self) -> int:
        """-1, 0 or 1."""
        if self.exact is not None:
            return (self.exact > 0) - (self.exact < 0)
        return int(mpmath.sign(self.mp))

    def is_zero(self) -> bool:
        return self.sign() == 0

    def __repr__(self) -> str:
        return f"Num({self.exact if self.exact is not None else mpmath.nstr(self.mp, 25)})"


def _fraction_mpf(x: Fraction) -> mpmath.mpf:
    """mpf(numerator) / denominator at max(WORK_DIGITS, mp.dps) digits, rounded as mpmath rounds it.
    Remembered for the values met most (a random layer's weights take a few hundred values), keyed
    by numerator and denominator (a Fraction's own hash takes a modular inverse)."""
    prec = libmp.dps_to_prec(max(WORK_DIGITS, mpmath.mp.dps))
    key = (x.numerator, x.denominator, prec)
    got = _CONVERTED.get(key)
    if got is None:
        top = libmp.mpf_pos(libmp.from_int(x.numerator), prec, libmp.round_nearest)
        got = mpmath.mp.make_mpf(libmp.mpf_div(top, libmp.from_int(x.denominator), prec, libmp.round_nearest))
        if len(_CONVERTED) >= 4096:
            _CONVERTED.clear()
        _CONVERTED[key] = got
    return got


_CONVERTED: dict = {}


def minus_product(old: Fraction, g: Num, eta: Num) -> Num:
    """old − g·η, the same value as Num(old) − g * eta (exact when every part is; else g·η and the
    difference each rounded once at the caller's working precision), without the general operators'
    checks: a network's update runs it once for every parameter."""
    if g.exact is not None or eta.exact is None or eta.exact == 0:
        return Num(old) - g * eta
    prec = mpmath.mp.prec
    product = libmp.mpf_mul(g.mp._mpf_, eta.mp._mpf_, prec, libmp.round_nearest)
    start = _fraction_mpf(old)._mpf_
    return Num(None, mpmath.mp.make_mpf(libmp.mpf_sub(start, product, prec, libmp.round_nearest)))


def dot(pairs, start: Num | None = None) -> Num:
    """start + Σ a·b over (a, b) Num pairs: exact while every term is, else every product exact and
    the sum rounded once at the caller's working precision (no rounding builds up, and it is linear
    in the number of pairs with small constants)."""
    sums: dict[int, int] = {}  # denominator → numerator of the exact terms
    raws = []  # the other products, exact (unrounded) raw mpfs
    mul = libmp.mpf_mul
    for a, b in pairs:
        x, y = a.exact, b.exact
        if x is not None and y is not None:
            if x and y:
                d = x.denominator * y.denominator
                sums[d] = sums.get(d, 0) + x.numerator * y.numerator
        elif x == 0 or y == 0:  # an exact 0 makes the term exactly 0
            continue
        else:
            raws.append(mul(a.mp._mpf_, b.mp._mpf_))
    if start is not None:
        if start.exact is not None:
            d = start.exact.denominator
            sums[d] = sums.get(d, 0) + start.exact.numerator
        else:
            raws.append(start.mp._mpf_)
    exact = sum((Fraction(n, d) for d, n in sums.items()), Fraction(0))
    if not raws:
        return Num(exact)
    prec = mpmath.mp.prec
    if exact:
        top = libmp.from_int(exact.numerator)
        raws.append(libmp.mpf_div(top, libmp.from_int(exact.denominator), 2 * prec + 64, libmp.round_nearest))
    return Num(None, mpmath.mp.make_mpf(libmp.mpf_sum(raws, prec, libmp.round_nearest)))


def exact_decimal(value: Fraction, max_places: int = 20) -> str | None:
    """`value` as a terminating decimal string, or None when it has no short one. Gives up as soon as
    the denominator shows more than `max_places` places (or a factor other than 2 and 5), so a long
    exact fraction costs at most `max_places` small divisions."""
    den = value.denominator
    twos = (den & -den).bit_length() - 1  # the factors 2, found at once
    if twos > max_places:
        return None
    den >>= twos
    fives = 0
    while den % 5 == 0:
        fives += 1
        if fives > max_places:
            return None
        den //= 5
    if den != 1:
        return None
    with localcontext() as ctx:
        ctx.prec = 200
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text


def _decimal(x: Num) -> Decimal:
    if x.exact is not None:
        with localcontext() as ctx:
            ctx.prec = 200
            return Decimal(x.exact.numerator) / Decimal(x.exact.denominator)
    # scientific notation: a value like e^−10^13 must not be written out with 10^13 zeros
    return Decimal(libmp.to_str(x.mp._mpf_, WORK_DIGITS + 10, strip_zeros=False))


def significant(x: Num, digits: int, mode: str = "round") -> str:
    """`x` with `digits` significant digits, in plain text (scientific for very large or small)."""
    if x.is_zero():
        return "0"
    d = _decimal(x)
    exponent = d.adjusted()
    rounding = ROUND_DOWN if mode == "truncate" else ROUND_HALF_UP
    with localcontext() as ctx:
        ctx.prec = max(digits, 1) + 5
        ctx.Emin, ctx.Emax = MIN_EMIN, MAX_EMAX
        q = d.quantize(Decimal(1).scaleb(exponent - digits + 1), rounding=rounding)
        if q != 0 and q.adjusted() > exponent:  # 9.99 rounded up to 10.0: one digit too many
            q = q.quantize(Decimal(1).scaleb(q.adjusted() - digits + 1), rounding=rounding)
        if -6 <= exponent < 15:
            return format(q, "f")
        mantissa = q.scaleb(-q.adjusted())
        return f"{format(mantissa, 'f')}e{q.adjusted()}"


def show(x: Num, digits: int) -> tuple[str, bool]:
    """(text, is_exact): the exact decimal when it is short, else `digits` significant digits."""
    if x.exact is not None:
        text = exact_decimal(x.exact, max_places=digits + 8)
        if text is not None and len(text.lstrip("-").replace(".", "").strip("0")) <= digits + 2:
            return text, True
    return significant(x, digits), False


def json_decimal(x: Num) -> str:
    """A decimal string with JSON_DIGITS significant digits (exact decimals are kept as they are);
    otherwise exactly what mpmath.nstr(x, JSON_DIGITS, strip_zeros=False) writes, found with integer
    arithmetic."""
    if x.exact is not None:
        text = exact_decimal(x.exact, max_places=JSON_DIGITS + 20)
        if text is not None:
            digits = len(text.lstrip("-").replace(".", "").lstrip("0"))
            if digits < JSON_DIGITS and "e" not in text:
                text += ("" if "." in text else ".") + "0" * (JSON_DIGITS - digits)
            return text
        if x._mp is None and x.exact:
            fast = nstr_rational(x.exact.numerator, x.exact.denominator, JSON_DIGITS)
            if fast is not None:
                return fast
    raw = x.mp._mpf_
    if raw[1] and abs(raw[2]) < 20_000:  # e^−10^13 and the like: mpmath's own (it never expands 2^exp)
        sign, man, exp, _ = raw
        fast = nstr_rational(-man if sign else man, 1 << -exp if exp < 0 else 1, JSON_DIGITS, max(exp, 0))
        if fast is not None:
            return fast
    return libmp.to_str(raw, JSON_DIGITS, strip_zeros=False)


def exact_text(x: Num) -> str | None:
    """The exact rational form (`1151/1000`) where the value is rational."""
    if x.exact is None:
        return None
    return str(x.exact)


@dataclass(frozen=True)
class Carry:
    """How a hand calculation carries intermediates: exact, or cut to `digits` decimals."""

    mode: str = "exact"  # exact | round | truncate
    digits: int = 0

    def describe(self) -> str:
        if self.mode == "exact":
            return "exact (full precision carried)"
        verb = "rounded" if self.mode == "round" else "truncated"
        return f"{verb} to {self.digits} decimals"

    def cut_decimals(self, x: Num, places: int | None = None) -> Num:
        """`x` cut to `places` decimals (default: this carry's digits) as a person writes it."""
        if self.mode == "exact":
            return x
        places = self.digits if places is None else places
        rounding = ROUND_DOWN if self.mode == "truncate" else ROUND_HALF_UP
        with localcontext() as ctx:
            ctx.prec = 300
            q = _decimal(x).quantize(Decimal(1).scaleb(-places), rounding=rounding)
        return Num(Fraction(q))

    def cut_significant(self, x: Num, digits: int) -> Num:
        """`x` cut to `digits` significant digits (how an output is written as the answer)."""
        if self.mode == "exact" or x.is_zero():
            return x
        return Num(Fraction(Decimal(significant(x, digits, self.mode))))
