"""User text shown as itself: the one Markdown escape and the one TeX escape every writer uses."""

from __future__ import annotations

import re
import unicodedata

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|$~-])")


def md_code(text, in_table: bool = False) -> str:
    """Text in a Markdown code span, as itself: nothing inside is escaped (a backslash there would
    print, and be copied with a command); a backtick in it widens the fence. In a table cell a `|`
    is escaped, so it does not end the cell."""
    text = str(text).replace("\n", " ")
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_escape(text) -> str:
    """User text shown as itself in Markdown: every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# Characters of the ASCII set that TeX reads as markup. `_ ~ ^` come from the typewriter font, the
# only OT1 font with real ASCII glyphs for them (\textasciitilde would be an accent, \_ a rule), so
# they print and copy out of the PDF as themselves. Text-mode \$ (like \S, \P, \pounds) would take
# its glyph from a TS1 font, a bitmap without cm-super; the maths fonts have it.
_ASCII = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\ensuremath{\$}",
    "#": r"\#",
    "{": r"\{",
    "}": r"\}",
    "_": r"{\ttfamily\char95}",
    "~": r"{\ttfamily\char126}",
    "^": r"{\ttfamily\char94}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
# Non-ASCII symbols as OT1/OMS/OML glyphs (never TS1, whose Computer Modern fonts are bitmaps).
_MATH = dict(
    zip(
        "−×÷±∓·⋅•≈≠≤≥∞∂∑∏√∈→←↔⇒∼≡∝∇∣‖′°²³¹½¼¾µ¬",
        (
            "-",
            r"\times",
            r"\div",
            r"\pm",
            r"\mp",
            r"\cdot",
            r"\cdot",
            r"\bullet",
            r"\approx",
            r"\neq",
            r"\leq",
            r"\geq",
            r"\infty",
            r"\partial",
            r"\sum",
            r"\prod",
            r"\surd",
            r"\in",
            r"\to",
            r"\leftarrow",
            r"\leftrightarrow",
            r"\Rightarrow",
            r"\sim",
            r"\equiv",
            r"\propto",
            r"\nabla",
            r"\mid",
            r"\|",
            r"{}^{\prime}",
            r"{}^{\circ}",
            "{}^{2}",
            "{}^{3}",
            "{}^{1}",
            r"\tfrac{1}{2}",
            r"\tfrac{1}{4}",
            r"\tfrac{3}{4}",
            r"\mu",
            r"\neg",
        ),
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρςστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        (
            r"\alpha",
            r"\beta",
            r"\gamma",
            r"\delta",
            r"\epsilon",
            r"\zeta",
            r"\eta",
            r"\theta",
            r"\iota",
            r"\kappa",
            r"\lambda",
            r"\mu",
            r"\nu",
            r"\xi",
            "o",
            r"\pi",
            r"\rho",
            r"\varsigma",
            r"\sigma",
            r"\tau",
            r"\upsilon",
            r"\phi",
            r"\chi",
            r"\psi",
            r"\omega",
            r"\Gamma",
            r"\Delta",
            r"\Theta",
            r"\Lambda",
            r"\Xi",
            r"\Pi",
            r"\Sigma",
            r"\Upsilon",
            r"\Phi",
            r"\Psi",
            r"\Omega",
        ),
        strict=True,
    )
)
_GREEK.update(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX", strict=True))  # capitals that look like Latin ones
_TEXT = {
    "\u00a0": "~",
    "\u00ad": r"\-",
    "§": r"\ensuremath{\S}",
    "¶": r"\ensuremath{\P}",
    "©": "(c)",
    "£": r"\ensuremath{\mathsterling}",
    "¡": r"\textexclamdown{}",
    "¿": r"\textquestiondown{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "–": "--",
    "—": "---",
    "…": r"\dots{}",
    "«": r"\textless{}\textless{}",
    "»": r"\textgreater{}\textgreater{}",
}
# Latin letters that LaTeX's utf8 input cannot typeset in OT1 (they need T1 or other encodings).
_NOT_OT1 = set("ÐÞðþĄąĐđĘęĦħĮįĸĿŀŉŊŋŦŧŲųſ")
# Specials, ligature starters (`--`, ``` `` ```, `''`, `!``, `?``), and everything outside printable ASCII.
_SPECIAL = re.compile(r"[&%$#_{}~^\\<>|]|-(?=-)|`(?=`)|'(?=')|[!?](?=`)|[^\x20-\x7e]")


def _unicode(char: str) -> str:
    """One character outside printable ASCII, as something pdflatex typesets in OT1."""
    if char in _TEXT:
        return _TEXT[char]
    if char in _MATH or char in _GREEK:
        symbol = _MATH.get(char) or _GREEK[char]
        return symbol if symbol.isalpha() else rf"\ensuremath{{{symbol}}}"
    if "\u00c0" <= char <= "\u017f" and char not in _NOT_OT1 and unicodedata.category(char)[0] == "L":
        return char  # accented Latin: LaTeX's utf8 input composes it in OT1
    category = unicodedata.category(char)
    if category[0] in "CZ":
        return " " if char in "\t\n\r" or category == "Zs" else ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if plain and plain != char and all(c.isascii() for c in plain):
        return tex_escape(plain)
    return rf"{{\ttfamily[U+{ord(char):04X}]}}"  # no glyph in pdflatex's fonts: say which character


def _replace(match: re.Match) -> str:
    char = match.group()
    if char in _ASCII:
        return _ASCII[char]
    if char in "-`'!?":
        return char + "{}"  # break the ligature, so `--` stays two hyphens
    return _unicode(char)


def tex_escape(text) -> str:
    """User text (a title, a label, a file name) typeset as itself, in one pass."""
    return _SPECIAL.sub(_replace, str(text))


_PDF_SPECIAL = re.compile(r"[&%$#_{}~^\\]")
_PDF = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def pdf_text(text) -> str:
    """User text for hyperref's PDF strings (document title, bookmarks), which take Unicode as it is."""
    return _PDF_SPECIAL.sub(lambda m: _PDF.get(m.group(), "\\" + m.group()), str(text))
