"""Numbers as they appear inside TeX formulas: shown digits, ≈ for inexact values, brackets for negatives."""

from __future__ import annotations

from derive.latex import number
from derive.numbers import Num, show


class TexNumbers:
    """Formats values with the network's `show` digits."""

    def __init__(self, digits: int):
        self.digits = digits

    def text(self, x: Num) -> str:
        return number(show(x, self.digits)[0])

    def exact(self, x: Num) -> bool:
        return show(x, self.digits)[1]

    def arg(self, x: Num) -> str:
        """A factor inside a product: negative numbers in brackets."""
        t = self.text(x)
        return rf"\left({t}\right)" if t.startswith("-") else t

    def eq(self, x: Num) -> str:
        """`= 1.151` for a value shown exactly, `\\approx 0.75969` otherwise."""
        return ("= " if self.exact(x) else r"\approx ") + self.text(x)
