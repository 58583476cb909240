"""Where the maths is in a document's Markdown, for every writer: each `$…$` and `$$…$$` outside code
is taken out before Python-Markdown parses the text (it would read `_…_` as emphasis and eat
backslashes) and handed to the writer's `store`, which returns what stands in its place."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_BACKTICKS = re.compile(r"`+")
Store = Callable[[str, bool, bool], str]  # (tex, display, alone) -> what stands in the formula's place


def protect_maths(text: str, store: Callable[[str, bool, bool], str]) -> str:
    """`text` with each `$$…$$` and `$…$` outside code replaced by `store(tex, display, alone)`,
    `alone` telling whether a display formula makes up its paragraph by itself."""
    out: list[str] = []
    prose: list[str] = []
    for chunk, is_code in _blocks(text):
        if is_code:
            out.append(_protect_inline("".join(prose), store))
            out.append(chunk)
            prose = []
        else:
            prose.append(chunk)
    out.append(_protect_inline("".join(prose), store))
    return "".join(out)


def _blocks(text: str) -> Iterator[tuple[str, bool]]:
    """Each line with whether it belongs to a fenced or an indented code block."""
    fence, indented, prev_blank, in_list = None, False, True, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and stripped == stripped[0] * len(stripped):
                fence = None
            yield line, True
            continue
        if m := _FENCE.match(line):
            fence = m.group(1)
            yield line, True
            continue
        code_line = line.startswith(("    ", "\t"))
        indented = (indented and (code_line or not stripped)) or (
            prev_blank and not in_list and code_line and bool(stripped)
        )
        if not indented and stripped:
            in_list = bool(_LIST_ITEM.match(line)) or (in_list and line[:1] in " \t")
        prev_blank = not stripped
        yield line, indented


def _protect_inline(s: str, store: Callable[[str, bool, bool], str]) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":  # an escaped character (`\$` included) is never a delimiter
            out.append(s[i : i + 2])
            i += 2
        elif c == "`":
            end = _code_span_end(s, i)
            out.append(s[i:end])
            i = end
        elif c == "$" and (found := _formula_at(s, i)):
            tex, display, end = found
            out.append(store(tex, display, display and _alone(s, i, end)))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _alone(s: str, start: int, end: int) -> bool:
    """Whether s[start:end] is all there is between the blank lines around it."""
    after = s.find("\n\n", end)
    return not s[s.rfind("\n\n", 0, start) + 1 : start].strip() and not s[end : None if after < 0 else after].strip()


def _code_span_end(s: str, i: int) -> int:
    """Where the code span opened at s[i] ends (just past a lone backtick run if it is not closed)."""
    run = _BACKTICKS.match(s, i).group()  # type: ignore[union-attr]  # called only where s[i] is a backtick
    limit = s.find("\n\n", i)
    closing = re.compile(rf"(?<!`){run}(?!`)").search(s, i + len(run), len(s) if limit < 0 else limit)
    return closing.end() if closing else i + len(run)


def _formula_at(s: str, i: int) -> tuple[str, bool, int] | None:
    """(tex, display, end) of a formula opening at s[i], or None if the `$` opens none."""
    display = s.startswith("$$", i)
    start = i + (2 if display else 1)
    k = start
    while k < len(s):
        if s[k] == "\\":
            k += 2
        elif s.startswith("$$" if display else "$", k):
            tex = s[start:k]
            if not tex.strip() or (not display and (tex[0].isspace() or tex[-1].isspace())):
                return None
            return tex.strip(), display, k + (2 if display else 1)
        elif not display and s.startswith("\n\n", k):
            return None
        else:
            k += 1
    return None


class _MathsPreprocessor(Preprocessor):
    def __init__(self, md: markdown.Markdown, store: Store):
        super().__init__(md)
        self.store = store

    def run(self, lines: list[str]) -> list[str]:
        return protect_maths("\n".join(lines), self.store).split("\n")


class MathsExtension(Extension):
    """Maths handed to `store`; raw HTML shown as text; every escape md_escape writes honoured."""

    def __init__(self, store: Store):
        super().__init__()
        self.store = store

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After normalize_whitespace (30), which strips the stash's placeholder characters.
        md.preprocessors.register(_MathsPreprocessor(md, self.store), "derive_maths", 25)
        md.preprocessors.deregister("html_block")
        for name in ("html", "autolink", "automail"):
            md.inlinePatterns.deregister(name)
        md.ESCAPED_CHARS.extend(c for c in "<$~|" if c not in md.ESCAPED_CHARS)
