"""The five optimizers, each a small class holding its state per parameter, its update formula in TeX
and the same formula with one step's numbers substituted. Conventions are PyTorch's (so a run can be
compared with torch.optim step by step): momentum and Nesterov add the raw gradient to the velocity
(v = βv + g), and ε is added outside the square root."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import ClassVar

import mpmath
from mpmath import libmp

from derive.numbers import Num
from derive.texnum import TexNumbers

ZERO = Num(Fraction(0))
MAX_EXACT_POWER_BITS = 128  # a bias correction 1 − βᵗ stays an exact fraction while βᵗ's denominator is this short


def num_sqrt(x: Num) -> Num:
    """√x, exact when x is the square of a rational (Adam's first step: √(g²) = |g|)."""
    if x.exact is not None and x.exact >= 0:
        n, d = x.exact.numerator, x.exact.denominator
        rn, rd = isqrt(n), isqrt(d)
        if rn * rn == n and rd * rd == d:
            return Num(Fraction(rn, rd))
    return Num(None, mpmath.sqrt(x.mp))


class Optimizer:
    """Gradient descent in general: `update` moves one parameter, given its gradient at step t."""

    name = "sgd"
    title = "Gradient descent"  # the notes name it by its batches: stochastic, mini-batch or (full-)batch
    symbols: ClassVar[dict[str, str]] = {}  # hyper-parameter -> its TeX symbol
    formula: tuple[str, ...] = (r"w_{t} = w_{t-1} - \eta\, g_{t}",)  # one TeX line each
    # The state an update carries to the next step, as table columns: (TeX with {t} for the step, key
    # in its record). Intermediates (Adam's bias-corrected m̂ and v̂, RMSProp's root) are shown in the
    # one update written out in full, so the tables stay narrow enough for a page.
    columns: ClassVar[tuple[tuple[str, str], ...]] = ()
    idea = (
        "every step moves each parameter against its gradient, in proportion to the learning rate: "
        "new weight = old weight − learning rate × ∂L/∂w"
    )

    def __init__(self, eta: Fraction, hyper: dict[str, Fraction]):
        self.eta = Num(eta)
        self.h = {k: Num(v) for k, v in hyper.items()}
        self.state: dict[str, dict[str, Num]] = {}
        # The constants of an update: exact at the first step (its notes show exact numbers), at
        # working precision after it (the state is carried so then), each 1 − β formed once.
        exact = {"eta": self.eta, **self.h, **{"1-" + k: 1 - v for k, v in self.h.items()}}
        self._exact = exact
        self._working = {k: Num(None, v.mp) for k, v in exact.items()}

    def named(self, batch_size: int, points: int) -> str:
        """The optimizer's name for a run whose steps take `batch_size` of `points` data points: plain
        gradient descent is stochastic only when a step sees one point or a mini-batch, not all of them."""
        if self.name != "sgd" or points <= 1:
            return self.title
        if batch_size >= points:
            return "Full-batch gradient descent"
        if batch_size == 1:
            return "Stochastic gradient descent (SGD)"
        return "Mini-batch stochastic gradient descent"

    def consts(self, t: int) -> dict[str, Num]:
        """η, the hyper-parameters and 1 − each, for step t."""
        return self._exact if t == 1 else self._working

    def update(self, p: str, w: Num, g: Num, t: int) -> tuple[Num, dict[str, Num]]:
        """(new value, the step's intermediate values for the notes); callers hold mpmath.workdps."""
        return w - self.consts(t)["eta"] * g, {"w": w, "g": g}

    def lines(self, rec: dict[str, Num], new: Num, t: int, tn: TexNumbers, w_tex: str) -> list[str]:
        """The update with this step's numbers substituted, one TeX line per formula line (a line
        starting `&=` continues the one before it, so a long update breaks before the margin)."""
        return [rf"{w_tex} = {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot {tn.arg(rec['g'])} {tn.eq(new)}"]

    def _old(self, p: str, key: str) -> Num:
        return self.state.setdefault(p, {}).get(key, ZERO)


class Momentum(Optimizer):
    name = "momentum"
    title = "Gradient descent with momentum"
    symbols: ClassVar[dict[str, str]] = {"beta": r"\beta"}
    columns: ClassVar[tuple[tuple[str, str], ...]] = (("v_{{{t}}}", "v"),)
    formula = (r"v_{t} = \beta\, v_{t-1} + g_{t}, \qquad v_{0} = 0", r"w_{t} = w_{t-1} - \eta\, v_{t}")
    idea = (
        "the velocity v remembers past gradients, decaying by β each step, so steps grow along a "
        "steady slope and opposite pushes cancel"
    )

    def update(self, p, w, g, t):
        c = self.consts(t)
        v_old = self._old(p, "v")
        v = c["beta"] * v_old + g
        self.state[p]["v"] = v
        return w - c["eta"] * self._direction(g, v, c), {"w": w, "g": g, "v_old": v_old, "v": v}

    def _direction(self, g: Num, v: Num, c: dict[str, Num]) -> Num:
        return v

    def lines(self, rec, new, t, tn, w_tex):
        b = tn.arg(self.h["beta"])
        return [
            rf"v_{{{t}}} = {b} \cdot {tn.arg(rec['v_old'])} + {tn.arg(rec['g'])} {tn.eq(rec['v'])}",
            rf"{w_tex} = {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot {tn.arg(rec['v'])} {tn.eq(new)}",
        ]


class Nesterov(Momentum):
    name = "nesterov"
    title = "Nesterov accelerated gradient"
    formula = (
        r"v_{t} = \beta\, v_{t-1} + g_{t}, \qquad v_{0} = 0",
        r"w_{t} = w_{t-1} - \eta\,\bigl(g_{t} + \beta\, v_{t}\bigr)",
    )
    idea = (
        "momentum that looks ahead: the step uses the gradient plus β times the new velocity, which is "
        "the look-ahead gradient of Nesterov's method rewritten at the current weights (as PyTorch does)"
    )

    def _direction(self, g, v, c):
        return g + c["beta"] * v

    def lines(self, rec, new, t, tn, w_tex):
        b = tn.arg(self.h["beta"])
        return [
            rf"v_{{{t}}} = {b} \cdot {tn.arg(rec['v_old'])} + {tn.arg(rec['g'])} {tn.eq(rec['v'])}",
            rf"{w_tex} = {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot \bigl({tn.arg(rec['g'])} + {b} \cdot "
            rf"{tn.arg(rec['v'])}\bigr) {tn.eq(new)}",
        ]


class RMSProp(Optimizer):
    name = "rmsprop"
    title = "RMSProp"
    symbols: ClassVar[dict[str, str]] = {"rho": r"\rho", "epsilon": r"\epsilon"}
    columns: ClassVar[tuple[tuple[str, str], ...]] = (("s_{{{t}}}", "s"),)
    formula = (
        r"s_{t} = \rho\, s_{t-1} + (1 - \rho)\, g_{t}^{2}, \qquad s_{0} = 0",
        r"w_{t} = w_{t-1} - \eta\, \frac{g_{t}}{\sqrt{s_{t}} + \epsilon}",
    )
    idea = (
        "each parameter's step is divided by a running root-mean-square of its own gradients, so "
        "parameters with large gradients take smaller steps and small ones larger"
    )

    def update(self, p, w, g, t):
        c = self.consts(t)
        s_old = self._old(p, "s")
        s = c["rho"] * s_old + c["1-rho"] * g * g
        root = num_sqrt(s)
        self.state[p]["s"] = s
        new = w - c["eta"] * g / (root + c["epsilon"])
        return new, {"w": w, "g": g, "s_old": s_old, "s": s, "root": root}

    def lines(self, rec, new, t, tn, w_tex):
        rho, eps = self.h["rho"], tn.arg(self.h["epsilon"])
        return [
            rf"s_{{{t}}} = {tn.arg(rho)} \cdot {tn.arg(rec['s_old'])} + {tn.arg(1 - rho)} \cdot "
            rf"{tn.arg(rec['g'])}^{{2}} {tn.eq(rec['s'])}",
            rf"{w_tex} = {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot \frac{{{tn.text(rec['g'])}}}"
            rf"{{\sqrt{{{tn.text(rec['s'])}}} + {eps}}}",
            rf"&= {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot "
            rf"\frac{{{tn.text(rec['g'])}}}{{{tn.text(rec['root'])} + {eps}}} {tn.eq(new)}",
        ]


class Adam(Optimizer):
    name = "adam"
    title = "Adam"
    symbols: ClassVar[dict[str, str]] = {"beta1": r"\beta_{1}", "beta2": r"\beta_{2}", "epsilon": r"\epsilon"}
    columns: ClassVar[tuple[tuple[str, str], ...]] = (("m_{{{t}}}", "m"), ("v_{{{t}}}", "v"))
    formula = (
        r"m_{t} = \beta_{1}\, m_{t-1} + (1 - \beta_{1})\, g_{t}, \qquad m_{0} = 0",
        r"v_{t} = \beta_{2}\, v_{t-1} + (1 - \beta_{2})\, g_{t}^{2}, \qquad v_{0} = 0",
        r"\hat m_{t} = \frac{m_{t}}{1 - \beta_{1}^{t}}, \qquad \hat v_{t} = \frac{v_{t}}{1 - \beta_{2}^{t}}",
        r"w_{t} = w_{t-1} - \eta\, \frac{\hat m_{t}}{\sqrt{\hat v_{t}} + \epsilon}",
    )
    _corrected: tuple[int, Num, Num] = (0, ZERO, ZERO)  # the step t of the last bias corrections, and them
    idea = (
        "momentum (the mean m of recent gradients) and RMSProp (the mean v of their squares) together; "
        "m and v start at 0, so early on they are too small; dividing each by one minus its decay rate "
        "raised to the step number (the bias correction) scales them back up"
    )

    def update(self, p, w, g, t):
        c = self.consts(t)
        m_old, v_old = self._old(p, "m"), self._old(p, "v")
        if t > 1 and m_old.exact is None and v_old.exact is None and w.exact is None:
            return self._carried(p, w, g, t, m_old, v_old)
        m = c["beta1"] * m_old + c["1-beta1"] * g
        v = c["beta2"] * v_old + c["1-beta2"] * g * g
        c1, c2 = self._corrections(t)
        mhat, vhat = m / c1, v / c2
        root = num_sqrt(vhat)
        self.state[p].update(m=m, v=v)
        new = w - c["eta"] * mhat / (root + c["epsilon"])
        return new, {
            "w": w,
            "g": g,
            "m_old": m_old,
            "v_old": v_old,
            "m": m,
            "v": v,
            "c1": c1,
            "c2": c2,
            "mhat": mhat,
            "vhat": vhat,
            "root": root,
        }

    def _carried(self, p, w, g, t, m_old, v_old):
        """The update from the second step on, when the weight and the state are carried at working
        precision: the same operations in the same order as the general formula above (each rounded
        once, as the Num operators round them), on mpmath's raw numbers, without the operators' checks
        for exact operands (a step costs the same whatever its number; this is most of a step's time)."""
        c = self._working
        prec, rnd = mpmath.mp.prec, libmp.round_nearest
        mul, add, div = libmp.mpf_mul, libmp.mpf_add, libmp.mpf_div

        def raw(x: Num):
            return x.mp._mpf_

        c1, c2 = self._corrections(t)
        if g.exact == 0:  # exactly 0: its products are exactly 0, as the Num operators keep them
            gm = gv = libmp.fzero
        else:
            gr = raw(g)
            gm = mul(raw(c["1-beta1"]), gr, prec, rnd)
            gv = mul(mul(raw(c["1-beta2"]), gr, prec, rnd), gr, prec, rnd)
        m = add(mul(raw(c["beta1"]), raw(m_old), prec, rnd), gm, prec, rnd)
        v = add(mul(raw(c["beta2"]), raw(v_old), prec, rnd), gv, prec, rnd)
        mhat, vhat = div(m, raw(c1), prec, rnd), div(v, raw(c2), prec, rnd)
        root = libmp.mpf_sqrt(vhat, prec, rnd)
        step = div(mul(raw(c["eta"]), mhat, prec, rnd), add(root, raw(c["epsilon"]), prec, rnd), prec, rnd)
        new = libmp.mpf_sub(raw(w), step, prec, rnd)
        make = mpmath.mp.make_mpf
        nm, nv = Num(None, make(m)), Num(None, make(v))
        self.state[p].update(m=nm, v=nv)
        return Num(None, make(new)), {
            "w": w,
            "g": g,
            "m_old": m_old,
            "v_old": v_old,
            "m": nm,
            "v": nv,
            "c1": c1,
            "c2": c2,
            "mhat": Num(None, make(mhat)),
            "vhat": Num(None, make(vhat)),
            "root": Num(None, make(root)),
        }

    def _corrections(self, t: int) -> tuple[Num, Num]:
        """1 − β₁ᵗ and 1 − β₂ᵗ, formed once per step (not once per parameter)."""
        if self._corrected[0] != t:
            self._corrected = (t, 1 - _power(self.h["beta1"], t), 1 - _power(self.h["beta2"], t))
        return self._corrected[1], self._corrected[2]

    def lines(self, rec, new, t, tn, w_tex):
        b1, b2, eps = self.h["beta1"], self.h["beta2"], tn.arg(self.h["epsilon"])
        g = tn.arg(rec["g"])
        return [
            rf"m_{{{t}}} = {tn.arg(b1)} \cdot {tn.arg(rec['m_old'])} + {tn.arg(1 - b1)} \cdot {g} {tn.eq(rec['m'])}",
            rf"v_{{{t}}} = {tn.arg(b2)} \cdot {tn.arg(rec['v_old'])} + {tn.arg(1 - b2)} \cdot {g}^{{2}} {tn.eq(rec['v'])}",
            rf"\hat m_{{{t}}} = \frac{{{tn.text(rec['m'])}}}{{1 - {tn.text(b1)}^{{{t}}}}} = "
            rf"\frac{{{tn.text(rec['m'])}}}{{{tn.text(rec['c1'])}}} {tn.eq(rec['mhat'])}",
            rf"\hat v_{{{t}}} = \frac{{{tn.text(rec['v'])}}}{{1 - {tn.text(b2)}^{{{t}}}}} = "
            rf"\frac{{{tn.text(rec['v'])}}}{{{tn.text(rec['c2'])}}} {tn.eq(rec['vhat'])}",
            rf"{w_tex} = {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot \frac{{{tn.text(rec['mhat'])}}}"
            rf"{{\sqrt{{{tn.text(rec['vhat'])}}} + {eps}}}",
            rf"&= {tn.arg(rec['w'])} - {tn.arg(self.eta)} \cdot "
            rf"\frac{{{tn.text(rec['mhat'])}}}{{{tn.text(rec['root'])} + {eps}}} {tn.eq(new)}",
        ]


def in_sentence(name: str) -> str:
    """An optimizer's name inside a sentence: lower case, unless its first word is a name (Adam, Nesterov)."""
    first = name.split()[0]
    return name[0].lower() + name[1:] if first in ("Gradient", "Full-batch", "Stochastic", "Mini-batch") else name


def _power(b: Num, t: int) -> Num:
    """b^t: exact while it is short (0.999^t has 3t decimals: exact up to t = 12, 0.9^t up to t = 32),
    at working precision after that, so its cost stays the same whatever t is."""
    if b.exact is not None and b.exact.denominator.bit_length() * t <= MAX_EXACT_POWER_BITS:
        return Num(b.exact**t)
    return Num(None, b.mp**t)


CLASSES = {cls.name: cls for cls in (Optimizer, Momentum, Nesterov, RMSProp, Adam)}
HYPER_TEX = {"beta": r"\beta", "beta1": r"\beta_{1}", "beta2": r"\beta_{2}", "rho": r"\rho", "epsilon": r"\epsilon"}
# Where each default comes from, said once in the notes.
DEFAULT_SOURCE = {
    "beta": "the value everyone quotes (PyTorch's SGD has momentum 0 unless you set it)",
    "beta1": "Kingma & Ba's Adam paper, PyTorch and Keras",
    "beta2": "Kingma & Ba's Adam paper, PyTorch and Keras",
    "rho": "Hinton's lecture and Keras (PyTorch's alpha defaults to 0.99)",
    "epsilon": "PyTorch and the Adam paper (Keras uses 1e-7)",
}


def make(name: str, eta: Fraction, hyper: dict[str, Fraction]) -> Optimizer:
    return CLASSES[name](eta, hyper)
