"""The reader of the one-document design: a document's words are written once, as Markdown by its
template, and parsed here into a tree (Python-Markdown's ElementTree) that each writer walks.

Maths is taken out before Markdown parses the text (it would read `_…_` as emphasis and eat
backslashes) and left in the tree as a token; `Tree.formulas` holds what each token stands for.
This is the model of pandoc and docutils: the reader builds the tree, a writer knows only its own
markup (derive.render.tex_writer for LaTeX, derive.render.text_writer for plain text; HTML is
Python-Markdown's own writer with MathML, in derive.render.html).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import markdown
from markdown.treeprocessors import Treeprocessor

from derive.render.maths import MathsExtension

# Letters and digits only, so no Markdown rule can split or change a token.
TOKEN = re.compile(r"XMATHQ(\d+)QX")
_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")


@dataclass(frozen=True)
class Formula:
    """One formula: its TeX, whether it is displayed, and whether it is a paragraph by itself."""

    tex: str
    display: bool
    alone: bool


@dataclass
class Tree:
    """A parsed document: the root element (a <div>) and the formulas its tokens stand for."""

    root: ET.Element
    formulas: list[Formula] = field(default_factory=list)

    def split(self, text: str | None) -> list[str | Formula]:
        """`text` as a list of plain strings and the formulas between them."""
        if not text:
            return []
        parts: list[str | Formula] = []
        last = 0
        for m in TOKEN.finditer(text):
            if m.start() > last:
                parts.append(text[last : m.start()])
            parts.append(self.formulas[int(m.group(1))])
            last = m.end()
        if last < len(text):
            parts.append(text[last:])
        return parts

    def only_formula(self, element: ET.Element) -> Formula | None:
        """The formula a paragraph consists of, if that is all it holds."""
        if len(element) or not element.text:
            return None
        m = TOKEN.fullmatch(element.text.strip())
        return self.formulas[int(m.group(1))] if m else None


class InlineWriter:
    """What every writer does with inline content: its own text, then each child's markup and the
    text after it. A writer says how to write text (`text`) and each inline element (`span`)."""

    def text(self, text: str | None) -> str:
        raise NotImplementedError

    def span(self, e: ET.Element) -> str:
        raise NotImplementedError

    def inline(self, e: ET.Element) -> str:
        """The element's text and inline children (its own tag is the caller's business)."""
        out = [self.text(e.text)]
        for child in e:
            out.append(self.span(child))
            out.append(self.text(child.tail))
        return "".join(out)


def parse(text: str) -> Tree:
    """The tree of a Markdown document (tables, heading ids as in the HTML, maths as tokens)."""
    tree = Tree(ET.Element("div"))

    def store(tex: str, display: bool, alone: bool) -> str:
        tree.formulas.append(Formula(tex, display, alone))
        return f"XMATHQ{len(tree.formulas) - 1}QX"

    md = markdown.Markdown(extensions=["tables", "toc", "fenced_code", MathsExtension(store)])
    md.treeprocessors.register(_Keep(md, tree), "derive_keep", -10)
    md.convert(text)
    return tree


class _Keep(Treeprocessor):
    """Runs last (after inline patterns, heading ids and unescaping) and keeps a copy of the tree."""

    def __init__(self, md: markdown.Markdown, tree: Tree):
        super().__init__(md)
        self.tree = tree

    def run(self, root: ET.Element) -> None:
        self.tree.root = copy.deepcopy(root)
        self._unstash(self.tree.root)

    def _unstash(self, parent: ET.Element) -> None:
        """A fenced code block waits in Python-Markdown's stash as HTML until serialisation, which a
        writer of ours never reaches: put it into the tree as the element it is."""
        for i, child in enumerate(list(parent)):
            m = _PLACEHOLDER.fullmatch((child.text or "").strip()) if child.tag == "p" and not len(child) else None
            if m and int(m.group(1)) < len(self.md.htmlStash.rawHtmlBlocks):
                block = ET.fromstring(str(self.md.htmlStash.rawHtmlBlocks[int(m.group(1))]))
                block.tail = child.tail
                parent[i] = block
            else:
                self._unstash(child)
