"""Activation functions: value, derivative in the textbook form, TeX, and an independent SymPy form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import mpmath

from derive.numbers import Num

if TYPE_CHECKING:  # SymPy is imported by the methods that build its forms (it costs a start-up)
    import sympy

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

# The named SymPy functions of sympy_display, and how latex_sympy.Printer writes each.
DISPLAY_FUNCTIONS = {"sigmoid": "sigma", "relu": "ReLU", "leaky_relu": "LReLU", "step": "step"}
TEX_FUNCTIONS = {
    "sigma": r"\sigma",
    "ReLU": r"\operatorname{ReLU}",
    "LReLU": r"\operatorname{LReLU}",
    "step": r"\operatorname{step}",
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

    # -- what sets an activation apart, asked of it rather than of its name ----------------------
    @property
    def couples_outputs(self) -> bool:
        """Softmax: each output depends on every z of its group, so the group is computed together,
        its δ comes through the group's Jacobian, and chain-rule factors start at ∂L/∂z."""
        return self.name == "softmax"

    @property
    def differentiable(self) -> bool:
        """Whether gradients can pass through it (the step's derivative is 0, and none at 0)."""
        return self.name in DIFFERENTIABLE

    @property
    def derivative_is_one(self) -> bool:
        """f′ = 1 everywhere (linear), so the factor f′(z) is not written."""
        return self.name == "linear"

    @property
    def outputs_class(self) -> bool:
        """The step: its output already is the class, 0 or 1, so O = f(z) says nothing a class does not."""
        return self.name == "step"

    @property
    def outputs_probabilities(self) -> bool:
        """Outputs strictly between 0 and 1, as cross-entropy needs."""
        return self.name in ("sigmoid", "softmax")

    @property
    def convention(self) -> str:
        """The convention in force where the derivative is not defined (empty where it always is)."""
        return CONVENTIONS.get(self.name, "")

    @property
    def derivative_bound(self) -> str:
        """The largest |f′(z)| as shown text: the sigmoid's 0.25 is why deep sigmoid chains vanish."""
        return "0.25" if self.name == "sigmoid" else "1"

    def definition(self) -> str:
        if self.name == "leaky_relu":
            a = _dec(self.slope)
            return (
                rf"\operatorname{{LReLU}}(z) = \begin{{cases}} z & z > 0 \\ {a}\,z & z \le 0 \end{{cases}}, \qquad "
                rf"\operatorname{{LReLU}}'(z) = \begin{{cases}} 1 & z > 0 \\ {a} & z \le 0 \end{{cases}}"
            )
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

    def tex_forward(self, z_symbol: str, z: Num, text: Callable[[Num], str], explicit: bool = False) -> str:
        """The right side of `O = …` in a worked forward pass: softmax as its fraction over the group
        (in symbols: its value needs every z), else f applied to z's shown value, `text(z)`. With
        `explicit`, the sigmoid is also written out as 1/(1 + e^{−z})."""
        if self.couples_outputs:
            return rf"\frac{{e^{{{z_symbol}}}}}{{\sum_j e^{{z_j}}}}"
        applied = self.tex_apply(text(z))
        if explicit and self.name == "sigmoid":
            exponent = text(-z) if z.sign() < 0 else f"-{text(z)}"
            return rf"{applied} = \frac{{1}}{{1 + e^{{{exponent}}}}}"
        return applied

    def tex_prime(self, z: str) -> str:
        """f′(z) written as a function of z, e.g. σ′(z_1)."""
        return {
            "sigmoid": rf"\sigma'({z})",
            "tanh": rf"\tanh'({z})",
            "relu": rf"\operatorname{{ReLU}}'({z})",
            "leaky_relu": rf"\operatorname{{LReLU}}'({z})",
            "linear": rf"f'({z})",
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

    # -- the plain formulas of the marking language (derive check) ------------------------------
    def plain_apply(self, z: str) -> str:
        """O = f(z) in the answer language, e.g. sigmoid({z(O1)})."""
        return {
            "sigmoid": f"sigmoid({z})",
            "tanh": f"tanh({z})",
            "linear": z,
            "relu": f"max(0, {z})",
            "leaky_relu": f"leaky_relu({z})",
            "step": f"step({z})",
            "softmax": f"softmax({z})",
        }[self.name]

    def plain_derivative(self, out: str, z: str) -> str:
        """f′(z) in the answer language, in the neuron's own output where the textbook does."""
        return {
            "sigmoid": f"{out}*(1 - {out})",
            "tanh": f"(1 - {out}^2)",
            "linear": "1",
            "relu": f"relu'({z})",
            "leaky_relu": f"leaky_relu'({z})",
        }.get(self.name, f"f'({z})")

    def prime_words(self, neuron: str) -> str:
        """f′ of a neuron as a marker's comment names it."""
        if self.name == "sigmoid":
            return f"{neuron}(1 − {neuron}) = σ′(z({neuron}))"
        return f"f′(z({neuron}))"

    # -- SymPy forms ------------------------------------------------------------------------------
    def sympy_display(self, z: sympy.Expr) -> sympy.Expr:
        """f(z) for display: σ, ReLU, … kept as named functions (latex_sympy.Printer writes them as the
        lecture does); tanh and the identity as themselves."""
        import sympy

        if self.name == "tanh":
            return sympy.tanh(z)
        if self.derivative_is_one:
            return z
        return sympy.Function(DISPLAY_FUNCTIONS[self.name])(z)

    # -- an independent SymPy form, for cross-checking back-propagation --------------------------
    def sympy_apply(self, z: sympy.Expr) -> sympy.Expr:
        import sympy

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

    @property
    def piecewise(self) -> bool:
        """ReLU, leaky ReLU and the step: a different formula on each side of z = 0."""
        return self.name in ("relu", "leaky_relu", "step")

    def sympy_active(self, z: sympy.Expr, at: Num) -> sympy.Expr:
        """f(z) as the formula that applies where z has the value `at`: for a piecewise activation its
        branch on that side of 0 (a Piecewise of Piecewises makes SymPy's diff and evaluation
        exponential in depth), for any other `sympy_apply`. At exactly z = 0 the branch is the one
        whose derivative the notes' convention states: ReLU′(0) = 0 (the 0 branch), leaky ReLU′(0) = its
        slope (slope·z), and the step is 1 there, as its definition says."""
        import sympy

        n = self.name
        if n == "step":
            return sympy.Integer(1 if at.sign() >= 0 else 0)
        if n == "relu":
            return z if at.sign() > 0 else sympy.Integer(0)
        if n == "leaky_relu":
            return z if at.sign() > 0 else sympy.Rational(self.slope.numerator, self.slope.denominator) * z
        return self.sympy_apply(z)


def _dec(x: Fraction) -> str:
    from derive.numbers import exact_decimal

    return exact_decimal(x) or rf"\tfrac{{{x.numerator}}}{{{x.denominator}}}"
