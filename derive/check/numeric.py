"""Judging a number: its tolerance comes from the digits written (0.759 is judged to 3 decimals, 4.9975e-3
to 5 significant digits, and never to more than MAX_DIGITS significant digits); the truncation of the
true value is accepted and said so. Everything here is exact (Fractions, Decimals built from their
digits), so no answer, however many places or however large its exponent, meets a precision limit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

import mpmath

from derive.check.formulas import number
from derive.numbers import Num, parse_number

RIGHT, TRUNCATED, CARRIED, WRONG = "right", "truncated", "carried", "wrong"
TOO_FEW = "too few digits"  # the value is right to the digits written, but fewer digits than asked
MAX_DIGITS = 30  # significant digits an answer is judged to at most; the true values carry many more
MAX_FIXED = 40  # an expected value longer than this in fixed notation is shown as 1.234e-56
ORDER = {RIGHT: 0, TRUNCATED: 1, CARRIED: 2, TOO_FEW: 3, WRONG: 4}
CREDITED = (RIGHT, TRUNCATED, CARRIED)  # the verdicts that are marked right


def credited(status: str) -> bool:
    """Whether a verdict counts as right (a value with too few digits does not)."""
    return status in CREDITED


@dataclass(frozen=True)
class Policy:
    """What a number must be to be marked right. `digits`: the fewest significant digits an answer
    may have (0.8 has 1); an answer that equals the true value exactly needs no more digits than it
    has. `rel_tol`: a value within this relative distance of the true one is right too, whatever its
    last digit; None judges to the digits written alone."""

    digits: int = 0
    rel_tol: Fraction | None = None

    def describe(self) -> str:
        parts = []
        if self.digits:
            parts.append(f"at least {self.digits} significant digit{'s' if self.digits != 1 else ''}")
        if self.rel_tol is not None:
            parts.append(f"within a relative tolerance of {percent(self.rel_tol)}")
        return " and ".join(parts) or "to the digits written"


def percent(x: Fraction) -> str:
    """A relative tolerance as a person reads it: 0.001 is 0.1%."""
    d = Decimal(x.numerator) / Decimal(x.denominator) * 100
    return f"{d.normalize():f}%"


DEFAULT_POLICY = Policy()


def policy_problem(digits: int | None, rel_tol: Fraction | None) -> str | None:
    """Why a precision policy makes no sense, or None."""
    if digits is not None and not 0 <= digits <= MAX_DIGITS:
        return f"digits {digits}: give a whole number from 0 (no minimum) to {MAX_DIGITS}"
    if rel_tol is not None and not 0 <= rel_tol < 1:
        return f"relative tolerance {rel_tol}: give a fraction from 0 to below 1, such as 0.001 (0.1%)"
    return None


@dataclass
class Judgement:
    """The verdict on one answer (or one side of `a = b`), with everything the report says about it."""

    status: str
    note: str = ""
    expected: str = ""
    difference: str = ""
    causes: list[str] = field(default_factory=list)
    point: list[str] = field(default_factory=list)  # where a formula differs: the values used
    method: str = ""
    given: list[str] = field(default_factory=list)  # "O1 = 0.759": the earlier answers it was credited on


@dataclass(frozen=True)
class Written:
    """A number as written: its exact value and the half-unit of its last digit (None when exact, 1/3)."""

    value: Fraction
    ulp: Fraction | None
    scientific: bool
    digits: int = 0  # significant digits written


def written(text: str) -> Written:
    """A literal as the person wrote it: a number token the parser has checked with parse_number,
    perhaps with a sign put before it (so it may be one character longer than parse_number reads)."""
    s = text.strip()
    if "/" in s:
        return Written(parse_number(s), None, False)
    d = Decimal(s)  # exact: building a Decimal from text never rounds
    parts = d.as_tuple()
    digits = len("".join(map(str, parts.digits)).lstrip("0")) or 1
    assert isinstance(parts.exponent, int), "the grammar's numbers are finite (not n, N or F)"
    return Written(Fraction(d), Fraction(10) ** parts.exponent, "e" in s.lower(), digits)


def to_digits(value: Fraction, digits: int, zero_ulp: Fraction | None = None) -> Written:
    """A computed value (of an answer such as (1 - 0.51129)^2 or exp(-3)) as if written with `digits`
    significant digits (at most MAX_DIGITS); zero has no significant digits, so it is judged to
    `zero_ulp` (the finest place the answer wrote), or exactly."""
    if value == 0:
        return Written(value, zero_ulp, False, 1)
    digits = max(1, min(digits, MAX_DIGITS))
    ulp = Fraction(10) ** (exponent(abs(value)) - digits + 1)
    return Written(rounded(value, ulp), ulp, False, digits)


def exponent(x: Fraction) -> int:
    """floor(log10(x)) of a positive x, exactly (estimated from bit lengths, then corrected)."""
    bits = x.numerator.bit_length() - x.denominator.bit_length()
    e = int(bits * 0.30102999566398120)
    while Fraction(10) ** e > x:
        e -= 1
    while Fraction(10) ** (e + 1) <= x:
        e += 1
    return e


def bounded(w: Written, truth: Fraction) -> Written:
    """`w` judged to at most MAX_DIGITS significant digits of the larger of it and the true value:
    the places past those say nothing a hand derivation can be marked on."""
    size = max(abs(w.value), abs(truth))
    if w.ulp is None or size == 0:
        return w
    floor = Fraction(10) ** (exponent(size) - MAX_DIGITS + 1)
    if w.ulp >= floor:
        return w
    return replace(w, ulp=floor, digits=min(w.digits, MAX_DIGITS))


def fraction(x: Num) -> Fraction:
    """The exact binary value of a computed number (or its exact rational)."""
    if x.exact is not None:
        return Fraction(x.exact)
    sign, man, exp, _ = x.mp._mpf_  # mpmath's own (sign, mantissa, exponent, bits); man_exp drops the sign
    value = Fraction(int(man)) * Fraction(2) ** int(exp) if man else Fraction(0)
    return -value if sign else value


def rounded(x: Fraction, ulp: Fraction) -> Fraction:
    """x rounded half away from zero to a multiple of ulp."""
    q = abs(x) / ulp
    n = int(q + Fraction(1, 2))
    return (n if x >= 0 else -n) * ulp


def truncated(x: Fraction, ulp: Fraction) -> Fraction:
    n = int(abs(x) / ulp)
    return (n if x >= 0 else -n) * ulp


def matches(w: Written, x: Num) -> bool:
    """Right to the digits written: within half a unit of the last digit (exact for a ratio)."""
    t = fraction(x)
    if w.ulp is None:
        return abs(w.value - t) <= abs(t) * Fraction(1, 10**30) + Fraction(1, 10**40)
    return abs(w.value - t) <= w.ulp / 2


def is_truncation(w: Written, x: Num) -> bool:
    return w.ulp is not None and w.value == truncated(fraction(x), w.ulp) and not matches(w, x)


def show_like(w: Written, value: Fraction) -> str:
    """`value` written with the same digits as the answer (0.760 for an answer 0.759); `value` is a
    multiple of the answer's ulp (a power of ten), so its Decimal is built from its digits, exactly."""
    if w.ulp is None:
        return str(value)
    places = -exponent(w.ulp)
    n = rounded(value, w.ulp) / w.ulp
    assert n.denominator == 1, "rounded() gives a multiple of the ulp"
    d = Decimal((int(n < 0), tuple(int(c) for c in str(abs(n.numerator))), -places))
    fixed = f"{d:f}"
    return f"{d:e}" if w.scientific or len(fixed) > MAX_FIXED else fixed


def judge_number(
    text: str | Written, truth: Num, mine: Num | None, given: list[str], policy: Policy = DEFAULT_POLICY
) -> Judgement:
    """`text` is the answer's literal, or the Written of a computed one; `mine` is the value given the
    person's earlier answers (None when they change nothing). The policy's minimum of digits turns a
    verdict that would be right into "too few digits"; its tolerance makes a close value right."""
    w0 = written(text) if isinstance(text, str) else text
    j = _judge_value(w0, truth, mine, given, policy)
    short = _too_few(w0, truth, mine if given else None, policy)
    if short and credited(j.status):
        shown = text.strip() if isinstance(text, str) else show_like(w0, w0.value)
        note = f"{shown} has {w0.digits} significant digit{'s' if w0.digits != 1 else ''}; {policy.digits} are asked"
        return Judgement(TOO_FEW, f"{j.note}; {note}" if j.note else note, given=j.given)
    return j


def _too_few(w: Written, truth: Num, carried: Num | None, policy: Policy) -> bool:
    """Fewer significant digits than the policy asks, unless the value is exact (the true value, or the
    person's own carried value, to the last digit: 2 for an exact 2 needs no 2.000)."""
    if not policy.digits or w.ulp is None or w.digits >= policy.digits:
        return False
    exact = [truth] + ([carried] if carried is not None else [])
    return not any(fraction(x) == w.value for x in exact)


def _within(w: Written, x: Num, policy: Policy) -> bool:
    t = fraction(x)
    return policy.rel_tol is not None and abs(w.value - t) <= policy.rel_tol * abs(t)


def _judge_value(w0: Written, truth: Num, mine: Num | None, given: list[str], policy: Policy) -> Judgement:
    w = bounded(w0, fraction(truth))
    full = number(truth, max(5, min(w.digits, MAX_DIGITS) + 1))
    if matches(w, truth):
        return Judgement(RIGHT)
    # Rounding your own earlier value correctly is credited before truncating the true one.
    carried = mine if given else None  # the value given the person's earlier answers, when there are any
    if carried is not None and matches(w, carried):
        return Judgement(CARRIED, f"correct given your {', '.join(given)} (the true value is {full})", given=given)
    if w.ulp is not None and is_truncation(w, truth):
        return Judgement(
            TRUNCATED, f"{full}… truncated (rounding gives {show_like(w, rounded(fraction(truth), w.ulp))})"
        )
    if carried is not None and is_truncation(w, carried):
        return Judgement(
            CARRIED, f"correct (truncated) given your {', '.join(given)} (the true value is {full})", given=given
        )
    if policy.rel_tol is not None:
        tolerance = percent(policy.rel_tol)
        if _within(w, truth, policy):
            return Judgement(RIGHT, f"within {tolerance} of the true value {full}")
        if carried is not None and _within(w, carried, policy):
            return Judgement(
                CARRIED,
                f"within {tolerance} of the value given your {', '.join(given)} (the true value is {full})",
                given=given,
            )
    expected = show_like(w, rounded(fraction(truth), w.ulp)) if w.ulp is not None else full
    diff = Num(w.value) - truth
    j = Judgement(
        WRONG,
        expected=f"{expected} (full precision {full})" if expected != full else full,
        difference=f"{'+' if diff.sign() > 0 else ''}{number(diff, 3)}",
    )
    if carried is not None and (w.ulp is None or rounded(fraction(carried), w.ulp) != rounded(fraction(truth), w.ulp)):
        j.note = f"given your {', '.join(given)} it would be {number(carried, 5)}"
    return j


def numeric_causes(w: Written, truth: Num, alternatives: dict[str, Num]) -> list[str]:
    """Likely slips: the answer matches −value, 2·value, value/2, or a named alternative."""
    w = bounded(w, fraction(truth))
    causes = []
    convention = "(the loss convention: (y − ŷ)² has derivative 2(ŷ − y), ½(y − ŷ)² has ŷ − y)"
    checks = [
        (-1, "sign: your answer is the negative of the expected value"),
        (2, f"a factor of 2: twice the expected value {convention}"),
        (Fraction(1, 2), f"a factor of 2: half the expected value {convention}"),
    ]
    with mpmath.workdps(50):
        for factor, cause in checks:
            if not truth.is_zero() and matches(w, truth * factor):
                causes.append(cause)
        for cause, value in alternatives.items():
            if matches(w, value) or is_truncation(w, value):
                causes.append(cause)
    return causes
