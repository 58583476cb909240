"""numbers.exact_decimal: a terminating decimal written out only while it is short; a long exact
fraction is given up on at once (it used to strip its factors 2 and 5 one at a time first)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from derive.numbers import Num, exact_decimal, json_decimal, show


@pytest.mark.parametrize(
    "value,text",
    [
        (Fraction(3, 2**10 * 5**3), "0.0000234375"),  # 3/128000: 2^10 needs ten places
        (Fraction(-7, 4), "-1.75"),
        (Fraction(1, 5**20), "0.00000000000001048576"),  # 2^20 / 10^20 = 1048576e-20
        (Fraction(12, 1), "12"),
    ],
)
def test_short_decimals_are_written_exactly(value, text):
    assert exact_decimal(value, 20) == text


def test_one_place_past_the_limit_is_given_up():
    assert exact_decimal(Fraction(1, 5**21), 20) is None  # 21 places
    assert exact_decimal(Fraction(1, 2**21), 20) is None
    assert exact_decimal(Fraction(1, 3), 20) is None  # never terminates


@pytest.mark.parametrize(
    "den",
    [5**4300, 2**10_000, 2**5000 * 5**2150, 3 * 2**9990],
    ids=["5^4300", "2^10000", "2^5000*5^2150", "3*2^9990"],
)
def test_a_10000_bit_denominator_is_given_up_on(den):
    """Each denominator has about 10,000 bits; the first three terminate, but only after thousands
    of places, far past max_places: exact_decimal says None rather than write them."""
    assert den.bit_length() >= 9_900
    value = Fraction(1, den)
    assert exact_decimal(value, 20) is None
    assert exact_decimal(value, 60) is None
    assert show(Num(value), 5)[1] is False  # the notes show significant digits instead


def test_what_the_json_writes_for_it():
    # 2^-10000 = 10^(-10000·log10 2) = 10^-3010.29996 = 5.0123727492064520093e-3011 (mpmath at 30 digits)
    assert json_decimal(Num(Fraction(1, 2**10_000))) == "5.0123727492064520093e-3011"
