"""Loss functions over a network's outputs: value, ∂L/∂ŷ, TeX, and an independent SymPy form."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import mpmath

from derive.errors import DeriveError
from derive.numbers import Num

if TYPE_CHECKING:  # SymPy is imported by sympy_value, the one function that needs it
    import sympy

NAMES = (
    "error",
    "squared_error",
    "half_squared_error",
    "mse",
    "mae",
    "binary_cross_entropy",
    "categorical_cross_entropy",
)

DESCRIPTIONS = {
    "error": "the plain difference between target and prediction, y − ŷ (as the seed lecture first shows it)",
    "squared_error": "the squared error summed over the outputs, Σ(y − ŷ)², with no ½ in front",
    "half_squared_error": "half the squared error summed over the outputs, Σ½(y − ŷ)², so the 2 of the derivative cancels",
    "mse": "the mean squared error over the K outputs, (1/K)·Σ(y − ŷ)²",
    "mae": "the mean absolute error over the K outputs, (1/K)·Σ|y − ŷ|; its derivative is taken as 0 where y = ŷ",
    "binary_cross_entropy": "binary cross-entropy summed over the outputs, −Σ[y·ln ŷ + (1 − y)·ln(1 − ŷ)] (natural logarithm)",
    "categorical_cross_entropy": "categorical cross-entropy, −Σ y·ln ŷ (natural logarithm), over the softmax outputs",
}


@dataclass(frozen=True)
class Loss:
    """What sets a loss apart, asked of it rather than of its name (value, gradient and TeX are the
    module's functions of the name)."""

    name: str

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.name]

    @property
    def pairs_with_softmax(self) -> bool:
        """Categorical cross-entropy: written for softmax outputs, which it needs on every output."""
        return self.name == "categorical_cross_entropy"

    @property
    def needs_probabilities(self) -> bool:
        """Binary cross-entropy: ln ŷ and ln(1 − ŷ) need every output strictly between 0 and 1."""
        return self.name == "binary_cross_entropy"

    @property
    def minimisable(self) -> bool:
        """False for the plain error y − ŷ: its derivative is −1 whatever the weights."""
        return self.name != "error"

    def softmax_shortcut(self, targets) -> bool:
        """Whether ∂L/∂z_k = O_k − y_k holds at these targets: cross-entropy over softmax, with
        targets adding up to 1."""
        return self.pairs_with_softmax and sum(targets) == 1

    def plain_formula(self, pairs: list[tuple[str, str]]) -> str:
        """L in the answer language of derive check, over (output, target) pairs."""
        name, k = self.name, len(pairs)
        if name == "error":
            return " + ".join(f"{y} - {o}" for o, y in pairs)
        if name in ("squared_error", "half_squared_error", "mse"):
            body = " + ".join(f"({y} - {o})^2" for o, y in pairs)
            pre = {"squared_error": "", "half_squared_error": "1/2*", "mse": f"1/{k}*" if k > 1 else ""}[name]
            return f"{pre}({body})" if pre and k > 1 else pre + body
        if name == "mae":
            return (f"1/{k}*" if k > 1 else "") + "(" + " + ".join(f"|{y} - {o}|" for o, y in pairs) + ")"
        if name == "binary_cross_entropy":
            return " ".join(f"-({y}*log({o}) + (1 - {y})*log(1 - {o}))" for o, y in pairs)
        return "-(" + " + ".join(f"{y}*log({o})" for o, y in pairs) + ")"

    def plain_gradient(self, o: str, y: str, k: int) -> str:
        """∂L/∂ŷ for one of k outputs in the answer language of derive check."""
        return {
            "error": "-1",
            "squared_error": f"2*({o} - {y})",
            "half_squared_error": f"({o} - {y})",
            "mse": f"2/{k}*({o} - {y})" if k > 1 else f"2*({o} - {y})",
            "mae": f"sign({o} - {y})" + (f"/{k}" if k > 1 else ""),
            "binary_cross_entropy": f"({o} - {y})/({o}*(1 - {o}))",
            "categorical_cross_entropy": f"-{y}/{o}",
        }[self.name]


def of(name: str) -> Loss:
    """The loss called `name` (one of NAMES)."""
    if name not in NAMES:
        raise ValueError(name)
    return Loss(name)


def value(name: str, yhat: list[Num], y: list[Num]) -> Num:
    """L for predictions `yhat` and targets `y`."""
    k = len(yhat)
    if name == "error":
        return sum((t - p for p, t in zip(yhat, y, strict=True)), Num(Fraction(0)))
    if name in ("squared_error", "half_squared_error", "mse"):
        total = sum(((t - p) * (t - p) for p, t in zip(yhat, y, strict=True)), Num(Fraction(0)))
        scale = {"squared_error": Fraction(1), "half_squared_error": Fraction(1, 2), "mse": Fraction(1, k)}[name]
        return total * scale
    if name == "mae":
        return sum((abs(t - p) for p, t in zip(yhat, y, strict=True)), Num(Fraction(0))) * Fraction(1, k)
    if name == "binary_cross_entropy":
        return -sum((_xlog(t, p) + _xlog(1 - t, 1 - p) for p, t in zip(yhat, y, strict=True)), Num(Fraction(0)))
    if name == "categorical_cross_entropy":
        return -sum((_xlog(t, p) for p, t in zip(yhat, y, strict=True)), Num(Fraction(0)))
    raise ValueError(name)


def _xlog(t: Num, p: Num) -> Num:
    """t·ln p, with 0·ln 0 = 0; an infinite loss is refused with its reason."""
    if t.is_zero():
        return Num(Fraction(0))
    if p.sign() <= 0:
        raise DeriveError(
            "cross-entropy is infinite here: a prediction is exactly 0 (or 1) where the target "
            "says otherwise, and ln 0 = −∞. Use smaller weights or `carry: exact`."
        )
    if p.exact == 1:
        return Num(Fraction(0))
    return Num(None, t.mp * mpmath.log(p.mp))


def gradient(name: str, yhat: list[Num], y: list[Num]) -> list[Num]:
    """∂L/∂ŷ_k for every output k."""
    k = len(yhat)
    out = []
    for p, t in zip(yhat, y, strict=True):
        if name == "error":
            out.append(Num(Fraction(-1)))
        elif name in ("squared_error", "half_squared_error", "mse"):
            scale = {"squared_error": Fraction(2), "half_squared_error": Fraction(1), "mse": Fraction(2, k)}[name]
            out.append((p - t) * scale)
        elif name == "mae":
            out.append(Num(Fraction((p - t).sign(), k)))
        elif name == "binary_cross_entropy":
            if (p * (1 - p)).is_zero():
                raise DeriveError(
                    "binary cross-entropy has no gradient here: a prediction is exactly 0 or 1 "
                    "(written down that way by the carry mode), where ln ŷ or ln(1 − ŷ) is infinite. "
                    "Use `carry: exact` or more digits."
                )
            out.append((p - t) / (p * (1 - p)))
        elif name == "categorical_cross_entropy":
            out.append(-t / p if not t.is_zero() else Num(Fraction(0)))
        else:
            raise ValueError(name)
    return out


def tex_formula(name: str, yhat: list[str], y: list[str]) -> str:
    """The loss written out, e.g. (y − O_2)^2."""
    k = len(yhat)
    pairs = list(zip(yhat, y, strict=True))
    if name == "error":
        return " + ".join(rf"({t} - {p})" for p, t in pairs) if k > 1 else rf"{y[0]} - {yhat[0]}"
    if name in ("squared_error", "half_squared_error", "mse"):
        body = " + ".join(rf"\left({t} - {p}\right)^{{2}}" for p, t in pairs)
        pre = {"squared_error": "", "half_squared_error": r"\tfrac{1}{2}", "mse": rf"\tfrac{{1}}{{{k}}}"}[name]
        return rf"{pre}\left[{body}\right]" if pre and k > 1 else pre + body
    if name == "mae":
        body = " + ".join(rf"\left|{t} - {p}\right|" for p, t in pairs)
        return rf"\tfrac{{1}}{{{k}}}\left[{body}\right]" if k > 1 else body
    if name == "binary_cross_entropy":
        return " ".join(rf"- \left[{t} \ln {p} + (1 - {t}) \ln(1 - {p})\right]" for p, t in pairs)
    if name == "categorical_cross_entropy":
        return " ".join(rf"- {t} \ln {p}" for p, t in pairs)
    raise ValueError(name)


def tex_gradient(name: str, p: str, t: str, k: int) -> str:
    """∂L/∂ŷ for one output in symbols."""
    return {
        "error": "-1",
        "squared_error": rf"-2\left({t} - {p}\right)",
        "half_squared_error": rf"-\left({t} - {p}\right)",
        "mse": rf"-\tfrac{{2}}{{{k}}}\left({t} - {p}\right)",
        "mae": rf"\tfrac{{1}}{{{k}}}\operatorname{{sign}}\left({p} - {t}\right)"
        if k > 1
        else rf"\operatorname{{sign}}\left({p} - {t}\right)",
        "binary_cross_entropy": rf"\frac{{{p} - {t}}}{{{p}\,(1 - {p})}}",
        "categorical_cross_entropy": rf"-\frac{{{t}}}{{{p}}}",
    }[name]


def sympy_value(name: str, yhat: list[sympy.Expr], y: list[sympy.Expr]) -> sympy.Expr:
    """The same loss as a SymPy expression (for the independent cross-check)."""
    import sympy

    k = len(yhat)
    pairs = list(zip(yhat, y, strict=True))
    if name == "error":
        return sum(t - p for p, t in pairs)
    if name in ("squared_error", "half_squared_error", "mse"):
        scale = {"squared_error": 1, "half_squared_error": sympy.Rational(1, 2), "mse": sympy.Rational(1, k)}[name]
        return scale * sum((t - p) ** 2 for p, t in pairs)
    if name == "mae":
        return sympy.Rational(1, k) * sum(sympy.Abs(t - p) for p, t in pairs)
    if name == "binary_cross_entropy":
        return -sum(t * sympy.log(p) + (1 - t) * sympy.log(1 - p) for p, t in pairs)
    if name == "categorical_cross_entropy":
        return -sum(t * sympy.log(p) for p, t in pairs)
    raise ValueError(name)
