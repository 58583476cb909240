"""Imports point one way: the model, the calculus and the steps never reach for pictures, writers,
matplotlib or Jinja2 (not even lazily, inside a function), and no module imports itself in a circle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "derive"
LOWER = ("derive.spec", "derive.calculus", "derive.steps")
FORBIDDEN = ("derive.pictures", "derive.render", "derive.templating", "matplotlib", "jinja2")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """Every module `name` imports, at the top or inside a function; `from a import b` counts as a.b
    when a.b is a module of ours, else as a."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


def forbidden_in(name: str) -> list[str]:
    return sorted(i for i in imports(name) if any(i == f or i.startswith(f + ".") for f in FORBIDDEN))


def test_the_walker_sees_lazy_and_relative_imports(tmp_path):
    """The walker is what the other tests trust: it must see an import inside a function."""
    assert "derive.pictures.figures" in imports("derive.pictures.drawing")  # imported inside draw()
    assert any(i.startswith("derive.") for i in imports("derive.steps.notes"))


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(LOWER)))
def test_model_calculus_and_steps_import_no_pictures_writers_or_templates(name):
    assert forbidden_in(name) == []


def test_no_import_cycle():
    graph = {name: {i for i in imports(name) if i in MODULES and i != name} for name in MODULES}
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = stack[stack.index(node):] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*stack, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
