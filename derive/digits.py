"""Decimal digits of a rational with integer arithmetic only, laid out as mpmath.nstr lays them out."""

from __future__ import annotations

_TEN = [10**k for k in range(64)]


def _pow10(k: int) -> int:
    return _TEN[k] if k < 64 else 10**k


def nstr_rational(num: int, den: int, n: int, shift2: int = 0) -> str | None:
    """num·2^shift2/den (num ≠ 0) rounded half-up to `n` significant digits, in mpmath.nstr's layout
    (fixed point while the leading digit's exponent is within (min(−n//3, −5), n)); None within
    10^-12 of a rounding tie, where mpmath's own digit algorithm decides."""
    sign, num = ("-", -num) if num < 0 else ("", num)
    num <<= shift2
    e10 = int((num.bit_length() - den.bit_length()) * 0.30102999566398120)
    while True:
        k = n - 1 - e10  # q = |x|·10^k has n digits
        top, bottom = (num * _pow10(k), den) if k >= 0 else (num, den * _pow10(-k))
        q, r = divmod(top, bottom)
        if q >= _pow10(n):
            e10 += 1
        elif q < _pow10(n - 1):
            e10 -= 1
        else:
            break
    if abs(2 * r - bottom) * 10**12 < bottom:
        return None
    if 2 * r >= bottom:
        q += 1
        if q == _pow10(n):
            q, e10 = q // 10, e10 + 1
    digits = str(q)
    if min(-(n // 3), -5) < e10 < n:
        if e10 < 0:
            return f"{sign}0.{'0' * (-e10 - 1)}{digits}"
        return f"{sign}{digits[: e10 + 1]}.{digits[e10 + 1 :]}"
    return f"{sign}{digits[0]}.{digits[1:]}e{'+' if e10 >= 0 else ''}{e10}"
