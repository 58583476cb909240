"""One student's numbers: drawn from the exercise's ranges with a generator seeded by (seed, student id)
alone, so adding a student changes nobody else's sheet; degenerate draws are drawn again."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath

from derive.check.formulas import chain, paths
from derive.check.names import L_NODE, Quantity
from derive.check.truth import State, state, value
from derive.errors import DeriveError
from derive.exercise.spec import Exercise, Question
from derive.numbers import Carry, json_decimal, show
from derive.spec.expand import expand_text
from derive.spec.loader import load
from derive.spec.model import DataPoint, Network

KEY_DIGITS = 6  # significant digits of a key's numbers: derive check judges to the digits written
SATURATING = ("sigmoid", "tanh")


@dataclass(frozen=True)
class Draw:
    """A student's network (as their network.yaml says it), the numbers drawn for it, how many draws
    it took, and the expected answer to each question (by question label)."""

    student: str
    network: Network
    text: str
    drawn: dict[str, Fraction]
    tries: int
    answers: dict[str, str]
    exact: frozenset[str] = frozenset()  # the labels whose answer is the exact value (no ≈ in the key)
    full: tuple[tuple[str, str], ...] = ()  # (label, value to JSON_DIGITS digits) of each number asked


def student_seed(seed: int, student: str) -> int:
    """A 64-bit seed from (seed, id) only: a stable hash, unlike Python's own hash() of a string."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{student}".encode()).digest()[:8], "big")


def draw_student(ex: Exercise, seed: int, student: str) -> Draw:
    """The first acceptable draw for `student`; a DeriveError naming them when none is found."""
    rng = random.Random(student_seed(seed, student))
    reason: str | None = ""
    for tries in range(1, ex.avoid.tries + 1):
        net, drawn = variant(ex, rng)
        reason = degenerate(ex, net)
        if reason is None:
            return _accepted(ex, student, net, drawn, tries)
    raise DeriveError(
        f"student {student}: no acceptable numbers in {ex.avoid.tries} draws from the ranges of "
        f"{ex.source} (the last draw: {reason}); widen the ranges or relax `avoid`"
    )


def variant(ex: Exercise, rng: random.Random) -> tuple[Network, dict[str, Fraction]]:
    """The network with freshly drawn parameters, inputs and targets (always drawn in this order, so a
    seed gives the same numbers whatever else the exercise asks)."""
    net = ex.network
    base = net.data[0]
    params = {p: spec.draw(rng) for p, spec in ex.parameters.items()}
    inputs = {x: spec.draw(rng) for x, spec in ex.inputs.items()}
    targets = {i: spec.draw(rng) for i, spec in ex.targets.items()}
    point = DataPoint({**base.inputs, **inputs}, tuple(targets.get(i, t) for i, t in enumerate(base.targets)))
    # The key tells one story of numbers: every value at full precision, shown to KEY_DIGITS digits,
    # whatever hand-calculation carry the lecture's network file has (the sheet's policy decides
    # how many digits an answer needs, not the lecture's truncation to 3 decimals).
    student_net = dataclasses.replace(
        net, parameters={**net.parameters, **params}, data=(point,), carry=Carry(), show=KEY_DIGITS
    )
    drawn = {**params, **inputs, **{_target_name(net, i): t for i, t in targets.items()}}
    return student_net, drawn


def _target_name(net: Network, index: int) -> str:
    return "y" if len(net.outputs) == 1 else f"y({net.outputs[index]})"


def degenerate(ex: Exercise, net: Network) -> str | None:
    """Why a draw makes a poor exercise (a saturated activation, a vanishing asked gradient, a loss of
    about 0, no value at all), or None when it is fine."""
    try:
        s = state(net, net.data[0], "the data point")
    except DeriveError as exc:
        return f"no value: {exc}"
    a = ex.avoid
    for n in net.neurons:
        z = s.fwd.neurons[n.name].z
        if n.activation.name in SATURATING and abs(z.mp) > _mp(a.saturated):
            return f"z({n.name}) = {show(z, 4)[0]} saturates the {n.activation.name} (|z| > {a.saturated})"
    if s.fwd.loss.mp < _mp(a.min_loss):
        return f"the loss {show(s.fwd.loss, 4)[0]} is below {a.min_loss}"
    for q in _gradients(ex.questions):
        g = value(net, s, q)
        if abs(g.mp) < _mp(a.min_gradient):
            return f"{q.key} = {show(g, 4)[0]} is below {a.min_gradient} in size"
    return None


def _gradients(questions: tuple[Question, ...]) -> list[Quantity]:
    """The derivatives the questions ask for; an update new(w) asks for dL/dw as well."""
    found = []
    for q in questions:
        if q.quantity.kind == "d":
            found.append(q.quantity)
        elif q.quantity.kind == "new":
            found.append(Quantity("d", top=L_NODE, bottom=("p", q.quantity.name)))
    return list(dict.fromkeys(found))


def _accepted(ex: Exercise, student: str, net: Network, drawn: dict, tries: int) -> Draw:
    """The draw as the student's explicit network file, read back: the key comes from that file, so it
    is exactly what the marking will compare with."""
    text = expand_text(net)
    mine = load(text, "network.yaml")
    if mine.parameters != net.parameters or mine.data != net.data:
        raise AssertionError(f"student {student}: network.yaml does not reproduce the drawn numbers")
    s = state(mine, mine.data[0], "the data point")
    exact = frozenset(q.label for q in ex.questions if not q.chain and show(value(mine, s, q.quantity), KEY_DIGITS)[1])
    full = tuple((q.label, json_decimal(value(mine, s, q.quantity))) for q in ex.questions if not q.chain)
    return Draw(student, mine, text, drawn, tries, key_answers(mine, s, ex.questions), exact, full)


def key_answers(net: Network, s: State, questions: tuple[Question, ...]) -> dict[str, str]:
    """The expected answer to each question: a number to KEY_DIGITS digits, or the sum of chain-rule
    products for a `chain` question."""
    found = {}
    for q in questions:
        if q.chain:
            found[q.label] = " + ".join(chain(p) for p in paths(net, q.quantity.bottom))
        else:
            found[q.label] = show(value(net, s, q.quantity), KEY_DIGITS)[0]
    return found


def filled_answer(ex: Exercise, answers: dict[str, str], key: str) -> str | None:
    """The answers-file line for `key` written from the expected answers: `structure = value` when
    both are asked (the value last, so follow-through uses it)."""
    asked = [q for q in ex.questions if q.key == key]
    chain_part = next((answers[q.label] for q in asked if q.chain), None)
    value_part = next((answers[q.label] for q in asked if not q.chain), None)
    parts = [p for p in (chain_part, value_part) if p is not None]
    return " = ".join(parts) if parts else None


def _mp(x: Fraction) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator
