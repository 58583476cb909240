"""The exercise file: which network, which numbers are drawn from which ranges, which questions are
asked, and what counts as a degenerate draw. Read like a network file: safe YAML, and every mistake
reported at once with file:line:column, key path and hint."""

from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from derive.calculus.grad import check_differentiable
from derive.check.answers import parse_key
from derive.check.names import L_NODE, Names, Quantity
from derive.check.numeric import MAX_DIGITS, Policy, policy_problem
from derive.errors import NotDifferentiable
from derive.numbers import parse_number
from derive.spec.loader import load
from derive.spec.model import Network
from derive.spec.source import Collector, compose, read_text, suggest

TOP_KEYS = {"network", "title", "instructions", "random", "questions", "avoid", "precision", "credit"}
PRECISION_KEYS = {"digits", "rel_tol"}
QUESTION_KEYS = {"question", "points", *PRECISION_KEYS}
CREDIT_KEYS = {"too_few_digits", "structure_only"}
DIGITS = 4  # the sheet asks for at least four significant digits unless the exercise says otherwise
MAX_POINTS = Fraction(1000)
SHEET_POLICY = Policy(DIGITS)
RANDOM_KEYS = {"parameters", "inputs", "targets"}
RANGE_KEYS = {"low", "high", "decimals"}
AVOID_KEYS = {"saturated", "min_gradient", "min_loss", "tries"}
MAX_DECIMALS = 6  # a hand calculation copes with a few decimals; more only adds typing
MAX_SIZE = Fraction(10) ** 6
MAX_QUESTIONS, MAX_TRIES = 100, 10_000
CHAIN = re.compile(r"chain\s+(.+)", re.S)
RANGE_HINT = "write {low: -0.5, high: 0.5, decimals: 2}, or a list of values to choose from such as [0, 1]"
QUESTION_HINT = (
    "a key of `derive check`'s answers format: z(O1), O1, L, error, dL/dw4, dL/dO2, dO2/dO1, new(w4); "
    "`chain dL/dw1` asks for the chain-rule structure; {question: dL/dw1, points: 2, digits: 3} sets its "
    "points and precision"
)
PRECISION_HINT = "e.g. precision: {digits: 4} (significant digits) or {digits: 3, rel_tol: 0.001} (0.1%)"
CREDIT_HINT = "e.g. credit: {too_few_digits: 0, structure_only: 0.5} (the share of a question's points)"


@dataclass(frozen=True)
class Range:
    """Decimals with `decimals` places from low to high, every one equally likely."""

    low: Fraction
    high: Fraction
    decimals: int

    def bounds(self) -> tuple[int, int]:
        return math.ceil(self.low * 10**self.decimals), math.floor(self.high * 10**self.decimals)

    def draw(self, rng: random.Random) -> Fraction:
        lo, hi = self.bounds()
        return Fraction(rng.randint(lo, hi), 10**self.decimals)


@dataclass(frozen=True)
class Choice:
    """One of a few values, every one equally likely."""

    values: tuple[Fraction, ...]

    def draw(self, rng: random.Random) -> Fraction:
        return self.values[rng.randrange(len(self.values))]


@dataclass(frozen=True)
class Question:
    """`label` is how the question is shown and names its column of marks; `key` is its line in the
    answers file (a value question and its `chain` question share one line: `structure = value`)."""

    label: str
    key: str
    quantity: Quantity
    chain: bool
    policy: Policy = SHEET_POLICY
    points: Fraction = Fraction(1)


@dataclass(frozen=True)
class Avoid:
    """What a degenerate draw is: a sigmoid or tanh with |z| above `saturated`, an asked gradient with
    |g| below `min_gradient`, a loss below `min_loss`; after `tries` draws the student is an error."""

    saturated: Fraction = Fraction(4)
    min_gradient: Fraction = Fraction(1, 10**4)
    min_loss: Fraction = Fraction(1, 10**3)
    tries: int = 100


@dataclass(frozen=True)
class Credit:
    """The share of a question's points for an answer that is not simply right: a value right to its
    digits but with fewer digits than asked, and a chain-rule structure that is right while the value
    on its line is wrong (or a value question answered with its right formula but a wrong number).
    Follow-through (carried forward) and truncation always earn full points."""

    too_few_digits: Fraction = Fraction(0)
    structure_only: Fraction = Fraction(0)


@dataclass(frozen=True)
class Exercise:
    """Everything `derive exercise` needs; the draws are in the network's own order."""

    source: str
    title: str
    instructions: str | None
    network_file: str
    network: Network
    parameters: dict[str, Range | Choice]
    inputs: dict[str, Range | Choice]
    targets: dict[int, Range | Choice]  # by the output's index
    questions: tuple[Question, ...]
    avoid: Avoid
    policy: Policy = SHEET_POLICY
    credit: Credit = Credit()

    def keys(self) -> list[str]:
        """The answers-file keys, once each, in the order of the questions."""
        return list(dict.fromkeys(q.key for q in self.questions))


def load_exercise(path: str) -> Exercise:
    """The exercise in `path`; a SpecError lists every problem (the network's own come from its file)."""
    root = compose(read_text(path), path)
    c = Collector(path, root)
    items = c.mapping(root, "$", "the exercise file", "start from examples/exercises/pass_fail_homework.yaml") or []
    c.raise_if_any()  # None (here []) only after a reported problem
    c.unknown_keys(items, TOP_KEYS, "$", "the exercise file")
    top = {k: v for k, _, v in items}
    net, network_file = _network(c, root, top.get("network"), path)
    title = c.scalar(top["title"], "$.title", "title") if "title" in top else None
    instructions = c.scalar(top["instructions"], "$.instructions", "instructions") if "instructions" in top else None
    avoid = _avoid(c, top["avoid"]) if "avoid" in top else Avoid()
    if net is None:
        c.raise_if_any()
    assert net is not None, "_network returns None only after reporting a problem"
    draws = _random(c, root, top.get("random"), net)
    policy = _precision(c, top["precision"], "$.precision", SHEET_POLICY) if "precision" in top else SHEET_POLICY
    credit = _credit(c, top["credit"]) if "credit" in top else Credit()
    questions = _questions(c, root, top.get("questions"), net, policy)
    c.raise_if_any()
    return Exercise(
        path,
        title or f"Exercise: {net.title}",
        instructions,
        network_file,
        net,
        *draws,
        tuple(questions),
        avoid,
        policy,
        credit,
    )


def _precision(c: Collector, node, path: str, base: Policy, items=None) -> Policy:
    """A precision policy (digits and/or rel_tol) over `base`; `items` when the mapping is read already."""
    if items is None:
        items = c.mapping(node, path, "precision", PRECISION_HINT)
        if items is None:
            return base
        c.unknown_keys(items, PRECISION_KEYS, path, "precision")
    fields = {k: v for k, _, v in items if k in PRECISION_KEYS}
    digits, tol = base.digits, base.rel_tol
    if "digits" in fields:
        given = _count(c, fields["digits"], f"{path}.digits", "digits", 0, MAX_DIGITS)
        digits = given if given is not None else digits
    if "rel_tol" in fields:
        given_tol = _number(c, fields["rel_tol"], f"{path}.rel_tol", "rel_tol", low=Fraction(0))
        if given_tol is not None and (problem := policy_problem(None, given_tol)):
            c.error(fields["rel_tol"], f"{path}.rel_tol", problem, PRECISION_HINT)
        elif given_tol is not None:
            tol = given_tol
    return Policy(digits, tol)


def _share(c: Collector, node, path: str, what: str) -> Fraction | None:
    value = _number(c, node, path, what, low=Fraction(0))
    if value is not None and value > 1:
        c.error(node, path, f"{what} `{value}` is more than the whole question", "a share from 0 to 1, such as 0.5")
        return None
    return value


def _credit(c: Collector, node) -> Credit:
    items = c.mapping(node, "$.credit", "credit", CREDIT_HINT)
    if items is None:
        return Credit()
    c.unknown_keys(items, CREDIT_KEYS, "$.credit", "credit")
    values = {k: _share(c, v, f"$.credit.{k}", k) for k, _, v in items if k in CREDIT_KEYS}
    return Credit(**{k: v for k, v in values.items() if v is not None})


def _network(c: Collector, root, node, path: str) -> tuple[Network | None, str]:
    """The network the file names, relative to the exercise file (its own problems raise at once)."""
    if node is None:
        c.missing(
            root,
            "$.network",
            "the exercise names no network",
            "add `network: ../pass_fail.yaml` (a path relative to this file)",
        )
        return None, ""
    text = c.scalar(node, "$.network", "network")
    if text is None:
        return None, ""
    target = Path(path).parent / text
    if target.is_dir():
        c.error(
            node,
            "$.network",
            f"`{text}` is a folder ({target}), not a network file",
            "name the network's .yaml file inside it, e.g. ../pass_fail.yaml (relative to the exercise file)",
        )
        return None, text
    if not target.is_file():
        c.error(
            node,
            "$.network",
            f"no network file `{text}` next to the exercise ({target} does not exist)",
            "the path is relative to the exercise file, e.g. ../pass_fail.yaml",
        )
        return None, text
    return load(read_text(str(target)), str(target)), text


def _number(c: Collector, node, path: str, what: str, low: Fraction | None = None) -> Fraction | None:
    text = c.scalar(node, path, what, bool_hint="write a number such as 0.5")
    if text is None:
        return None
    try:
        value = parse_number(text)
    except ValueError as exc:
        c.error(node, path, f"{what} `{text[:30]}` {str(exc).split(' (')[0]}", "write a decimal such as 0.01")
        return None
    if abs(value) > MAX_SIZE or (low is not None and value < low):
        bound = f"at least {low}" if low is not None and value < low else f"at most {MAX_SIZE} in size"
        c.error(node, path, f"{what} `{text[:30]}` is out of range: it must be {bound}", "")
        return None
    return value


def _count(c: Collector, node, path: str, what: str, low: int, high: int) -> int | None:
    text = c.scalar(node, path, what)
    if text is not None and (not re.fullmatch(r"[0-9]{1,6}", text) or not low <= int(text) <= high):
        c.error(node, path, f"{what} `{text[:20]}` is not a whole number from {low} to {high}", "")
        return None
    return int(text) if text is not None else None


def _draw_spec(c: Collector, node, path: str) -> Range | Choice | None:
    """A range {low, high, decimals} or a list of values to choose from."""
    if isinstance(node, yaml.SequenceNode):
        items = c.sequence(node, path, "choices") or []
        values = [_number(c, v, f"{path}[{i}]", "a value") for i, v in enumerate(items)]
        if not values:
            c.error(node, path, "the list of values to choose from is empty", RANGE_HINT)
        numbers = [v for v in values if v is not None]
        return Choice(tuple(numbers)) if values and len(numbers) == len(values) else None
    entries = c.mapping(node, path, "a range", RANGE_HINT)
    if entries is None:
        return None
    c.unknown_keys(entries, RANGE_KEYS, path, "a range")
    fields = {k: v for k, _, v in entries}
    for key in sorted(RANGE_KEYS - set(fields)):
        c.missing(node, f"{path}.{key}", f"the range has no `{key}`", RANGE_HINT)
    if RANGE_KEYS - set(fields):
        return None
    low, high = (_number(c, fields[k], f"{path}.{k}", k) for k in ("low", "high"))
    decimals = _count(c, fields["decimals"], f"{path}.decimals", "decimals", 0, MAX_DECIMALS)
    if low is None or high is None or decimals is None:
        return None
    spec = Range(low, high, decimals)
    lo, hi = spec.bounds()
    if lo > hi:
        c.error(
            node,
            path,
            f"no number with {decimals} decimals lies from {low} to {high}",
            "make sure low ≤ high, or allow more decimals",
        )
        return None
    return spec


def _draws(c: Collector, node, path: str, names: list[str], what: str) -> dict[str, Range | Choice]:
    """name → how it is drawn, in the network's order; `all` applies to every name not given."""
    given: dict[str, Range | Choice | None] = {}
    for key, knode, vnode in c.mapping(node, path, what, "e.g. {all: {low: -0.5, high: 0.5, decimals: 2}}") or []:
        if key != "all" and key not in names:
            c.error(
                knode, f"{path}.{key}", f"`{key}` is not one of the network's {what}", suggest(key, [*names, "all"])
            )
            continue
        given[key] = _draw_spec(c, vnode, f"{path}.{key}")
    default = given.pop("all", None)
    return {n: spec for n in names if (spec := given.get(n) or default)}


def _targets(c: Collector, node, net: Network) -> dict[int, Range | Choice]:
    found = {}
    for key, knode, vnode in c.mapping(node, "$.random.targets", "targets", "e.g. targets: {y: [0, 1]}") or []:
        if key == "y" and len(net.outputs) == 1:
            index = 0
        elif key in net.outputs:
            index = net.outputs.index(key)
        else:
            hint = (
                f"the network has {len(net.outputs)} outputs: name each one ({', '.join(net.outputs)})"
                if key == "y"
                else suggest(key, ["y", *net.outputs])
            )
            c.error(knode, f"$.random.targets.{key}", f"`{key}` is not a target of the network", hint)
            continue
        spec = _draw_spec(c, vnode, f"$.random.targets.{key}")
        if spec is not None:
            found[index] = spec
    return found


def _random(
    c: Collector, root, node, net: Network
) -> tuple[dict[str, Range | Choice], dict[str, Range | Choice], dict[int, Range | Choice]]:
    if node is None:
        c.missing(
            root,
            "$.random",
            "nothing is drawn: every student would get the same numbers",
            "add random: {parameters: {all: {low: -0.5, high: 0.5, decimals: 2}}}",
        )
        return {}, {}, {}
    items = c.mapping(node, "$.random", "random", "give `parameters`, `inputs` and/or `targets`") or []
    c.unknown_keys(items, RANDOM_KEYS, "$.random", "random")
    fields = {k: v for k, _, v in items}
    params = (
        _draws(c, fields["parameters"], "$.random.parameters", list(net.parameters), "parameters")
        if "parameters" in fields
        else {}
    )
    inputs = _draws(c, fields["inputs"], "$.random.inputs", list(net.inputs), "inputs") if "inputs" in fields else {}
    targets = _targets(c, fields["targets"], net) if "targets" in fields else {}
    if items and not (params or inputs or targets) and not c.failed("$.random"):
        c.error(node, "$.random", "nothing is drawn: every student would get the same numbers", RANGE_HINT)
    return params, inputs, targets


def _questions(c: Collector, root, node, net: Network, policy: Policy) -> list[Question]:
    if node is None:
        c.missing(root, "$.questions", "the exercise asks no questions", "add questions: [z(O1), O1, L, dL/dw1]")
        return []
    nodes = c.sequence(node, "$.questions", "questions", "e.g. questions: [z(O1), O1, L, dL/dw1]") or []
    if len(nodes) > MAX_QUESTIONS:
        c.error(node, "$.questions", f"{len(nodes)} questions: at most {MAX_QUESTIONS}", "split the exercise")
        return []
    names, found = Names(net), []
    seen: dict[str, int] = {}
    for i, qnode in enumerate(nodes):
        path = f"$.questions[{i}]"
        own, points, items = policy, Fraction(1), None
        if isinstance(qnode, yaml.MappingNode):
            items = c.mapping(qnode, path, "a question", QUESTION_HINT) or []
            c.unknown_keys(items, QUESTION_KEYS, path, "a question")
            fields = {k: v for k, _, v in items}
            if "question" not in fields:
                c.missing(qnode, f"{path}.question", "the question names no quantity", QUESTION_HINT)
                continue
            text = c.scalar(fields["question"], f"{path}.question", "a question")
            own = _precision(c, qnode, path, policy, items)
            if "points" in fields:
                given = _number(c, fields["points"], f"{path}.points", "points", low=Fraction(0))
                if given is not None and given > MAX_POINTS:
                    c.error(fields["points"], f"{path}.points", f"points `{given}`: at most {MAX_POINTS}", "")
                elif given is not None:
                    points = given
        else:
            text = c.scalar(qnode, path, "a question")
        question = _question(c, qnode, path, text, net, names) if text is not None else None
        if question is None:
            continue
        question = dataclasses.replace(question, policy=own, points=points)
        if question.label in seen:
            c.error(
                qnode,
                f"$.questions[{i}]",
                f"`{text}` asks the same as question {seen[question.label]}",
                "ask each quantity once",
            )
            continue
        seen[question.label] = i + 1
        found.append(question)
    return found


def _question(c: Collector, node, path: str, text: str, net: Network, names: Names) -> Question | None:
    m = CHAIN.fullmatch(text.strip())
    quantity, problem = parse_key(m.group(1) if m else text, net, names)
    if quantity is None:  # then `problem` says why
        c.error(node, path, f"question `{text[:40]}`: {problem}", QUESTION_HINT)
        return None
    if m and (quantity.kind != "d" or quantity.top != L_NODE):
        c.error(
            node, path, f"`{text[:40]}`: a chain-rule structure is asked of a derivative of L", "e.g. `chain dL/dw1`"
        )
        return None
    if quantity.kind in ("d", "new"):
        try:
            check_differentiable(net)
        except NotDifferentiable as exc:
            c.error(
                node,
                path,
                f"`{text[:40]}` asks for a gradient, but the network has none: {exc}",
                "ask for forward values (z, O, L) only",
            )
            return None
    label = ("chain " if m else "") + quantity.key
    return Question(label, quantity.key, quantity, bool(m))


def _avoid(c: Collector, node) -> Avoid:
    items = c.mapping(node, "$.avoid", "avoid", "e.g. avoid: {saturated: 4, min_gradient: 1e-4, min_loss: 1e-3}")
    if items is None:
        return Avoid()
    c.unknown_keys(items, AVOID_KEYS, "$.avoid", "avoid")
    fields = {k: v for k, _, v in items}
    values: dict[str, Any] = {
        k: _number(c, fields[k], f"$.avoid.{k}", k, low=Fraction(0))
        for k in ("saturated", "min_gradient", "min_loss")
        if k in fields
    }
    if "tries" in fields:
        values["tries"] = _count(c, fields["tries"], "$.avoid.tries", "tries", 1, MAX_TRIES)
    return Avoid(**{k: v for k, v in values.items() if v is not None})
