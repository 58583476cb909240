"""The example notebook runs headless, and the facade's result displays itself in Jupyter."""
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
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    mimes = set().union(*(o.get("data", {}).keys() for o in outputs))
    assert {"text/markdown", "text/latex"} <= mimes
    texts = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "2 paths to w1" in texts and "1.151" in texts
