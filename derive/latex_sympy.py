"""SymPy's LaTeX printer with the names a user chose, written unchanged (derive.latex makes their TeX).
Its own module because it subclasses SymPy's printer: importing it imports SymPy."""

from __future__ import annotations

from typing import ClassVar

import sympy
from sympy.printing.latex import LatexPrinter

from derive.activations import TEX_FUNCTIONS
from derive.numbers import exact_decimal


class Printer(LatexPrinter):
    """SymPy's LaTeX printer with the user's names, decimals for exact decimals, σ for sigmoid."""

    FUNCTIONS: ClassVar[dict[str, str]] = TEX_FUNCTIONS  # the named functions of Activation.sympy_display

    def __init__(self, names: dict[sympy.Symbol, str]):
        super().__init__({"symbol_names": names, "mul_symbol": None, "order": "none"})

    def _print_Rational(self, expr):
        from fractions import Fraction

        text = exact_decimal(Fraction(int(expr.p), int(expr.q)), max_places=12)
        return text if text is not None else super()._print_Rational(expr)

    def _print_Function(self, expr, exp=None):
        name = type(expr).__name__
        if name in self.FUNCTIONS:
            args = ", ".join(self._print(a) for a in expr.args)
            head = self.FUNCTIONS[name] + (f"^{{{exp}}}" if exp else "")
            return rf"{head}\left({args}\right)"
        return super()._print_Function(expr, exp)


def to_tex(expr: sympy.Expr, names: dict[sympy.Symbol, str]) -> str:
    return Printer(names).doprint(expr)
