"""Marking one answers file: each answer judged as a number (with follow-through), a formula or a
chain-rule structure, against the network's values at full precision."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from derive.check.answers import Answer, AnswerFile
from derive.check.equiv import judge_formula
from derive.check.evaluate import Undefined, evaluate
from derive.check.formulas import expected_formula, number, worked
from derive.check.names import L_NODE, LOSS, Names, Quantity
from derive.check.numeric import (
    CARRIED,
    DEFAULT_POLICY,
    MAX_DIGITS,
    ORDER,
    RIGHT,
    TOO_FEW,
    WRONG,
    Judgement,
    Policy,
    Written,
    credited,
    fraction,
    judge_number,
    numeric_causes,
    to_digits,
    written,
)
from derive.check.structure import is_chain, judge_chain
from derive.check.truth import LinkError, State, feeds, given, random_states, state, value
from derive.errors import DeriveError
from derive.numbers import Num, json_decimal
from derive.spec.model import Network

RANDOM_POINTS = 5


@dataclass
class Line:
    """The outcome for one answer, as the report shows it."""

    key: str
    quantity: Quantity  # what the key names (z1 and z(O1) are one quantity)
    answer: str
    kind: str  # number | formula | chain | unreadable
    status: str
    parts: list[Judgement]
    worked: list[str]
    line: int
    value: str | None = None  # the true value at full precision
    carried_into: list[str] = field(default_factory=list)
    read_as: list[str] = field(default_factory=list)  # how what was written around the answer was read

    @property
    def right(self) -> bool:
        return credited(self.status)


@dataclass
class Report:
    source: str
    student: str
    network: str
    point: int
    lines: list[Line]
    unanswered: list[str] = field(default_factory=list)  # keys left empty

    def count(self, status: str) -> int:
        return sum(1 for x in self.lines if x.status == status)

    @property
    def all_right(self) -> bool:
        return all(x.right for x in self.lines)


class Marker:
    """Marks the answers of one file against one network."""

    def __init__(
        self,
        net: Network,
        names: Names,
        af: AnswerFile,
        policy: Policy = DEFAULT_POLICY,
        policies: dict[Quantity, Policy] | None = None,
    ):
        """`policy` says what a number must be to be right; `policies` overrides it per quantity."""
        self.net, self.names, self.af = net, names, af
        self.policy, self.policies = policy, policies or {}
        self.point = net.data[af.point - 1]
        self.truth = state(net, self.point, "the data point")
        self._random: list[State] | None = None
        self.values = {
            a.quantity: Fraction(written(p.number).value)
            for a in af.answers
            for p in a.parts[-1:]
            if p.number is not None
        }
        self.results: dict[Quantity, Judgement] = {}
        self.upstream = feeds(net)
        self.order = {n.name: i for i, n in enumerate(net.neurons)}
        self.upstream_users = {
            name: [
                n.name
                for n in net.neurons
                if name in {e.source for e in n.edges} | {e.weight for e in n.edges} | {n.bias}
            ]
            for name in list(net.parameters) + list(net.inputs)
        }
        self.root_status: dict[str, str] = {}
        self._hand: State | None = None

    def states(self) -> list[State]:
        if self._random is None:
            self._random = random_states(self.net, RANDOM_POINTS)
        return [self.truth, *self._random]

    def mark(self) -> Report:
        lines = {}
        for a in sorted(self.af.answers, key=lambda a: self.rank(a.quantity)):
            lines[a.quantity] = self.line(a)
        for q, line in lines.items():
            line.carried_into = [x.key for x in lines.values() if any(q.key in g for p in x.parts for g in _roots(p))]
        ordered = [lines[a.quantity] for a in self.af.answers]
        return Report(self.af.source, self.af.student, self.net.source, self.af.point, ordered, self.af.unanswered)

    def rank(self, q: Quantity) -> tuple:
        """Where `q` comes in the computation: forward in neuron order, then the loss, then the backward
        pass from the outputs down (so an answer is judged after those it may have used), then updates."""
        if q.kind in ("z", "O"):
            return (0, self.order[q.name], q.kind == "O")
        if q.kind in ("L", "error"):
            return (1, 0, 0)
        if q.kind == "new":
            return (4, 0, 0)
        if q.kind == "unknown":
            return (5, 0, 0)
        if q.top != L_NODE:
            return (2, 0, 0)  # a single step needs only forward values
        kind, name = q.bottom
        if kind in ("O", "z"):
            return (3, -self.order[name], kind == "z")
        users = [self.order[u] for u in self.upstream_users.get(name, [])] or [-1]
        return (3, -min(users) + 0.5, 0)

    def line(self, a: Answer) -> Line:
        q = a.quantity
        if a.problem:
            j = Judgement(WRONG, f"unreadable: {a.problem}")
            self.results[q] = j
            return Line(a.key, q, a.text, "unreadable", WRONG, [j], [], a.line, read_as=a.read_as)
        parts, kinds = list(a.parts), []
        if len(parts) > 1 and _restates(parts[0].expr, q, self.names):
            parts = parts[1:]
        judged = []
        for p in parts:
            kind, j = self.judge_part(q, p)
            kinds.append(kind)
            judged.append(j)
        status = max((j.status for j in judged), key=ORDER.__getitem__)
        self.results[q] = judged[-1]
        try:
            steps = worked(self.net, self.truth, q) if not credited(status) else []
            true_value = json_decimal(value(self.net, self.truth, q))
        except (LinkError, DeriveError):
            steps, true_value = [], None
        return Line(a.key, q, a.text, kinds[-1], status, judged, steps, a.line, true_value, read_as=a.read_as)

    def judge_part(self, q: Quantity, p) -> tuple[str, Judgement]:
        if _restates(p.expr, q, self.names):
            return "formula", Judgement(WRONG, causes=[f"your answer restates the question: {p.text} is what is asked"])
        if p.number is not None:
            return "number", self.judge_value(q, p.number)
        if is_chain(self.names, q, p.expr):
            return "chain", judge_chain(self.net, self.names, q, p.expr)
        if not p.expr.free_symbols:
            return "number", self.judge_constant(q, p)
        template = expected_formula(self.net, q)
        return "formula", judge_formula(self.net, self.names, q, p.expr, self.states(), template, self.point)

    # -- numbers --------------------------------------------------------------------------------------
    def judge_value(self, q: Quantity, text: str | Written) -> Judgement:
        """`text` is a literal as written, or the Written of a computed constant."""
        truth = value(self.net, self.truth, q)
        earlier = self.earlier(q)
        mine, given_names = None, []
        if earlier:
            mine, used = given(self.net, self.point, q, earlier)
            given_names = self.roots(q, used)
        policy = self.policies.get(q, self.policy)
        j = judge_number(text, truth, mine, given_names, policy)
        if j.status == WRONG and (hand := self.hand_value(q)) is not None:
            # the network file's own hand calculation (the lecture's O1 = 0.759 carried on) is credited
            # as carried forward, even when its intermediate values are not given
            k = judge_number(text, hand, None, [], policy)
            if k.status != WRONG:
                note = (
                    f"correct as the network file's hand calculation carries numbers ({self.net.carry.describe()}; "
                    f"the true value is {number(truth, 5)})"
                )
                return Judgement(
                    k.status if k.status == TOO_FEW else CARRIED,
                    "; ".join(filter(None, [note, k.note if k.status == TOO_FEW else ""])),
                )
        if j.status == WRONG:
            j.causes = numeric_causes(written(text) if isinstance(text, str) else text, truth, self.alternatives(q))
        return j

    def hand_value(self, q: Quantity) -> Num | None:
        """`q` as the network file's carry computes it (the lecture's truncation to 3 decimals), or None
        when the file carries full precision."""
        if self.net.carry.mode == "exact":
            return None
        if self._hand is None:
            self._hand = state(self.net, self.point, "the hand calculation", carry=self.net.carry)
        try:
            return value(self.net, self._hand, q)
        except (LinkError, DeriveError):
            return None

    def judge_constant(self, q: Quantity, p) -> Judgement:
        """A formula of numbers only ((1 - 0.51129)^2): judged to as many significant digits as its most
        precise decimal has; exactly when it has no decimals (1/3, 10^-61). Its value is never turned
        into text and read back, so it may be as small or as large as the grammar lets it be."""
        if p.expr.is_Rational and not p.decimals:
            return self.judge_value(q, Written(Fraction(int(p.expr.p), int(p.expr.q)), None, False))
        try:
            v = evaluate(p.expr, {})
        except Undefined as exc:
            return Judgement(WRONG, causes=[f"your numbers have no value: {exc}"])
        places = [written(d) for d in p.decimals]
        digits = max(w.digits for w in places) if places else MAX_DIGITS
        finest = min((w.ulp for w in places if w.ulp is not None), default=None)
        return self.judge_value(q, to_digits(fraction(Num(None, v)), digits, finest))

    def earlier(self, q: Quantity) -> dict[Quantity, Fraction]:
        """The person's own numbers that come before `q` in the computation."""
        backward = q.kind in ("d", "new")
        return {
            e: v
            for e, v in self.values.items()
            if e != q
            and (
                (e.kind in ("z", "O") and (backward or self.rank(e) < self.rank(q)))
                or (backward and e.kind in ("d", "new"))
            )
        }

    def roots(self, q: Quantity, used: set[Quantity]) -> list[str]:
        """The earlier answers a value was credited on, traced back past answers themselves carried
        forward; slips (truncated or wrong answers) are named before merely rounded ones."""
        found: dict[str, str] = {}
        upstream = self.upstream.get(q.name, set()) | {q.name}
        for e in sorted(used, key=self.rank):
            if e not in self.values or self.exact(e) or (q.kind in ("z", "O") and e.name not in upstream):
                continue
            r = self.results.get(e)
            if r is not None and r.status == CARRIED:
                for g in r.given:
                    found.setdefault(g, self.root_status.get(g, WRONG))
            else:
                text = f"{e.key} = {_plain(self.values[e])}"
                found.setdefault(text, r.status if r is not None else WRONG)
                self.root_status[text] = found[text]
        slips = [t for t, status in found.items() if status != RIGHT]
        return slips or list(found)

    def exact(self, e: Quantity) -> bool:
        """Whether the person's value for `e` is the true value itself (then it changes nothing)."""
        return Num(self.values[e]).mp == value(self.net, self.truth, e).mp

    def alternatives(self, q: Quantity) -> dict[str, Num]:
        """Values a known slip would give, for the likely cause of a wrong number."""
        found = {}
        if q.kind == "new" and q.name not in self.net.freeze:
            old = Num(self.net.parameters[q.name])
            g = value(self.net, self.truth, Quantity("d", top=L_NODE, bottom=("p", q.name)))
            found["the update adds the gradient: it is w − η·∂L/∂w (a step downhill)"] = (
                old + g * self.net.learning_rate
            )
            found["the learning rate η is missing: the update is w − η·∂L/∂w"] = old - g
        return found


def _restates(expr, q: Quantity, names: Names) -> bool:
    """Whether the first side of `a = b` just names the quantity (dL/dw4 = …)."""
    if expr in names.derivs:
        top, bottom = names.derivs[expr]
        return q.kind == "d" and (top, bottom) == (q.top, q.bottom)
    if q.kind == "L":
        return expr == LOSS
    if q.kind in ("z", "O"):
        return expr == (names.z_symbol(q.name) if q.kind == "z" else names.symbol(q.name))
    return False


def _roots(j: Judgement) -> list[str]:
    return [g.split(" = ")[0] for g in j.given]


def _plain(v: Fraction) -> str:
    return number(Num(v), 30)


def mark(
    net: Network, af: AnswerFile, policy: Policy = DEFAULT_POLICY, policies: dict[Quantity, Policy] | None = None
) -> Report:
    """The report for one answers file, numbers judged by `policy` (or per quantity by `policies`)."""
    return Marker(net, af.names, af, policy, policies).mark()
