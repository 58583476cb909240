"""A student's sheet (the network with their numbers and the numbered questions, never an answer) and
their blank answers file. Python builds one context of TeX strings and plain text; the Markdown
template exercise/sheet.md.j2 lays it out and is the sheet's one source of words: its LaTeX is written
from that Markdown (derive.render.tex.render_tex), with the diagram drawn in TikZ."""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction

from derive import losses
from derive.check.numeric import Policy, percent
from derive.exercise.draw import Draw
from derive.exercise.roster import Student
from derive.exercise.spec import Exercise, Question
from derive.latex import number, partial, tex_name, z_names
from derive.numbers import Num, show
from derive.pictures.diagram import svg, tikz
from derive.render.notes import markdown_environment
from derive.render.tex import render_tex
from derive.spec.model import Network

DIAGRAM = "sheet_files/network.svg"  # next to sheet.md
LABEL_WIDTH = 20  # the diagram clips input labels longer than this
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_()/]*")


def decimal(x: Fraction) -> str:
    """An exact number as a person writes it (every drawn number is a short decimal)."""
    return show(Num(x), 12)[0]


def node_tex(node: tuple, zs: dict[str, str]) -> str:
    """TeX of a node of the derivative graph: L, O_{2}, z_{2}, w_{4}, x_{1}."""
    if node[0] == "L":
        return "L"
    return zs[node[1]] if node[0] == "z" else tex_name(node[1])


def question_tex(q: Question, net: Network, zs: dict[str, str]) -> str:
    """What a question asks, as text with $…$ maths (the same string serves Markdown and LaTeX)."""
    k = q.quantity
    if q.chain:
        return (
            rf"the chain-rule structure of ${partial('L', node_tex(k.bottom, zs))}$: the product of one-step "
            rf"derivatives along each path from $L$ to ${node_tex(k.bottom, zs)}$, added over the paths"
        )
    if k.kind == "z":
        return rf"the weighted sum ${zs[k.name]}$ of neuron ${tex_name(k.name)}$"
    if k.kind == "O":
        return rf"the output ${tex_name(k.name)}$ of neuron ${tex_name(k.name)}$"
    if k.kind == "L":
        return r"the loss $L$"
    if k.kind == "error":
        return r"the error $y - \hat{y}$" + (rf" of output ${tex_name(k.name)}$" if k.name else "")
    if k.kind == "new":
        w = tex_name(k.name)
        return (
            rf"the updated parameter ${w}^{{\text{{new}}}} = {w} - \eta\,{partial('L', w)}$ after one step "
            "of gradient descent"
        )
    what = "gradient" if k.top == ("L",) and k.bottom[0] == "p" else "derivative"
    return rf"the {what} ${partial(node_tex(k.top, zs), node_tex(k.bottom, zs))}$"


def side(q: Question, ex: Exercise) -> str:
    """Where on its answers.yaml line the answer goes: a value and its chain structure share a line,
    written `structure = value` ("before" or "after" the `=`); "" for a line of its own."""
    if sum(1 for other in ex.questions if other.key == q.key) == 1:
        return ""
    return "before" if q.chain else "after"


def _neuron_lines(net: Network, zs: dict[str, str]) -> list[dict]:
    lines = []
    for n in net.neurons:
        terms = [
            (tex_name(e.weight) if isinstance(e.weight, str) else number(decimal(e.weight)))
            + r"\,"
            + tex_name(e.source)
            for e in n.edges
        ]
        if n.bias is not None:
            terms.append(tex_name(n.bias) if isinstance(n.bias, str) else number(decimal(n.bias)))
        lines.append(
            {
                "z": f"{zs[n.name]} &= {' + '.join(terms) or '0'}",
                "O": f"{tex_name(n.name)} &= {n.activation.tex_apply(zs[n.name])}",
            }
        )
    return lines


def _targets(net: Network) -> list[dict]:
    point = net.data[0]
    single = len(net.outputs) == 1
    return [
        {"tex": "y" if single else f"y_{{{i}}}", "output": tex_name(o), "value": number(decimal(t))}
        for i, (o, t) in enumerate(zip(net.outputs, point.targets, strict=True), 1)
    ]


def context(ex: Exercise, student: Student, d: Draw) -> dict:
    """Everything a sheet shows; numbers are the student's, nothing computed from them is."""
    net = d.network
    point = net.data[0]
    zs = z_names([n.name for n in net.neurons])
    outputs = [tex_name(o) for o in net.outputs]
    ys = ["y"] if len(outputs) == 1 else [f"y_{{{i}}}" for i in range(1, len(outputs) + 1)]
    return {
        "title": ex.title,
        "instructions": ex.instructions,
        "student": student,
        "network_title": net.title,
        "diagram": DIAGRAM,
        "inputs": [
            {
                "name": x,
                "tex": tex_name(x),
                "label": label if label != x else "",
                "value": number(decimal(point.inputs[x])),
            }
            for x, label in net.inputs.items()
        ],
        "targets": _targets(net),
        "parameters": [
            {"name": p, "tex": tex_name(p), "value": number(decimal(v)), "frozen": p in net.freeze}
            for p, v in net.parameters.items()
        ],
        "neurons": _neuron_lines(net, zs),
        "activations": list(dict.fromkeys(n.activation.definition() for n in net.neurons)),
        "loss": {
            "description": losses.DESCRIPTIONS[net.loss],
            "tex": "L = " + losses.tex_formula(net.loss, outputs, ys),
        },
        "eta": number(decimal(net.learning_rate)),
        "questions": [
            {
                "number": i,
                "label": q.label,
                "key": q.key,
                "what": question_tex(q, net, zs),
                "side": side(q, ex),
                "points": points_text(q.points),
                "precision": q.policy.describe() if q.policy != ex.policy and not q.chain else "",
            }
            for i, q in enumerate(ex.questions, 1)
        ],
        "policy": policy_words(ex.policy),
        "total": points_text(sum((q.points for q in ex.questions), Fraction(0))),
        "credit": {
            "too_few_digits": points_text(ex.credit.too_few_digits),
            "structure_only": points_text(ex.credit.structure_only),
        },
    }


def points_text(x: Fraction) -> str:
    """Points as a sheet shows them: 1, 2, 0.5 (a ratio such as 1/3 as it is)."""
    return decimal(x) if Fraction(x * 10**6).denominator == 1 else f"{x.numerator}/{x.denominator}"


def policy_words(policy: Policy) -> str:
    """The sheet's sentence on how numbers are marked."""
    parts = []
    if policy.digits:
        parts.append(
            f"give at least {policy.digits} significant digit{'s' if policy.digits != 1 else ''} "
            f"(an answer with fewer is marked *too few digits*, even when its digits are right)"
        )
    if policy.rel_tol is not None:
        parts.append(f"a number within {percent(policy.rel_tol)} of the true value counts as right")
    rule = "; ".join(parts)
    head = "Numbers are judged to the digits you write; rounding or cutting off after them are both accepted"
    return f"{head}. {rule[0].upper() + rule[1:]}." if rule else f"{head}."


def diagram_network(net: Network) -> Network:
    """The network with each input's value in its label, so the picture carries every number given."""
    labels = {}
    for x, label in net.inputs.items():
        text = f"{label} = {decimal(net.data[0].inputs[x])}"
        labels[x] = text if len(text) <= LABEL_WIDTH else f"{x} = {decimal(net.data[0].inputs[x])}"
    return dataclasses.replace(net, inputs=labels)


def sheet_markdown(ctx: dict) -> str:
    return markdown_environment().get_template("exercise/sheet.md.j2").render(s=ctx)


def sheet_svg(net: Network) -> str:
    """The diagram with the student's weights and inputs, and no forward values (those are answers)."""
    return svg(diagram_network(net), None)


def sheet_tikz(net: Network) -> str:
    """The diagram of sheet_svg in TikZ, shrunk to the text width when it is wider (a network with
    many inputs), never enlarged."""
    return (
        r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"
        + "\n"
        + tikz(diagram_network(net), None).strip()
        + "}"
    )


def sheet_tex(markdown: str, title: str, net: Network) -> str:
    """The sheet as LaTeX, written from its Markdown; the diagram the Markdown links is drawn in TikZ."""
    return render_tex(markdown, title, pictures={DIAGRAM: sheet_tikz(net)})


def yaml_key(key: str) -> str:
    """An answers-file key as YAML: plain when it is a plain name, else a JSON string (valid YAML)."""
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)


def one_line(text: str) -> str:
    """User text for a YAML comment: one line."""
    return " ".join(str(text).split())


def blank_answers(ex: Exercise, student: Student) -> str:
    """answers.yaml in derive check's format: every question's key with an empty value."""
    lines = []
    for key in ex.keys():  # noqa: SIM118 -- Exercise.keys() is a method of ours, not a dict's
        asked = [(i, q) for i, q in enumerate(ex.questions, 1) if q.key == key]
        lines.append(
            {
                "key": yaml_key(key),
                "numbers": ", ".join(str(i) for i, _ in asked),
                "both": len(asked) > 1,
                "chain": any(q.chain for _, q in asked),
            }
        )
    env = markdown_environment(comment=one_line)
    return env.get_template("exercise/answers.yaml.j2").render(title=ex.title, student=student, lines=lines)
