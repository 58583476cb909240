"""Activation functions: value, derivative in the textbook form, TeX, and an independent SymPy form."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from derive.numbers import Num

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax", "step")
DIFFERENTIABLE = set(NAMES) - {"step"}

DEFINITIONS = {
    "sigmoid": r"\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)",
    "tanh": r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}, \qquad \tanh'(z) = 1 - \tanh^{2}(z)",
    "relu": r"\operatorname{ReLU}(z) = \max(0, z), \qquad \operatorname{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
    "linear": r"f(z) = z, \qquad f'(z) = 1",
    "softmax": r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}, \qquad \frac{\partial O_k}{\partial z_j} = O_k\,(\delta_{kj} - O_j)",
    "step": r"\operatorname{step}(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}",
}

CONVENTIONS = {
    "relu": "ReLU's derivative is taken as 0 at exactly z = 0 (the common convention; it has no derivative there).",
    "leaky_relu": "Leaky ReLU's derivative is taken as its slope at exactly z = 0.",
    "step": "The step function has derivative 0 wherever it is defined and none at 0, so gradients cannot pass through it: it is explained, not back-propagated (the perceptron learning rule trains it instead).",
}


@dataclass(frozen=True)
class Activation:
    """An activation by name; `slope` is leaky ReLU's slope for z < 0."""

    name: str
    slope: Fraction = Fraction(1, 100)

    def definition(self) -> str:
        if self.name == "leaky_relu":
            a = _dec(self.slope)
            return (rf"\operatorname{{LReLU}}(z) = \begin{{cases}} z & z > 0 \\ {a}\,z & z \le 0 \end{{cases}}, \qquad "
                    rf"\operatorname{{LReLU}}'(z) = \begin{{cases}} 1 & z > 0 \\ {a} & z \le 0 \end{{cases}}")
        return DEFINITIONS[self.name]

    # -- numbers ---------------------------------------------------------------------------------
    def value(self, z: Num) -> Num:
        """f(z) (softmax is computed for its whole group in graph.forward)."""
        n = self.name
        if n == "sigmoid":
            if z.is_zero():
                return Num(Fraction(1, 2))
            return Num(None, 1 / (1 + mpmath.exp(-z.mp)))
        if n == "tanh":
            return Num(Fraction(0)) if z.is_zero() else Num(None, mpmath.tanh(z.mp))
        if n == "relu":
            return z if z.sign() > 0 else Num(Fraction(0))
        if n == "leaky_relu":
            return z if z.sign() > 0 else z * self.slope
        if n == "linear":
            return z
        if n == "step":
            return Num(Fraction(1 if z.sign() >= 0 else 0))
        raise ValueError(n)

    def derivative(self, z: Num, out: Num) -> Num:
        """f'(z), formed without cancellation (σ′ = σ(z)·σ(−z), tanh′ = sech²)."""
        n = self.name
        if n == "sigmoid":
            if out.exact is not None:  # a carried (cut) output: the hand formula O(1 − O)
                return out * (1 - out)
            return Num(None, out.mp / (1 + mpmath.exp(z.mp)))
        if n == "tanh":
            if out.exact is not None:
                return 1 - out * out
            return Num(None, mpmath.sech(z.mp) ** 2)
        if n == "relu":
            return Num(Fraction(1 if z.sign() > 0 else 0))
        if n == "leaky_relu":
            return Num(Fraction(1)) if z.sign() > 0 else Num(self.slope)
        if n == "linear":
            return Num(Fraction(1))
        raise ValueError(f"{n} has no derivative here")

    # -- TeX ------------------------------------------------------------------------------------
    def tex_apply(self, arg: str) -> str:
        return {
            "sigmoid": rf"\sigma\left({arg}\right)",
            "tanh": rf"\tanh\left({arg}\right)",
            "relu": rf"\operatorname{{ReLU}}\left({arg}\right)",
            "leaky_relu": rf"\operatorname{{LReLU}}\left({arg}\right)",
            "linear": arg,
            "step": rf"\operatorname{{step}}\left({arg}\right)",
            "softmax": rf"\operatorname{{softmax}}\left({arg}\right)",
        }[self.name]

    def tex_prime(self, z: str) -> str:
        """f′(z) written as a function of z, e.g. σ′(z_1)."""
        return {
            "sigmoid": rf"\sigma'({z})", "tanh": rf"\tanh'({z})", "relu": rf"\operatorname{{ReLU}}'({z})",
            "leaky_relu": rf"\operatorname{{LReLU}}'({z})", "linear": rf"f'({z})",
        }[self.name]

    def tex_derivative(self, z: str, out: str, z_value: Num | None = None) -> str:
        """The textbook form of f′(z) in terms of the neuron's own output, e.g. O_1(1 − O_1)."""
        n = self.name
        if n == "sigmoid":
            return rf"{out}\,(1 - {out})"
        if n == "tanh":
            return rf"1 - {out}^{{2}}"
        if n == "linear":
            return "1"
        if z_value is None:
            return self.tex_prime(z)
        positive = z_value.sign() > 0
        if n == "relu":
            return r"1 \;(z > 0)" if positive else r"0 \;(z \le 0)"
        return r"1 \;(z > 0)" if positive else rf"{_dec(self.slope)} \;(z \le 0)"

    # -- an independent SymPy form, for cross-checking back-propagation --------------------------
    def sympy_apply(self, z: sympy.Expr) -> sympy.Expr:
        n = self.name
        if n == "sigmoid":
            return 1 / (1 + sympy.exp(-z))
        if n == "tanh":
            return sympy.tanh(z)
        if n == "relu":
            return sympy.Piecewise((z, z > 0), (0, True))
        if n == "leaky_relu":
            return sympy.Piecewise((z, z > 0), (sympy.Rational(self.slope.numerator, self.slope.denominator) * z, True))
        if n == "linear":
            return z
        raise ValueError(n)


def _dec(x: Fraction) -> str:
    from derive.numbers import exact_decimal

    return exact_decimal(x) or rf"\tfrac{{{x.numerator}}}{{{x.denominator}}}"
