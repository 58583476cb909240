"""The committed notes under output/ are what the examples render to now."""
import importlib.util
import json
from fractions import Fraction
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from mpmath import mp, mpf

from derive.numbers import Num, show

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("render_examples", ROOT / "scripts" / "render_examples.py")
render_examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_examples)


def _training():
    import os

    here = os.getcwd()
    os.chdir(ROOT)  # the commands name the examples relative to the repository, as the script does
    try:
        return render_examples.training_outputs()
    finally:
        os.chdir(here)


EXPECTED = {**render_examples.expected_outputs(), **_training()}
HOW = "run `python scripts/render_examples.py` and commit the result"


def test_every_example_has_its_outputs():
    assert len([p for p in EXPECTED if p.parent.name == "output"]) >= 15  # 5 examples × (md, json, html)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(p.relative_to(ROOT / "output")))
def test_committed_output_is_current(path):
    assert path.exists(), f"output/{path.relative_to(ROOT / 'output')} is missing: {HOW}"
    if render_examples.is_plot(path):
        # matplotlib's own SVG bytes change with its version; the plot must exist and be well-formed.
        ET.fromstring(path.read_bytes())
        return
    want = EXPECTED[path]
    got = path.read_bytes() if isinstance(want, bytes) else path.read_text(encoding="utf-8")
    assert got == want, f"output/{path.relative_to(ROOT / 'output')} is stale: {HOW}"


@pytest.mark.parametrize("pdf", render_examples.pdfs(), ids=lambda p: p.name)
def test_committed_pdf_holds_the_current_numbers(pdf):
    """PDF bytes carry TeX Live's own details, so the PDF is checked by its text: the loss and a
    gradient of the current JSON appear in it, as the notes show them (5 significant digits)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing: install the Debian package poppler-utils")
    assert pdf.exists(), f"output/{pdf.name} is missing: {HOW}"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    data = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    with mp.workdps(30):
        exact = data["loss_exact"]
        loss = show(Num(Fraction(exact)) if exact else Num(None, mpf(data["loss"])), 5)[0]
    assert loss in text.replace("\u2212", "-"), f"output/{pdf.name} does not show L = {loss}: {HOW}"


@pytest.mark.parametrize("path", render_examples.extra_outputs(), ids=lambda p: p.name)
def test_other_formats_exist(path):
    assert path.exists() and path.stat().st_size > 0, f"output/{path.name} is missing: {HOW}"


def test_no_stray_outputs():
    stray = {p for p in (ROOT / "output").rglob("*") if p.is_file()} - set(EXPECTED) - set(render_examples.extra_outputs())
    assert not stray, f"output/ holds files no example renders: {sorted(p.name for p in stray)}; {HOW}"
