"""Safe YAML reading that keeps line and column of every value, and a collector of problems."""
from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from .errors import DeriveError, Problem, SpecError

MAX_BYTES = 1_000_000
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


class _AliasFound(Exception):
    def __init__(self, mark):
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """Composes nodes only (nothing is constructed), refusing aliases so no value can explode."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def read_text(path: str) -> str:
    """The text of `path` as UTF-8, or a DeriveError saying why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise DeriveError(f"{path}: no such file (check the path; run `derive` with no file for the built-in example)")
    if p.is_dir():
        raise DeriveError(f"{path}: is a folder, not a network file")
    if p.stat().st_size > MAX_BYTES:
        raise DeriveError(f"{path}: the file is larger than {MAX_BYTES // 1000} kB; a network file is a few lines")
    data = p.read_bytes()
    return decode(data, path)


def decode(data: bytes, name: str) -> str:
    """`data` decoded as UTF-8 (a byte-order mark is allowed), with the place of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError([Problem(name, line, col, "", f"byte 0x{data[exc.start]:02x} is not UTF-8 text",
                                 "save the file as UTF-8 (plain text), not as a binary or Latin-1 file")])


def compose(text: str, name: str) -> yaml.Node:
    """The YAML node tree of `text`; every syntax problem becomes a SpecError with its place."""
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        raise SpecError([Problem(name, line, 1, "", "the file contains NUL bytes: it is binary, not YAML text",
                                 "give the path of the network's .yaml file")])
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _AliasFound as exc:
        raise SpecError([_problem(name, exc.mark, "", "YAML aliases (*name) are not accepted",
                                  "write the value out where it is used")]) from None
    except RecursionError:
        raise SpecError([Problem(name, None, None, "", "the YAML is nested too deeply",
                                 "a network file needs only a few levels of nesting")]) from None
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_problem(name, exc)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(name, None, None, "", f"not valid YAML: {exc}", "")]) from None
    if node is None:
        raise SpecError([Problem(name, 1, 1, "", "the file is empty",
                                 "start from examples/pass_fail.yaml (see README: Input format)")])
    return node


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "syntax error"
    hint = "check indentation and that every `key: value` has a space after the colon"
    if "\\t" in what or "\t" in what:
        what = "a tab character: YAML indents with spaces only"
        hint = "replace the tabs with spaces"
    return _problem(name, mark, "", f"YAML syntax error: {what}", hint)


def _problem(name, mark, path, message, hint) -> Problem:
    if mark is None:
        return Problem(name, None, None, path, message, hint)
    return Problem(name, mark.line + 1, mark.column + 1, path, message, hint)


class Collector:
    """Gathers every problem of one file so they can be reported together."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, node, path: str, message: str, hint: str = "") -> None:
        self.problems.append(_problem(self.name, getattr(node, "start_mark", None), path, message, hint))

    def warn(self, node, path: str, message: str, hint: str = "") -> None:
        self.warnings.append(_problem(self.name, getattr(node, "start_mark", None), path, message, hint))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems)

    # -- shapes ---------------------------------------------------------------------------------
    def mapping(self, node, path: str, what: str) -> list[tuple[str, yaml.Node, yaml.Node]] | None:
        """The (key, key node, value node) triples of a mapping, or None after reporting."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"{what} must be a mapping of `name: value` lines, not {kind(node)}")
            return None
        if not self.plain_tag(node, path):
            return None
        items, seen = [], {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                self.error(key_node, path, f"a key of {what} must be a plain name")
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark.line + 1
                self.error(key_node, f"{path}.{key}", f"duplicate key `{key}` (first written on line {first})",
                           "YAML would silently keep only the last one; remove or rename one of them")
                continue
            seen[key] = key_node
            items.append((key, key_node, value_node))
        return items

    def sequence(self, node, path: str, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"{what} must be a list (`[a, b]` or lines starting with `- `), not {kind(node)}")
            return None
        return list(node.value) if self.plain_tag(node, path) else None

    def scalar(self, node, path: str, what: str) -> str | None:
        """The text of a scalar, refusing mappings, lists, booleans and nulls where text belongs."""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, path, f"{what} must be a single value, not {kind(node)}")
            return None
        if not self.plain_tag(node, path):
            return None
        if node.tag.endswith(":bool"):
            self.error(node, path, f"{what}: YAML reads `{node.value}` as true/false",
                       f"put it in quotes (\"{node.value}\") if you mean the text")
            return None
        if node.tag.endswith(":null") or node.value.strip() == "":
            self.error(node, path, f"{what} is empty", "write a value after the colon")
            return None
        return node.value

    def plain_tag(self, node, path: str) -> bool:
        if node.tag in _PLAIN_TAGS:
            return True
        self.error(node, path, f"the YAML tag `{node.tag}` is not accepted",
                   "remove the `!` tag; only plain values, lists and mappings are read")
        return False

    def unknown_keys(self, items, allowed, path: str, what: str) -> None:
        for key, key_node, _ in items:
            if key not in allowed:
                self.error(key_node, f"{path}.{key}", f"unknown key `{key}` in {what}", suggest(key, allowed))


def kind(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"`{node.value}`" if len(node.value) <= 40 else "a long text"


def suggest(word: str, choices) -> str:
    """A did-you-mean hint, or the list of allowed words."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return "allowed: " + ", ".join(sorted(choices))
