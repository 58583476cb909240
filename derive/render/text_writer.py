"""The plain-text writer: walks a document tree (derive.render.tree) and lays it out for a terminal.

Every document's words come from its one Markdown template; this writer decides only how each kind
of element looks in plain text: headings underlined (`=` for the top levels, `-` below them),
paragraphs filled to a width (breaking only at spaces, so a long word or a formula stays whole),
lists with `- ` and a hanging indent, tables as aligned columns (numbers right-aligned, a rule under
the head, the widest text columns wrapped when the table is wider than the line), emphasis as its
bare text, and maths as Unicode where every command in it has a faithful plain-text form
(`\\partial` → ∂, `\\frac{a}{b}` → a/b, `_{1}` → ₁), otherwise as its TeX source.

Widths are counted in terminal cells (a wide East Asian character takes two, a combining accent
none), so columns stay aligned with ✓, σ or ŷ in them.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable

from derive.render.tree import Formula, InlineWriter, Tree

WIDTH = 100  # characters per line: what a terminal of today shows without wrapping
GAP = 2  # spaces between table columns
MIN_COLUMN = 12  # a wrapped table column is never narrower than this
_NUMBER = re.compile(r"[-−+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?")
# Placeholders while a paragraph is filled: a space that must not break (inside a formula) and a
# hard line break (<br>). Both are control characters Markdown text never carries.
_KEEP = "\x00"
_BREAK = "\x01"
_ALIGN = re.compile(r"\\begin\{(aligned|align\*?|gathered|split)\}(.*)\\end\{\1\}", re.S)


def write(tree: Tree, width: int = WIDTH) -> str:
    """The document as plain text, lines at most `width` cells long where words allow."""
    text = _Writer(tree).blocks(list(tree.root), width)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")) + "\n"


def cells(text: str) -> int:
    """How many terminal cells `text` takes."""
    n = 0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return n


def fill(text: str, width: int) -> list[str]:
    """`text` filled into lines of at most `width` cells, breaking only at spaces (never inside a
    formula, nor at a no-break space). A word longer than a line stays whole on a line of its own."""
    lines: list[str] = []
    for segment in text.split(_BREAK):
        line = ""
        for word in _words(segment):
            word = word.replace(_KEEP, " ")
            if line and cells(line) + 1 + cells(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def _words(text: str) -> list[str]:
    """The words of `text`, split at ASCII white space only (str.split would also split at U+00A0)."""
    return [w for w in re.split(r"[ \t\n\r\f\v]+", text) if w]


class _Writer(InlineWriter):
    def __init__(self, tree: Tree):
        self.tree = tree

    # -- blocks: each returns its lines joined by "\n", without a trailing blank line -------------
    def blocks(self, elements: list[ET.Element], width: int) -> str:
        out = [self.block(e, width) for e in elements]
        return "\n\n".join(b for b in out if b.strip())

    def block(self, e: ET.Element, width: int) -> str:
        if e.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return self.heading(e, width)
        method = getattr(self, f"_block_{e.tag}", None)
        if method is not None:
            return method(e, width)
        return "\n".join(fill(self.inline(e), width))

    def heading(self, e: ET.Element, width: int) -> str:
        """Setext style: `=` under the document's top levels, `-` under a section's parts; deeper
        headings are a line of their own (the blank lines around them set them apart)."""
        title = " ".join(_words(self.inline(e).replace(_BREAK, " "))).replace(_KEEP, " ")
        rule = {"h1": "=", "h2": "=", "h3": "-"}.get(e.tag)
        return f"{title}\n{rule * cells(title)}" if rule else title

    def _block_p(self, e: ET.Element, width: int) -> str:
        formula = self.tree.only_formula(e)
        if formula is not None and formula.display:
            return "\n".join("    " + line for line in display_maths(formula.tex))
        return "\n".join(fill(self.inline(e), width))

    def _block_ul(self, e: ET.Element, width: int) -> str:
        return self._list(e, width, lambda i: "- ")

    def _block_ol(self, e: ET.Element, width: int) -> str:
        start = int(e.get("start", "1"))
        last = len(f"{start + len(e) - 1}. ")
        return self._list(e, width, lambda i: f"{start + i}. ".ljust(last))

    def _list(self, e: ET.Element, width: int, marker: Callable[[int], str]) -> str:
        """Each item's first line after its marker, the rest under the item's text; a list whose
        items hold paragraphs (a loose list in Markdown) keeps a blank line between items."""
        loose = any(child.tag == "p" for li in e for child in li)
        items = []
        for i, li in enumerate(e):
            bullet = marker(i)
            indent = " " * len(bullet)
            body = self._item(li, width - len(bullet))
            lines = body.split("\n") if body else [""]
            items.append("\n".join([bullet + lines[0]] + [indent + line if line else "" for line in lines[1:]]))
        return ("\n\n" if loose else "\n").join(items)

    def _item(self, li: ET.Element, width: int) -> str:
        """An item's text: its own words, then its blocks (a nested list, a paragraph, code)."""
        parts = []
        words = self.inline_until_block(li)
        if words.strip():
            parts.append("\n".join(fill(words, width)))
        blocks = [c for c in li if c.tag in _BLOCK_TAGS]
        if blocks:
            nested = self.blocks(blocks, width)
            tight = all(c.tag in ("ul", "ol") for c in blocks) and not any(c.tag == "p" for c in li)
            parts.append(nested)
            return ("\n" if tight else "\n\n").join(p for p in parts if p)
        return "\n".join(parts)

    def inline_until_block(self, li: ET.Element) -> str:
        """The item's inline content (text and spans up to its first block child)."""
        out = [self.text(li.text)]
        for child in li:
            if child.tag in _BLOCK_TAGS:
                break
            out.append(self.span(child))
            out.append(self.text(child.tail))
        return "".join(out)

    def _block_pre(self, e: ET.Element, width: int) -> str:
        """Code as written, indented, never filled (its line breaks are its meaning)."""
        code = "".join(e.itertext()).rstrip("\n")
        return "\n".join("    " + line if line else "" for line in code.split("\n"))

    def _block_blockquote(self, e: ET.Element, width: int) -> str:
        inner = self.blocks(list(e), width - 2)
        return "\n".join("> " + line if line else ">" for line in inner.split("\n"))

    def _block_hr(self, e: ET.Element, width: int) -> str:
        return "-" * min(width, 40)

    def _block_div(self, e: ET.Element, width: int) -> str:
        return self.blocks(list(e), width)

    # -- tables ------------------------------------------------------------------------------------
    def _block_table(self, e: ET.Element, width: int) -> str:
        head = [c for part in e.iter("thead") for tr in part for c in tr]
        body = [list(tr) for part in e.iter("tbody") for tr in part]
        n = max([len(head)] + [len(r) for r in body])
        text_head = [self.cell(c) for c in head] + [""] * (n - len(head))
        rows = [[self.cell(c) for c in r] + [""] * (n - len(r)) for r in body]
        right = [self._right(head, body, rows, i) for i in range(n)]
        widths = _column_widths([text_head, *rows], right, width)
        out = self._row(text_head, widths, right)
        out.append((" " * GAP).join("-" * w for w in widths))
        wrapped = [self._row(r, widths, right) for r in rows]
        # A row's continuation lines are told from a new row by its empty first cell; when a first
        # cell may itself be empty, rows that run over several lines get a blank line between them.
        spaced = any(len(lines) > 1 for lines in wrapped) and any(not r[0] for r in rows)
        for i, lines in enumerate(wrapped):
            if spaced and i:
                out.append("")
            out.extend(lines)
        return "\n".join(out)

    @staticmethod
    def _right(head: list[ET.Element], body: list[list[ET.Element]], rows: list[list[str]], i: int) -> bool:
        """A column is right-aligned when the Markdown says so, or when every cell in it is a number."""
        styles = [c.get("style", "") for c in ([head[i]] if i < len(head) else []) + [r[i] for r in body if i < len(r)]]
        if any("text-align: right" in s for s in styles):
            return True
        if any("text-align" in s for s in styles):
            return False
        values = [r[i].replace(_KEEP, " ").strip() for r in rows if r[i].strip()]
        return bool(values) and all(_NUMBER.fullmatch(v) for v in values)

    def _row(self, row: list[str], widths: list[int], right: list[bool]) -> list[str]:
        columns = [fill(text, w) if text else [""] for text, w in zip(row, widths, strict=True)]
        height = max(len(c) for c in columns)
        lines = []
        for k in range(height):
            parts = []
            for column, w, r in zip(columns, widths, right, strict=True):
                text = column[k] if k < len(column) else ""
                pad = " " * max(0, w - cells(text))
                parts.append(pad + text if r else text + pad)
            lines.append((" " * GAP).join(parts))
        return lines

    def cell(self, c: ET.Element) -> str:
        return " ".join(_words(self.inline(c).replace(_BREAK, " ")))

    # -- inline: text with _KEEP for spaces that must not break and _BREAK for hard breaks ---------
    def span(self, e: ET.Element) -> str:
        if e.tag == "code":
            return "".join(e.itertext())
        if e.tag == "br":
            return _BREAK
        if e.tag == "img":
            alt = e.get("alt") or e.get("src", "")
            return f"[{alt}]".replace(" ", _KEEP)
        inner = self.inline(e)
        if e.tag == "a":
            href = e.get("href", "")
            seen = " ".join(inner.replace(_KEEP, " ").split())
            if href and not href.startswith("#") and href != seen:
                return f"{inner} ({href})"
        return inner

    def text(self, text: str | None) -> str:
        out = []
        for part in self.tree.split(text):
            if isinstance(part, Formula):
                out.append(inline_maths(part.tex).replace(" ", _KEEP))
            else:
                out.append(part)
        return "".join(out)


_BLOCK_TAGS = {"p", "ul", "ol", "pre", "blockquote", "table", "hr", "div", "h1", "h2", "h3", "h4", "h5", "h6"}


def _column_widths(rows: list[list[str]], right: list[bool], width: int) -> list[int]:
    """Each column as wide as its widest cell; when that makes the table wider than `width`, the
    text columns are capped at one common width (the widest give way first), never below
    MIN_COLUMN; a column then takes the width its wrapped cells actually need."""
    natural = [max(cells(r[i].replace(_KEEP, " ")) for r in rows) for i in range(len(right))]
    fixed = sum(w for w, r in zip(natural, right, strict=True) if r) + GAP * (len(natural) - 1)
    text = [w for w, r in zip(natural, right, strict=True) if not r]
    if fixed + sum(text) <= width or not text:
        return natural
    cap = max(text)
    while cap > MIN_COLUMN and fixed + sum(min(w, cap) for w in text) > width:
        cap -= 1
    widths = []
    for i, (w, r) in enumerate(zip(natural, right, strict=True)):
        if r or w <= cap:
            widths.append(w)
            continue
        # A word longer than the cap stays whole, so the column is as wide as its widest line.
        widths.append(max(cells(line) for row in rows for line in (fill(row[i], cap) if row[i] else [""])))
    return widths


# -- maths ----------------------------------------------------------------------------------------
def inline_maths(tex: str) -> str:
    """A formula in running text: Unicode when every command in it converts, else its TeX."""
    converted = to_unicode(tex)
    return converted if converted is not None else " ".join(tex.split())


def display_maths(tex: str) -> list[str]:
    """A displayed formula's lines: the rows of an aligned block one per line, `&` dropped."""
    aligned = _ALIGN.fullmatch(tex.strip())
    rows = re.split(r"\\\\", aligned.group(2)) if aligned else [tex]
    rows = [r for r in rows if r.strip()]
    converted = [to_unicode(r.replace("&", "")) for r in rows]
    if all(c is not None for c in converted):
        return [c for c in converted if c is not None]
    return [" ".join(line.split()) for line in tex.strip().split("\n") if line.strip()]


class _Unknown(Exception):
    """A command without a faithful plain-text form: the formula is shown as TeX."""


_GREEK = {
    name: chr(code)
    for name, code in (
        ("alpha", 0x3B1),
        ("beta", 0x3B2),
        ("gamma", 0x3B3),
        ("delta", 0x3B4),
        ("epsilon", 0x3F5),
        ("varepsilon", 0x3B5),
        ("zeta", 0x3B6),
        ("eta", 0x3B7),
        ("theta", 0x3B8),
        ("vartheta", 0x3D1),
        ("iota", 0x3B9),
        ("kappa", 0x3BA),
        ("lambda", 0x3BB),
        ("mu", 0x3BC),
        ("nu", 0x3BD),
        ("xi", 0x3BE),
        ("pi", 0x3C0),
        ("rho", 0x3C1),
        ("sigma", 0x3C3),
        ("varsigma", 0x3C2),
        ("tau", 0x3C4),
        ("upsilon", 0x3C5),
        ("phi", 0x3D5),
        ("varphi", 0x3C6),
        ("chi", 0x3C7),
        ("psi", 0x3C8),
        ("omega", 0x3C9),
        ("Gamma", 0x393),
        ("Delta", 0x394),
        ("Theta", 0x398),
        ("Lambda", 0x39B),
        ("Xi", 0x39E),
        ("Pi", 0x3A0),
        ("Sigma", 0x3A3),
        ("Upsilon", 0x3A5),
        ("Phi", 0x3A6),
        ("Psi", 0x3A8),
        ("Omega", 0x3A9),
    )
}
_SYMBOLS = {
    "partial": "∂",
    "nabla": "∇",
    "infty": "∞",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "prime": "′",
    "sum": "Σ",
    "prod": "∏",
    "ell": "ℓ",
    "top": "⊤",
    "circ": "∘",
    "%": "%",
    "{": "{",
    "}": "}",
    "_": "_",
    "&": "&",
    "#": "#",
    "$": "$",
    "|": "‖",
    "lbrace": "{",
    "rbrace": "}",
    "langle": "⟨",
    "rangle": "⟩",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
}
# Binary operators and relations: set with a space either side, as TeX spaces them.
_OPERATORS = {
    "cdot": "·",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "approx": "≈",
    "neq": "≠",
    "ne": "≠",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "mapsto": "↦",
    "equiv": "≡",
    "sim": "∼",
    "propto": "∝",
    "in": "∈",
    "coloneqq": "≔",
    "odot": "⊙",
    "otimes": "⊗",
    "ast": "∗",
    "mid": "|",
}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " ", "enspace": " "}
_FUNCTIONS = {
    "exp",
    "log",
    "ln",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "max",
    "min",
    "arg",
    "argmax",
    "argmin",
    "det",
    "lim",
    "sup",
    "inf",
}
_FONTS = {
    "text",
    "mathrm",
    "mathit",
    "mathbf",
    "mathsf",
    "mathtt",
    "textrm",
    "textit",
    "textbf",
    "operatorname",
    "boldsymbol",
    "bm",
    "mbox",
}
_SIZES = {
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "displaystyle",
    "textstyle",
}
_CLOSING = {"right", "bigr", "Bigr", "biggr", "Biggr"}  # these end a bracket; \left, \big may open one
_ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "tilde": "\u0303",
    "dot": "\u0307",
    "ddot": "\u0308",
    "vec": "\u20d7",
}
_FRACTIONS = {"frac", "dfrac", "tfrac"}
_SUPERSCRIPT = dict(zip("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUBSCRIPT = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", strict=True))


def to_unicode(tex: str) -> str | None:
    """The formula in Unicode plain text, or None when a command in it has no faithful plain form."""
    try:
        parser = _Maths(tex)
        out = parser.sequence()
        if parser.i < len(tex):  # an unmatched closing brace
            return None
    except _Unknown:
        return None
    # TeX ignores spaces in maths; those kept are the writer's, but none belongs inside a bracket.
    out = re.sub(r"([(\[]) +| +([)\]])", r"\1\2", " ".join(out.split()))
    return unicodedata.normalize("NFC", out)


def _atomic(text: str) -> bool:
    """Whether `text` reads as one factor, so a fraction or power needs no brackets around it."""
    if all(c.isalnum() or c in "._′∂" or unicodedata.combining(c) for c in text):
        return bool(text)
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, c in enumerate(text):
            depth += {"(": 1, ")": -1}.get(c, 0)
            if depth == 0 and k < len(text) - 1:
                return False
        return True
    return False


class _Maths:
    """A small recursive reader of the TeX inside `$…$`: groups, commands, `^` and `_`."""

    def __init__(self, tex: str):
        self.tex = tex
        self.i = 0

    def sequence(self, closing: str = "") -> str:
        out: list[str] = []
        while self.i < len(self.tex):
            c = self.tex[self.i]
            if c == "}":
                if closing != "}":
                    raise _Unknown
                return "".join(out)
            if c in "^_":
                self.i += 1
                out.append(self.script(c))
            else:
                out.append(self.atom())
        if closing:
            raise _Unknown  # an unclosed brace
        return "".join(out)

    def atom(self) -> str:
        c = self.tex[self.i]
        if c == "{":
            self.i += 1
            inner = self.sequence("}")
            self.i += 1
            return inner
        if c == "\\":
            return self.command()
        self.i += 1
        if c == "'":
            return "′"
        if c == "~":
            return " "
        if c in "&":
            raise _Unknown  # alignment outside an aligned block
        if c == "\n":
            return " "
        return c

    def argument(self) -> str:
        """A command's argument: a group, a command, or one character."""
        while self.i < len(self.tex) and self.tex[self.i].isspace():
            self.i += 1
        if self.i >= len(self.tex) or self.tex[self.i] in "}^_":
            raise _Unknown
        return self.atom()

    def juxtaposed(self) -> bool:
        """Whether what follows multiplies what came before (no operator, bracket or end between)."""
        rest = self.tex[self.i :].lstrip()
        while spacing := re.match(r"(\\([,;:! ]|quad|qquad|enspace)(?![A-Za-z])|~)\s*", rest):
            rest = rest[spacing.end() :]  # a space does not stop a product: a/b\, c is still (a/b)·c
        if not rest or rest[0] in "})]=+-,;.<>&|/*":
            return False
        if rest[0] == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", rest)
            name = m.group(1) if m else ""
            return not (name in _OPERATORS or name in _CLOSING or name == "\\")
        return True

    def script(self, kind: str) -> str:
        body = " ".join(self.argument().split())
        table = _SUPERSCRIPT if kind == "^" else _SUBSCRIPT
        if kind == "^" and body and set(body) <= {"′"}:
            return body
        if body and all(c in table for c in body):
            return "".join(table[c] for c in body)
        if kind == "^":
            return "^" + (body if _atomic(body) and cells(body) == 1 else f"({body})")
        return "_" + (body if _atomic(body) and "." not in body else f"({body})")

    def command(self) -> str:
        m = re.compile(r"\\([A-Za-z]+)(\*?)\s*|\\(.)", re.S).match(self.tex, self.i)
        if m is None or m.group(2):
            raise _Unknown  # a lone backslash at the end, or a starred command
        self.i = m.end()
        name = m.group(1) or m.group(3)
        if name in _GREEK:
            return _GREEK[name]
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        if name in _OPERATORS:
            return f" {_OPERATORS[name]} "
        if name in _SPACES:
            return _SPACES[name]
        if name in _SIZES:
            if self.i < len(self.tex) and self.tex[self.i] == ".":
                self.i += 1  # \left. is an invisible delimiter
            return ""
        if name in _FUNCTIONS:
            following = self.tex[self.i : self.i + 1]
            return name if following in ("(", "^", "_", "{", "\\", "") else name + " "
        if name in _FONTS:
            return self.argument()
        if name in _FRACTIONS:
            before = self.tex[: m.start()].rstrip()[-1:]
            top, bottom = self.argument().strip(), self.argument().strip()
            fraction = f"{_bracket(top)}/{_bracket(bottom)}"
            # a/b c would read as a/(bc), and 1/a/b as (1/a)/b: a fraction that something multiplies
            # from the right, or that a slash divides, is bracketed.
            return f"({fraction})" if before == "/" or self.juxtaposed() else fraction
        if name == "sqrt":
            if self.tex[self.i : self.i + 1] == "[":
                raise _Unknown  # an n-th root has no plain form as short
            body = self.argument().strip()
            return "√" + _bracket(body)
        if name in _ACCENTS:
            body = self.argument().strip()
            if cells(body) != 1:
                raise _Unknown  # an accent over several letters has no Unicode form
            return body + _ACCENTS[name]
        raise _Unknown


def _bracket(text: str) -> str:
    text = " ".join(text.split())
    return text if _atomic(text) else f"({text})"
