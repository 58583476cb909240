"""Beamer slides (16:9) from the notes' Document: the same numbers and formulas, one idea per frame,
each chain rule built up with overlays. The words live in templates/slides/deck.tex.j2; this module
only cuts the Document's TeX lines into the pieces a frame needs (rows to break on, groups of
factors) and compiles the deck with derive.render.tex's sandboxed pdflatex."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from derive.escape import pdf_text, tex_escape
from derive.latex import RELATIONS, top_level_split
from derive.steps.notes import Document
from derive.templating import environment, render_template

TEMPLATE = "slides/deck.tex.j2"
FACTORS_PER_ROW = 4  # chain-rule factors side by side before the row breaks
TABLE_ROWS = 8  # rows of the closing table per slide, at 14 pt on a 16:9 frame
SHORT_SUM = 4  # terms of a weighted sum that leave room for a second neuron on its frame

# A line too long for one row breaks first at a top-level relation (derive.latex.RELATIONS), then at a
# top-level binary + or −.
_TERMS = (" + ", " - ")


def _row_text(rel: str, part: str, reveal: str | None, indent: str = "") -> str:
    """One relation and its right side; from `reveal` on (an overlay step) only uncovered then."""
    text = indent + " ".join(t for t in (rel, part) if t)
    return f"{{}}\\uncover<{reveal}->{{{{}}{text}}}" if reveal else text


def _rows(line: str, mode: str, reveal: tuple[int, str] | None = None) -> str:
    """An aligned body for `line`: `one` row; `two` rows, broken before the relation revealed later
    (else before the last relation); a row per relation (`rel`); a row per relation, its right side
    cut at a top-level + or − into two rows (`halves`) or one row per term (`terms`). With `reveal`
    = (k, step), the k-th relation on is uncovered at that overlay step."""
    pieces = top_level_split(line, RELATIONS)
    lhs, rest = pieces[0][1], pieces[1:]
    if not rest:
        return lhs
    cut = reveal[0] if reveal else len(rest)
    rows: list[list[str]] = []
    for n, (rel, part) in enumerate(rest, start=1):
        shown = reveal[1] if reveal and n >= reveal[0] else None
        bits = top_level_split(part, _TERMS) if mode in ("halves", "terms") else [("", part)]
        size = math.ceil(len(bits) / 2) if mode == "halves" else 1 if mode == "terms" else len(bits)
        texts = []
        for i in range(0, len(bits), size):
            chunk = [f"{op} {bit}".strip() for op, bit in bits[i : i + size]]
            texts.append(_row_text(rel if i == 0 else "", " ".join(chunk), shown, "" if i == 0 else "\\quad "))
        joined = mode == "one" or (mode == "two" and n not in (1, cut))
        if joined and rows:
            rows[-1].extend(texts)
        else:
            rows.extend([[t] for t in texts])
    if mode == "one":
        return f"{lhs} " + " ".join(rows[0])
    lines = [" ".join(r) for r in rows]
    return " \\\\\n".join([f"{lhs} &{lines[0]}"] + [f"&{r}" for r in lines[1:]])


def fit(line: str, reveal_at: int = 0, step: int | str = "") -> str:
    """A display line that keeps to the frame: `\\fitline{one row}{two rows}{a row per relation}{its
    terms in two rows}{a row per term}`; the deck's \\fitline sets the first of these that fits the
    line's width. With `reveal_at` = k and an overlay `step`, the k-th relation on appears only then."""
    reveal = (reveal_at, str(step)) if reveal_at and step else None
    modes = ("one", "two", "rel", "halves", "terms")
    return "\\fitline" + "".join("{" + _rows(line, mode, reveal) + "}" for mode in modes)


def forward_frames(steps) -> list[list]:
    """The forward steps two to a frame, or one alone when its weighted sum is long (more than
    SHORT_SUM terms: it takes several rows)."""
    frames: list[list] = []
    for step in steps:
        sums = [top_level_split(part, _TERMS) for _, part in top_level_split(step.z_line, RELATIONS)[1:2]]
        long = any(len(terms) > SHORT_SUM for terms in sums)
        if frames and len(frames[-1]) == 1 and not long and not frames[-1][0][1]:
            frames[-1].append((step, long))
        else:
            frames.append([(step, long)])
    return [[step for step, _ in frame] for frame in frames]


def relations(line: str) -> int:
    """How many relations (=, ≈) a line has at its top level."""
    return len(top_level_split(line, RELATIONS)) - 1


def factor_rows(factors) -> list[list]:
    """A path's factors in rows of at most FACTORS_PER_ROW, as even as they go (4 → 2 + 2)."""
    factors = list(factors)
    rows = max(1, math.ceil(len(factors) / FACTORS_PER_ROW))
    per = math.ceil(len(factors) / rows) if factors else 1
    return [factors[i : i + per] for i in range(0, len(factors), per)]


_NEGATIVE = re.compile(r"^-")


def factor_value(value: str) -> str:
    """A factor's number in a product: in brackets when negative, as the notes write it."""
    return f"\\left({value}\\right)" if _NEGATIVE.match(value) else value


def result(line: str) -> str:
    """The last relation of a line and its right side (`\\approx 0.5`, or `= 2` when exact)."""
    rel, part = top_level_split(line, RELATIONS)[-1]
    return f"{rel} {part}"


def picture_height(factors: int) -> float:
    """The greatest height of a path's picture above its factors, as a fraction of the frame's
    \\textheight: what one row of factors (FACTORS_PER_ROW) and a formula of two rows leave, or less when
    the factors take two rows. (Beside the factors, in half the frame's width, every example's picture
    came out smaller than across the frame above them.)"""
    return PICTURE_HEIGHT if factors <= FACTORS_PER_ROW else PICTURE_HEIGHT_LOW


PICTURE_HEIGHT, PICTURE_HEIGHT_LOW = 0.4, 0.2


def sum_height(paths: int) -> float:
    """The greatest height of the picture of every path on the frame that adds up their products, as a
    fraction of \\textheight: less for each path's line below it, none when the lines leave too little."""
    height = SUM_HEIGHT - SUM_LINE * (paths - 2)
    return round(height, 3) if height >= 0.15 else 0.0


SUM_HEIGHT, SUM_LINE = 0.42, 0.07  # the picture above two paths' products; what one more path's line takes


def steps(count: int) -> list[str]:
    """The overlay steps at which each of a path's `count` factors is shown (its formula at 2k, its
    number at 2k + 1): what the picture of the path marks on its edge at those steps."""
    return [f"{2 * k}-{2 * k + 1}" for k in range(1, count + 1)]


def route_pictures(doc: Document) -> dict[str, list[dict]]:
    """Parameter -> for each of its paths, the TikZ of that path alone lit (each factor's edge marked
    while the factor is shown) and its greatest height (`picture_height`); none for a brief derivation."""
    pics = doc.pictures
    out: dict[str, list[dict]] = {}
    if pics is None or not doc.backward.available:
        return out
    for d in doc.backward.derived:
        if not d.paths or d.like is not None:
            continue
        drawn = [pics.route_tikz(d.name, k, steps(len(p.factors))) for k, p in enumerate(d.paths)]
        if all(drawn):
            out[d.name] = [
                {"tikz": tikz, "height": picture_height(len(p.factors))}
                for tikz, p in zip(drawn, d.paths, strict=True)
                if tikz is not None
            ]
    return out


SLIDE_FILTERS: dict[str, Callable[..., Any]] = {
    "tex_escape": tex_escape,
    "pdf_text": pdf_text,
    "fit": fit,
    "relations": relations,
    "result": result,
    "factor_rows": factor_rows,
    "factor_value": factor_value,
    "sum_height": sum_height,
}


def render_slides(doc: Document, templates: Path | None = None) -> str:
    """The Beamer source of the deck for `doc` (diagrams where `doc.pictures` holds them)."""
    # The TikZ of the slides' drawing (derive.pictures.diagram.scene(…, slide=True): the notes' layout
    # with larger text, fitted to a 16:9 frame); the deck shows no plot, so no file goes beside it.
    pictures = doc.pictures.slide_tikz if doc.pictures is not None else {}
    network = pictures.get("network") if isinstance(pictures.get("network"), str) else None
    paths = pictures.get("paths") if isinstance(pictures.get("paths"), dict) else {}
    table = list(doc.backward.params)
    env = environment("tex", templates, SLIDE_FILTERS)
    page = render_template(
        env,
        TEMPLATE,
        doc=doc,
        title=doc.title,
        network=network,
        path_pictures=paths,
        routes=route_pictures(doc),
        forward=forward_frames(doc.forward),
        table=[table[i : i + TABLE_ROWS] for i in range(0, len(table), TABLE_ROWS)],
    )
    return re.sub(r"\n{3,}", "\n\n", page).lstrip()


def compile_slides(tex: str) -> bytes:
    """The deck as PDF, through the notes' sandboxed LaTeX run."""
    from derive.render.tex import compile_pdf

    return compile_pdf(tex, once=True)  # a deck refers to nothing on another frame: one run sets every page
