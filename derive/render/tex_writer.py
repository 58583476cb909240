"""The LaTeX writer: walks a document tree (derive.render.tree) and knows only LaTeX markup.

Every document's words come from its one Markdown template; this writer decides how each kind of
element is set in LaTeX: numbered sections where the Markdown numbers its headings, booktabs tables
(numbers right-aligned with a real minus sign; a long table as a longtable, a wide one with its
widest text column wrapped), displayed formulas that break instead of running into the margin
(\\fitmath, \\fitrhs from tex/preamble.tex.j2), and pictures as the TikZ or PDF the caller drew.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from derive.escape import tex_escape
from derive.render.tree import Formula, InlineWriter, Tree

LONG_TABLE = 20  # rows: a longer table breaks across pages (a longtable) and repeats its head
TEXT_WIDTH = 78  # characters of 11 pt text per line on A4 with 2.5 cm margins, roughly
_NUMBERED = re.compile(r"(\d+)\.\s+(.*)", re.S)
_NUMBER = re.compile(r"[-−+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_ALIGNED = re.compile(r"\\begin\{aligned\}(.*)\\end\{aligned\}", re.S)
_ROW_END = re.compile(r"\s*\\\\\s*\n")


def write(tree: Tree, pictures: Mapping[str, str] | None = None) -> str:
    """The body of a LaTeX document (what goes between \\begin{document} and \\end{document}).
    `pictures` maps an image's source (as the Markdown names it) to the TeX that draws it; an image
    without one is left out."""
    return _Writer(tree, pictures or {}).blocks(tree.root).strip() + "\n"


class _Writer(InlineWriter):
    def __init__(self, tree: Tree, pictures: Mapping[str, str]):
        self.tree = tree
        self.pictures = pictures
        self.titled = False  # whether a title (h1) has been written

    # -- blocks ------------------------------------------------------------------------------------
    def blocks(self, parent: ET.Element) -> str:
        """The children in order; consecutive displayed formulas become one align* (a forward step's
        z and O lines line up on their = signs, as a lecturer writes them)."""
        out, run = [], []
        for child in parent:
            formula = self.tree.only_formula(child) if child.tag == "p" else None
            if formula is not None and formula.display and (rows := _rows(formula.tex)) is not None:
                run.append(rows)
                continue
            out.append(self._run(run))
            run = []
            out.append(self.block(child))
        out.append(self._run(run))
        return "".join(out)

    def _run(self, run: list[list[str]]) -> str:
        if not run:
            return ""
        if len(run) == 1 and len(run[0]) == 1 and "&=" not in run[0][0]:
            return f"\\fitmath{{{run[0][0]}}}\n\n"
        lines = []
        for rows in run:
            lines += [_align_row(row) for row in rows]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n\n"

    def block(self, e: ET.Element) -> str:
        method = getattr(self, f"_block_{e.tag}", None)
        if method is None:
            return self.inline(e) + "\n\n"
        return method(e)

    def _block_h1(self, e: ET.Element) -> str:
        """The title, centred; a second title starts a second document (an answer key's worked
        solution) on a new page."""
        new_page = "\\clearpage\n" if self.titled else ""
        self.titled = True
        return f"{new_page}\\begin{{center}}\n{{\\LARGE\\bfseries {self.inline(e)}\\par}}\n\\end{{center}}\n\n"

    def _block_h2(self, e: ET.Element) -> str:
        return self._heading(e, "section")

    def _block_h3(self, e: ET.Element) -> str:
        return self._heading(e, "subsection")

    def _block_h4(self, e: ET.Element) -> str:
        return self._heading(e, "subsubsection")

    def _heading(self, e: ET.Element, command: str) -> str:
        """`## 2. Forward propagation` is LaTeX's numbered \\section; an unnumbered heading is starred
        and still in the PDF's outline. The Markdown heading id becomes the label links point at."""
        label = f"\\label{{{e.get('id')}}}" if e.get("id") else ""
        keep = "\\needspace{8\\baselineskip}\n"  # room for the heading and what it introduces
        numbered = _NUMBERED.fullmatch(e.text or "") if e.tag == "h2" and not len(e) else None
        if numbered:
            return f"{keep}\\{command}{{{self.text(numbered.group(2))}}}{label}\n\n"
        title = self.inline(e)
        bookmark = tex_escape("".join(e.itertext()).strip())
        return (
            f"{keep}\\{command}*{{{title}}}\\phantomsection{label}"
            f"\\addcontentsline{{toc}}{{{command}}}{{\\texorpdfstring{{{title}}}{{{bookmark}}}}}\n\n"
        )

    def _block_p(self, e: ET.Element) -> str:
        formula = self.tree.only_formula(e)
        if formula is not None and formula.display:
            return self.display(formula.tex) + "\n\n"
        if len(e) == 1 and e[0].tag == "img" and not (e.text or "").strip() and not (e[0].tail or "").strip():
            return self._picture(e[0])
        return self.inline(e).strip() + "\n\n"

    def _picture(self, img: ET.Element) -> str:
        tex = self.pictures.get(img.get("src", ""))
        return f"\\begin{{center}}\n{tex.strip()}\n\\end{{center}}\n\n" if tex else ""

    def _block_ul(self, e: ET.Element) -> str:
        return self._list(e, "itemize")

    def _block_ol(self, e: ET.Element) -> str:
        return self._list(e, "enumerate")

    def _list(self, e: ET.Element, env: str) -> str:
        items = []
        for li in e:
            body = self.blocks(li).strip() if any(c.tag in ("p", "ul", "ol") for c in li) else self.inline(li).strip()
            items.append(f"\\item {body}")
        return f"\\begin{{{env}}}\n" + "\n".join(items) + f"\n\\end{{{env}}}\n\n"

    def _block_blockquote(self, e: ET.Element) -> str:
        return f"\\begin{{quote}}\n{self.blocks(e).strip()}\n\\end{{quote}}\n\n"

    def _block_pre(self, e: ET.Element) -> str:
        code = "".join(e.itertext()).rstrip("\n").replace("\\end{verbatim}", "\\end {verbatim}")
        return f"\\begin{{verbatim}}\n{code}\n\\end{{verbatim}}\n\n"

    def _block_hr(self, e: ET.Element) -> str:
        return "\\medskip\\noindent\\rule{\\linewidth}{0.4pt}\n\n"

    def _block_div(self, e: ET.Element) -> str:
        return self.blocks(e)

    # -- tables ------------------------------------------------------------------------------------
    def _block_table(self, e: ET.Element) -> str:
        head = [c for row in e.iter("thead") for tr in row for c in tr]
        rows = [list(tr) for body in e.iter("tbody") for tr in body]
        numeric = [
            bool(rows)
            and all(self._is_number(r[i]) for r in rows if i < len(r) and _plain(r[i]))
            and any(_plain(r[i]) for r in rows if i < len(r))
            for i in range(len(head))
        ]
        spec, scale = self._columns(head, rows, numeric)
        top = " & ".join(self._head_cell(c, n) for c, n in zip(head, numeric, strict=True)) + " \\\\"
        body = "".join(
            " & ".join(self._cell(c, numeric[i] if i < len(numeric) else False) for i, c in enumerate(r)) + " \\\\\n"
            for r in rows
        )
        size = next((command for limit, command in _SIZES if scale <= limit), "\\tiny")
        if len(rows) <= LONG_TABLE:
            table = f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n{top}\n\\midrule\n{body}\\bottomrule\n\\end{{tabular}}"
            if scale > _SIZES[-1][0]:  # too wide even in the smallest readable size: shrink to the line
                size, table = "", f"\\resizebox{{\\linewidth}}{{!}}{{{table}}}"
            return f"\\par\\nopagebreak\\smallskip\\noindent\\makebox[\\linewidth]{{{size}{table}}}\\par\n\n"
        return (
            f"{{{size}\\setlength{{\\tabcolsep}}{{{_gap(scale)}}}\n\\begin{{longtable}}{{{spec}}}\n\\toprule\n{top}\n"
            f"\\midrule\n\\endhead\n{body}\\bottomrule\n\\end{{longtable}}}}\n\n"
        )

    def _columns(self, head: list[ET.Element], rows: list[list[ET.Element]], numeric: list[bool]) -> tuple[str, float]:
        """(column spec, how many lines wide the table is at normal size). r for numbers, l for text;
        when the table is wider than the line, its widest text column becomes a paragraph column
        (p{…}) that takes what the others leave; when they leave it less than a quarter of the line,
        the next widest is wrapped too, and so on, the wrapped columns sharing the room by their text."""
        widths = [
            max([self._width(c) for c in [head[i], *(r[i] for r in rows if i < len(r))]], default=0)
            for i in range(len(head))
        ]
        kinds = ["r" if n else "l" for n in numeric]
        total: float = sum(widths) + 2 * len(widths)
        if total > TEXT_WIDTH:
            wrapped: list[int] = []
            for i in sorted((i for i, n in enumerate(numeric) if not n and widths[i] > 12), key=lambda i: -widths[i]):
                wrapped.append(i)
                rest = sum(w for j, w in enumerate(widths) if j not in wrapped) + 2 * len(widths)
                if rest <= 0.75 * TEXT_WIDTH:
                    break
            if wrapped:
                room = max(0.25, min(0.7, 1 - rest / TEXT_WIDTH))
                for i in wrapped:
                    share = room * widths[i] / sum(widths[j] for j in wrapped)
                    kinds[i] = f">{{\\raggedright\\arraybackslash}}p{{{share:.2f}\\linewidth}}"
                total = rest + room * TEXT_WIDTH
        return "@{}" + "".join(kinds) + "@{}", total / TEXT_WIDTH

    def _width(self, c: ET.Element) -> int:
        """Characters the cell takes when typeset, roughly (a formula by its visible symbols)."""
        width = 0
        for part in self.tree.split("".join(c.itertext())):
            width += _visible(part.tex) if isinstance(part, Formula) else len(part)
        return width

    def _head_cell(self, c: ET.Element, numeric: bool) -> str:
        text = self.inline(c).strip()
        return f"\\multicolumn{{1}}{{c}}{{{text}}}" if numeric and text else text

    def _cell(self, c: ET.Element, numeric: bool) -> str:
        if numeric and _plain(c):
            return self._number(_plain(c))
        return self.inline(c).strip()

    def _is_number(self, c: ET.Element) -> bool:
        return bool(_NUMBER.fullmatch(_plain(c)))

    @staticmethod
    def _number(text: str) -> str:
        """A number as maths, so a negative one has a real minus sign."""
        return f"${text.replace('−', '-')}$"

    # -- inline ------------------------------------------------------------------------------------
    def span(self, e: ET.Element) -> str:
        inner = self.inline(e)
        if e.tag == "strong":
            return f"\\textbf{{{inner}}}"
        if e.tag == "em":
            return f"\\emph{{{inner}}}"
        if e.tag == "code":
            return f"\\texttt{{{tex_escape(''.join(e.itertext()))}}}"
        if e.tag == "a":
            href = e.get("href", "")
            if href.startswith("#"):
                return f"\\hyperref[{href[1:]}]{{{inner}}}"
            return f"\\href{{{_url(href)}}}{{{inner}}}"
        if e.tag == "br":
            return "\\\\\n"
        if e.tag == "img":
            return self._picture(e).strip()
        return inner

    def text(self, text: str | None) -> str:
        out = []
        for part in self.tree.split(text):
            if isinstance(part, Formula):
                out.append(self.display(part.tex) if part.display else _inline_maths(part.tex))
            else:
                out.append(tex_escape(part))
        return "".join(out)

    def display(self, tex: str) -> str:
        """A displayed formula; an `aligned` block becomes align* rows whose right sides break."""
        rows = _rows(tex)
        if rows is None or (len(rows) == 1 and "&=" not in rows[0]):
            return f"\\fitmath{{{tex}}}"
        return "\\begin{align*}\n" + " \\\\\n".join(_align_row(r) for r in rows) + "\n\\end{align*}"


def _rows(tex: str) -> list[str] | None:
    """The rows of a displayed formula for align*: an aligned block's rows as written, or one
    equation split at its first top-level `=`; None for a formula with no `=` to align on."""
    tex = tex.strip()
    aligned = _ALIGNED.fullmatch(tex)
    if aligned:
        return [r.strip() for r in _ROW_END.split(aligned.group(1).strip()) if r.strip()]
    depth = 0
    for i, char in enumerate(tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and tex.startswith(" = ", i):
            return [f"{tex[:i]} &= {tex[i + 3 :]}"]
    return None


def _align_row(row: str) -> str:
    """`lhs &= rhs` with the right side in \\fitrhs, so a long one breaks instead of overflowing."""
    lhs, sep, rhs = row.partition("&=")
    return f"{lhs.strip()} &= \\fitrhs{{{rhs.strip()}}}" if sep else row


def _inline_maths(tex: str) -> str:
    """Inline maths; a long formula in running text may break at + and = (\\textfit)."""
    return f"\\textfit{{{tex}}}" if len(tex) > 60 else f"${tex}$"


def _plain(c: ET.Element) -> str:
    """The cell's text when it is plain text only (no formula, no markup), else ''."""
    return (c.text or "").strip() if not len(c) and "XMATHQ" not in (c.text or "") else ""


def _visible(tex: str) -> int:
    """Roughly how many characters wide a formula is: commands and braces take no room, a fraction
    the wider of its parts (approximated by half its symbols)."""
    plain = re.sub(r"\\[A-Za-z]+|[{}_^&]", "", tex)
    return max(1, len(plain) // 2 if "\\frac" in tex else len(plain))


def _gap(scale: float) -> str:
    return "6pt" if scale <= 1 else "3pt"


# Font sizes for a table this many lines wide at normal size (11 pt): what fits the line.
_SIZES = ((1.0, ""), (1.1, "\\small"), (1.25, "\\footnotesize"), (1.45, "\\scriptsize"))


def _url(href: str) -> str:
    return href.replace("\\", "/").replace("%", "\\%").replace("#", "\\#")
