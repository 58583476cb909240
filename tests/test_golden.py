"""The committed notes under output/ are what the examples render to now."""
import importlib.util

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("render_examples", ROOT / "scripts" / "render_examples.py")
render_examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_examples)
EXPECTED = render_examples.expected_outputs()


def test_every_example_has_its_outputs():
    assert len(EXPECTED) >= 10  # 5 examples × (md, json)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_committed_output_is_current(path):
    assert path.exists(), f"{path.name} is missing: run `python scripts/render_examples.py`"
    assert path.read_text(encoding="utf-8") == EXPECTED[path], (
        f"output/{path.name} is stale: run `python scripts/render_examples.py` and commit the result")


def test_no_stray_outputs():
    stray = {p for p in (ROOT / "output").iterdir() if p.is_file()} - set(EXPECTED)
    assert not stray, f"output/ holds files no example renders: {sorted(p.name for p in stray)}"
