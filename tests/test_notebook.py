"""The example notebook runs headless, and the facade's result displays itself in Jupyter."""

import base64
import re

import pytest

from derive import explain
from tests.helpers import ROOT


def test_repr_markdown_and_latex():
    notes = explain(str(ROOT / "examples" / "pass_fail.yaml"))
    assert notes._repr_markdown_().startswith("# Will the student pass?")
    latex = notes._repr_latex_()
    assert latex.startswith("$$") and r"\begin{aligned}" in latex
    # the seed's hand calculation: O1 = σ(1.151) ≈ 0.75969, carried as 0.759
    assert r"\approx 0.75969 \;\to\; 0.759" in latex
    assert explain(str(ROOT / "examples" / "pass_fail.yaml"), fmt="json")._repr_markdown_() is None


@pytest.mark.slow
def test_example_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout, installed or not
    nb = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    mimes = set().union(*(o.get("data", {}).keys() for o in outputs))
    assert {"text/markdown", "text/latex"} <= mimes
    texts = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "2 paths to w1" in texts and "1.151" in texts
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert '<div class="derive-notes">' in html and "<!DOCTYPE" not in html and "data:image/svg+xml;base64," in html


def _selectors(css: str) -> list[str]:
    """Every selector of a style sheet's rules (comments dropped; at-rules returned as they start)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    heads = re.findall(r"([^{}]+)\{", css)
    return [s.strip() for h in heads for s in h.split(",")]


@pytest.mark.slow
def test_repr_html_is_a_fragment_with_scoped_styles_and_inlined_pictures():
    notes = explain(str(ROOT / "examples" / "pass_fail.yaml"), pictures=True)
    html = notes._repr_html_()
    assert html.startswith('<div class="derive-notes">') and html.rstrip().endswith("</div>")
    for tag in ("<!DOCTYPE", "<html", "<head", "<body", "<meta", "<title"):
        assert tag.lower() not in html.lower(), tag
    style = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert len(style) == 1
    selectors = _selectors(style[0])
    assert selectors and all(s.startswith(".derive-notes") for s in selectors), [
        s for s in selectors if not s.startswith(".derive-notes")
    ]
    assert "@page" not in style[0] and "@media" not in style[0]
    # every picture the Markdown links is inlined, none left as a placeholder or a link to a folder
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", notes.text)
    images = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert links and len(images) == len(links)
    assert all(src.startswith("data:image/") for src in images)
    assert "[image:" not in html and "_files/" not in html
    assert "<math" in html


def test_repr_html_of_notes_without_pictures_has_no_images():
    html = explain(str(ROOT / "examples" / "pass_fail.yaml"))._repr_html_()
    assert "<img" not in html and "[image:" not in html and html.startswith('<div class="derive-notes">')


@pytest.mark.slow
def test_repr_markdown_inlines_pictures_or_leaves_them_out():
    with_pictures = explain(str(ROOT / "examples" / "pass_fail.yaml"), pictures=True)
    assert "_files/" in with_pictures.text  # the Markdown written to disk links the folder...
    md = with_pictures._repr_markdown_()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all(link.startswith(("data:image/svg+xml;base64,", "data:image/png;base64,")) for link in links)
    svg = base64.b64decode(next(x for x in links if "svg" in x).split(",", 1)[1])
    assert svg.lstrip().startswith((b"<svg", b"<?xml"))
    assert "_files/" not in md  # ...the notebook's copy never does: that folder was never written
    plain = explain(str(ROOT / "examples" / "pass_fail.yaml"))._repr_markdown_()
    assert "![" not in plain


def test_repr_latex_has_no_arrow_to_the_same_number():
    # pass_fail carries O1 truncated to 3 decimals (0.75969 → 0.759: an arrow that says something)
    # and writes the output O2 with 5 significant digits, which reads 0.51129 either way: no arrow
    latex = explain(str(ROOT / "examples" / "pass_fail.yaml"))._repr_latex_()
    assert r"\approx 0.75969 \;\to\; 0.759" in latex
    arrows = re.findall(r"\\approx (\S+) \\;\\to\\; (\S+?)(?= \\\\|$)", latex, flags=re.M)
    assert arrows and all(a != b for a, b in arrows), arrows
    assert r"\approx 0.51129 \\" in latex
