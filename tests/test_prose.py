"""Each sentence is written once: the share of prose words in the templates and the writers that
another file repeats in a run of eight words stays under 10%.

Run as a script (`python tests/test_prose.py`) to print the share per file.
"""
from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = 8  # words in a run that counts as repeated
LIMIT = 0.10

_JINJA = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
_TEX_JINJA = re.compile(r"\\(BLOCK|VAR)\{[^}]*\}|^\s*%[%#].*$", re.M)
_MATHS = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def prose_words(text: str) -> list[str]:
    """The words a reader sees: template logic, maths and TeX commands taken out."""
    for pattern in (_JINJA, _TEX_JINJA, _MATHS, _TEX_COMMAND):
        text = pattern.sub(" ", text)
    return [w.lower() for w in _WORD.findall(text)]


def python_prose(source: str) -> str:
    """The string literals of a writer module that hold prose (three words or more), not docstrings."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return "\n".join(node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                     and len(node.value.split()) >= 3)


def documents() -> dict[str, list[str]]:
    """Prose words of every template and every writer (derive/render, the sheet and report builders)."""
    files: dict[str, list[str]] = {}
    for path in sorted((ROOT / "templates").rglob("*.j2")):
        files[str(path.relative_to(ROOT))] = prose_words(path.read_text(encoding="utf-8"))
    writers = [*sorted((ROOT / "derive" / "render").glob("*.py")), ROOT / "derive" / "exercise" / "sheets.py",
               ROOT / "derive" / "exercise" / "keys.py", ROOT / "derive" / "check" / "report.py"]
    for path in writers:
        if path.exists():
            files[str(path.relative_to(ROOT))] = prose_words(python_prose(path.read_text(encoding="utf-8")))
    return files


def repeated(files: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """(words in a run of RUN that another file also has, words) per file."""
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for name, words in files.items():
        for i in range(len(words) - RUN + 1):
            owners[tuple(words[i:i + RUN])].add(name)
    out = {}
    for name, words in files.items():
        covered = [False] * len(words)
        for i in range(len(words) - RUN + 1):
            if len(owners[tuple(words[i:i + RUN])]) > 1:
                covered[i:i + RUN] = [True] * RUN
        out[name] = (sum(covered), len(words))
    return out


def share(counts: dict[str, tuple[int, int]]) -> float:
    total = sum(n for _, n in counts.values())
    return sum(r for r, _ in counts.values()) / total if total else 0.0


def test_the_measure_finds_a_repeated_sentence_and_ignores_markup():
    sentence = "every parameter takes a small step against its gradient today"
    files = {"a.md.j2": prose_words(f"## Heading\n{sentence} {{{{ x }}}} $\\frac{{a}}{{b}}$"),
             "b.tex.j2": prose_words(f"\\section{{Title}} \\VAR{{x}} {sentence}"),
             "c.md.j2": prose_words("something else entirely, written only once in this whole corpus")}
    counts = repeated(files)
    assert counts["a.md.j2"] == (10, 11) and counts["b.tex.j2"] == (10, 11)  # "heading", "title" differ
    assert counts["c.md.j2"][0] == 0
    assert "frac" not in files["a.md.j2"] and "var" not in files["b.tex.j2"]


def test_prose_is_written_once():
    counts = repeated(documents())
    worst = sorted(((r / n, name) for name, (r, n) in counts.items() if n and r), reverse=True)[:5]
    assert share(counts) < LIMIT, f"{share(counts):.0%} of prose words are repeated; most in {worst}"


if __name__ == "__main__":
    counts = repeated(documents())
    for name, (r, n) in sorted(counts.items()):
        print(f"{name:48} {r:5} of {n:5} words repeated ({r / n if n else 0:.0%})")
    print(f"overall: {share(counts):.1%} of prose words repeated in a run of {RUN} (limit {LIMIT:.0%})")
    sys.exit(0)
