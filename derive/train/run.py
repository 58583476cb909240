"""Training over many data points: the forward–loss–backward cycle batch by batch, epoch after epoch,
with one of five optimizers, at full precision (exact where rational, mpmath digits otherwise).

Every gradient of a batch is taken at the weights the batch started with (the old weights); only then
does the optimizer move them. Batches are taken in the order the data are written (no shuffling), so a
run is repeatable and can be checked step by step against another implementation."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath

from derive import defaults
from derive.calculus.grad import Backward, backward, check_differentiable
from derive.calculus.graph import Forward, forward
from derive.errors import DeriveError, NotDifferentiable
from derive.numbers import WORK_DIGITS, Num
from derive.spec.model import OPTIMIZERS, Network
from derive.train import optimizers
from derive.train.optimizers import ZERO, num_sqrt

DIVERGED = 10**9  # a parameter this large means the run has blown up: stop, say so
MAX_DENOMINATOR_BITS = 400  # exact values past this are carried as 50+ digit decimals instead
MAX_STEPS = 200_000
# Evaluations of the latest epochs stay whole while a run goes on, whatever `keep_epoch` says, so the
# notes of a run stopped early (it blew up) can still show each of its last epochs: their progress
# table has at most 25 rows.
EPOCH_WINDOW = 24


@dataclass(frozen=True)
class Settings:
    """What one run uses: the file's training keys, possibly overridden on the command line."""

    optimizer: str
    hyper: dict
    batch_size: int | None  # None: the whole data set in one batch
    reduction: str  # mean | sum
    epochs: int
    eta: Fraction


def settings_for(
    net: Network,
    optimizer: str | None = None,
    learning_rate: Fraction | None = None,
    epochs: int | None = None,
    batch_size="file",
    reduction: str | None = None,
) -> Settings:
    """The network's settings with any override applied (an overridden optimizer takes its defaults)."""
    t = net.training
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise DeriveError(f"unknown optimizer `{optimizer}` (allowed: {', '.join(OPTIMIZERS)})")
    if epochs is not None and not 1 <= epochs <= defaults.MAX_EPOCHS:
        raise DeriveError(f"epochs {epochs:,} is out of range: give 1 to {defaults.MAX_EPOCHS:,}")
    hyper = t.hyper_parameters() if optimizer in (None, t.optimizer) else dict(OPTIMIZERS[optimizer])
    return Settings(
        optimizer or t.optimizer,
        hyper,
        t.batch_size if batch_size == "file" else batch_size,
        reduction or t.batch_reduction,
        epochs or t.epochs,
        net.learning_rate if learning_rate is None else learning_rate,
    )


@dataclass
class PointResult:
    index: int  # 0-based data point
    loss: Num
    grads: dict[str, Num]
    fwd: Forward | None = None  # kept only for the steps written out in full
    back: Backward | None = None
    dps: int = WORK_DIGITS  # the working digits its forward pass needed


@dataclass(slots=True)
class Step:
    """One optimizer step. A step the notes do not write out (see `run`'s `whole`) keeps only its
    number, epoch, batch, loss and gradient size; `before`, `points`, `grads`, `records` and `after`
    are then empty."""

    number: int  # 1-based, over the whole run
    epoch: int  # 1-based
    batch: list[int]
    before: dict[str, Num]
    points: list[PointResult]
    loss: Num  # the batch's loss, reduced like its gradients
    grads: dict[str, Num]
    norm: Num  # of the reduced gradient over the trainable parameters
    records: dict[str, dict] = field(default_factory=dict)  # optimizer intermediates per parameter
    after: dict[str, Num] = field(default_factory=dict)


@dataclass(slots=True)
class Evaluation:
    """The whole data set at one set of weights: loss and gradient reduced as the batches are. An
    epoch the notes do not show (see `run`'s `keep_epoch`) keeps only its loss and gradient size;
    `grads` and `params` are then empty."""

    loss: Num
    grads: dict[str, Num]
    norm: Num
    params: dict[str, Num]


@dataclass
class Run:
    net: Network
    settings: Settings
    optimizer: optimizers.Optimizer
    trainable: list[str]
    batches: list[list[int]]
    steps: list[Step] = field(default_factory=list)
    epochs: list[Evaluation] = field(default_factory=list)  # [0] before training, [e] after epoch e
    stopped: str | None = None
    checkpoints: dict[int, Evaluation] = field(default_factory=dict)  # after the steps asked for, by number
    current: dict[str, Num] = field(default_factory=dict)  # the weights after the last step taken

    @property
    def final(self) -> dict[str, Num]:
        return self.current or self.epochs[0].params


def batches_of(n: int, size: int | None) -> list[list[int]]:
    size = n if size is None else min(size, n)
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def check_trainable(net: Network) -> None:
    """Gradient training needs gradients: refuse, with the reason, where the notes cannot give them."""
    try:
        check_differentiable(net)
    except NotDifferentiable as exc:
        hint = ""
        if any(not n.activation.differentiable for n in net.neurons) and len(net.neurons) == 1:
            hint = "; a single step neuron is trained by the perceptron learning rule instead: `optimizer: perceptron`"
        raise DeriveError(f"{net.source} cannot be trained by gradient descent: {exc}{hint}") from None
    if not net.parameters:
        raise DeriveError(f"{net.source} has no parameters to train")


def run(
    net: Network,
    settings: Settings,
    keep: Callable[[int], bool] = lambda n: n == 1,
    progress: Callable[[int], None] | None = None,
    checkpoints: frozenset[int] = frozenset(),
    whole: Callable[[int], bool] | None = None,
    keep_epoch: Callable[[int], bool] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> Run:
    """Train; `keep(step)` says which steps keep their forward and backward passes for the notes;
    after each step in `checkpoints` the whole data set is evaluated too (Run.checkpoints).

    What the run holds on to, so a long run's memory is bounded by what its notes print: every step
    keeps its number, epoch, batch, loss and gradient size; `whole(step)` says which steps also keep
    their weights, gradients and optimizer records (None: every step); `keep_epoch(e)` which epochs'
    evaluations keep their weights and gradients (None: every epoch; the start and the last epoch
    always do, and so do the last EPOCH_WINDOW). `on_step(step)` sees every step whole before it is thinned (the JSON's writer)."""
    if settings.optimizer == "perceptron":
        raise DeriveError("the perceptron rule is not gradient descent; derive.train.perceptron trains it")
    check_trainable(net)
    batches = batches_of(len(net.data), settings.batch_size)
    if len(batches) * settings.epochs > MAX_STEPS:
        raise DeriveError(
            f"{len(batches) * settings.epochs:,} steps is more than derive writes notes for "
            f"({MAX_STEPS:,}); use fewer epochs or a larger batch_size"
        )
    opt = optimizers.make(settings.optimizer, settings.eta, settings.hyper)
    trainable = [p for p in net.parameters if p not in net.freeze]
    result = Run(net, settings, opt, trainable, batches)
    params = {p: Num(v) for p, v in net.parameters.items()}
    result.epochs.append(evaluate(net, params, settings.reduction, trainable))
    thin = _Thinning(whole, keep_epoch, on_step)
    with _collector_paused():
        _train(net, settings, result, params, batches, trainable, keep, progress, checkpoints, thin)
    return result


@dataclass(frozen=True)
class _Thinning:
    """Which steps and epochs a run keeps whole (None: all), and who sees each step first."""

    whole: Callable[[int], bool] | None
    keep_epoch: Callable[[int], bool] | None
    on_step: Callable[[Step], None] | None

    def step(self, s: Step) -> Step:
        if self.on_step is not None:
            self.on_step(s)
        if self.whole is None or self.whole(s.number):
            return s
        return Step(s.number, s.epoch, s.batch, {}, [], s.loss, {}, s.norm)

    def epoch(self, result: Run) -> None:
        """Thin the evaluation EPOCH_WINDOW epochs behind the one just appended, unless it is kept
        (the start always is)."""
        e = len(result.epochs) - 1 - EPOCH_WINDOW
        if self.keep_epoch is None or e < 1 or self.keep_epoch(e):
            return
        ev = result.epochs[e]
        result.epochs[e] = Evaluation(ev.loss, {}, ev.norm, {})


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while training: a step makes thousands of short-lived numbers
    and no cycles, and each collection would also walk every step kept so far (a long run spent
    40% of its time there, more the longer it ran). Restored afterwards, whatever happens."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _train(net, settings, result: Run, params, batches, trainable, keep, progress, checkpoints, thin) -> None:
    """Every epoch's batches, one step each; stops early (saying why) when the run blows up."""
    for epoch in range(1, settings.epochs + 1):
        for i, batch in enumerate(batches):
            step = _step(net, result, params, batch, epoch, keep(len(result.steps) + 1))
            params = result.current = step.after
            result.steps.append(thin.step(step))
            if progress:
                progress(1)
            if (reason := _blown_up(params)) is not None:
                result.stopped = f"step {step.number} (epoch {epoch}): {reason}"
                return
            if step.number in checkpoints and i < len(batches) - 1:  # an epoch's end is evaluated below
                result.checkpoints[step.number] = evaluate(net, params, settings.reduction, trainable)
        result.epochs.append(evaluate(net, params, settings.reduction, trainable))
        if len(result.steps) in checkpoints:
            result.checkpoints[len(result.steps)] = result.epochs[-1]
        thin.epoch(result)


def _step(net, result: Run, params, batch, epoch, keep_passes) -> Step:
    points = [_point(net, params, i, keep_passes) for i in batch]
    dps = max(WORK_DIGITS, *(pt.dps for pt in points))
    with mpmath.workdps(dps):
        loss, grads = reduce(points, result.settings.reduction, list(net.parameters))
        step = Step(len(result.steps) + 1, epoch, batch, params, points, loss, grads, norm(grads, result.trainable))
        t = step.number
        after = dict(params)
        for p in result.trainable:
            new, record = result.optimizer.update(p, params[p], grads[p], t)
            after[p], step.records[p] = settle(new, t), record
        for state in result.optimizer.state.values():
            for key, value in state.items():
                state[key] = settle(value, t)
    step.after = after
    return step


def _point(net, params, index, keep) -> PointResult:
    fwd = forward(net, net.data[index], params=params)  # weights carried at working precision stay mpfs
    back = backward(fwd)
    return PointResult(index, fwd.loss, back.gradients, fwd if keep else None, back if keep else None, fwd.dps)


def reduce(points, reduction: str, names: list[str]) -> tuple[Num, dict[str, Num]]:
    """The batch's loss and gradient: the sum over its points, divided by their number for `mean`."""
    scale = Fraction(1, len(points)) if reduction == "mean" else Fraction(1)
    loss = sum((pt.loss for pt in points), ZERO) * scale
    grads = {p: sum((pt.grads[p] for pt in points), ZERO) * scale for p in names}
    return loss, grads


def norm(grads: dict[str, Num], names: list[str]) -> Num:
    return num_sqrt(sum((grads[p] * grads[p] for p in names), ZERO))


def evaluate(net: Network, params: dict[str, Num], reduction: str, trainable: list[str]) -> Evaluation:
    """Loss and gradient over the whole data set at `params` (each point at the same weights)."""
    points = [_point(net, params, i, False) for i in range(len(net.data))]
    with mpmath.workdps(max(WORK_DIGITS, *(pt.dps for pt in points))):
        loss, grads = reduce(points, reduction, list(net.parameters))
        return Evaluation(loss, grads, norm(grads, trainable), params)


def settle(x: Num, t: int = 1) -> Num:
    """The value carried into step t + 1. The first step's results stay exact while their denominators
    stay short; from the second step on, every weight and optimizer state is carried at working
    precision (WORK_DIGITS or more), so no exact denominator grows from step to step and every step
    costs the same."""
    if x.exact is not None and (t > 1 or x.exact.denominator.bit_length() > MAX_DENOMINATOR_BITS):
        return Num(None, x.mp)
    return x


def _blown_up(params: dict[str, Num]) -> str | None:
    for p, v in params.items():
        if v.exact is None and not mpmath.isfinite(v.mp):
            return f"{p} is no longer a finite number"
        if abs(v).mp > DIVERGED:
            return f"{p} passed 1,000,000,000 in size, so the run diverges"
    return None
