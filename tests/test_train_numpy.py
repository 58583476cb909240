"""Training, step by step, against an independent float64 implementation (tests/train_reference.py):
every optimizer, batch sizes 1, 2 and the whole data set, both reductions, several networks and
losses, over at least six steps: the weights after each step, the batch's loss and its gradient's
size agree to about 1e-10 relative. Where PyTorch is installed, its torch.optim agrees too."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from derive import load_network
from derive.spec.model import OPTIMIZERS
from derive.train.run import run, settings_for
from tests.train_reference import Reference
from tests.train_reference import train as reference_train

HIDDEN = """
title: two inputs, two hidden sigmoids, one output
inputs: {x1: a, x2: b}
neurons:
  O11: {from: {x1: w1, x2: w2}, bias: b1, activation: sigmoid}
  O12: {from: {x1: w3, x2: w4}, bias: b2, activation: tanh}
  O21: {from: {O11: w5, O12: w6, x1: w7}, bias: b3, activation: sigmoid}
outputs: [O21]
parameters: {w1: 0.15, w2: -0.2, w3: 0.25, w4: 0.3, w5: 0.4, w6: -0.45, w7: 0.1, b1: 0.35, b2: -0.1, b3: 0.6}
loss: binary_cross_entropy
learning_rate: 0.5
data:
  - {x1: 0.05, x2: 0.1, y: 1}
  - {x1: 1.5, x2: -0.5, y: 0}
  - {x1: -0.7, x2: 0.9, y: 1}
"""

SOFTMAX = """
title: softmax
inputs: {x1: a, x2: b}
neurons:
  H1: {from: {x1: w1, x2: w2}, bias: b1, activation: relu}
  H2: {from: {x1: w3, x2: w4}, bias: b2, activation: tanh}
  P1: {from: {H1: w5, H2: w6}, bias: b3, activation: softmax}
  P2: {from: {H1: w7, H2: w8}, bias: b4, activation: softmax}
  P3: {from: {H1: w9, H2: w10}, activation: softmax}
outputs: [P1, P2, P3]
parameters: {w1: 0.5, w2: -0.3, w3: 0.2, w4: 0.4, w5: 0.6, w6: -0.2, w7: -0.4, w8: 0.5, w9: 0.1, w10: 0.3,
             b1: 0.2, b2: 0.1, b3: 0, b4: 0.05}
loss: categorical_cross_entropy
learning_rate: 0.3
data:
  - {x1: 1, x2: 0.5, y: [1, 0, 0]}
  - {x1: -1, x2: 0.5, y: [0, 1, 0]}
  - {x1: 0, x2: -1, y: [0, 0, 1]}
  - {x1: 0.5, x2: 0.5, y: [1, 0, 0]}
"""

REGRESSION = """
title: a line
inputs: {x1: a}
neurons:
  O1: {from: {x1: w1}, bias: b1, activation: linear}
parameters: {w1: 0.2, b1: -0.1}
loss: LOSS
learning_rate: 0.05
freeze: FROZEN
data:
  - {x1: -1, y: -1}
  - {x1: -0.5, y: 0.5}
  - {x1: 0.5, y: 1.5}
  - {x1: 1, y: 3}
  - {x1: 2, y: 4.5}
"""

HYPER = {"beta": 0.9, "rho": 0.9, "epsilon": 1e-8, "beta1": 0.9, "beta2": 0.999}


def _compare(text: str, optimizer: str, batch, reduction: str, epochs: int, eta=None, min_steps: int = 6):
    net = load_network(text=text)
    s = settings_for(net, optimizer=optimizer, learning_rate=Fraction(eta) if eta else None, epochs=epochs,
                     batch_size=batch, reduction=reduction)
    mine = run(net, s, keep=lambda n: False)
    theirs = reference_train(Reference(text), optimizer, HYPER, batch, reduction, epochs,
                             float(eta) if eta else None)
    assert len(mine.steps) == len(theirs) >= min_steps
    for step, ref in zip(mine.steps, theirs):
        _close(step.loss, ref["loss"], f"loss at step {step.number}")
        _close(step.norm, ref["norm"], f"gradient norm at step {step.number}")
        for p, value in zip(net.parameters, ref["params"]):
            _close(step.after[p], value, f"{p} after step {step.number}")
    return mine


def _close(num, value: float, what: str, rel: float = 1e-10) -> None:
    got = float(num.mp)
    assert abs(got - value) <= rel * max(abs(value), 1e-3), f"{what}: derive {got!r}, reference {value!r}"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("batch,epochs", [(1, 2), (2, 3), (None, 6)], ids=["batch1", "batch2", "full"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_optimizer_batch_and_reduction(optimizer, batch, epochs, reduction):
    """3 points: batch 2 leaves a last batch of 1, so uneven batches are covered too."""
    _compare(HIDDEN, optimizer, batch, reduction, epochs)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch", [1, 2, None], ids=["batch1", "batch2", "full"])
def test_softmax_cross_entropy_with_relu_and_tanh(optimizer, batch):
    _compare(SOFTMAX, optimizer, batch, "mean", 3 if batch else 6)


@pytest.mark.parametrize("loss", ["mse", "mae", "half_squared_error"])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "rmsprop"])
def test_regression_losses(loss, optimizer):
    _compare(REGRESSION.replace("LOSS", loss).replace("FROZEN", "[]"), optimizer, 2, "sum", 3, min_steps=9)


def test_frozen_parameter_never_moves_and_is_left_out_of_the_norm():
    r = _compare(REGRESSION.replace("LOSS", "mse").replace("FROZEN", "[b1]"), "adam", 1, "mean", 2)
    assert all(s.after["b1"].exact == Fraction(-1, 10) for s in r.steps)
    assert all("b1" not in s.records for s in r.steps)


def test_many_steps_stay_in_agreement():
    """Errors must not build up: 60 steps of Adam on the hidden network."""
    _compare(HIDDEN, "adam", 1, "mean", 20, min_steps=60)


def test_gradients_of_a_batch_are_taken_at_the_old_weights():
    """Full batch: the batch gradient is the mean of each point's gradient at the SAME weights."""
    net = load_network(text=HIDDEN)
    r = run(net, settings_for(net, batch_size=None, epochs=1), keep=lambda n: True)
    ref = Reference(HIDDEN)
    grads = [ref.point(ref.start, i)[1] for i in range(3)]
    for k, p in enumerate(net.parameters):
        _close(r.steps[0].grads[p], float(np.mean([g[k] for g in grads])), p)


def test_sgd_on_a_linear_network_stays_exact():
    """The first step is exact; after it the state is carried at working precision (it would grow)."""
    net = load_network(text=REGRESSION.replace("LOSS", "mse").replace("FROZEN", "[]"))
    r = run(net, settings_for(net, optimizer="sgd", epochs=3, batch_size=2))
    assert all(v.exact is not None for v in r.steps[0].after.values())
    assert all(v.exact is None for s in r.steps[1:] for v in s.after.values())
    # step 1 by hand: points 1, 2 at w1 = 0.2, b1 = -0.1; mse (K = 1) gives dL/dyhat = 2(yhat - y)
    g_w = Fraction(1, 2) * (2 * (Fraction(-3, 10) + 1) * -1 + 2 * (Fraction(-2, 10) - Fraction(1, 2)) * Fraction(-1, 2))
    assert r.steps[0].grads["w1"].exact == g_w
    assert r.steps[0].after["w1"].exact == Fraction(1, 5) - Fraction(1, 20) * g_w


def test_adam_first_step_moves_by_eta():
    """Bias correction: m̂1 = g, v̂1 = g², so the first step is η·g/(|g| + ε), exactly."""
    net = load_network(text=HIDDEN)
    r = run(net, settings_for(net, optimizer="adam", epochs=1))
    eps = OPTIMIZERS["adam"]["epsilon"]
    with mpmath.workdps(60):
        for p, rec in r.steps[0].records.items():
            g = rec["g"].mp
            old = net.parameters[p]
            want = mpmath.mpf(old.numerator) / old.denominator
            want -= mpmath.mpf(1) / 2 * g / (abs(g) + mpmath.mpf(eps.numerator) / eps.denominator)
            assert abs(r.steps[0].after[p].mp - want) < mpmath.mpf(10) ** -40


def test_pytorch_agrees_where_installed():
    torch = pytest.importorskip("torch")
    ref = Reference(HIDDEN)
    net = load_network(text=HIDDEN)
    for name, make in [("sgd", lambda ps: torch.optim.SGD(ps, lr=0.5)),
                       ("momentum", lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9)),
                       ("nesterov", lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9, nesterov=True)),
                       ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=0.5, alpha=0.9, eps=1e-8)),
                       ("adam", lambda ps: torch.optim.Adam(ps, lr=0.5, betas=(0.9, 0.999), eps=1e-8))]:
        theta = torch.tensor(ref.start, dtype=torch.float64, requires_grad=True)
        opt = make([theta])
        mine = run(net, settings_for(net, optimizer=name, epochs=2), keep=lambda n: False)
        for step in mine.steps:
            opt.zero_grad()
            i = step.batch[0]
            _, g = ref.point(theta.detach().numpy(), i)  # the gradient, from the reference's autodiff
            theta.grad = torch.tensor(g, dtype=torch.float64)
            opt.step()
            for k, p in enumerate(net.parameters):
                _close(step.after[p], float(theta[k]), f"torch {name} {p} step {step.number}")
