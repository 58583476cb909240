"""Plots for the notes, drawn with matplotlib: the loss along one parameter with its tangent and one
descent step, the activations and their derivatives, and the gradient's size layer by layer.

Numbers are computed by derive at full precision and become floats only to be drawn. Every function
returns a mapping with "svg", "png" and "pdf" (each drawn the first time it is read) and "data"; the
output is byte-for-byte repeatable (fixed hash salt, no dates, no software stamp, matplotlib's own
defaults under `STYLE` whatever a matplotlibrc says) and leaves matplotlib's global state untouched:
each figure is a `Figure` on its own Agg canvas, drawn inside `matplotlib.rc_context`.

A figure is first a `_Plan`: every call it makes on matplotlib (the figure, its axes, each line, note
and ticker, with every number and word), recorded without importing matplotlib. The plan is the
figure's content address: a drawn file is kept in the user's cache folder
(`platformdirs.user_cache_dir("derive")/figures/`) under a hash of the plan, the format, derive's
version, the versions of matplotlib and the libraries it draws with, and this module's source, so a later run of the same network reads
the file instead of importing matplotlib and drawing it again, and any change in what the figure
shows (a weight, a word, a colour) or in how it is drawn is a different file. A cached file carries
the SHA-256 of its content and is drawn again if it does not match (cut short, overwritten); where
the folder cannot be made or written, nothing is cached and nothing is said.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mpmath

from derive.activations import Activation
from derive.calculus.grad import backward, uses
from derive.calculus.graph import columns_of, forward
from derive.latex import tex_name
from derive.numbers import Num, show
from derive.spec.model import DataPoint, Network

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {  # rcParams: values of many types
    "svg.hashsalt": "derive",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "mathtext.fontset": "dejavusans",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "legend.frameon": False,
    "legend.fontsize": 9,
}
BLUE, RED, GREEN, GREY = "#2f5d8a", "#d1495b", "#2e8b57", "#8a8a8a"
SAMPLES = 200
PRINT_WIDTH = 7.5  # inches: a PDF twin wider than this is laid out at it, then printed at 84 % (to 6.3 in)
FLOAT_MAX = 1e300
KINDS = ("svg", "png", "pdf")
CACHE_FILES = 256  # drawn files kept in the cache folder; the least recently drawn go first


def to_float(x) -> float:
    """A Num or mpf as a float for drawing, clipped to ±1e300 so huge values never become inf."""
    v = x.mp if isinstance(x, Num) else mpmath.mpf(x)
    if mpmath.isnan(v):
        return float("nan")
    return float(max(min(v, mpmath.mpf(FLOAT_MAX)), -mpmath.mpf(FLOAT_MAX)))


def _math(name: str) -> str:
    return f"${tex_name(name)}$"


def _text(x: Num, digits: int = 5) -> str:
    """A number as the plot shows it: a true minus sign, and ×10^k in place of e-notation."""
    text = show(x, digits)[0]
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"${mantissa}\\times 10^{{{int(exponent)}}}$"
    return text.replace("-", "\u2212")


def _point(net: Network, point) -> tuple[DataPoint, int]:
    """A DataPoint, or a data point's number counted from 1 as in the notes and the CLI."""
    if isinstance(point, DataPoint):
        return point, next((i + 1 for i, p in enumerate(net.data) if p == point), 0)
    if not 1 <= point <= len(net.data):
        raise ValueError(f"there is no data point {point}: the network has {len(net.data)}")
    return net.data[point - 1], point


# -- a figure as the calls it makes on matplotlib ----------------------------------------------------------
class _Ref:
    """What matplotlib will hand back when the plan is drawn (the figure, an axes, a ticker, …): an
    attribute, item or call of it is recorded in the plan, not made."""

    __slots__ = ("_expr", "_plan")

    def __init__(self, plan: _Plan, expr: tuple):
        self._plan, self._expr = plan, expr

    def __getattr__(self, name: str) -> _Ref:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Ref(self._plan, ("attr", self._expr, name))

    def __getitem__(self, key: int | tuple[int, ...]) -> _Ref:
        return _Ref(self._plan, ("item", self._expr, key))

    def __call__(self, *args, **kwargs) -> _Ref:
        self._plan.calls.append((self._expr, args, kwargs))
        return _Ref(self._plan, ("result", len(self._plan.calls) - 1))


class _Plan:
    """Every call a figure makes on matplotlib, in order, starting from its roots: `figure` (the
    Figure class), `ticker` (matplotlib.ticker), and the tick labels `decade_label` (10^k at every
    tick) and `whole_decade_label` (10^k at whole k, none between)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, tuple, dict]] = []
        self.figure = _Ref(self, ("root", "figure"))
        self.ticker = _Ref(self, ("root", "ticker"))
        self.decade_label = _Ref(self, ("root", "decade_label"))
        self.whole_decade_label = _Ref(self, ("root", "whole_decade_label"))

    def key(self) -> str:
        """The plan written out in full (every number as its exact float repr): equal plans draw equal figures."""
        return repr([(expr, _canonical(args), _canonical(kwargs)) for expr, args, kwargs in self.calls])

    def draw(self) -> Figure:
        """The recorded calls made on matplotlib: the Figure, on its own Agg canvas."""
        import matplotlib
        import matplotlib.ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        roots = {
            "figure": Figure,
            "ticker": matplotlib.ticker,
            "decade_label": _decade_label,
            "whole_decade_label": _whole_decade_label,
        }
        made: list[Any] = []

        def find(expr: tuple) -> Any:
            tag = expr[0]
            if tag == "root":
                return roots[expr[1]]
            if tag == "result":
                return made[expr[1]]
            if tag == "attr":
                return getattr(find(expr[1]), expr[2])
            return find(expr[1])[expr[2]]

        def real(x: Any) -> Any:
            if isinstance(x, _Ref):
                return find(x._expr)
            if isinstance(x, (list, tuple)):
                return type(x)(real(v) for v in x)
            if isinstance(x, dict):
                return {k: real(v) for k, v in x.items()}
            return x

        with _style(matplotlib):
            for expr, args, kwargs in self.calls:
                made.append(find(expr)(*real(args), **real(kwargs)))
        fig = made[0]
        FigureCanvasAgg(fig)
        return fig


def _canonical(x: Any) -> Any:
    if isinstance(x, _Ref):
        return ("ref", x._expr)
    if isinstance(x, (list, tuple)):
        return type(x)(_canonical(v) for v in x)
    if isinstance(x, dict):
        return sorted((k, _canonical(v)) for k, v in x.items())
    return x


def _decade_label(value: float, _position) -> str:
    return f"$10^{{{round(value)}}}$"


def _whole_decade_label(value: float, _position) -> str:
    return f"$10^{{{round(value)}}}$" if abs(value - round(value)) < 1e-9 else ""


@contextlib.contextmanager
def _style(matplotlib):
    """matplotlib's own defaults with STYLE over them, whatever a matplotlibrc says; restored after."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(STYLE)
        yield


class _Rendered(Mapping):
    """A figure's "svg", "png" and "pdf", each drawn the first time it is read (the Markdown and the
    HTML need only the SVG, LaTeX only the PDF, the tests the PNG), or read from the cache, and its "data"."""

    def __init__(self, plan: _Plan, data: dict):
        self._plan = plan
        self._fig: Figure | None = None
        self._done: dict[str, Any] = {"data": data}

    def __getitem__(self, key: str):
        if key not in self._done:
            if key not in KINDS:
                raise KeyError(key)
            self._done[key] = _cached(self._plan, key, lambda: _draw(self._figure(), key))
        return self._done[key]

    def _figure(self) -> Figure:
        if self._fig is None:
            self._fig = self._plan.draw()
        return self._fig

    def __iter__(self):
        return iter((*KINDS, "data"))

    def __len__(self) -> int:
        return 4


def _draw(fig: Figure, kind: str) -> str | bytes:
    import matplotlib

    with _style(matplotlib):  # the same settings as when it was made (the SVG's hash salt)
        return _save(fig, kind)


def _save(fig: Figure, kind: str) -> str | bytes:
    out = io.BytesIO()
    if kind == "svg":
        fig.savefig(out, format="svg", metadata={"Date": None})
        return out.getvalue().decode("utf-8")
    if kind == "png":
        fig.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
    if kind != "pdf":
        raise KeyError(kind)
    # For LaTeX: vector, and without a date, so the same figure gives the same bytes. A wide figure is
    # laid out again narrower, so that its words print at 7 to 9 pt on the 6.3-inch text block instead
    # of shrinking with the whole picture (an 11-inch figure would print at 57 %, 9 pt words at 5 pt).
    width, height = fig.get_size_inches()
    if width > PRINT_WIDTH:
        fig.set_size_inches(PRINT_WIDTH, height)
    try:
        fig.savefig(out, format="pdf", metadata={"CreationDate": None, "Producer": None, "Creator": None})
    finally:
        fig.set_size_inches(width, height)  # the SVG and PNG keep the figure's own size
    return out.getvalue()


def _output(plan: _Plan, data: dict) -> Mapping:
    return _Rendered(plan, data)


# -- the cache of drawn figures ------------------------------------------------------------------------
def cache_folder() -> Path | None:
    """Where drawn figures are kept (None: no cache): one folder per derive version and set of versions
    of the libraries that draw them."""
    from derive.defaults import VERSION

    try:
        import platformdirs
    except ImportError:  # pragma: no cover - a dependency, but caching is only an optimisation
        return None
    return Path(platformdirs.user_cache_dir("derive")) / "figures" / f"derive-{VERSION}-libraries-{_libraries()}"


DRAWING_LIBRARIES = {  # module: distribution; what shapes the drawn bytes besides derive's own calls
    "matplotlib": "matplotlib",
    "numpy": "numpy",
    "kiwisolver": "kiwisolver",  # the constrained layout's solver
    "pyparsing": "pyparsing",  # mathtext's parser
    "fontTools": "fonttools",  # the PDF's font subsets
    "PIL": "pillow",  # the PNG
}


@lru_cache(maxsize=1)
def _libraries() -> str:
    """A digest of the installed versions of DRAWING_LIBRARIES (their dist-info folders' names, or
    their files' size and time where there is none), found without importing any of them."""
    parts: list[str] = []
    listings: dict[Path, list[str]] = {}
    for module, dist in DRAWING_LIBRARIES.items():
        spec = find_spec(module)
        if spec is None or spec.origin is None:
            parts.append(f"{module}: none")
            continue
        origin = Path(spec.origin)
        folder = origin.parent.parent if spec.submodule_search_locations else origin.parent
        try:
            names = listings[folder] if folder in listings else listings.setdefault(folder, os.listdir(folder))
            stat = origin.stat()
        except OSError:
            parts.append(f"{module}: {origin}")
            continue
        pattern = re.compile(rf"{dist}-\d.*\.(dist|egg)-info$")
        found = sorted(n for n in names if pattern.match(n.lower().replace("_", "-")))
        parts.append(f"{module}: {', '.join(found) or f'{origin} {stat.st_size} {stat.st_mtime_ns}'}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _source_digest() -> bytes:
    """This module's own source: a change in how figures are drawn is a different cache entry."""
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


def _cached(plan: _Plan, kind: str, draw: Callable[[], str | bytes]) -> str | bytes:
    """The figure in format `kind`: from the cache when a file of this very plan is there and whole,
    else drawn (and kept for the next run)."""
    folder = cache_folder()
    if folder is None:
        return draw()
    name = hashlib.sha256(_source_digest() + kind.encode() + b"\0" + plan.key().encode()).hexdigest()
    path = folder / f"{name}.{kind}"
    try:
        stored = path.read_bytes()
    except OSError:
        stored = b""
    digest, body = stored[:32], stored[32:]
    if len(stored) > 32 and hashlib.sha256(body).digest() == digest:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when the folder is pruned
        return body.decode("utf-8") if kind == "svg" else body
    made = draw()
    raw = made.encode("utf-8") if isinstance(made, str) else made
    _store(folder, path, hashlib.sha256(raw).digest() + raw)
    return made


def _store(folder: Path, path: Path, content: bytes) -> None:
    """Write `content` to `path` whole or not at all (a temporary file renamed); prune the folder to
    CACHE_FILES files. Any failure is silence: caching is only an optimisation."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        files: list[Path] = []
        parts: list[Path] = []
        for f in folder.iterdir():
            (parts if f.name.startswith(".part-") else files).append(f)
        if len(files) > CACHE_FILES:
            files.sort(key=lambda f: f.stat().st_mtime_ns)
            for old in files[: len(files) - CACHE_FILES]:
                old.unlink(missing_ok=True)
        for part in parts:  # left by a run stopped while writing; another run's may be in use: an hour's grace
            if part.stat().st_mtime < time.time() - 3600:
                part.unlink(missing_ok=True)
    except OSError:
        pass


def _fraction(x: Num) -> Fraction:
    if x.exact is not None:
        return x.exact
    return Fraction(Decimal(mpmath.nstr(x.mp, 40)))


# -- the loss along one parameter ------------------------------------------------------------------
def descent_curve(net: Network, point=1, param: str = "w1", span=None) -> Mapping:
    """Two panels. Left: L as a function of `param` alone (the others fixed) over a range wide
    enough to show its shape (the bowl's bottom when it has one, else where it flattens). Right: close
    to the current value, the tangent of slope ∂L/∂param and one gradient-descent step
    w ← w − η·∂L/∂w. `span` is the close-up's half-width around the current value or a (low, high)
    pair; by default the step takes up an eighth of its width. Full precision throughout; in a carry
    mode the close-up also gives the carried slope and step the text prints."""
    if param not in net.parameters:
        raise ValueError(f"`{param}` is not a parameter (parameters: {', '.join(net.parameters)})")
    dp, number = _point(net, point)
    fwd = forward(net, dp)
    grad = backward(fwd).gradients[param]
    w0, eta = net.parameters[param], net.learning_rate
    with mpmath.workdps(fwd.dps):
        w_new = Num(w0) - Num(eta) * grad
    new_loss = _loss_at(net, dp, param, _fraction(w_new))
    with mpmath.workdps(fwd.dps):
        change = new_loss - fwd.loss
    lo, hi = _span(w0, _fraction(w_new), span)
    xs = [lo + (hi - lo) * Fraction(k, SAMPLES - 1) for k in range(SAMPLES)]
    ys = [_loss_at(net, dp, param, x) for x in xs]
    carried = None
    if net.carry.mode != "exact":  # the text's numbers: cut values carried forward, as by hand
        g = backward(forward(net, dp, net.carry)).gradients[param]
        with mpmath.workdps(fwd.dps):
            carried = {"gradient": g, "w_new": Num(w0) - Num(eta) * g}
    facts = {
        "param": param,
        "point": number,
        "w": Num(w0),
        "loss": fwd.loss,
        "gradient": grad,
        "eta": Num(eta),
        "w_new": w_new,
        "loss_new": new_loss,
        "lo": lo,
        "hi": hi,
        "change": change,
        "dps": fwd.dps,
        "carried": carried,
    }
    wide = _wide(net, dp, param, w0, lo, hi)
    plan = _Plan()
    fig = plan.figure(figsize=(11, 5.2), layout="constrained")
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    data = _draw_descent(plan, axes[1], xs, ys, facts)
    data["wide"] = _draw_wide(axes[0], wide, facts)
    data["carried"] = (
        {k: to_float(v) for k, v in carried.items()} if carried is not None else None
    )  # the text's numbers in a carry mode
    name = _math(param)
    fig.suptitle(
        f"One gradient-descent step: {name} $\\leftarrow$ {name} $- \\eta\\,\\partial L/\\partial {tex_name(param)}$"
        f", $\\eta$ = {_text(facts['eta'])}",
        fontsize=11,
    )
    return _output(plan, data)


WIDE_SAMPLES = 81


def _wide(net, dp, param: str, w0: Fraction, lo: Fraction, hi: Fraction) -> dict:
    """A range around w0 wide enough that L visibly bends: doubled from the close-up's until the
    curve departs from its chord by a sixth of its rise, or has its lowest point inside."""
    half = max(hi - lo, Fraction(1, 2))
    limit = 10**4 * max(Fraction(1), abs(w0))
    while True:
        xs = [w0 - half + 2 * half * Fraction(k, 16) for k in range(17)]
        ys = [_loss_at(net, dp, param, x).mp for x in xs]
        rise = max(ys) - min(ys)
        chord = [ys[0] + (ys[-1] - ys[0]) * k / 16 for k in range(17)]
        bend = max(abs(y - c) for y, c in zip(ys, chord, strict=True))
        inside = min(range(17), key=lambda k: ys[k]) not in (0, 16)
        if half >= limit or (rise > 0 and (bend > rise / 6 or inside)):
            break
        half *= 2
    xs = [w0 - half + 2 * half * Fraction(k, WIDE_SAMPLES - 1) for k in range(WIDE_SAMPLES)]
    ys = [_loss_at(net, dp, param, x) for x in xs]
    low = min(range(WIDE_SAMPLES), key=lambda k: ys[k].mp)
    return {"x": xs, "y": ys, "minimum": low if 0 < low < WIDE_SAMPLES - 1 else None}


def _now(ax, f: dict, at: tuple[float, float], text: str, rise: int) -> None:
    """The note at the current value, on the side of the point away from the curve."""
    rising = f["gradient"].sign() > 0
    ax.annotate(
        text,
        xy=at,
        xytext=(-10 if rising else 10, rise),
        textcoords="offset points",
        ha="right" if rising else "left",
        fontsize=9,
        color=BLUE,
    )


def _draw_wide(ax, wide: dict, f: dict) -> dict:
    name = _math(f["param"])
    fx, fy = [to_float(Num(x)) for x in wide["x"]], [to_float(y) for y in wide["y"]]
    ax.plot(fx, fy, color=BLUE, lw=2, gid="loss-wide")
    ax.axvspan(to_float(Num(f["lo"])), to_float(Num(f["hi"])), color=GREY, alpha=0.18, lw=0, gid="close-up")
    w, L = to_float(f["w"]), to_float(f["loss"])
    ax.plot([w], [L], "o", color=BLUE, ms=7, zorder=5)
    _now(ax, f, (w, L), f"now: {name} = {_text(f['w'])}", 10)
    out: dict[str, Any] = {"x": fx, "y": fy, "minimum": None}
    k = wide["minimum"]
    if k is not None:
        out["minimum"] = [fx[k], fy[k]]
        ax.plot([fx[k]], [fy[k]], "v", color=GREEN, ms=8, zorder=5, gid="lowest")
        ax.annotate(
            f"lowest $L$ on this line\nnear {name} = {_text(Num(wide['x'][k]), 3)}",
            xy=(fx[k], fy[k]),
            xytext=(0, 14),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color=GREEN,
        )
        ax.set_title(f"$L$ as {name} alone changes:\na bowl", fontsize=10)
    else:
        downhill = "grows" if f["gradient"].sign() < 0 else "falls"
        ax.set_title(f"$L$ as {name} alone changes:\nit keeps falling as {name} {downhill}", fontsize=10)
    ax.set_xlabel(f"{name} (shaded: the close-up on the right)")
    ax.set_ylabel("$L$")
    ax.ticklabel_format(useOffset=False)
    return out


def _change(f: dict) -> str:
    if f["change"].is_zero() and not f["gradient"].is_zero():
        return f"the loss changes by less than $10^{{-{f['dps']}}}$, the working precision"
    return f"the loss changes by {_text(f['change'], 3)}"


def _loss_at(net, dp, param, value: Fraction) -> Num:
    return forward(net, dp, params={**net.parameters, param: value}).loss


def _span(w0: Fraction, w_new: Fraction, span) -> tuple[Fraction, Fraction]:
    if isinstance(span, (tuple, list)):
        lo, hi = sorted(Fraction(str(v)) for v in span)  # str: 0.1 means 1/10, as in the YAML
        return lo, hi
    step = abs(w_new - w0)
    half = abs(Fraction(str(span))) if span is not None else (4 * step if step else max(abs(w0) / 2, Fraction(1, 2)))
    return w0 - half, w0 + half


def _draw_descent(plan: _Plan, ax, xs, ys, f: dict) -> dict:
    p, name = f["param"], _math(f["param"])
    fx, fy = [to_float(Num(x)) for x in xs], [to_float(y) for y in ys]
    ax.plot(fx, fy, color=BLUE, lw=2, label=f"$L$ as a function of {name}", gid="loss-curve")
    reach = (f["hi"] - f["lo"]) * Fraction(3, 10)
    with mpmath.workdps(f["dps"]):
        tx = [Num(f["w"].exact - reach), Num(f["w"].exact + reach)]
        ty = [f["loss"] + f["gradient"] * (x - f["w"]) for x in tx]
    slope = f"slope $\\partial L/\\partial {tex_name(p)}$ = {_text(f['gradient'])}"
    tangent = [[to_float(x), to_float(y)] for x, y in zip(tx, ty, strict=True)]
    ax.plot(
        [x for x, _ in tangent],
        [y for _, y in tangent],
        color=RED,
        lw=1.4,
        ls="--",
        label=f"tangent, {slope}",
        gid="tangent",
    )
    w, L, wn, Ln = (to_float(f[k]) for k in ("w", "loss", "w_new", "loss_new"))
    ax.plot([w], [L], "o", color=BLUE, ms=7, zorder=5, gid="current")
    ax.plot(
        [wn],
        [Ln],
        "o",
        color=GREEN,
        ms=7,
        zorder=5,
        gid="update",
        label=f"after one step: {name} = {_text(f['w_new'])}, $L$ = {_text(f['loss_new'])}\n({_change(f)})",
    )
    ax.annotate(
        "",
        xy=(wn, Ln),
        xytext=(w, L),
        zorder=4,
        arrowprops={"arrowstyle": "-|>", "color": GREEN, "lw": 1.8, "shrinkA": 4, "shrinkB": 5},
    )
    _now(ax, f, (w, L), f"now: {name} = {_text(f['w'])}\n$L$ = {_text(f['loss'])}", 12)
    ax.set_xlabel(name)
    ax.set_ylabel("$L$")
    ax.ticklabel_format(useOffset=False)
    ax.set_title("Close up: the tangent at the current value\nand one step", fontsize=10)
    ax.xaxis.set_major_locator(plan.ticker.MaxNLocator(5))  # long tick labels stay apart at print width
    if f["carried"] is not None:  # a line of the legend of its own, under the picture
        c = f["carried"]
        ax.plot(
            [],
            [],
            " ",
            label=f"full precision; the text's carried values give\nslope {_text(c['gradient'])}, "
            f"{name} = {_text(c['w_new'])}",
        )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)  # under the plot: never on the curve
    return {
        "param": p,
        "point": f["point"],
        "w": w,
        "loss": L,
        "gradient": to_float(f["gradient"]),
        "eta": to_float(f["eta"]),
        "w_new": wn,
        "loss_new": Ln,
        "curve": {"x": fx, "y": fy},
        "tangent": tangent,
        "update": [wn, Ln],
        "exact": {k: show(f[k], 20)[0] for k in ("w", "loss", "gradient", "w_new", "loss_new")},
    }


# -- activations and their derivatives -------------------------------------------------------------
def activations_plot() -> Mapping:
    """σ, tanh and ReLU beside their derivatives, the largest slope of each marked: σ′(0) = 0.25,
    tanh′(0) = 1, and ReLU′(0) = 0 by convention (ReLU has no derivative at 0)."""
    zs = [Fraction(k - 240, 40) for k in range(481)]  # −6 … 6 in steps of 1/40
    data = {}
    plan = _Plan()
    fig = plan.figure(figsize=(10.5, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for k, panel in enumerate(SMOOTH):  # the last panel is ReLU's
        data[panel.name] = _smooth_panel(axes[k], Activation(panel.name), zs, panel)
    data["relu"] = _relu_panel(axes[2])
    fig.suptitle("Activations (solid) and their derivatives (dashed): the largest slope of each is marked", fontsize=11)
    return _output(plan, data)


@dataclass(frozen=True)
class _Panel:
    """How one smooth activation's panel is laid out: its legend labels, the y range when matplotlib's
    own would crowd the legend, and the corner the curves leave free for the legend."""

    name: str
    labels: tuple[str, str]
    ylim: tuple[float, float] | None
    legend: str


SMOOTH = (
    _Panel("sigmoid", (r"$\sigma(z)$", r"$\sigma'(z) = \sigma(z)\,(1-\sigma(z))$"), None, "upper left"),
    _Panel("tanh", (r"$\tanh(z)$", r"$\tanh'(z) = 1-\tanh^{2}(z)$"), (-1.15, 1.4), "lower right"),
)


def _smooth_panel(ax, act: Activation, zs, panel: _Panel) -> dict:
    values = [act.value(Num(z)) for z in zs]
    slopes = [act.derivative(Num(z), o) for z, o in zip(zs, values, strict=True)]
    fz = [float(z) for z in zs]
    f_label, d_label = panel.labels
    ax.plot(fz, [to_float(v) for v in values], color=BLUE, lw=2, label=f_label)
    ax.plot(fz, [to_float(d) for d in slopes], color=RED, lw=1.8, ls="--", label=d_label)
    top = slopes[zs.index(0)]  # the derivative at z = 0, its maximum, from derive's own formula
    peak = _text(top)
    ax.axhline(to_float(top), color=GREY, lw=0.8, ls=":")
    ax.plot([0], [to_float(top)], "o", color=RED, ms=6, zorder=5, gid=f"{act.name}-max")
    ax.annotate(
        f"max {peak} at $z$ = 0",
        xy=(0, to_float(top)),
        xytext=(10, 6),
        textcoords="offset points",
        fontsize=9,
        color=RED,
    )
    ax.set_title(act.name)
    if panel.ylim:
        ax.set_ylim(*panel.ylim)
    ax.set_xlabel("$z$")
    ax.legend(loc=panel.legend, fontsize=8)
    return {"max": to_float(top), "max_text": peak, "at": 0.0}


def _relu_panel(ax) -> dict:
    relu = Activation("relu")
    at_zero = relu.derivative(Num(Fraction(0)), Num(Fraction(0)))
    ax.plot([-6, 0, 6], [0, 0, 6], color=BLUE, lw=2, label=r"$\mathrm{ReLU}(z) = \max(0, z)$")
    ax.plot([-6, 0], [0, 0], color=RED, lw=1.8, ls="--", label=r"$\mathrm{ReLU}'(z)$: 0 for $z \leq 0$, 1 for $z > 0$")
    ax.plot([0, 6], [1, 1], color=RED, lw=1.8, ls="--")
    ax.plot([0], [1], "o", mfc="white", mec=RED, ms=6, zorder=5, gid="relu-open")
    ax.plot([0], [to_float(at_zero)], "o", color=RED, ms=6, zorder=6, gid="relu-zero")
    ax.annotate(
        f"ReLU$'$(0) = {_text(at_zero)}\n(the convention)",
        xy=(0, to_float(at_zero)),
        xytext=(14, 22),
        textcoords="offset points",
        fontsize=9,
        color=RED,
        arrowprops={"arrowstyle": "-", "color": RED, "lw": 0.8},
    )
    ax.set_ylim(-0.5, 4)
    ax.set_title("ReLU")
    ax.set_xlabel("$z$")
    ax.legend(loc="upper left", fontsize=8)
    return {"at_zero": to_float(at_zero), "max": 1.0}


# -- the gradient's size by layer ------------------------------------------------------------------
def layer_gradients(net: Network, point=1) -> Mapping:
    """|∂L/∂w| of every weight against its layer (the column of the neuron it feeds), on a log scale,
    with the mean of each layer: the vanishing gradient at a glance. Zero gradients have no logarithm;
    they are left out and the title says how many."""
    dp, number = _point(net, point)
    fwd = forward(net, dp)
    grads = backward(fwd).gradients
    column = columns_of(net)
    by_layer: dict[int, list[tuple[str, Num]]] = {}
    skipped = []
    for p, found in uses(net).items():
        edges = [u for u in found if u.source is not None]
        if not edges:
            continue
        if grads[p].is_zero():
            skipped.append(p)
            continue
        by_layer.setdefault(column[edges[0].neuron], []).append((p, abs(grads[p])))
    plan = _Plan()
    fig = plan.figure(figsize=(6.4, 4.2))
    data = _draw_layers(plan, fig.add_subplot(), by_layer, skipped, fwd.dps)
    data["point"] = number
    return _output(plan, data)


def _draw_layers(plan: _Plan, ax, by_layer: dict, skipped: list, dps: int) -> dict:
    """Plots log10|g| (computed by mpmath, so no value is too small for a float) with 10^k tick labels."""
    logs, means = {}, {}
    with mpmath.workdps(dps):
        for layer in sorted(by_layer):
            items = by_layer[layer]
            logs[layer] = [(p, float(mpmath.log10(g.mp))) for p, g in items]
            means[layer] = float(mpmath.log10(mpmath.fsum(g.mp for _, g in items) / len(items)))
    label_each = sum(len(v) for v in logs.values()) <= 12
    for layer, points in logs.items():
        n = len(points)
        xs = [layer + (0.3 * (i / (n - 1) - 0.5) if n > 1 else 0) for i in range(n)]
        ax.plot(
            xs,
            [v for _, v in points],
            "o",
            color=BLUE,
            ms=5,
            alpha=0.8,
            zorder=5,
            label="one weight" if layer == min(logs) else None,
        )
        for x, (p, v) in zip(xs, points, strict=True):
            if label_each:
                ax.annotate(_math(p), (x, v), xytext=(5, 3), textcoords="offset points", fontsize=9)
    layers = sorted(means)
    ax.plot(layers, [means[k] for k in layers], ":", color=RED, lw=1.2, zorder=2)
    ax.hlines(
        [means[k] for k in layers],
        [k - 0.22 for k in layers],
        [k + 0.22 for k in layers],
        color=RED,
        lw=2.5,
        zorder=4,
        label="layer mean",
        gid="layer-mean",
    )
    _decade_axis(plan, ax, [v for points in logs.values() for _, v in points] + list(means.values()))
    note = f" ({len(skipped)} zero gradient{'s' if len(skipped) != 1 else ''} not shown)" if skipped else ""
    ratio = (
        (
            f"\nthe mean of layer {layers[0]} is {_ratio(means[layers[0]] - means[layers[-1]])} "
            f"times that of layer {layers[-1]}"
        )
        if len(layers) > 1
        else ""
    )
    title = f"Size of each weight's gradient by layer{note}{ratio}"
    ax.set_title(title, fontsize=10)
    if layers:
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, "no weight has a nonzero gradient", transform=ax.transAxes, ha="center", color=GREY)
    return {"title": title, "log10": {k: dict(v) for k, v in logs.items()}, "mean_log10": means, "skipped": skipped}


def _decade_axis(plan: _Plan, ax, values: list[float]) -> None:
    """A y axis of log10 values labelled 10^k, on whole decades."""
    low, high, step = _decades(min(values, default=-1), max(values, default=0))
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(plan.ticker.MultipleLocator(step))
    if high - low <= 12:  # minor ticks at 2…9 × 10^k, while there are few enough decades to see them
        ax.yaxis.set_minor_locator(
            plan.ticker.FixedLocator([k + math.log10(m) for k in range(int(low), int(high) + 1) for m in range(2, 10)])
        )
    ax.yaxis.set_major_formatter(plan.ticker.FuncFormatter(plan.decade_label))
    ax.xaxis.set_major_locator(plan.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("layer (column of the neuron the weight feeds)")
    ax.set_ylabel(r"$|\partial L/\partial w|$ (log scale)")


def _ratio(log10: float) -> str:
    """10^log10 as a lecturer would write it: 0.00033, 2.5, or 3.1 × 10^-12."""
    if -4 <= log10 <= 5:
        return f"{10**log10:.2g}"
    exponent = math.floor(log10)
    return f"${10 ** (log10 - exponent):.2g} \\times 10^{{{exponent}}}$"


def _decades(low: float, high: float) -> tuple[float, float, float]:
    """Axis limits on whole decades and a step of 1, 2, 5, 10, 20, 50 … decades between labels."""
    low, high = math.floor(low - 0.05), math.ceil(high + 0.05)
    step = next(s * 10**k for k in range(10) for s in (1, 2, 5) if (high - low) / (s * 10**k) <= 8)
    return low, high, step
