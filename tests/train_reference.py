"""An independent float64 implementation of training, for the tests: the network file read with
yaml.safe_load, gradients by a tiny reverse-mode automatic differentiation over scalars (no δ
recursion, no code from derive), and the optimizers written from PyTorch's documentation.

Only the explicit form is read (the test networks are written that way)."""
from __future__ import annotations

import math

import numpy as np
import yaml


class Var:
    """A scalar that records how it was made, so `backward` can apply the chain rule edge by edge."""

    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = float(value), parents, 0.0

    def __add__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.value + o.value, ((self, 1.0), (o, 1.0)))

    __radd__ = __add__

    def __mul__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return Var(self.value * o.value, ((self, o.value), (o, self.value)))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-o if isinstance(o, Var) else Var(-o))

    def __rsub__(self, o):
        return Var(o) - self

    def __truediv__(self, o):
        o = o if isinstance(o, Var) else Var(o)
        return self * o.inv()

    def inv(self):
        return Var(1.0 / self.value, ((self, -1.0 / self.value ** 2),))

    def exp(self):
        e = math.exp(self.value)
        return Var(e, ((self, e),))

    def log(self):
        return Var(math.log(self.value), ((self, 1.0 / self.value),))

    def tanh(self):
        t = math.tanh(self.value)
        return Var(t, ((self, 1.0 - t * t),))

    def relu(self):
        return Var(max(self.value, 0.0), ((self, 1.0 if self.value > 0 else 0.0),))

    def abs(self):
        sign = (self.value > 0) - (self.value < 0)
        return Var(abs(self.value), ((self, float(sign)),))


def backward(out: Var) -> None:
    order, seen = [], set()

    def visit(v):
        if id(v) in seen:
            return
        seen.add(id(v))
        for p, _ in v.parents:
            visit(p)
        order.append(v)
    visit(out)
    out.grad = 1.0
    for v in reversed(order):
        for p, local in v.parents:
            p.grad += v.grad * local


def activate(name: str, z: Var) -> Var:
    if name == "sigmoid":
        return Var(1.0) / (Var(1.0) + (-z).exp())
    if name == "tanh":
        return z.tanh()
    if name == "relu":
        return z.relu()
    if name == "linear":
        return z
    raise ValueError(name)


def loss_of(name: str, yhat: list[Var], y: list[float]) -> Var:
    k = len(yhat)
    if name in ("squared_error", "half_squared_error", "mse"):
        total = sum(((Var(t) - p) * (Var(t) - p) for p, t in zip(yhat, y)), Var(0.0))
        return total * {"squared_error": 1.0, "half_squared_error": 0.5, "mse": 1.0 / k}[name]
    if name == "mae":
        return sum(((Var(t) - p).abs() for p, t in zip(yhat, y)), Var(0.0)) * (1.0 / k)
    if name == "binary_cross_entropy":
        return -sum((t * p.log() + (1 - t) * (1 - p).log() for p, t in zip(yhat, y)), Var(0.0))
    if name == "categorical_cross_entropy":
        return -sum((t * p.log() for p, t in zip(yhat, y) if t), Var(0.0))
    raise ValueError(name)


class Reference:
    def __init__(self, text: str):
        raw = yaml.safe_load(text)
        self.inputs = list(raw["inputs"])
        self.neurons = raw["neurons"]
        self.outputs = raw.get("outputs") or [n for n in self.neurons
                                               if not any(n in s["from"] for s in self.neurons.values())]
        self.names = list(raw["parameters"])
        self.start = np.array([float(raw["parameters"][p]) for p in self.names])
        self.loss = raw.get("loss", "squared_error")
        self.eta = float(raw.get("learning_rate", 0.1))
        self.data = [([float(d[i]) for i in self.inputs], [float(v) for v in np.atleast_1d(d["y"])]) for d in raw["data"]]
        self.frozen = set(raw.get("freeze", []))

    def point(self, theta: np.ndarray, index: int) -> tuple[float, np.ndarray]:
        """(loss, gradient) of one data point at `theta`."""
        params = {p: Var(v) for p, v in zip(self.names, theta)}
        x, y = self.data[index]
        values = dict(zip(self.inputs, (Var(v) for v in x)))
        soft = {}
        for name, spec in self.neurons.items():  # the test networks list neurons in forward order
            z = Var(0.0)
            for src, w in spec["from"].items():
                z = z + (params[w] if isinstance(w, str) else Var(float(w))) * values[src]
            if "bias" in spec:
                z = z + (params[spec["bias"]] if isinstance(spec["bias"], str) else Var(float(spec["bias"])))
            if spec["activation"] == "softmax":
                soft[name] = z
            else:
                values[name] = activate(spec["activation"], z)
        if soft:
            top = max(z.value for z in soft.values())
            exps = {n: (z - top).exp() for n, z in soft.items()}
            total = sum(exps.values(), Var(0.0))
            values.update({n: e / total for n, e in exps.items()})
        L = loss_of(self.loss, [values[o] for o in self.outputs], y)
        backward(L)
        return L.value, np.array([params[p].grad for p in self.names])


def train(ref: Reference, optimizer: str, hyper: dict, batch: int | None, reduction: str, epochs: int,
          eta: float | None = None) -> list[dict]:
    """Every step: {"loss", "norm", "params"} after it, the optimizers as torch.optim documents them."""
    eta = ref.eta if eta is None else eta
    theta = ref.start.copy()
    mask = np.array([p not in ref.frozen for p in ref.names])
    n = len(ref.data)
    size = n if batch is None else batch
    state = {"v": np.zeros_like(theta), "m": np.zeros_like(theta), "s": np.zeros_like(theta)}
    steps, t = [], 0
    for _ in range(epochs):
        for start in range(0, n, size):
            idx = range(start, min(start + size, n))
            results = [ref.point(theta, i) for i in idx]
            scale = 1.0 / len(results) if reduction == "mean" else 1.0
            loss = scale * sum(r[0] for r in results)
            g = scale * sum(r[1] for r in results)
            t += 1
            theta = theta - np.where(mask, _step(optimizer, hyper, state, g, t, eta), 0.0)
            steps.append({"loss": loss, "norm": float(np.sqrt(np.sum(g[mask] ** 2))), "params": theta.copy()})
    return steps


def _step(name, h, state, g, t, eta) -> np.ndarray:
    if name == "sgd":
        return eta * g
    if name in ("momentum", "nesterov"):
        state["v"] = h["beta"] * state["v"] + g
        return eta * (g + h["beta"] * state["v"] if name == "nesterov" else state["v"])
    if name == "rmsprop":
        state["s"] = h["rho"] * state["s"] + (1 - h["rho"]) * g * g
        return eta * g / (np.sqrt(state["s"]) + h["epsilon"])
    if name == "adam":
        state["m"] = h["beta1"] * state["m"] + (1 - h["beta1"]) * g
        state["v"] = h["beta2"] * state["v"] + (1 - h["beta2"]) * g * g
        mhat = state["m"] / (1 - h["beta1"] ** t)
        vhat = state["v"] / (1 - h["beta2"] ** t)
        return eta * mhat / (np.sqrt(vhat) + h["epsilon"])
    raise ValueError(name)
