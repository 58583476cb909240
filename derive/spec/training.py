"""Reading the training keys of a network file (`optimizer`, `batch_size`, `batch_reduction`,
`epochs`) in the loader's style: every problem reported with its place and a hint, none fatal alone."""

from __future__ import annotations

import re
from fractions import Fraction

import yaml

from derive import defaults
from derive.spec.model import OPTIMIZERS, Training, read_number
from derive.spec.source import Collector, close_match, suggest

WHOLE = re.compile(r"\+?[0-9]{1,7}", re.ASCII)
MAX_EPOCHS = defaults.MAX_EPOCHS  # a worked example needs tens; this only stops a typo from running for hours
MAX_BATCH = 1_000_000
REDUCTIONS = ("mean", "sum")
OPTIMIZER_HINT = "e.g. `optimizer: adam` or `optimizer: {name: momentum, beta: 0.9}`"
# Decay rates average over past steps, so they lie in [0, 1); epsilon only keeps a division away from 0.
RATES = {"beta", "beta1", "beta2", "rho"}


def read_training(c: Collector, top) -> Training:
    """The Training a file asks for; defaults for every key it leaves out."""
    name, given = "sgd", set()
    hyper: dict[str, Fraction] = {}
    if "optimizer" in top:
        name, hyper = _optimizer(c, top["optimizer"][1])
        given.add("optimizer")
    batch = _batch_size(c, top["batch_size"][1]) if "batch_size" in top else 1
    reduction = _reduction(c, top["batch_reduction"][1]) if "batch_reduction" in top else "mean"
    epochs = _whole(c, top["epochs"][1], "$.epochs", "epochs", MAX_EPOCHS) if "epochs" in top else 1
    given.update(k for k in ("batch_size", "batch_reduction", "epochs") if k in top)
    given.update(hyper)
    return Training(
        optimizer=name,
        hyper=tuple(sorted(hyper.items())),
        batch_size=batch,
        batch_reduction=reduction,
        epochs=epochs or 1,
        given=frozenset(given),
    )


def _optimizer(c: Collector, node) -> tuple[str, dict[str, Fraction]]:
    if not isinstance(node, yaml.MappingNode):
        return _optimizer_name(c, node, "$.optimizer"), {}
    items = c.mapping(node, "$.optimizer", "optimizer", OPTIMIZER_HINT) or []
    fields = {k: (kn, vn) for k, kn, vn in items}
    if "name" not in fields:
        c.missing(node, "$.optimizer.name", "the optimizer mapping needs a `name`", OPTIMIZER_HINT)
        return "sgd", {}
    name = _optimizer_name(c, fields["name"][1], "$.optimizer.name")
    allowed = set(OPTIMIZERS.get(name, {}))
    every = {k for values in OPTIMIZERS.values() for k in values}
    hyper = {}
    for key, (knode, vnode) in fields.items():
        path = f"$.optimizer.{key}"
        if key == "name":
            continue
        if key not in every:
            c.error(knode, path, f"unknown key `{key}` in optimizer", suggest(key, every | {"name"}))
        elif name in OPTIMIZERS and key not in allowed:
            owners = ", ".join(n for n, v in OPTIMIZERS.items() if key in v)
            keep = ", ".join(sorted(allowed)) or "no hyper-parameters"
            c.error(knode, path, f"`{key}` belongs to {owners}, not {name}", f"{name} takes {keep}; remove `{key}`")
        else:
            value = _hyper_value(c, vnode, path, key)
            if value is not None:
                hyper[key] = value
    return name, hyper


def _optimizer_name(c: Collector, node, path: str) -> str:
    text = c.scalar(node, path, "optimizer name")
    if text is None:
        return "sgd"
    if text not in OPTIMIZERS:
        c.error(
            node,
            path,
            f"unknown optimizer `{text}`",
            suggest(text, OPTIMIZERS) + " (allowed: " + ", ".join(OPTIMIZERS) + ")",
        )
    return text


def _hyper_value(c: Collector, node, path: str, key: str) -> Fraction | None:
    value = read_number(c, node, path, key)
    if value is None:
        return None
    if key in RATES and not 0 <= value < 1:
        c.error(
            node,
            path,
            f"{key} must be at least 0 and below 1 (it is a decay rate)",
            "the usual value is " + ("0.999" if key == "beta2" else "0.9"),
        )
        return None
    if key == "epsilon" and not 0 < value <= 1:
        c.error(
            node,
            path,
            "epsilon must be above 0 (and at most 1): it only keeps the division away from 0",
            "the usual value is 1e-8",
        )
        return None
    return value


def _batch_size(c: Collector, node) -> int | None:
    text = c.scalar(node, "$.batch_size", "batch_size")
    if text is None:
        return 1
    if text.strip() == "full":
        return None
    if not WHOLE.fullmatch(text.strip()) or not 1 <= int(text) <= MAX_BATCH:
        c.error(
            node,
            "$.batch_size",
            f"batch_size `{text[:30]}` is not a number of data points",
            f"write a whole number from 1 (1: one data point at a time) to {MAX_BATCH:,}, "
            "or `full` (the whole data set)",
        )
        return 1
    return int(text)


def _whole(c: Collector, node, path: str, what: str, most: int) -> int | None:
    text = c.scalar(node, path, what)
    if text is None:
        return None
    if not WHOLE.fullmatch(text.strip()) or not 1 <= int(text) <= most:
        c.error(node, path, f"{what} `{text[:30]}` must be a whole number from 1 to {most:,}", f"e.g. {what}: 10")
        return None
    return int(text)


def _reduction(c: Collector, node) -> str:
    text = c.scalar(node, "$.batch_reduction", "batch_reduction")
    if text is None:
        return "mean"
    if text not in REDUCTIONS:
        close = close_match(text, REDUCTIONS)
        c.error(
            node,
            "$.batch_reduction",
            f"unknown batch_reduction `{text[:30]}`",
            (f"did you mean `{close}`? " if close else "") + "`mean` averages a batch's gradients, `sum` adds them",
        )
        return "mean"
    return text
