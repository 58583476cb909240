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
from functools import partial

from derive.escape import pdf_text, tex_escape
from derive.render.text_writer import to_unicode
from derive.render.tree import Formula, InlineWriter, Tree

LONG_TABLE = 20  # rows: a longer table breaks across pages (a longtable) and repeats its head
TEXT_WIDTH = 78  # characters of 11 pt text per line on A4 with 2.5 cm margins, roughly
EM = 0.53  # em per character of that text (a wrapped column's width is in em, so it scales with the font)
GAP = 2  # characters between two columns (2 × \tabcolsep)
SMALLEST = 11 / 8  # how much more a line holds in \scriptsize (8 pt), the smallest size a table is planned for
_NUMBERED = re.compile(r"(\d+)\.\s+(.*)", re.S)
_NUMBER = re.compile(r"[-−+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_NUMBER_TEX = re.compile(r"-?(\d+\.?\d*|\.\d+)( \\times 10\^\{-?\d+\})?")
_ALIGNED = re.compile(r"\\begin\{aligned\}(.*)\\end\{aligned\}", re.S)
_TIKZ = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
_NESTING = re.compile(r"\\[{}&]|\\begin\b|\\end\b|[{}&]")  # escaped braces and & are matched to be skipped
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_TEXT_COMMAND = re.compile(r"\\(?:text|mathrm|operatorname|mathbf|mathit)\{([^{}]*)\}")
_MARKUP = "left right big Big bigl bigr Bigl Bigr frac tfrac dfrac displaystyle textstyle , ; ! { } limits"
_COMMAND_WIDTH = {
    **{name: "" for name in _MARKUP.split()},
    **{name: name for name in ["max", "min", "tanh", "log", "exp", "ln", "sin", "cos", "sup", "inf", "det"]},
    "quad": "xx",
    "qquad": "xxxx",
}
_LONG_WORD = re.compile(r"\S{25,}")
_BREAK_AFTER = re.compile(r"/|\{\\ttfamily\\char95\}|\\_")  # a slash, an escaped underscore
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
        bookmark = pdf_text(self._plain_text("".join(e.itertext())).strip())
        return (
            f"{keep}\\{command}*{{{title}}}\\phantomsection{label}"
            f"\\addcontentsline{{toc}}{{{command}}}{{\\texorpdfstring{{{title}}}{{{bookmark}}}}}\n\n"
        )

    def _plain_text(self, text: str) -> str:
        """Text with each formula in Unicode (w₁), for a PDF bookmark, which cannot hold TeX."""
        return "".join(
            (to_unicode(part.tex) or _COMMAND.sub("", part.tex).replace("{", "").replace("}", ""))
            if isinstance(part, Formula)
            else part
            for part in self.tree.split(text)
        )

    def _block_p(self, e: ET.Element) -> str:
        formula = self.tree.only_formula(e)
        if formula is not None and formula.display:
            return self.display(formula.tex) + "\n\n"
        if len(e) == 1 and e[0].tag == "img" and not (e.text or "").strip() and not (e[0].tail or "").strip():
            return self._picture(e[0])
        return self.inline(e).strip() + "\n\n"

    def _picture(self, img: ET.Element) -> str:
        """A picture, centred; each tikzpicture in it scaled down to the line when wider (\\fitpicture)."""
        tex = self.pictures.get(img.get("src", ""))
        if not tex:
            return ""
        tex = _TIKZ.sub(lambda m: f"\\fitpicture{{{m.group(0)}}}", tex.strip())
        return f"\\begin{{center}}\n{tex}\n\\end{{center}}\n\n"

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
        """A booktabs table. Too wide for the line even with its text columns wrapped and set in
        \\scriptsize, it is split into column groups set one after another, each repeating the first
        column; TeX then sets each in the largest size that fits (\\fittable, \\fittablesize)."""
        head = [c for row in e.iter("thead") for tr in row for c in tr]
        rows = [list(tr) for body in e.iter("tbody") for tr in body]
        numeric = [  # a column of numbers (plain, or each a formula that is just a number) is right-aligned
            bool(rows)
            and all(self._is_number(r[i]) for r in rows if i < len(r) and self._filled(r[i]))
            and any(self._filled(r[i]) for r in rows if i < len(r))
            for i in range(len(head))
        ]
        cells = [[head[i], *(r[i] if i < len(r) else None for r in rows)] for i in range(len(head))]
        natural = [max(self._width(c) if c is not None else 0 for c in column) for column in cells]
        least = [
            n if numeric[i] else max(self._least(c) if c is not None else 0 for c in column)
            for i, (n, column) in enumerate(zip(natural, cells, strict=True))
        ]
        return "".join(self._table(head, rows, numeric, natural, least, group) for group in _groups(natural, least))

    def _table(
        self,
        head: list[ET.Element],
        rows: list[list[ET.Element]],
        numeric: list[bool],
        natural: list[int],
        least: list[int],
        group: list[int],
    ) -> str:
        """The columns `group` of a table as a tabular in \\fittable, or a longtable (its size chosen by
        \\fittablesize on its head and widest cells) when it has more than LONG_TABLE rows."""
        most, fewest = [natural[i] for i in group], [least[i] for i in group]
        # planned for the largest font size (11, 10, 9, 8 pt) in which the wrapped columns fit the line
        room = next(
            (TEXT_WIDTH * 11 / pt for pt in (11, 10, 9) if sum(fewest) + GAP * len(group) <= TEXT_WIDTH * 11 / pt),
            TEXT_WIDTH * SMALLEST,
        )
        widths = _wrap(most, fewest, room)
        spec = (
            "@{}"
            + "".join(
                ("r" if numeric[i] else "l")
                if w is None
                else f">{{\\raggedright\\arraybackslash}}p{{{w * EM + 0.4:.1f}em}}"
                for i, w in zip(group, widths, strict=True)
            )
            + "@{}"
        )
        top = " & ".join(self._head_cell(head[i], numeric[i]) for i in group) + " \\\\"

        def row(r: list[ET.Element]) -> str:
            return " & ".join(self._cell(r[i], numeric[i]) if i < len(r) else "" for i in group) + " \\\\\n"

        body = "".join(row(r) for r in rows)
        if len(rows) <= LONG_TABLE:
            return f"\\fittable{{\\begin{{tabular}}{{{spec}}}\n\\toprule\n{top}\n\\midrule\n{body}\\bottomrule\n\\end{{tabular}}}}\n\n"
        # the widest cells of each column, two sample rows, stand for the whole table in the measure
        ranked = [sorted(rows, key=partial(self._width_at, i), reverse=True) for i in group]
        sample = "".join(
            " & ".join(
                self._cell(ranked[k][j][i], numeric[i]) if j < len(ranked[k]) and i < len(ranked[k][j]) else ""
                for k, i in enumerate(group)
            )
            + " \\\\\n"
            for j in range(2)
        )
        return (
            f"{{\\fittablesize{{\\begin{{tabular}}{{{spec}}}\n{top}\n{sample}\\end{{tabular}}}}\n"
            f"\\begin{{longtable}}{{{spec}}}\n\\toprule\n{top}\n"
            f"\\midrule\n\\endhead\n{body}\\bottomrule\n\\end{{longtable}}}}\n\n"
        )

    def _width(self, c: ET.Element) -> int:
        """Characters the cell takes when typeset, roughly (a formula by its visible symbols)."""
        width = 0
        for part in self.tree.split("".join(c.itertext())):
            width += _visible(part.tex) if isinstance(part, Formula) else len(part)
        return width

    def _width_at(self, i: int, row: list[ET.Element]) -> int:
        return self._width(row[i]) if i < len(row) else 0

    def _least(self, c: ET.Element) -> int:
        """Characters of the cell's widest unbreakable piece (a word or a formula): the least width
        it can be wrapped to."""
        pieces = [
            _visible(part.tex) if isinstance(part, Formula) else max((len(w) for w in part.split()), default=0)
            for part in self.tree.split("".join(c.itertext()))
        ]
        return max(pieces, default=0)

    def _head_cell(self, c: ET.Element, numeric: bool) -> str:
        text = self.inline(c).strip()
        return f"\\multicolumn{{1}}{{c}}{{{text}}}" if numeric and text else text

    def _cell(self, c: ET.Element, numeric: bool) -> str:
        if numeric and _plain(c):
            return self._number(_plain(c))
        return self.inline(c).strip()

    def _filled(self, c: ET.Element) -> bool:
        return bool(len(c) or (c.text or "").strip())

    def _is_number(self, c: ET.Element) -> bool:
        formula = self.tree.only_formula(c)
        if formula is not None:
            return bool(_NUMBER_TEX.fullmatch(formula.tex.strip()))
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
            return f"\\texttt{{{_breakable(tex_escape(''.join(e.itertext())))}}}"
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
                out.append(_breakable(tex_escape(part)))
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
    """`lhs &= rhs` with the right side in \\fitrhs, so a long one breaks instead of overflowing; a
    further column (`&& note`) stays outside it."""
    lhs, sep, rhs = row.partition("&=")
    if not sep:
        return row
    depth = 0  # braces and environments (a matrix's & are its own)
    for m in _NESTING.finditer(rhs):
        token = m.group(0)
        depth += {"{": 1, "\\begin": 1, "}": -1, "\\end": -1}.get(token, 0)
        if token == "&" and depth == 0:
            return f"{lhs.strip()} &= \\fitrhs{{{rhs[: m.start()].strip()}}} {rhs[m.start() :].strip()}"
    return f"{lhs.strip()} &= \\fitrhs{{{rhs.strip()}}}"


def _breakable(escaped: str) -> str:
    """Escaped text whose long words (a file's path) may break after each / and _ instead of running
    into the margin; TeX hyphenates neither a path nor typewriter text."""
    return _LONG_WORD.sub(lambda m: _BREAK_AFTER.sub(r"\g<0>\\allowbreak{}", m.group(0)), escaped)


def _inline_maths(tex: str) -> str:
    """Inline maths; a long formula in running text may break at + and = (\\textfit)."""
    return f"\\textfit{{{tex}}}" if len(tex) > 60 else f"${tex}$"


def _plain(c: ET.Element) -> str:
    """The cell's text when it is plain text only (no formula, no markup), else ''."""
    return (c.text or "").strip() if not len(c) and "XMATHQ" not in (c.text or "") else ""


def _visible(tex: str) -> int:
    """Roughly how many characters wide a formula is: a symbol command (\\partial, \\lvert) takes one,
    an operator name (\\max, \\tanh) its letters, markup (\\left, \\mathrm, braces) none, a fraction
    the wider of its parts (approximated by half its symbols)."""
    plain = _TEXT_COMMAND.sub(r"\1", tex)
    plain = _COMMAND.sub(lambda m: _COMMAND_WIDTH.get(m.group(1), "x"), plain)
    plain = re.sub(r"[{}_^&\s]", "", plain)
    plain = re.sub(r"[=+<>−-]", "xx", plain)  # an operator with its spaces
    return max(1, len(plain) // 2 if "\\frac" in tex else len(plain))


def _wrap(natural: list[int], least: list[int], room: float = TEXT_WIDTH) -> list[float | None]:
    """Each column's width when the table is wider than `room` characters: the widest columns are
    narrowed (wrapped) to a common width, never below their widest word, until the table fits or
    every column is at its least; None for a column left at its natural width."""
    gaps = GAP * len(natural)
    if sum(natural) + gaps <= room:
        return [None] * len(natural)
    low, high = 0.0, float(max(natural))
    for _ in range(40):  # the common width, by bisection
        cap = (low + high) / 2
        if sum(min(n, max(m, cap)) for n, m in zip(natural, least, strict=True)) + gaps > room:
            high = cap
        else:
            low = cap
    return [None if n <= max(m, low) else max(m, low) for n, m in zip(natural, least, strict=True)]


def _groups(natural: list[int], least: list[int]) -> list[list[int]]:
    """The column groups a table is set in: all its columns when, wrapped, they fit the line in
    \\scriptsize; else as few groups as fit, each starting with the first column (the row's name)."""
    room = TEXT_WIDTH * SMALLEST
    if len(natural) <= 2 or sum(least) + GAP * len(least) <= room:
        return [list(range(len(natural)))]
    key = least[0] + GAP
    rest = list(range(1, len(natural)))
    total = sum(least[i] + GAP for i in rest)
    count = max(2, -(-total // max(room - key, 1)))
    while True:  # as even as the columns allow, each group within the line
        target = total / count
        groups: list[list[int]] = [[]]
        used = width_in_group = 0.0
        for i in rest:
            width = least[i] + GAP
            full = width_in_group + width > room - key or used + width / 2 > target * len(groups)
            if groups[-1] and full:
                groups.append([])
                width_in_group = 0.0
            groups[-1].append(i)
            used += width
            width_in_group += width
        if len(groups) <= count or count >= len(rest):
            return [[0, *g] for g in groups]
        count += 1


def _url(href: str) -> str:
    return href.replace("\\", "/").replace("%", "\\%").replace("#", "\\#")
