"""Independent test oracle for small feed-forward networks given in the explicit YAML form.

This module deliberately shares NO code with the ``derive`` package.  It uses only the
standard library, mpmath and ``yaml.safe_load``-level PyYAML (a SafeLoader subclass that keeps
numbers exact).  No sympy.

Network format (explicit form)::

    title: Will the student pass?
    inputs: {x1: IQ, x2: Study hours, x3: Play hours}
    neurons:
      O1: {from: {x1: w1, x2: w2, x3: w3}, bias: b1, activation: sigmoid}
      O2: {from: {O1: w4}, bias: b2, activation: sigmoid}
    outputs: [O2]
    parameters: {w1: 0.01, w2: 0.02, w3: 0.03, w4: 0.02, b1: 0.001, b2: 0.03}
    loss: squared_error
    learning_rate: 0.1
    data:
      - {x1: 95, x2: 4, x3: 4, y: 1}

Public API
----------
``load(text) -> dict``
    Parsed network; every number is an exact ``fractions.Fraction``.  Keys:
    ``title`` (str), ``inputs`` ({name: label}), ``neurons`` ({name: {"from": {src: str|Fraction},
    "bias": str|Fraction|None, "activation": str, "slope": Fraction|None}}), ``outputs`` (list),
    ``parameters`` ({name: Fraction}), ``loss`` (str), ``learning_rate`` (Fraction),
    ``data`` (list of {name: Fraction, "y": Fraction | [Fraction, ...]}), ``order`` (neurons in
    a topological order).  A ``str`` weight/bias is a parameter name, a ``Fraction`` is fixed.
``forward(net, point, dps=60)``
    ``{neuron: {"z": mpf, "O": mpf}, ..., "loss": mpf}``.
``gradients_fd(net, point, dps=60)``
    Central finite differences at high working precision (primary oracle).
``gradients_reverse(net, point, dps=60)``
    A tiny micrograd-style reverse-mode autodiff over mpf (second oracle).
``updated(net, grads, dps=60)``
    ``{param: p - learning_rate * grads[param]}``.
``random_network(rng, shape=None) -> str``
    YAML text of a random valid network (see its docstring).

Conventions: relu'(0) = 0; leaky_relu'(z) = slope for z <= 0; mae's derivative is
sign(yhat - y), 0 when equal.  ``gradients_fd`` honours these conventions at kinks by
"pinning branches": the piece of every piecewise function (relu, leaky_relu, |.| in mae) is
chosen at the unperturbed point and the same smooth piece is used for the perturbed
evaluations, so FD equals the one-sided/conventional derivative even at z == 0 exactly.

Everything accepts ``net`` either as the dict returned by ``load`` or as YAML text.
"""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import yaml
from mpmath import mp, mpf

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "SHAPES",
    "load",
    "forward",
    "gradients_fd",
    "gradients_reverse",
    "updated",
    "random_network",
    "to_mpf",
    "targets",
    "Value",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
LOSSES = (
    "squared_error",
    "half_squared_error",
    "mse",
    "mae",
    "binary_cross_entropy",
    "categorical_cross_entropy",
)
DEFAULT_SLOPE = Fraction(1, 100)


# ----------------------------------------------------------------------------------------------
# Exact YAML loading
# ----------------------------------------------------------------------------------------------
class _ExactLoader(yaml.SafeLoader):
    """SafeLoader that turns YAML ints and floats into exact Fractions (from the source text)."""


def _construct_exact_int(loader, node):
    return Fraction(yaml.SafeLoader.construct_yaml_int(loader, node))


def _construct_exact_float(loader, node):
    text = str(node.value).replace("_", "").strip()
    low = text.lower()
    if low.lstrip("+-") in (".inf", ".nan"):
        raise ValueError(f"non-finite number not allowed: {text!r}")
    if ":" in text:  # YAML 1.1 sexagesimal; essentially never used
        return Fraction(str(yaml.SafeLoader.construct_yaml_float(loader, node)))
    return Fraction(text)


_ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_exact_int)
_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_exact_float)


def _parse_number(v, what="number"):
    """Exact Fraction from a Fraction/int/str/Decimal (floats via their shortest repr)."""
    if isinstance(v, bool):
        raise ValueError(f"{what}: booleans are not numbers ({v!r})")
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(repr(v))
    if isinstance(v, str):
        try:
            return Fraction(v.strip().replace("_", ""))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{what}: not a number: {v!r}") from None
    try:  # decimal.Decimal and friends
        return Fraction(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: not a number: {v!r}") from None


def _is_number_text(s):
    try:
        Fraction(s.strip().replace("_", ""))
        return True
    except (ValueError, ZeroDivisionError):
        return False


def _name(k):
    if isinstance(k, Fraction):
        return str(k.numerator) if k.denominator == 1 else str(k)
    return str(k)


def _norm_word(s):
    return str(s).strip().lower().replace("-", "_").replace(" ", "_")


def load(text):
    """Parse the explicit YAML form into plain Python with exact Fractions (see module doc)."""
    if isinstance(text, dict):
        raw = text
    else:
        raw = yaml.load(text, Loader=_ExactLoader)
    if not isinstance(raw, dict):
        raise ValueError("network YAML must be a mapping")

    # parameters
    params = {}
    for k, v in (raw.get("parameters") or {}).items():
        params[_name(k)] = _parse_number(v, f"parameter {k}")

    # inputs
    raw_inputs = raw.get("inputs")
    if isinstance(raw_inputs, list):
        inputs = {_name(k): _name(k) for k in raw_inputs}
    elif isinstance(raw_inputs, dict):
        inputs = {_name(k): ("" if v is None else _name(v)) for k, v in raw_inputs.items()}
    else:
        raise ValueError("`inputs` must be a mapping name: label")

    def weight_ref(v, where):
        if isinstance(v, str):
            s = v.strip()
            if s in params:
                return s
            if _is_number_text(s):
                return _parse_number(s, where)
            raise ValueError(f"{where}: unknown parameter {s!r}")
        return _parse_number(v, where)

    # neurons
    raw_neurons = raw.get("neurons")
    if not isinstance(raw_neurons, dict) or not raw_neurons:
        raise ValueError("`neurons` must be a non-empty mapping")
    neurons = {}
    for nname, spec in raw_neurons.items():
        nname = _name(nname)
        if nname in inputs:
            raise ValueError(f"neuron {nname!r} has the name of an input")
        if nname == "loss":
            raise ValueError("a neuron may not be called 'loss'")
        if not isinstance(spec, dict):
            raise ValueError(f"neuron {nname}: spec must be a mapping")
        frm = spec.get("from")
        if not isinstance(frm, dict) or not frm:
            raise ValueError(f"neuron {nname}: `from` must be a non-empty mapping")
        edges = {}
        for src, w in frm.items():
            edges[_name(src)] = weight_ref(w, f"neuron {nname}, edge from {src}")
        bias = spec.get("bias")
        if bias is not None:
            bias = weight_ref(bias, f"neuron {nname}, bias")
        act = spec.get("activation", "linear")
        slope = None
        if isinstance(act, dict):
            a = dict(act)
            act_name = a.pop("name", None)
            if act_name is None:
                raise ValueError(f"neuron {nname}: activation mapping needs `name`")
            act_name = _norm_word(act_name)
            if "slope" in a:
                slope = _parse_number(a.pop("slope"), f"neuron {nname}, slope")
            if a:
                raise ValueError(f"neuron {nname}: unknown activation options {sorted(a)}")
        else:
            act_name = _norm_word(act)
        if act_name not in ACTIVATIONS:
            raise ValueError(f"neuron {nname}: unknown activation {act_name!r}")
        if act_name == "leaky_relu" and slope is None:
            slope = DEFAULT_SLOPE
        neurons[nname] = {"from": edges, "bias": bias, "activation": act_name, "slope": slope}

    for nname, spec in neurons.items():
        for src in spec["from"]:
            if src not in inputs and src not in neurons:
                raise ValueError(f"neuron {nname}: unknown source {src!r}")

    # outputs
    outs = raw.get("outputs")
    if isinstance(outs, (str, Fraction)):
        outs = [outs]
    if not outs:
        raise ValueError("`outputs` must list at least one neuron")
    outputs = [_name(o) for o in outs]
    for o in outputs:
        if o not in neurons:
            raise ValueError(f"output {o!r} is not a neuron")
    if len(set(outputs)) != len(outputs):
        raise ValueError("duplicate outputs")

    # softmax group
    smax = [n for n, s in neurons.items() if s["activation"] == "softmax"]
    for n in smax:
        if n not in outputs:
            raise ValueError(f"softmax neuron {n!r} must be an output")
        for m, s in neurons.items():
            if n in s["from"]:
                raise ValueError(f"softmax neuron {n!r} may not feed neuron {m!r}")

    # topological order (Kahn, stable w.r.t. declaration order)
    order = []
    done = set(inputs)
    pending = list(neurons)
    while pending:
        progressed = False
        for n in list(pending):
            if all(src in done for src in neurons[n]["from"]):
                order.append(n)
                done.add(n)
                pending.remove(n)
                progressed = True
        if not progressed:
            raise ValueError(f"the graph has a cycle among {pending}")

    loss = _norm_word(raw.get("loss", "squared_error"))
    aliases = {"cross_entropy": "categorical_cross_entropy", "bce": "binary_cross_entropy",
               "cce": "categorical_cross_entropy", "sse": "squared_error"}
    loss = aliases.get(loss, loss)
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}")

    lr = _parse_number(raw.get("learning_rate", Fraction(1, 10)), "learning_rate")

    data = []
    for i, pt in enumerate(raw.get("data") or []):
        if not isinstance(pt, dict):
            raise ValueError(f"data point {i} must be a mapping")
        d = {}
        for k, v in pt.items():
            k = _name(k)
            if isinstance(v, list):
                d[k] = [_parse_number(x, f"data[{i}].{k}") for x in v]
            else:
                d[k] = _parse_number(v, f"data[{i}].{k}")
        data.append(d)

    return {
        "title": "" if raw.get("title") is None else str(raw.get("title")),
        "inputs": inputs,
        "neurons": neurons,
        "outputs": outputs,
        "parameters": params,
        "loss": loss,
        "learning_rate": lr,
        "data": data,
        "order": order,
    }


def _as_net(net):
    return load(net) if isinstance(net, str) else net


def to_mpf(x):
    """Exact number (Fraction/int/str/float) -> mpf at the *current* mp precision."""
    if isinstance(x, mpf):
        return +x
    f = _parse_number(x)
    return mpf(f.numerator) / f.denominator


def targets(net, point):
    """The point's targets as a list of Fractions in the order of ``net['outputs']``."""
    net = _as_net(net)
    y = point["y"]
    K = len(net["outputs"])
    ys = list(y) if isinstance(y, (list, tuple)) else [y]
    if len(ys) != K:
        raise ValueError(f"expected {K} target(s), got {len(ys)}")
    return [_parse_number(v, "y") for v in ys]


# ----------------------------------------------------------------------------------------------
# Backends for the shared graph walk: plain mpf numbers, or reverse-mode Value nodes.
# ----------------------------------------------------------------------------------------------
class _MpfOps:
    @staticmethod
    def const(x):
        return x

    @staticmethod
    def data(x):
        return x

    @staticmethod
    def exp(x):
        return mp.exp(x)

    @staticmethod
    def log(x):
        return mp.log(x)

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + mp.exp(-x))

    @staticmethod
    def tanh(x):
        return mp.tanh(x)


class Value:
    """Scalar reverse-mode autodiff node (micrograd-style) holding an mpf."""

    __slots__ = ("data", "grad", "_parents", "_local")

    def __init__(self, data, parents=(), local=()):
        self.data = data if isinstance(data, mpf) else to_mpf(data)
        self.grad = mpf(0)
        self._parents = parents  # tuple of Value
        self._local = local  # tuple of mpf: d self / d parent

    @staticmethod
    def _wrap(o):
        return o if isinstance(o, Value) else Value(o)

    def __add__(self, o):
        o = Value._wrap(o)
        return Value(self.data + o.data, (self, o), (mpf(1), mpf(1)))

    __radd__ = __add__

    def __neg__(self):
        return Value(-self.data, (self,), (mpf(-1),))

    def __sub__(self, o):
        return self + (-Value._wrap(o))

    def __rsub__(self, o):
        return Value._wrap(o) + (-self)

    def __mul__(self, o):
        o = Value._wrap(o)
        return Value(self.data * o.data, (self, o), (o.data, self.data))

    __rmul__ = __mul__

    def __pow__(self, k):
        k = to_mpf(k)
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def __truediv__(self, o):
        return self * (Value._wrap(o) ** -1)

    def __rtruediv__(self, o):
        return Value._wrap(o) * (self ** -1)

    def exp(self):
        e = mp.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(mp.log(self.data), (self,), (1 / self.data,))

    def tanh(self):
        t = mp.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))

    def sigmoid(self):
        s = 1 / (1 + mp.exp(-self.data))
        return Value(s, (self,), (s * (1 - s),))

    def backward(self):
        topo, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                topo.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if id(p) not in seen:
                    stack.append((p, False))
        for node in topo:
            node.grad = mpf(0)
        self.grad = mpf(1)
        for node in reversed(topo):
            for p, d in zip(node._parents, node._local):
                p.grad += d * node.grad

    def __repr__(self):
        return f"Value({mpmath.nstr(self.data, 15)}, grad={mpmath.nstr(self.grad, 15)})"


class _ValueOps:
    @staticmethod
    def const(x):
        return Value(x)

    @staticmethod
    def data(x):
        return x.data

    @staticmethod
    def exp(x):
        return x.exp()

    @staticmethod
    def log(x):
        return x.log()

    @staticmethod
    def sigmoid(x):
        return x.sigmoid()

    @staticmethod
    def tanh(x):
        return x.tanh()


def _kink_eps():
    """|x| below this counts as exactly 0 when choosing a piecewise branch.  An exactly rational
    0 such as 0.1*10 - 1 is computed in binary mpf as ~1e-dps, not 0; the pinned conventions
    (relu'(0)=0, leaky'(0)=slope, mae'=0 at equality) must still apply to it."""
    return mpf(10) ** (-(mp.dps * 3 // 4))


def _evaluate(net, point, pvals, ops, branches):
    """Walk the graph once.  ``pvals``: {param: number in the backend}.  ``branches``: dict that is
    filled (when a key is missing) or obeyed (when present) for every piecewise choice."""
    vals = {}
    for x in net["inputs"]:
        if x not in point:
            raise ValueError(f"data point lacks input {x!r}")
        vals[x] = ops.const(to_mpf(point[x]))

    def coef(w):
        return pvals[w] if isinstance(w, str) else ops.const(to_mpf(w))

    zs, Os = {}, {}
    for n in net["order"]:
        spec = net["neurons"][n]
        z = None
        for src, w in spec["from"].items():
            term = coef(w) * vals[src]
            z = term if z is None else z + term
        if spec["bias"] is not None:
            z = z + coef(spec["bias"])
        zs[n] = z
        act = spec["activation"]
        if act == "softmax":
            continue  # done below, as one group
        if act == "sigmoid":
            O = ops.sigmoid(z)
        elif act == "tanh":
            O = ops.tanh(z)
        elif act == "linear":
            O = z
        elif act in ("relu", "leaky_relu"):
            key = ("act", n)
            if key not in branches:
                branches[key] = ops.data(z) > _kink_eps()
            if branches[key]:
                O = z
            elif act == "relu":
                O = z * 0
            else:
                O = z * to_mpf(spec["slope"])
        else:  # pragma: no cover
            raise ValueError(act)
        Os[n] = O
        vals[n] = O

    group = [n for n in net["order"] if net["neurons"][n]["activation"] == "softmax"]
    if group:
        # shift by the (constant) max for numerical hygiene; softmax is shift-invariant
        shift = max(ops.data(zs[n]) for n in group)
        es = {n: ops.exp(zs[n] - shift) for n in group}
        total = None
        for n in group:
            total = es[n] if total is None else total + es[n]
        for n in group:
            Os[n] = es[n] / total
            vals[n] = Os[n]

    ys = [to_mpf(v) for v in targets(net, point)]
    yh = [Os[o] for o in net["outputs"]]
    K = len(yh)
    loss_name = net["loss"]
    L = ops.const(mpf(0))
    if loss_name in ("squared_error", "half_squared_error", "mse"):
        for a, y in zip(yh, ys):
            d = a - y
            L = L + d * d
        if loss_name == "half_squared_error":
            L = L * (mpf(1) / 2)
        elif loss_name == "mse":
            L = L * (mpf(1) / K)
    elif loss_name == "mae":
        for k, (a, y) in enumerate(zip(yh, ys)):
            key = ("mae", k)
            if key not in branches:
                diff = ops.data(a) - y
                eps = _kink_eps()
                branches[key] = 1 if diff > eps else (-1 if diff < -eps else 0)
            L = L + (a - y) * branches[key]
        L = L * (mpf(1) / K)
    elif loss_name == "binary_cross_entropy":
        for a, y in zip(yh, ys):
            if y != 0:
                L = L - ops.log(a) * y
            if y != 1:
                L = L - ops.log(1 - a) * (1 - y)
    elif loss_name == "categorical_cross_entropy":
        for a, y in zip(yh, ys):
            if y != 0:
                L = L - ops.log(a) * y
    else:  # pragma: no cover
        raise ValueError(loss_name)
    return zs, Os, L


def _param_mpfs(net):
    return {p: to_mpf(v) for p, v in net["parameters"].items()}


def forward(net, point, dps=60):
    """{neuron: {"z": mpf, "O": mpf}} plus "loss": mpf, for one data point."""
    net = _as_net(net)
    with mp.workdps(dps):
        zs, Os, L = _evaluate(net, point, _param_mpfs(net), _MpfOps, {})
        out = {n: {"z": +zs[n], "O": +Os[n]} for n in net["order"]}
        out["loss"] = +L
    return out


def gradients_fd(net, point, dps=60):
    """{param: dL/dparam} by central differences at high working precision.

    Working precision P = max(2*dps, dps+40) digits, step h = 10^(-P//3)*max(1,|p|), so the
    truncation error ~h^2 and the rounding error ~10^-P/h are both far below 10^-dps
    for the small networks this is meant for.  Piecewise branches are pinned at the
    unperturbed point (see module doc)."""
    net = _as_net(net)
    P = max(2 * dps, dps + 40)
    grads = {}
    with mp.workdps(P):
        base = _param_mpfs(net)
        branches = {}
        _evaluate(net, point, base, _MpfOps, branches)
        for p in net["parameters"]:
            h = mpf(10) ** (-(P // 3)) * max(mpf(1), abs(base[p]))
            plus = dict(base)
            minus = dict(base)
            plus[p] = base[p] + h
            minus[p] = base[p] - h
            Lp = _evaluate(net, point, plus, _MpfOps, branches)[2]
            Lm = _evaluate(net, point, minus, _MpfOps, branches)[2]
            grads[p] = (Lp - Lm) / (plus[p] - minus[p])
    with mp.workdps(dps):
        return {p: +g for p, g in grads.items()}


def gradients_reverse(net, point, dps=60):
    """{param: dL/dparam} by a tiny reverse-mode autodiff over mpf Value nodes."""
    net = _as_net(net)
    with mp.workdps(dps + 10):
        pv = {p: Value(v) for p, v in _param_mpfs(net).items()}
        _, _, L = _evaluate(net, point, pv, _ValueOps, {})
        L.backward()
        grads = {p: v.grad for p, v in pv.items()}
    with mp.workdps(dps):
        return {p: +g for p, g in grads.items()}


def updated(net, grads, dps=60):
    """One gradient-descent step: {param: p - learning_rate * dL/dp} (missing grads count as 0)."""
    net = _as_net(net)
    with mp.workdps(dps):
        lr = to_mpf(net["learning_rate"])
        return {
            p: to_mpf(v) - lr * (to_mpf(grads[p]) if p in grads else mpf(0))
            for p, v in net["parameters"].items()
        }


# ----------------------------------------------------------------------------------------------
# Random networks
# ----------------------------------------------------------------------------------------------
SHAPES = ("chain", "layers", "skip", "dag", "tied", "softmax", "lecture")
_HIDDEN_ACTS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu*", "linear")
_OUT_ACTS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu*", "linear")
_LABELS = ("IQ", "Study hours", "Play hours", "Sleep hours", "Age", "Attendance",
           "Coffee cups", "Homework score")


def _dec(k, places):
    """Decimal text of the integer k / 10**places, e.g. _dec(-5, 2) == '-0.05', _dec(50, 2) == '0.5'."""
    sign = "-" if k < 0 else ""
    a = abs(k)
    ip, fp = divmod(a, 10 ** places)
    frac = f"{fp:0{places}d}".rstrip("0") or "0"
    return f"{sign}{ip}.{frac}"


def _rand_param(rng):
    if rng.random() < 0.1:
        k = rng.choice([i for i in range(-999, 1000) if i])
        return _dec(k, 3)
    k = rng.choice([i for i in range(-100, 101) if i])
    return _dec(k, 2)


def _rand_input(rng):
    r = rng.random()
    if r < 0.15:
        return str(rng.randint(0, 6))
    if r < 0.3:
        return _dec(rng.choice([i for i in range(-20, 21) if i]), 2)
    return _dec(rng.choice([i for i in range(-30, 31) if i]), 1)


def _prob_vector(rng, K):
    """K non-negative tenths summing to 1 (as text)."""
    cuts = sorted(rng.randint(0, 10) for _ in range(K - 1))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [10])]
    return [("1" if p == 10 else "0" if p == 0 else _dec(p, 1)) for p in parts]


def _structure(rng, shape):
    """Return (n_in, neurons) where neurons is a list of (kind, [source indices]) in topological
    order; kind is 'h' or 'o'; a source index i < n_in is an input, else neuron i - n_in."""
    if isinstance(shape, (list, tuple)):
        sizes, skip = list(shape), False
    elif shape == "chain":
        sizes, skip = [rng.randint(1, 3)] + [1] * rng.randint(2, 4), False
    elif shape == "lecture":
        sizes, skip = [3, 1, 1], False
    elif shape in ("layers", "tied"):
        choices = [[3, 2, 1], [2, 3, 2], [2, 2, 1], [2, 2, 2, 1], [3, 3, 2], [1, 2, 1],
                   [2, 2], [3, 1], [2, 3, 3], [1, 1]]
        if shape == "tied":
            choices = choices[:-1]  # a tie needs two edges
        sizes = rng.choice(choices)
        skip = shape == "tied" and rng.random() < 0.3
    elif shape == "skip":
        sizes, skip = rng.choice([[2, 2, 1], [3, 2, 1], [2, 3, 2], [2, 2, 2, 1], [1, 2, 2, 1],
                                  [2, 1, 1]]), True
    elif shape == "softmax":
        sizes = rng.choice([[2, 2], [3, 2], [2, 3, 2], [2, 3], [3, 3, 3], [2, 2, 3], [1, 2, 2]])
        skip = len(sizes) > 2 and rng.random() < 0.4
    elif shape == "dag":
        return _random_dag(rng)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose from {SHAPES} or a list of sizes")
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"bad layer sizes {sizes}")
    n_in = sizes[0]
    layers = [list(range(n_in))]
    neurons = []
    for li, size in enumerate(sizes[1:], start=1):
        kind = "o" if li == len(sizes) - 1 else "h"
        layer = []
        for _ in range(size):
            srcs = list(layers[li - 1])
            if skip and li >= 2:
                earlier = [i for L in layers[: li - 1] for i in L]
                extra = [i for i in earlier if rng.random() < 0.35]
                srcs += extra
            neurons.append((kind, srcs))
            layer.append(n_in + len(neurons) - 1)
        layers.append(layer)
    if skip and len(sizes) >= 3 and not any(
        any(s not in layers[li - 1] for s in neurons[j - n_in][1])
        for li in range(2, len(layers)) for j in layers[li]
    ):
        # make sure there is at least one skip edge
        j = layers[-1][0]
        neurons[j - n_in][1].append(rng.choice(layers[-3]))
    return n_in, neurons


def _random_dag(rng):
    n_in = rng.randint(1, 3)
    n_h = rng.randint(1, 4)
    n_o = rng.randint(1, 2)
    neurons = []
    for i in range(n_h):
        pool = list(range(n_in + i))
        srcs = [s for s in pool if rng.random() < 0.5] or [rng.choice(pool)]
        neurons.append(("h", srcs))
    pool = list(range(n_in + n_h))
    for _ in range(n_o):
        srcs = [s for s in pool if rng.random() < 0.5] or [rng.choice(pool)]
        neurons.append(("o", srcs))
    # every input and hidden neuron must feed something later
    for node in range(n_in + n_h):
        if not any(node in s for _, s in neurons):
            first = max(0, node - n_in + 1)
            j = rng.randrange(first, len(neurons))
            neurons[j][1].append(node)
    return n_in, neurons


def _generate(rng, shape):
    if shape is None:
        shape = rng.choice(SHAPES)
    n_in, struct = _structure(rng, shape)
    n_out = sum(1 for k, _ in struct if k == "o")
    n_h = len(struct) - n_out

    # names
    in_names = [f"x{i + 1}" for i in range(n_in)]
    if rng.random() < 0.35:  # lecture style: every neuron is O1, O2, ...
        n_names = [f"O{i + 1}" for i in range(len(struct))]
    else:
        n_names = [f"h{i + 1}" for i in range(n_h)] + [f"O{i + 1}" for i in range(n_out)]
    names = in_names + n_names

    # output activation and loss
    softmax = n_out >= 2 and (shape == "softmax" or rng.random() < 0.2)
    if softmax:
        loss = rng.choice(["categorical_cross_entropy"] * 4 +
                          ["squared_error", "half_squared_error", "mse", "mae"])
    else:
        loss = rng.choice(["squared_error", "half_squared_error", "mse", "mae",
                           "binary_cross_entropy"])
        if shape == "lecture":
            loss = rng.choice(["squared_error", "squared_error", "binary_cross_entropy",
                               "half_squared_error"])

    def act_text(kind):
        if kind == "o":
            if softmax:
                return "softmax"
            if loss == "binary_cross_entropy" or shape == "lecture":
                return "sigmoid"
            a = rng.choice(_OUT_ACTS)
        else:
            a = "sigmoid" if shape == "lecture" else rng.choice(_HIDDEN_ACTS)
        if a == "leaky_relu*":
            r = rng.random()
            if r < 0.75:
                return "{name: leaky_relu, slope: %s}" % rng.choice(["0.1", "0.2", "0.05", "0.3", "0.5"])
            return "{name: leaky_relu}"
        return a

    # edges and biases, with parameter references assigned afterwards
    edges = []  # (neuron index, source index)
    for j, (_, srcs) in enumerate(struct):
        for s in dict.fromkeys(srcs):
            edges.append((j, s))
    edge_ref = {}
    named_edges = []
    for e in edges:
        if rng.random() < 0.12 and shape != "lecture":
            edge_ref[e] = ("fixed", _rand_param(rng))
        else:
            edge_ref[e] = ("named", None)
            named_edges.append(e)
    want_tie = shape == "tied" or rng.random() < 0.2
    for e in edges:  # at least one trained weight; two when a tie is wanted
        if len(named_edges) >= (2 if want_tie else 1):
            break
        if edge_ref[e][0] != "named":
            edge_ref[e] = ("named", None)
            named_edges.append(e)
    named_edges.sort(key=edges.index)
    # ties: the later edge uses the earlier edge's parameter
    tie_to = {}
    if want_tie and len(named_edges) >= 2:
        a, b = rng.sample(named_edges, 2)
        a, b = sorted((a, b), key=edges.index)
        tie_to[b] = a
        if len(named_edges) >= 4 and rng.random() < 0.3:
            c = rng.choice([e for e in named_edges if e not in (a, b)])
            if edges.index(c) > edges.index(a):
                tie_to[c] = a
    bias_ref = {}
    for j in range(len(struct)):
        r = rng.random()
        if shape == "lecture":
            bias_ref[j] = ("named", None)
        elif r < 0.2:
            bias_ref[j] = ("absent", None)
        elif r < 0.35:
            bias_ref[j] = ("fixed", _rand_param(rng))
        else:
            bias_ref[j] = ("named", None)
    bias_tie = {}
    named_b = [j for j in bias_ref if bias_ref[j][0] == "named"]
    if len(named_b) >= 2 and rng.random() < 0.12:
        a, b = sorted(rng.sample(named_b, 2))
        bias_tie[b] = a

    params = {}  # name -> value text (insertion order = numbering order)
    wname, bname = {}, {}
    wcount = bcount = 0
    for e in edges:
        if edge_ref[e][0] != "named":
            continue
        if e in tie_to:
            wname[e] = wname[tie_to[e]]
            continue
        wcount += 1
        wname[e] = f"w{wcount}"
        params[wname[e]] = _rand_param(rng)
    for j in range(len(struct)):
        if bias_ref[j][0] != "named":
            continue
        if j in bias_tie:
            bname[j] = bname[bias_tie[j]]
            continue
        bcount += 1
        bname[j] = f"b{bcount}"
        params[bname[j]] = _rand_param(rng)
    params = dict(sorted(params.items(), key=lambda kv: (kv[0][0] != "w", int(kv[0][1:]))))

    acts = [act_text(kind) for kind, _ in struct]

    # neuron lines
    lines = []
    for j, (kind, srcs) in enumerate(struct):
        parts = []
        for s in dict.fromkeys(srcs):
            e = (j, s)
            ref = wname[e] if edge_ref[e][0] == "named" else edge_ref[e][1]
            parts.append(f"{names[s]}: {ref}")
        fields = ["from: {" + ", ".join(parts) + "}"]
        kindb, val = bias_ref[j]
        if kindb == "named":
            fields.append(f"bias: {bname[j]}")
        elif kindb == "fixed":
            fields.append(f"bias: {val}")
        fields.append(f"activation: {acts[j]}")
        lines.append(f"  {n_names[j]}: {{" + ", ".join(fields) + "}")
    if rng.random() < 0.3:
        rng.shuffle(lines)  # neurons may be listed in any order

    out_idx = [j for j, (k, _) in enumerate(struct) if k == "o"]
    out_names = [n_names[j] for j in out_idx]

    def target(act):
        if act == "sigmoid":
            return rng.choice(["0", "1", "1", _dec(rng.randint(1, 9), 1)])
        if act == "tanh":
            return rng.choice(["0", "1", "-1", _dec(rng.choice([i for i in range(-9, 10) if i]), 1)])
        return rng.choice(["0", "1", _dec(rng.choice([i for i in range(-10, 21) if i]), 1)])

    # data
    data_lines = []
    for _ in range(rng.randint(1, 3)):
        vals = [f"{x}: {_rand_input(rng)}" for x in in_names]
        if softmax:
            if rng.random() < 0.5:
                hot = rng.randrange(n_out)
                ys = ["1" if k == hot else "0" for k in range(n_out)]
            else:
                ys = _prob_vector(rng, n_out)
        else:
            ys = [target(acts[j]) for j in out_idx]
        ytxt = ys[0] if (n_out == 1 and rng.random() < 0.8) else "[" + ", ".join(ys) + "]"
        data_lines.append("  - {" + ", ".join(vals + [f"y: {ytxt}"]) + "}")

    labels = list(_LABELS)
    rng.shuffle(labels)
    text = "\n".join(
        [
            f"title: Random {shape if isinstance(shape, str) else 'layered'} network",
            "inputs: {" + ", ".join(f"{x}: {labels[i % len(labels)]}" for i, x in enumerate(in_names)) + "}",
            "neurons:",
            *lines,
            "outputs: [" + ", ".join(out_names) + "]",
            "parameters: {" + ", ".join(f"{k}: {v}" for k, v in params.items()) + "}",
            f"loss: {loss}",
            f"learning_rate: {rng.choice(['0.1', '0.5', '0.01', '1', '0.05', '0.2'])}",
            "data:",
            *data_lines,
        ]
    )
    return text + "\n"


def _acceptable(net):
    """Reject networks whose data points sit near kinks or in numerically awkward regions."""
    margin = mpf("0.01")
    for pt in net["data"]:
        fw = forward(net, pt, dps=30)
        for n in net["order"]:
            spec = net["neurons"][n]
            z = fw[n]["z"]
            if abs(z) > 12:
                return False
            if spec["activation"] in ("relu", "leaky_relu") and abs(z) < margin:
                return False
        ys = targets(net, pt)
        for o, y in zip(net["outputs"], ys):
            yh = fw[o]["O"]
            if net["loss"] == "mae" and abs(yh - to_mpf(y)) < margin:
                return False
            if net["loss"] in ("binary_cross_entropy", "categorical_cross_entropy"):
                if not (mpf("1e-4") < yh < 1 - mpf("1e-4")):
                    return False
    # at least one parameter must matter for the first point
    g = gradients_reverse(net, net["data"][0], dps=20)
    return any(abs(v) > mpf("1e-12") for v in g.values())


def random_network(rng: random.Random, shape=None) -> str:
    """YAML text of a random valid network in the explicit form.

    ``shape``: None (random), one of ``SHAPES`` = ('chain', 'layers', 'skip', 'dag', 'tied',
    'softmax', 'lecture'), or a list of layer sizes like [3, 2, 1] (inputs first, fully
    connected).  Guarantees: every input and neuron is used; softmax only on a group of >= 2
    outputs (the loss is then usually categorical_cross_entropy, else a regression loss);
    binary_cross_entropy only with sigmoid outputs; relu/leaky_relu pre-activations and mae
    residuals stay >= 0.01 away from their kinks on every data point; |z| <= 12; at least one
    gradient is non-zero for the first data point.
    """
    for _ in range(1000):
        text = _generate(rng, shape)
        if _acceptable(load(text)):
            return text
    raise RuntimeError("could not generate an acceptable network")  # pragma: no cover
