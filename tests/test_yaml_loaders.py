"""libyaml's C parser and PyYAML's pure-Python one read every file alike (derive.spec.source).

derive composes with libyaml where it is installed and falls back to PyYAML's parser where it is
not (and, for the words of a syntax error, wherever libyaml finds one). Both must give the same
node tree (tags, values, styles, the line, column and offset where every node starts and ends) or
the same message, for every file of the bad-input corpus, every example, and thousands of random
edits of the examples (the edits are what found the places where the two parsers differ: see
source._CLoader). One attribute is left out of the comparison: a collection's flow_style, how an
emitter would write it back (libyaml says block, False, where PyYAML says None for a list written at
its key's indentation); derive never writes YAML from nodes."""

from __future__ import annotations

import contextlib
import random
import sys

import pytest
import yaml

from derive.errors import SpecError
from derive.spec import source
from derive.spec.loader import load
from tests.helpers import ROOT, YAML_PIECES

pytestmark = pytest.mark.skipif(len(source.LOADERS) < 2, reason="PyYAML was built without libyaml")

CORPUS = ROOT / "tests" / "bad_inputs"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def tree(node):
    """Everything of a node that derive could read, as plain data."""
    marks = tuple((m.line, m.column, m.index) for m in (node.start_mark, node.end_mark))
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return ("list", node.tag, marks, [tree(n) for n in node.value])
    return ("map", node.tag, marks, [(tree(k), tree(v)) for k, v in node.value])


def outcome(text: str, loader) -> object:
    try:
        return tree(source.compose(text, "net.yaml", loader))
    except SpecError as exc:
        return str(exc)


def corpus_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(CORPUS.iterdir()):
        with contextlib.suppress(SpecError):  # not UTF-8, or binary: refused before any parser sees it
            texts.append((path.name, source.decode(path.read_bytes(), path.name)))
    return texts + [(p.name, p.read_text(encoding="utf-8")) for p in EXAMPLES]


PIECES = [  # derive's pieces, then more of YAML's syntax and of Unicode's line breaks and oddities
    *YAML_PIECES,
    "...",
    "é",
    "\U0001f600",
    "\u2028",
    "\r\n",
    "\r",
    "\x85",
    "\ufeff",
    "|\n",
    ">-\n",
    "|#",
    "%YAML 1.1\n",
    "\\",
    '"\\x',
    "!!str ",
    "<<: ",
    "@",
    "`",
    "%",
    "::",
    "\n? ",
    "x: |2\n",
    "{a: }",
    "[a: b]",
    ": ,",
    "\x7f",
    "\x1b",
    "\ue000",
]


def mutations(seed: int, count: int) -> list[tuple[str, str]]:
    """Random edits of the examples, a fifth of them cut short (no final line break)."""
    examples = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text = rng.choice(examples)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(PIECES) + text[at + rng.randint(0, 6) :]
        if rng.random() < 0.2:
            text = text[: rng.randrange(len(text) + 1)]
        out.append((f"edit {seed}/{i}", text))
    return out


def test_both_parsers_compose_the_corpus_and_the_examples_alike():
    texts = corpus_texts()
    assert len(texts) > 100
    for name, text in texts:
        assert outcome(text, source.LOADERS[0]) == outcome(text, source.LOADERS[1]), name


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_both_parsers_compose_random_edits_alike(seed):
    for name, text in mutations(seed, 1000):
        assert outcome(text, source.LOADERS[0]) == outcome(text, source.LOADERS[1]), (name, text)


@pytest.mark.parametrize(
    "text",
    [
        "a: {x: , y: 1}\n",  # an empty value in a flow mapping: libyaml places it at the `,`
        "a: {x: 0.4? 0.6}\n",  # PyYAML refuses a `?` in a flow value, libyaml reads text
        "a: |# note\n  x\n",  # PyYAML wants a space before the comment
        "a:\n  - 1\n  - 2",  # no final line break: libyaml ends the collections a line further
        "a: 1\n\tb: 2\n",  # a tab: libyaml is laxer
        "a: 1\n\ufeffb: 2\n",  # a byte-order mark inside the text
        "a: &x 1\nb: *x\n",  # refused: an alias
        "a: [" * 30 + "]" * 30 + "\n",  # refused: too deep
        "a: 1\n---\nb: 2\n",  # refused: two documents
        "a: !!python/object:os.system ls\n",  # a tag: composed, refused by the reader of values
        "title: é\nx: {é: [ñ, 'ü'], w: \"\\u00e9\"}\n",  # non-ASCII: columns count characters
    ],
)
def test_the_places_where_the_parsers_differ_give_pyyaml_s_reading(text):
    assert outcome(text, source.LOADERS[0]) == outcome(text, source.LOADERS[1])


def test_messages_of_whole_files_are_the_same(monkeypatch):
    """load() (the reader of values on top of the nodes) says the same with either parser."""
    for name, text in corpus_texts():
        said = []
        for loader in source.LOADERS:
            monkeypatch.setattr(source, "LOADERS", (loader,))
            try:
                said.append(repr(load(text, name)))
            except SpecError as exc:
                said.append(str(exc))
            monkeypatch.undo()
        assert said[0] == said[1], name


def test_the_control_characters_refused_in_a_value_are_unicode_s_cc_and_the_bidi_marks():
    import unicodedata

    bidi = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        expected = ch in bidi or (ch not in "\n\t" and unicodedata.category(ch) == "Cc")
        assert (source._CONTROL.search(ch) is not None) == expected, hex(code)


@pytest.mark.slow
def test_a_file_near_the_size_limit_is_read_by_libyaml(tmp_path):
    """The explicit form of a [128, 128, 1] network (about half a megabyte) loads with the C parser,
    every weight where it was written."""
    from derive.spec.expand import expand_text

    xs = ", ".join(str((i % 7 - 3) / 10) for i in range(128))
    short = (
        "title: wide\nlayers: [128, 128, 1]\nactivation: sigmoid\n"
        "parameters:\n  random: {seed: 7, low: -1, high: 1, decimals: 6}\n"
        f"data:\n  - {{x: [{xs}], y: 1}}\n"
    )
    explicit = expand_text(load(short, "short.yaml"))
    assert 400_000 < len(explicit.encode()) < source.MAX_BYTES
    root = source.compose(explicit, "explicit.yaml")
    params = next(v for k, v in root.value if k.value == "parameters")
    last_key, last_value = params.value[-1]
    # libyaml's marks carry no copy of the text (PyYAML's carry it for their snippets)
    assert root.start_mark.buffer is None and last_value.end_mark.buffer is None
    line = explicit.splitlines()[last_key.start_mark.line]
    assert line[last_key.start_mark.column :].startswith(f"{last_key.value}: {last_value.value}")
    assert load(explicit, "explicit.yaml").parameters == load(short, "short.yaml").parameters
