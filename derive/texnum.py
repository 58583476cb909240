"""Numbers as they appear inside TeX formulas: shown digits, ≈ for inexact values, brackets for negatives."""

from __future__ import annotations

from derive.latex import number
from derive.numbers import Num, show


class TexNumbers:
    """Formats values with the network's `show` digits. Every result a line ends with (`eq`) is
    remembered by the text it is shown as, so a page can tell a student's answer for that line from
    the true value: `results` maps the shown text to its value, or to None when two different values
    were shown alike."""

    def __init__(self, digits: int):
        self.digits = digits
        self.results: dict[str, Num | None] = {}

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
        text = self.text(x)
        self._remember(text, x)
        return ("= " if self.exact(x) else r"\approx ") + text

    def _remember(self, text: str, x: Num) -> None:
        seen = self.results.get(text, x)
        if seen is None or seen is x:
            self.results.setdefault(text, x)
        elif (seen - x).sign() != 0:
            self.results[text] = None
