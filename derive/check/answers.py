"""Reading an answers file: which quantity each key names, and each answer read by the grammar.
Every problem is reported with file, line, column and key path, all at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from derive.calculus.grad import check_differentiable
from derive.check.lenient import read_leniently, unreadable_hint
from derive.check.names import L_NODE, Names, Quantity, label
from derive.check.parse import ExpressionError, Part, parse_answer
from derive.check.truth import step, why_not
from derive.errors import NotDifferentiable, clean
from derive.spec.model import Network
from derive.spec.source import Collector, compose, read_text

TOP_KEYS = {"network", "student", "point", "answers"}
MAX_ANSWERS = 300  # a homework or an exam; more would only cost marking time
SHORT_KEY_HINT = "name a quantity such as z(O1), O1, L, error, dL/dw4, dO2/dO1 or new(w4)"


@dataclass
class Answer:
    """One answer as written, with the quantity it is for and its parsed sides. An answer the grammar
    cannot read has no parts and says why in `problem` (file:line:column: message; hint); `read_as`
    says how what was written around it was read (`≈` dropped, a decimal comma)."""

    key: str
    quantity: Quantity
    text: str
    parts: list[Part]
    line: int
    problem: str = ""
    read_as: list[str] = field(default_factory=list)


@dataclass
class AnswerFile:
    source: str
    student: str
    point: int
    network: str | None
    answers: list[Answer]
    names: Names  # what the derivatives in the answers mean
    unanswered: list[str] = field(default_factory=list)  # keys left empty: not answered, not wrong


def read_answers(path: str, net: Network, names: Names | None = None, text: str | None = None) -> AnswerFile:
    """The answers in `path` (or in `text`, called `path`), checked against `net`."""
    text = read_text(path) if text is None else text
    names = names or Names(net)
    root = compose(text, path)
    c = Collector(path, root)
    items = c.mapping(root, "$", "the answers file", "start from examples/seed_answers.yaml") or []
    c.raise_if_any()  # None (here []) only after a reported problem
    top = {k: (kn, vn) for k, kn, vn in items}
    c.unknown_keys(items, TOP_KEYS, "$", "the answers file")
    student = c.scalar(top["student"][1], "$.student", "student") if "student" in top else None
    network = c.scalar(top["network"][1], "$.network", "network") if "network" in top else None
    point = _point(c, top.get("point"), net)
    answers: list[Answer] = []
    unanswered: list[str] = []
    if "answers" not in top:
        c.missing(
            root, "$.answers", "the file has no `answers:`", "add `answers:` with one `quantity: value` line each"
        )
    else:
        answers = _answers(c, top["answers"][1], net, names, unanswered)
    c.raise_if_any()
    return AnswerFile(path, student or Path(path).stem, point, network, answers, names, unanswered)


def _point(c: Collector, entry, net: Network) -> int:
    if entry is None:
        return 1
    text = c.scalar(entry[1], "$.point", "point")
    if text is not None and (not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= len(net.data)):
        c.error(
            entry[1],
            "$.point",
            f"point `{text[:20]}` is not a data point of the network",
            f"write a number from 1 to {len(net.data)}",
        )
        return 1
    return int(text) if text is not None else 1


def _answers(c: Collector, node, net: Network, names: Names, unanswered: list[str]) -> list[Answer]:
    found: list[Answer] = []
    seen: dict[Quantity, tuple[str, int]] = {}

    def is_name(word: str) -> bool:
        return names.resolve(word) is not None

    items = c.mapping(node, "$.answers", "answers", "one `quantity: value` line each") or []
    if len(items) > MAX_ANSWERS:
        c.error(
            node,
            "$.answers",
            f"{len(items)} answers: at most {MAX_ANSWERS} are marked in one file",
            "split the answers over several files",
        )
        return []
    for key, knode, vnode in items:
        path = f"$.answers.{key}"
        quantity, problem = _key(c, key, knode, path, net, names)
        if isinstance(vnode, yaml.ScalarNode) and not vnode.tag.endswith(":bool") and not vnode.value.strip():
            if quantity is not None:
                unanswered.append(key)  # an empty line is not answered, as on an exercise sheet
            continue
        if quantity is None and problem:
            # a key that names nothing is that line's problem, not the file's: the other answers are marked
            shown = vnode.value if isinstance(vnode, yaml.ScalarNode) else ""
            line = knode.start_mark.line + 1
            hint = f"; {SHORT_KEY_HINT}" if "does not name" in problem else ""
            where = clean(f"line {line}: {problem}{hint}")
            found.append(Answer(key, Quantity("unknown", key), shown, [], line, where))
            continue
        text = c.scalar(vnode, path, f"the answer for {key}")
        if quantity is None or text is None:
            continue
        if quantity in seen:
            c.error(
                knode,
                path,
                f"`{key}` is the same quantity as `{seen[quantity][0]}` (line {seen[quantity][1]})",
                "give each quantity once",
            )
            continue
        seen[quantity] = (key, knode.start_mark.line + 1)
        reading = read_leniently(text, is_name)
        line = vnode.start_mark.line + 1
        try:
            parts = parse_answer(reading.text, names)
        except ExpressionError as exc:
            # one answer the grammar cannot read is that answer's problem; the others are marked
            of = "the text read" if reading.notes else "the answer"
            where = f" (character {exc.position + 1} of {of})" if exc.position is not None else ""
            problem = f"line {line}: {exc.bare}{where}; {unreadable_hint(text, exc.hint, is_name)}"
            found.append(Answer(key, quantity, text, [], line, problem, reading.notes))
            continue
        found.append(Answer(key, quantity, text, parts, line, "", reading.notes))
    return found


_NEW = (
    re.compile(r"new\s*\(\s*(.+?)\s*\)"),
    re.compile(r"(.+?)_?new"),
    re.compile(r"(.+?)\^\{?\\?(?:text\{)?new\}?\}?"),
)
_ERROR = re.compile(r"error(?:\s*\(\s*(.+?)\s*\))?")
_DELTA = re.compile(r"(?:delta|δ|\\delta)\s*\(\s*(.+?)\s*\)")


def _key(c: Collector, key: str, knode, path: str, net: Network, names: Names) -> tuple[Quantity | None, str]:
    """The quantity a key names; or None and why it names none (an unreadable line); or None and ""
    when the file cannot be marked for it (a gradient asked of a network that has none: reported)."""
    quantity, problem = parse_key(key, net, names)
    if quantity is not None and quantity.kind in ("d", "new"):
        try:
            check_differentiable(net)
        except NotDifferentiable as exc:
            c.error(
                knode,
                path,
                f"`{key}` asks for a gradient, but this network has none: {exc}",
                "answer its forward values (z, O, L) only",
            )
            return None, ""
    return quantity, problem


def parse_key(key: str, net: Network, names: Names) -> tuple[Quantity | None, str]:
    """The quantity a key names, or None and the reason it names none (never empty)."""
    text = key.strip()
    if text in ("L", "loss"):
        return Quantity("L"), ""
    m = _ERROR.fullmatch(text)
    if m:
        return _error_key(m.group(1), net, names)
    for pattern in _NEW:
        m = pattern.fullmatch(text)
        if m and (named := names.node(m.group(1))) and named[0] == "p":
            return Quantity("new", named[1]), ""
    m = _DELTA.fullmatch(text)
    node = names.node(m.group(1)) if m else names.node(text)
    if m and node and node[0] in ("O", "z"):
        return Quantity("d", top=L_NODE, bottom=("z", node[1])), ""
    if node and node[0] in ("O", "z"):
        return Quantity(node[0], node[1]), ""
    if node and node[0] in ("p", "x"):
        if node[0] == "x":
            return None, f"`{text}` is an input the network gives: there is nothing to work out"
        return None, f"`{text}` is a parameter the network gives; answer new({text}) for its updated value"
    return _derivative_key(text, net, names)


def _error_key(name: str | None, net: Network, names: Names) -> tuple[Quantity | None, str]:
    if name is None:
        if len(net.outputs) > 1:
            return None, f"the network has {len(net.outputs)} outputs: write error(O) for one of them"
        return Quantity("error"), ""
    node = names.node(name)
    if node is None or node[0] != "O" or node[1] not in net.outputs:
        return None, f"error({name}): `{name}` is not an output of the network"
    return Quantity("error", node[1] if len(net.outputs) > 1 else ""), ""


def _derivative_key(text: str, net: Network, names: Names) -> tuple[Quantity | None, str]:
    try:
        parts = parse_answer(text, names)
    except ExpressionError as exc:
        return None, f"`{text[:40]}` does not name a quantity ({exc.bare})"
    expr = parts[0].expr
    if len(parts) != 1 or expr not in names.derivs:
        return None, f"`{text[:40]}` does not name a quantity"
    top, bottom = names.derivs[expr]
    if top != L_NODE and step(net, top, bottom) is None:
        return None, f"d{label(top)}/d{label(bottom)} is not one step of a chain-rule path: {why_not(net, top, bottom)}"
    if bottom == L_NODE:
        return None, "a derivative with respect to L is not part of back-propagation"
    return Quantity("d", top=top, bottom=bottom), ""
