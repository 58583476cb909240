"""The committed notes under output/ are what the examples render to now.

Collecting these tests only lists output/; the examples are rendered once per session, by the first test
that asks for the `rendered` fixture, so `pytest --collect-only` and the fast tier never pay for it."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
from mpmath import mp, mpf

from derive.numbers import Num, show
from tests.helpers import ROOT

OUTPUT = ROOT / "output"
HOW = "run `python scripts/render_examples.py` and commit the result"


def _load_script():
    """scripts/render_examples.py as a module: its lists of files are what output/ must hold. Loading it
    renders nothing; it puts the checkout first on sys.path (so the script runs uninstalled), which is
    undone here so that the tests keep importing the package as it is installed."""
    spec = importlib.util.spec_from_file_location("render_examples", ROOT / "scripts" / "render_examples.py")
    module = importlib.util.module_from_spec(spec)
    saved = sys.path[:]
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


render_examples = _load_script()


def committed_outputs() -> list[Path]:
    """The files under output/ that git tracks: a listing, no rendering. Where git cannot say (an
    unpacked source archive, no git, or a checkout git refuses as owned by another user) the files on
    disk stand for the committed ones."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listing = subprocess.run(["git", "ls-files", "-z", "--", "output"], cwd=ROOT, capture_output=True)
        if listing.returncode == 0:
            return sorted(ROOT / name for name in listing.stdout.decode("utf-8").split("\0") if name)
    return sorted(p for p in OUTPUT.rglob("*") if p.is_file())


COMMITTED = committed_outputs()
EXTRA = render_examples.extra_outputs()  # checked for presence only (PDFs, training html/tex/pdf)
GOLDEN = [p for p in COMMITTED if p not in set(EXTRA)]  # compared with what the examples render to now


@pytest.fixture(scope="session")
def rendered() -> dict[Path, str | bytes]:
    """Every file the examples render to, with its content, as scripts/render_examples.py writes it."""
    here = os.getcwd()
    os.chdir(ROOT)  # the training commands name the examples relative to the repository, as the script does
    try:
        return {**render_examples.expected_outputs(), **render_examples.training_outputs()}
    finally:
        os.chdir(here)


def _name(path: Path) -> str:
    return path.relative_to(OUTPUT).as_posix()


@pytest.mark.slow
def test_every_example_has_its_outputs(rendered):
    assert len([p for p in rendered if p.parent.name == "output"]) >= 15  # 5 examples × (md, json, html)


@pytest.mark.slow
def test_rendered_outputs_are_the_committed_ones(rendered):
    """Both ways: nothing the renderer writes is missing from git, and git holds nothing it does not write."""
    committed = set(COMMITTED)
    missing = (set(rendered) | set(EXTRA)) - committed
    assert not missing, f"output/ lacks (or git does not track) {sorted(map(_name, missing))}: {HOW}"
    stray = committed - set(rendered) - set(EXTRA)
    assert not stray, f"output/ holds files no example renders: {sorted(map(_name, stray))}; {HOW}"


@pytest.mark.slow
@pytest.mark.parametrize("path", GOLDEN, ids=_name)
def test_committed_output_is_current(path, rendered):
    assert path in rendered, f"output/{_name(path)} is committed but no example renders it: {HOW}"
    assert path.exists(), f"output/{_name(path)} is missing: {HOW}"
    if render_examples.is_plot(path):
        # matplotlib's own SVG and PDF bytes change with its version; the plot must exist and be well-formed.
        if path.suffix == ".pdf":
            assert path.read_bytes().startswith(b"%PDF-") and b"%%EOF" in path.read_bytes()[-1024:]
        else:
            ET.fromstring(path.read_bytes())
        return
    want = rendered[path]
    got = path.read_bytes() if isinstance(want, bytes) else path.read_text(encoding="utf-8")
    assert got == want, f"output/{_name(path)} is stale: {HOW}"


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


@pytest.mark.parametrize("path", EXTRA, ids=lambda p: p.name)
def test_other_formats_exist(path):
    assert path.exists() and path.stat().st_size > 0, f"output/{path.name} is missing: {HOW}"
