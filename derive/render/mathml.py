"""TeX formulas of the notes as MathML, through latex2mathml plus a few rewrites where it falls short.

`to_mathml` returns None when a formula cannot be converted into well-formed MathML that keeps
every command; the caller then shows the TeX source instead, and counts it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from latex2mathml.converter import convert

_NAME = r"\\(?:ln|log|exp|tanh|max|min|sin|cos)(?![A-Za-z])|\\operatorname\{[^{}]*\}"

# Commands after which TeX puts no thin space before an operator name (binary operators,
# relations, spaces, openings); after a letter, digit, Greek letter or closing bracket it does.
_NOT_ORDINARY = {
    r"\cdot",
    r"\times",
    r"\pm",
    r"\to",
    r"\le",
    r"\ge",
    r"\approx",
    r"\left",
    r"\bigl",
    r"\quad",
    r"\qquad",
    r"\mathrel",
    r"\ne",
    r"\in",
} | {r"\ln", r"\log", r"\exp", r"\tanh", r"\max", r"\min", r"\sin", r"\cos"}

# TeX rewritten before conversion. Each entry names what latex2mathml 3.81 gets wrong without it.
TEX_REWRITES: list[tuple[re.Pattern, str | Callable[[re.Match], str]]] = [
    # `aligned` is unknown: its `&` comes out as a bare `<mi>&</mi>` and `\\` as a line-break
    # mspace, with no table. `split` is the same layout (right column, left column, no gap)
    # and becomes an mtable.
    (re.compile(r"\\(begin|end)\{aligned\}"), r"\\\1{split}"),
    # `\mathrel{+}=` nests an <mo> inside an <mo>; `\mathrel{+=}` keeps one group, which
    # `_merge_operators` turns into a single relation <mo>+=</mo>.
    (re.compile(r"\\mathrel\{\+\}="), r"\\mathrel{+=}"),
    # `\lvert … \rvert` gives bare bars, whose form (and spacing) then depends on their position;
    # as a \left…\right pair they are a fenced group.
    (
        re.compile(r"\\lvert(?![A-Za-z])((?:(?!\\[lr]vert(?![A-Za-z])).)*?)\\rvert(?![A-Za-z])", re.DOTALL),
        r"\\left\\lvert \1\\right\\rvert ",
    ),
    # `y \ln O_{1}` comes out as <mi>y</mi><mi>ln</mi><mi>O</mi>, run together; TeX puts a thin
    # space between an operator name and a letter (or closing bracket) on either side of it.
    (
        re.compile(r"(\\[A-Za-z]+|[A-Za-z0-9})\]])\s*(?=" + _NAME + ")"),
        lambda m: m.group(0) if m.group(1) in _NOT_ORDINARY else m.group(1) + r"\, ",
    ),
    (re.compile("(" + _NAME + r")\s*(?=[A-Za-z0-9]|\\(?!left|right|bigl|bigr|[,;:!]|q?quad)[A-Za-z])"), r"\1\\, "),
]

_LARGE_OPERATORS = {"\u2211", "\u220f"}  # ∑ ∏ take their limits below in display style
_CONTAINERS = {"math", "mrow", "mstyle", "mtd", "mpadded", "mphantom"}  # any number of children
_TALL = {"mfrac", "munder", "munderover", "mover", "mtable", "msqrt", "mroot"}
_CLOSINGS = {")", "]", "}", "|", "\u2016", "\u2032", "\u2033", "!"}


def rewrite_tex(tex: str) -> str:
    for pattern, replacement in TEX_REWRITES:
        tex = pattern.sub(replacement, tex)
    return tex


def to_mathml(tex: str, display: bool) -> str | None:
    """MathML for one formula, or None when it cannot be converted faithfully."""
    try:
        raw = convert(rewrite_tex(tex), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types (and IndexError/KeyError on some input)
        return None
    raw = re.sub(r'\s+xmlns="[^"]*"', "", raw, count=1)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return None
    if any("\\" in (el.text or "") for el in root.iter()):
        return None  # an unknown command came through as text
    _merge_operators(root)
    _fix_tags(root)
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _merge_operators(root: ET.Element) -> None:
    """`<mo><mrow><mo>+</mo><mo>=</mo></mrow></mo>` (from \\mathrel) → one relation `<mo>+=</mo>`."""
    for el in root.iter("mo"):
        children = list(el)
        if not children:
            continue
        text = "".join(t for child in children for t in child.itertext())
        for child in children:
            el.remove(child)
        el.text = text
        el.attrib.update({"lspace": "0.2778em", "rspace": "0.2778em"})


def _fix_tags(root: ET.Element) -> None:
    elements = list(root.iter())
    for el in elements:
        first = el[0] if len(el) else None
        if el.tag == "mo" and re.fullmatch(r"[A-Za-z]{2,}|\u2202", el.text or ""):
            el.tag = "mi"  # \operatorname{ReLU}, \max, \partial: ordinary symbols in TeX, not spaced
        elif el.tag == "mo" and el.get("minsize") and el.get("minsize") == el.get("maxsize"):
            _fixed_size_bracket(el)
        elif (
            el.tag in ("msub", "msubsup")
            and first is not None
            and first.tag == "mo"
            and (first.text or "") in _LARGE_OPERATORS
        ):
            el.tag = "munder" if el.tag == "msub" else "munderover"
            first.set("movablelimits", "true")
    for el in elements:
        if el.tag in _CONTAINERS:
            _flatten_primes(el)
            _unstretch_short_fences(el)
            _tighten_ordinary_operators(el)


def _flatten_primes(parent: ET.Element) -> None:
    """`<msup>σ<mi>′</mi></msup>` draws a prime shrunk twice, small and high above the base. The
    maths font's ′ is already drawn in superscript position, so it follows the base unscripted."""
    for i, el in enumerate(list(parent)):
        if el.tag == "msup" and len(el) == 2 and el[1].tag in ("mi", "mo") and el[1].text in ("\u2032", "\u2033"):
            base, prime = el[0], el[1]
            prime.tag = "mo"
            prime.attrib.update({"lspace": "0", "rspace": "0"})
            parent.remove(el)
            parent.insert(i, prime)
            parent.insert(i, base)


def _unstretch_short_fences(mrow: ET.Element) -> None:
    """`\\left( z_{1} \\right)` around one line of symbols: a stretched bracket reaches for the
    next glyph size (wider, loosely set) to clear the subscript; TeX keeps the normal size there."""
    if len(mrow) < 2 or not (_is_fence(mrow[0], "prefix") and _is_fence(mrow[-1], "postfix")):
        return
    if not any(d.tag in _TALL for d in mrow.iter()):
        mrow[0].set("stretchy", "false")
        mrow[-1].set("stretchy", "false")


def _is_fence(el: ET.Element, form: str) -> bool:
    return el.tag == "mo" and el.get("form") == form and el.get("stretchy") == "true"


def _tighten_ordinary_operators(parent: ET.Element) -> None:
    """Spacing as TeX sets it: `/` is an ordinary symbol (∂L/∂w), and a minus or plus sign with
    nothing before it, or after a relation, an operator or an opening bracket, is a sign (= −2,
    (−0.97742)), not a binary operator. Browsers space both as binary operators."""
    previous = None
    for el in parent:
        if el.tag == "mo" and not len(el):
            sign = el.text in ("\u2212", "-", "+") and (previous is None or _opens(previous))
            if el.text == "/" or sign:
                el.attrib.update({"lspace": "0", "rspace": "0"})
        previous = el


def _opens(el: ET.Element) -> bool:
    """Whether what follows `el` starts a new operand (el is an operator, relation or opening)."""
    if el.tag == "mi" and not (el.text or "").strip() and not len(el):
        return True  # the empty <mi/> that \\begin{split} puts before a leading `=`
    return el.tag == "mo" and el.get("form") != "postfix" and (el.text or "") not in _CLOSINGS


def _fixed_size_bracket(mo: ET.Element) -> None:
    """`\\bigl(` asks for a bracket of one fixed size. Stretched to it, the bracket takes the next
    glyph variant, wide and loosely set; the normal glyph drawn at that size is what TeX shows."""
    size = mo.attrib.pop("minsize")
    del mo.attrib["maxsize"]
    mo.attrib.update({"stretchy": "false", "mathsize": size, "lspace": "0", "rspace": "0"})
