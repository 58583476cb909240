"""The notes as one interactive page (`derive -f html --interactive`): the same words as the ordinary
page (the notes' Markdown, converted by derive.render.html's reader), with the network kept in view
while the reader steps through the derivation, each step lighting the edges and neurons it is about,
and a "your turn" mode that hides a line's result and judges the value typed with derive check's
rule (derive/check/numeric.py, written again in the page's script).

What this module adds to the ordinary conversion:
- every displayed formula becomes rows (`<div class="rows">` of `<div class="row">`), one per line
  of an aligned block, each with its left side, its working and its result in cells of their own, so
  a row can be a step, take the keyboard focus, and have its result hidden;
- `data-on` on each row (and on inline maths naming a neuron, an input, a parameter or a route): the
  diagram's edges ("source>target") and nodes (by name) it concerns, looked up from the Document's
  own factors, paths and neurons by the TeX the notes print;
- `data-value` on a result: its value, exactly when short, else to 30 significant digits (derive
  check judges to at most 30);
- the network's SVG inline beside the notes, and the script, allowed by the CSP's hash of it.

With JavaScript off the page is the ordinary notes: the panel stays hidden, every step is shown.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

import markdown as markdown_lib

from derive.latex import RELATIONS, partial, tex_name, top_level_split
from derive.numbers import Num, show
from derive.render.html import HtmlMaths, formula_html, inline_images
from derive.render.mathml import to_mathml
from derive.steps.notes import Document
from derive.templating import environment, render_template

PAGE_TEMPLATE = "html/interactive.html.j2"
SCRIPT_TEMPLATE = "html/interactive.js.j2"
VALUE_DIGITS = 30  # derive check judges an answer to at most 30 significant digits (check/numeric.py)
_ROW_BREAK = re.compile(r"\\\\\s*\n")
_ALIGNED = re.compile(r"\s*\\begin\{aligned\}(.*)\\end\{aligned\}\s*", re.S)


def render_interactive(doc: Document, text: str, templates: Path | None = None) -> str:
    """The interactive page of `doc` from its notes' Markdown `text` (derive.render.notes.markdown);
    with its pictures drawn, the network is shown beside the notes."""
    pictures = doc.pictures
    network_ref = pictures.refs.get("network") if pictures is not None else None
    maths = _RowMaths(highlight_keys(doc), doc.results)
    md = markdown_lib.Markdown(extensions=["tables", "toc", "fenced_code", maths], output_format="html")
    body = md.convert(text)
    if network_ref:  # the picture in the flow of the notes: shown without the script, hidden with it
        body = body.replace(f'src="{html.escape(network_ref)}"', f'class="network-in-flow" src="{network_ref}"', 1)
    files = pictures.files if pictures is not None else {}
    body = inline_images(body, None, files)
    svg = files.get(network_ref) if network_ref else None
    env = environment("html", templates)
    script = render_template(env, SCRIPT_TEMPLATE)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return render_template(
        env,
        PAGE_TEMPLATE,
        title=doc.title,
        body=body,
        diagram=_svg_inline(svg) if isinstance(svg, str) else "",
        script=script,
        script_hash=f"sha256-{digest}",
    )


def _svg_inline(svg: str) -> str:
    """The network's SVG as an element of the page, scaled to its panel (no width or height of its own)."""
    end = svg.index(">")
    return re.sub(r'\s(?:width|height)="[^"]*"', "", svg[:end]) + svg[end:]


# ---- what each formula is about ----------------------------------------------------------------------


def norm(tex: str) -> str:
    """TeX with its spacing made uniform, for looking it up."""
    return re.sub(r"\s+", " ", tex).strip()


def highlight_keys(doc: Document) -> dict[str, tuple[str, ...]]:
    """TeX the notes print (a left side, a whole line, an inline name) to the diagram's edges and nodes
    it concerns: a neuron's z and O, an input, a parameter, the loss, every chain-rule factor, path,
    route, product, gradient and update."""
    keys: dict[str, tuple[str, ...]] = {}
    if doc.values is None:
        return keys
    net = doc.values.net

    def add(tex: str, on) -> None:
        k = norm(tex)
        keys[k] = tuple(dict.fromkeys((*keys.get(k, ()), *on)))

    own: dict[str, list[str]] = {}  # parameter -> its edges (a weight) or neuron (a bias)
    z_lines = {step.neuron: step.z_line for step in doc.forward}
    for n in net.neurons:
        incoming = [f"{e.source}>{n.name}" for e in n.edges]
        add(tex_name(n.name), (n.name,))
        for e in n.edges:
            if isinstance(e.weight, str):
                own.setdefault(e.weight, []).extend([f"{e.source}>{n.name}", n.name, e.source])
        if isinstance(n.bias, str):
            own.setdefault(n.bias, []).append(n.name)
        if n.name in z_lines:
            add(_lhs(z_lines[n.name]), (n.name, *incoming))
    for x in net.inputs:
        add(tex_name(x), (x,))
    outputs = list(net.outputs)
    add("L", ("L", *(f"{o}>L" for o in outputs), *outputs))
    for error in doc.loss.get("errors", []):
        o = next((o for o in outputs if tex_name(o) == error["output"]), None)
        if o is not None:
            add(f"{error['target']} - {error['output']}", (o, "L", f"{o}>L"))
    for p, on in own.items():
        add(tex_name(p), on)
        add(rf"{tex_name(p)}^{{\text{{new}}}}", on)
    for d in doc.backward.derived:
        whole = tuple(x for path in d.paths or () for x in path.on) or tuple(own.get(d.name, ()))
        add(partial("L", d.tex), whole)
        for path in d.paths or ():
            for tex in (path.route, path.chain, path.product_line):
                add(tex, path.on)
            for f in path.factors:
                add(f.symbol, f.on)
    return keys


def _lhs(line: str) -> str:
    return top_level_split(line.replace("&", "", 1), RELATIONS)[0][1]


# ---- formulas as rows ----------------------------------------------------------------------------------


class _RowMaths(HtmlMaths):
    """Maths to MathML as in the ordinary page, but each displayed formula as rows that can be stepped
    through, focused and asked, and inline names marked with what they are in the diagram."""

    def __init__(self, keys: dict[str, tuple[str, ...]], results: dict):
        super().__init__([])  # a formula MathML cannot show stays TeX, as in the ordinary page
        self.keys, self.results = keys, results

    def markup(self, tex: str, display: bool, alone: bool) -> str:
        return self.rows(tex) if display and alone else self.inline(tex, display, alone)

    def inline(self, tex: str, display: bool, alone: bool) -> str:
        out = formula_html(tex, display, self.failures, alone)
        on = self.keys.get(norm(tex))
        return f'<span class="ref" data-on="{html.escape(" ".join(on))}">{out}</span>' if on and not display else out

    def rows(self, tex: str) -> str:
        m = _ALIGNED.fullmatch(tex)
        lines = [x for x in _ROW_BREAK.split(m.group(1) + "\n") if x.strip()] if m else [tex]
        out: list[str] = []
        before: tuple[str, ...] = ()
        for line in lines:
            html_row, before = self.row(line.strip(), before)
            out.append(html_row)
        return '<div class="math-display rows">' + "".join(out) + "</div>"

    def row(self, line: str, before: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """One row's HTML and what it is about: its left side's, its whole text's, or (a row that goes
        on with `= …`) the text after its relation's or the row before's."""
        text = line.replace("&", "", 1).strip()
        lead = next((r.strip() for r in RELATIONS if text.startswith(r.strip() + " ")), None)
        if lead:  # no left side: it continues the row above
            rest = top_level_split(text[len(lead) :].strip(), RELATIONS)
            pieces = [("", ""), (lead, rest[0][1]), *rest[1:]]
        else:
            pieces = top_level_split(text, RELATIONS)
        candidates = [pieces[0][1], text] + ([text[len(lead) :]] if lead else [])
        on = next((self.keys[k] for k in map(norm, candidates) if k in self.keys), None)
        on = on if on is not None else (before if lead else ())
        attrs = f' data-on="{html.escape(" ".join(on))}"' if on else ""
        if len(pieces) == 1:
            return f'<div class="row whole" tabindex="0"{attrs}>{self.piece(text)}</div>', on
        lhs = self.piece(pieces[0][1]) if pieces[0][1] else ""
        rel, last = pieces[-1]
        middle = " ".join(f"{r} {p}" for r, p in pieces[1:-1])
        value = self.results.get(last)
        data = f' data-value="{show(value, VALUE_DIGITS)[0]}"' if isinstance(value, Num) else ""
        result = f'<span class="value"{data}>{self.piece(f"{rel} {last}")}</span>'
        working = f'<span class="working">{self.piece(middle)}</span>' if middle else ""
        return (
            f'<div class="row" tabindex="0"{attrs}><span class="lhs">{lhs}</span>'
            f'<span class="rhs">{working}{result}</span></div>'
        ), on

    def piece(self, tex: str) -> str:
        """One cell's formula, set in display style but inline, so cells line up in their row."""
        mathml = to_mathml(tex, True)
        if mathml is None:
            self.failures.append(tex)
            return f'<code class="tex">{html.escape("$$" + tex + "$$")}</code>'
        return mathml.replace('<math display="block"', '<math displaystyle="true"', 1)
