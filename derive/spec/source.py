"""Safe YAML reading that keeps line and column of every value, and a collector of problems."""

from __future__ import annotations

import difflib
import os
import re
import stat
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.resolver import Resolver

from derive.errors import DeriveError, Problem, SpecError

MAX_BYTES = 1_000_000
MAX_DEPTH = 20  # a network file needs about five levels: $.neurons.O1.from.x1
_PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_TEXT_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float")}  # a scalar read as its text
_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The characters a value may not hold: Unicode's control characters (category Cc: U+0000-U+001F and
# U+007F-U+009F) but for tab and line feed, and the bidi controls, as one pattern searched once.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(_BIDI)) + "]")


class _Refused(Exception):
    """Composing stopped at `mark`: an alias (which could explode) or nesting that is too deep."""

    def __init__(self, mark, message: str, hint: str):
        self.mark, self.message, self.hint = mark, message, hint


# A plain value is read as true/false, a number, empty or text: a date (`2024-05-01`), `=` or `<<`
# stays text. (PyYAML's implicit resolvers, less those for timestamps, merge keys and `=`.)
_IMPLICIT = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _PLAIN_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Refusing:
    """Composes nodes only (nothing is constructed), refusing aliases so no value can explode,
    and nesting deeper than MAX_DEPTH so no input can exhaust the stack. Mixed into both loaders
    below, before PyYAML's Composer, so the C parser's events meet the same refusals."""

    depth = 0
    yaml_implicit_resolvers = _IMPLICIT

    def refuse(self, event) -> None:
        """Raise _Refused where the node that starts with `event` is an alias or too deep."""
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark, "YAML aliases (*name) are not accepted", "write the value out where it is used"
            )
        if self.depth >= MAX_DEPTH:
            raise _Refused(
                event.start_mark,
                f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)",
                "a network file needs only a few levels; check for unbalanced `[`, `{` or `- `",
            )

    def compose_node(self, parent, index):
        self.refuse(self.peek_event())  # type: ignore[attr-defined]
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _Loader(_Refusing, yaml.SafeLoader):
    """PyYAML's pure-Python reader, scanner and parser: the fallback where libyaml is missing, and
    what words a syntax error (see compose)."""


# The header of a block scalar as PyYAML reads it: `|` or `>`, its indicators, then a space, a line
# break or the end.
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*(?=[ \r\n\x85\u2028\u2029]|\Z)")


class _NotTheSame(Exception):
    """libyaml would read this text otherwise than PyYAML does: compose hands it to _Loader."""


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoader(_Refusing, Composer, CParser, Resolver):
        """libyaml's C scanner and parser (the bulk of the work), PyYAML's composer over its events:
        every node keeps its line and column, and the refusals are _Refusing's, as in _Loader.

        Where the two parsers differ (found by comparing them on the bad-input corpus and on
        thousands of random edits of the examples, tests/test_yaml_loaders.py), it gives way to
        _Loader (raises _NotTheSame): an empty value (libyaml places it at the next token in a flow
        collection, PyYAML right after the colon), a `?` inside a plain value in a flow collection
        and a `|` or `>` followed by anything but its indicators and a space or line break (PyYAML
        refuses both, libyaml reads them). Tabs and byte-order marks inside the text never reach it
        (see compose), and compose moves the end of a text without a final line break (_end_on_last_line)."""

        flow = 0  # how many flow collections (`{…}`, `[…]`) the node being composed is inside

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self.text = stream
            self.tags: dict[str, str] = {}  # the tag of each plain value met so far
            Composer.__init__(self)
            Resolver.__init__(self)

        def compose_node(self, parent, index):
            """Composer's compose_node and compose_scalar_node in one, as lean as they go (a network
            file is mostly scalars): the same refusals; a plain scalar's style None (libyaml's events
            say ''); each plain value's tag resolved once (it depends on the text alone: derive adds
            no path resolvers, so Composer's descend/ascend_resolver would do nothing)."""
            event: Any = self.peek_event()
            self.refuse(event)
            anchor = event.anchor
            if anchor is not None and anchor in self.anchors:
                raise _NotTheSame  # a duplicate anchor: PyYAML's composer says so
            kind = event.__class__
            if kind is not yaml.ScalarEvent:
                self.depth += 1
                try:
                    if kind is yaml.SequenceStartEvent:
                        return self.compose_sequence_node(anchor)
                    return self.compose_mapping_node(anchor)
                finally:
                    self.depth -= 1
            self.get_event()
            value, style = event.value, event.style or None
            if style is None and (not value or (self.flow and "?" in value)):
                raise _NotTheSame
            if style in ("|", ">") and not _BLOCK_HEADER.match(self.text, event.start_mark.index):
                raise _NotTheSame
            tag = event.tag
            if tag is None or tag == "!":
                if event.implicit[0]:
                    tag = self.tags.get(value)
                    if tag is None:
                        tag = self.tags[value] = self.resolve(yaml.ScalarNode, value, event.implicit)
                else:
                    tag = self.DEFAULT_SCALAR_TAG
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, style=style)
            if anchor is not None:
                self.anchors[anchor] = node
            return node

        def compose_sequence_node(self, anchor):
            flow = bool(getattr(self.peek_event(), "flow_style", False))
            self.flow += flow
            try:
                return super().compose_sequence_node(anchor)
            finally:
                self.flow -= flow

        def compose_mapping_node(self, anchor):
            flow = bool(getattr(self.peek_event(), "flow_style", False))
            self.flow += flow
            try:
                return super().compose_mapping_node(anchor)
            finally:
                self.flow -= flow

    LOADERS: tuple[type, ...] = (_CLoader, _Loader)
else:  # pragma: no cover - PyYAML built without libyaml
    LOADERS = (_Loader,)


def read_text(path: str) -> str:
    """The text of `path` as UTF-8, or a DeriveError saying why it cannot be read. Only a regular
    file is opened: a FIFO, a device, a socket or a folder is refused before `open`, which would
    block on a FIFO with no writer (and a device may never end)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DeriveError(
            f"{path}: no such file (check the path; run `derive` with no file for the built-in example)"
        ) from None
    except OSError as exc:
        raise DeriveError(f"{path}: cannot be read ({exc.strerror})") from None
    _regular(path, info.st_mode)
    try:
        # O_NONBLOCK: should the path become a FIFO between the check and the open, open returns at once
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise DeriveError(f"{path}: cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        _regular(path, os.fstat(fd).st_mode)  # what was opened, not what was looked at
        try:
            data = handle.read(MAX_BYTES + 1)  # never more
        except OSError as exc:
            raise DeriveError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise DeriveError(f"{path}: the file is larger than {MAX_BYTES // 1000} kB; a network file is a few lines")
    return decode(data, path)


def _regular(path: str, mode: int) -> None:
    """Refuse anything but a regular file, naming what it is."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise DeriveError(f"{path}: is a folder, not a file; give the path of a file inside it")
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    raise DeriveError(
        f"{path}: is {kind}, not a regular file; derive reads only ordinary files (save it to a file first)"
    )


def decode(data: bytes, name: str) -> str:
    """`data` decoded as UTF-8 (a byte-order mark is allowed), with the place of the first bad byte."""
    for bom, encoding in _WIDE_BOMS.items():
        if data.startswith(bom):
            raise _at(
                name,
                1,
                1,
                f"the file is {encoding} text, not UTF-8",
                "save the file as UTF-8 (in most editors: Save As, Encoding: UTF-8)",
            )
    if b"\x00" in data:
        raise _binary(name, *_place(data, data.index(b"\x00"), b"\n"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _at(
            name,
            *_place(data, exc.start, b"\n"),
            f"byte 0x{data[exc.start]:02x} is not UTF-8 text",
            "save the file as UTF-8 (plain text), not as a binary or Latin-1 file",
        ) from None


def _place(text, pos: int, newline) -> tuple[int, int]:
    """1-based line and column of index `pos` in `text` (str or bytes)."""
    return text.count(newline, 0, pos) + 1, pos - (text.rfind(newline, 0, pos) + 1) + 1


def _at(name: str, line: int, column: int, message: str, hint: str) -> SpecError:
    return SpecError([Problem(name, line, column, "", message, hint)])


def _binary(name: str, line: int, column: int) -> SpecError:
    return _at(
        name,
        line,
        column,
        "the file contains NUL bytes: it is binary, not YAML text",
        "give the path of the network's .yaml file",
    )


def compose(text: str, name: str, loader: type | None = None) -> yaml.Node:
    """The YAML node tree of `text`; every syntax problem becomes a SpecError with its place.

    libyaml's C parser composes where it is installed (`loader`, one of LOADERS, chooses for tests).
    Where it finds the text malformed, PyYAML's own parser reads it again and says what is wrong, so
    every message and place is the one below whichever parser is installed (libyaml words its
    errors differently and gives no offending character)."""
    if "\x00" in text:
        raise _binary(name, *_place(text, text.index("\x00"), "\n"))
    loader = loader or LOADERS[0]
    if loader is _Loader or "\t" in text or "\ufeff" in text:  # libyaml is laxer with both
        return _compose_pure(text, name)
    try:
        node = yaml.compose(text, Loader=loader)
    except _Refused as exc:
        raise SpecError([_problem(name, exc.mark, "", exc.message, exc.hint)]) from None
    except (yaml.YAMLError, RecursionError, _NotTheSame):
        return _compose_pure(text, name)
    if node is not None and text[-1] not in _BREAKS:
        _end_on_last_line(node, text)
    return _non_empty(node, text, name)


_BREAKS = "\n\r\x85\u2028\u2029"


def _end_on_last_line(node: yaml.Node, text: str) -> None:
    """libyaml ends a text that has no final line break on a line of its own (line + 1, column 0),
    PyYAML at the end of its last line: the collections that end there get PyYAML's mark."""
    end = len(text)
    column = end - (max(text.rfind(b) for b in _BREAKS) + 1)
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        mark = node.end_mark
        if mark.index == end and mark.column == 0:
            node.end_mark = yaml.Mark(mark.name, end, mark.line - 1, column, None, None)  # type: ignore[arg-type]
        if not node.value:
            return
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]


def _compose_pure(text: str, name: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _Refused as exc:
        raise SpecError([_problem(name, exc.mark, "", exc.message, exc.hint)]) from None
    except RecursionError:
        raise _at(
            name, 1, 1, "the YAML is nested too deeply", "a network file needs only a few levels of nesting"
        ) from None
    except yaml.reader.ReaderError as exc:
        raise _at(
            name,
            *_place(text, exc.position, "\n"),
            f"the character U+{exc.character:04X} is not allowed in YAML text",
            "delete it (most editors do not show it)",
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_problem(name, exc, text)]) from None
    except yaml.YAMLError as exc:
        raise _at(name, 1, 1, f"not valid YAML: {exc}", "compare with examples/pass_fail.yaml") from None
    return _non_empty(node, text, name)


def _non_empty(node: yaml.Node | None, text: str, name: str) -> yaml.Node:
    if node is None:
        what = "the file is empty" if not text.strip() else "the file has no content, only comments"
        raise _at(name, 1, 1, what, "start from examples/pass_fail.yaml (see README: Input format)")
    return node


# PyYAML's words → what to tell a lecturer, and whether the place is where the construct began.
_SYNTAX = (
    (
        "expected a single document",
        "the file holds a second YAML document (starting here)",
        "a network file is one document: remove this `---` line and what follows, or split the file in two",
        False,
    ),
    ("expected ',' or '}'", "the `{` opened here is not closed", "close it with `}`; separate items with commas", True),
    ("expected ',' or ']'", "the `[` opened here is not closed", "close it with `]`; separate items with commas", True),
    ("found unexpected end of stream", "the quoted text that starts here is not closed", "add the closing quote", True),
    (
        "expected <block end>",
        "this line does not fit the structure of the lines above it",
        "check the indentation (spaces only, the same for keys at one level) and that every `key: value` "
        "has a space after the colon",
        False,
    ),
    (
        "mapping values are not allowed here",
        "a `:` where YAML does not expect one",
        "put text that contains `: ` in quotes, or check this line's indentation",
        False,
    ),
    (
        "could not find expected ':'",
        "a line without `key: value`",
        "write `name: value`, with a space after the colon",
        False,
    ),
)


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    words = f"{exc.context or ''} {exc.problem or ''}"
    if "\\t" in words or "\t" in words:
        return _problem(
            name,
            mark,
            "",
            "YAML syntax error: a tab character: YAML indents with spaces only",
            "replace the tabs with spaces",
        )
    if mark is not None and mark.column > 1024 and ("mapping values" in words or "expected ':'" in words):
        line = [*text.splitlines(), ""][mark.line]
        return Problem(
            name,
            mark.line + 1,
            len(line) - len(line.lstrip()) + 1,
            "",
            "a key longer than 1024 characters: YAML cannot read it as a name",
            "names are at most 32 characters: ASCII letters, digits and _",
        )
    for words_in, message, hint, at_start in _SYNTAX:
        if words_in in words:
            place = exc.context_mark if at_start and exc.context_mark else mark
            if place is not mark and mark is not None:
                message += f" (YAML stopped at line {mark.line + 1})"
            return _problem(name, place, "", f"YAML syntax error: {message}", hint)
    return _problem(
        name,
        mark,
        "",
        f"YAML syntax error: {exc.problem or exc.context or 'not valid YAML'}",
        "check indentation and that every `key: value` has a space after the colon",
    )


def _problem(name, mark, path, message, hint) -> Problem:
    if mark is None:
        return Problem(name, None, None, path, message, hint)
    return Problem(name, mark.line + 1, mark.column + 1, path, message, hint)


class Collector:
    """Gathers every problem of one file so they can be reported together, and where each key
    path was written (`keys`, `values`) so cross-checks can point at the exact place."""

    def __init__(self, name: str, root: yaml.Node | None = None):
        self.name = name
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.keys: dict[str, yaml.Node] = {}
        self.values: dict[str, yaml.Node] = {}
        self.explained: set[str] = set()  # paths whose absence was reported (missing, or misspelled)

    def error(self, node, path: str, message: str, hint: str = "") -> None:
        self.problems.append(_problem(self.name, getattr(node, "start_mark", None), path, message, hint))

    def warn(self, node, path: str, message: str, hint: str = "") -> None:
        self.warnings.append(_problem(self.name, getattr(node, "start_mark", None), path, message, hint))

    def missing(self, node, path: str, message: str, hint: str = "") -> None:
        """A required key is absent: report it at `node` (its parent), unless a misspelling of it was."""
        if path not in self.explained:
            self.error(node if node is not None else self.root, path, message, hint)
        self.explained.add(path)

    def failed(self, *paths: str) -> bool:
        """Whether a problem was reported at or under any of `paths`."""
        return any(p.path == q or p.path.startswith((q + ".", q + "[")) for p in self.problems for q in paths)

    def raise_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems)

    # -- shapes ---------------------------------------------------------------------------------
    def mapping(self, node, path: str, what: str, hint: str = "") -> list[tuple[str, yaml.Node, yaml.Node]] | None:
        """The (key, key node, value node) triples of a mapping, or None after reporting."""
        if not self.plain_tag(node, path):
            return None
        if _is_null(node):
            self.error(node, path, f"{what} is empty", hint or "write its `name: value` lines after the colon")
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"{what} must be a mapping of `name: value` lines, not {kind(node)}", hint)
            return None
        items: list[tuple[str, yaml.Node, yaml.Node]] = []
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path, what)
            if key is None:
                continue
            if key in seen:
                first = seen[key].start_mark.line + 1
                self.error(
                    key_node,
                    f"{path}.{key}",
                    f"duplicate key `{key}` (first written on line {first})",
                    "YAML would silently keep only the last one; remove or rename one of them",
                )
                continue
            seen[key] = key_node
            self.keys[f"{path}.{key}"], self.values[f"{path}.{key}"] = key_node, value_node
            items.append((key, key_node, value_node))
        return items

    def _key(self, key_node, path: str, what: str) -> str | None:
        if not isinstance(key_node, yaml.ScalarNode):
            self.error(
                key_node,
                path,
                f"a key of {what} must be a plain name, not {kind(key_node)}",
                "a `{` or `[` before the colon makes the key a mapping or a list; write `name: value`",
            )
            return None
        return key_node.value if self.plain_tag(key_node, path) else None

    def sequence(self, node, path: str, what: str, hint: str = "") -> list[yaml.Node] | None:
        if not self.plain_tag(node, path):
            return None
        if not isinstance(node, yaml.SequenceNode):
            shape = "but it is empty" if _is_null(node) else f"not {kind(node)}"
            self.error(node, path, f"{what} must be a list (`[a, b]` or lines starting with `- `), {shape}", hint)
            return None
        return list(node.value)

    def scalar(self, node, path: str, what: str, bool_hint: str = "") -> str | None:
        """The text of a scalar, refusing mappings, lists, booleans, nulls and control characters."""
        if node.__class__ is yaml.ScalarNode and node.tag in _TEXT_TAGS:  # what nearly every value is
            value = node.value
            if value.strip() and _CONTROL.search(value) is None:
                return value
        if not self.plain_tag(node, path):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.error(
                node,
                path,
                f"{what} must be a single value, not {kind(node)}",
                "write one value; put text that contains `: `, `{`, `[` or ` #` in quotes",
            )
            return None
        if node.tag.endswith(":bool"):
            self.error(
                node,
                path,
                f"{what}: YAML reads `{node.value}` as true/false",
                bool_hint or f'put it in quotes ("{node.value}") if you mean the text',
            )
            return None
        if _is_null(node) or node.value.strip() == "":
            self.error(node, path, f"{what} is empty", "write a value after the colon")
            return None
        found = _CONTROL.search(node.value)
        if found is not None:
            bad = found.group()
            self.error(
                node,
                path,
                f"{what} contains a control character (U+{ord(bad):04X})",
                "remove it: write plain text (escapes such as \\e in double quotes make such characters)",
            )
            return None
        return node.value

    def plain_tag(self, node, path: str) -> bool:
        if node.tag in _PLAIN_TAGS:
            return True
        self.error(
            node,
            path,
            f"the YAML tag `{node.tag}` is not accepted",
            "remove the `!` tag; only plain values, lists and mappings are read, nothing is run or loaded",
        )
        return False

    def unknown_keys(self, items, allowed, path: str, what: str, choices=None) -> None:
        """Report keys not in `allowed`; a close match marks that key as explained (not also missing)."""
        for key, key_node, _ in items:
            if key not in allowed:
                self.error(
                    key_node, f"{path}.{key}", f"unknown key `{key}` in {what}", suggest(key, choices or allowed)
                )
                close = close_match(key, allowed)
                if close is not None:
                    self.explained.add(f"{path}.{close}")


def _is_null(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def kind(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if _is_null(node):
        return "an empty value"
    return f"`{node.value}`" if len(node.value) <= 40 else "a long text"


def close_match(word: str, choices) -> str | None:
    """The allowed word closest to `word`, if one is close enough to be a typo."""
    if len(word) > 64:
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5 if len(word) <= 3 else 0.6)
    return close[0] if close else None


def suggest(word: str, choices) -> str:
    """A did-you-mean hint, or the list of allowed words."""
    close = close_match(word, choices)
    if close:
        return f"did you mean `{close}`?"
    names = sorted(choices)
    if not names:
        return ""
    more = f", ... ({len(names)} in all)" if len(names) > 12 else ""
    return "allowed: " + ", ".join(names[:12]) + more
