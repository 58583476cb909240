"""The LaTeX notes: every example compiles to a PDF that shows the numbers of the notes, user text is
typeset as itself and never read as TeX, and a user's template directory overrides the built-in one.

Expected numbers come from the seed lecture (the hand calculation of pass_fail) or from the JSON
output (full precision), formatted here to the 5 significant digits the notes show."""
import json
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from mpmath import mp, mpf

from derive import explain, load_network
from derive.errors import DeriveError
from derive.escape import tex_escape
from derive.render.notes import draw_pictures, render
from derive.render.tex import compile_pdf
from derive.steps.notes import Options, build
from tests.helpers import ROOT, example_networks

PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures latexmk"
# Every example network (examples/ also holds students' answer files, which are not networks).
EXAMPLES = example_networks()
DIGITS = 5
HOSTILE = r"""
title: "R&D_100% {cost} #1 ~x^2 \\input{/etc/passwd}"
inputs:
  x1: Study hours & play
  x2: R&D_100%
  x3: <b>x</b>
  x4: "a--b $5 | \\ ^ _ ~ {} [] #"
neurons:
  O1: {from: {x1: w1, x2: w2, x3: w3, x4: w4}, bias: b1, activation: sigmoid}
parameters: {w1: 0.1, w2: 0.2, w3: 0.3, w4: 0.4, b1: 0.5}
data:
  - {x1: 1, x2: 2, x3: 3, x4: 4, y: 1}
"""


def _need_tex():
    if not shutil.which("pdflatex"):
        pytest.skip(f"pdflatex is not installed; CI installs the Debian packages {PACKAGES}")
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("pdftotext or pdffonts is not installed; CI installs the Debian package poppler-utils")


def _pdf_text(tex: str, tmp_path) -> str:
    """The text of the compiled PDF on one line, with maths minus signs as ASCII hyphens."""
    _need_tex()
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(compile_pdf(tex))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Type 3" not in fonts, f"a bitmap font crept in (a TS1 or T1 glyph without cm-super):\n{fonts}"
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.replace("\u2212", "-").split())


def _has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text) is not None


def _shown(value: str, exact: str | None = None) -> str:
    """A value as the notes write it: a short exact decimal in full, else DIGITS significant digits."""
    d = Decimal(value)
    if exact is not None or re.search(r"\.\d*0{10}$", value):  # exact, or an exact decimal padded with zeros
        q = Fraction(exact) if exact is not None else Fraction(d)
        short = format((Decimal(q.numerator) / Decimal(q.denominator)).normalize(), "f")
        if len(short.lstrip("-").replace(".", "").strip("0")) <= DIGITS + 2:
            return short
    if d == 0:
        return "0"
    q = d.quantize(Decimal(1).scaleb(d.adjusted() - DIGITS + 1), rounding=ROUND_HALF_UP)
    assert -6 <= q.adjusted() < 15, f"{value}: scientific notation is not expected in the examples"
    return format(q, "f")


def _json_numbers(path, carried: bool) -> list[str]:
    """Every full-precision number that the PDF prints: all of them in exact mode; with carrying, the
    outputs, loss and gradients of the comparison table."""
    data = json.loads(explain(str(path), fmt="json").text)
    numbers = [_shown(v["O"], v["O_exact"]) for v in data["forward"].values()]
    numbers += [_shown(data["loss"], data["loss_exact"])]
    numbers += [_shown(g["value"], g["exact"]) for g in data["gradients"].values()]
    if not carried:
        numbers += [_shown(v["z"], v["z_exact"]) for v in data["forward"].values()]
        numbers += [_shown(v) for v in data["updated"].values()]
    return numbers


@pytest.fixture(scope="module")
def example_texts(tmp_path_factory):
    cache = {}

    def text(path):
        if path not in cache:
            doc = build(load_network(str(path)), Options())
            cache[path] = _pdf_text(render(doc, "tex"), tmp_path_factory.mktemp(path.stem))
        return cache[path]
    return text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.slow
def test_example_pdf_shows_every_number(path, example_texts):
    carried = "carry: truncate" in path.read_text() or "carry: round" in path.read_text()
    text = example_texts(path)
    assert "Forward propagation" in text and "Back-propagation" in text and "The update" in text
    missing = [n for n in _json_numbers(path, carried) if not _has_number(text, n)]
    assert not missing, f"{path.name}: not in the PDF: {missing}"


@pytest.mark.slow
def test_pass_fail_pdf_shows_the_seed_hand_calculation(example_texts):
    text = example_texts(ROOT / "examples" / "pass_fail.yaml")
    # The seed lecture: z = 1.151, O1 = 0.759 (truncated), z = 0.04518, O2 = 0.51129, y − ŷ = 0.48871.
    assert "z1 = 95 · 0.01 + 4 · 0.02 + 4 · 0.03 + 0.001 = 1.151" in text
    assert "O1 = 0.759" in text and "z2 = 0.759 · 0.02 + 0.03 = 0.04518" in text
    assert "O2 = 0.51129" in text and "y - O2 = 1 - 0.51129 = 0.48871" in text
    # Back-propagation with the written values, computed here from the seed's numbers alone.
    with mp.workdps(50):
        o1, o2, w4, eta = mpf("0.759"), mpf("0.51129"), mpf("0.02"), mpf("0.1")
        d2 = -2 * (1 - o2) * o2 * (1 - o2)  # δ2 = ∂L/∂O2 · σ'(z2)
        d1 = d2 * w4 * o1 * (1 - o1)
        grads = {"w4": (d2 * o1, "0.02"), "b2": (d2, "0.03"), "w1": (d1 * 95, "0.01"), "w2": (d1 * 4, "0.02"),
                 "w3": (d1 * 4, "0.03"), "b1": (d1, "0.001")}
        for name, (g, old) in grads.items():
            for value in (g, mpf(old) - eta * g):
                assert _has_number(text, _shown(mp.nstr(value, 30))), (name, _shown(mp.nstr(value, 30)))
    assert "truncated to 3 decimals" in text and "Hand calculation and full precision" in text


@pytest.mark.slow
def test_hostile_title_and_labels_are_typeset_literally(tmp_path):
    net = load_network(text=HOSTILE, name="R&D_{x}.yaml")
    text = _pdf_text(render(build(net, Options()), "tex"), tmp_path)
    assert r"R&D_100% {cost} #1 ~x^2 \input{/etc/passwd}" in text
    for label in ("Study hours & play", "R&D_100%", "<b>x</b>", r"a--b $5 | \ ^ _ ~ {} [] #", "R&D_{x}.yaml"):
        assert label in text, label
    passwd = open("/etc/passwd", encoding="utf-8", errors="replace").readline().split(":")[0]
    assert f"{passwd}:" not in text  # \input was not run


@pytest.mark.slow
def test_tex_never_reads_files_outside_its_directory(tmp_path):
    _need_tex()
    marker = tmp_path / "written"
    tex = (r"\documentclass{article}\begin{document}\immediate\write18{touch " + str(marker) + r"}"
           r"\input{/etc/passwd}\end{document}")
    with pytest.raises(DeriveError, match=r"passwd.*line 1"):
        compile_pdf(tex)
    assert not marker.exists()  # no shell escape either


def test_escaping_is_done_in_one_pass():
    assert tex_escape("\\{}") == r"\textbackslash{}\{\}"
    assert tex_escape("100% & $5 #1") == r"100\% \& \ensuremath{\$}5 \#1"
    assert tex_escape("a--b") == "a-{}-b"
    assert tex_escape("x<y>|z") == r"x\textless{}y\textgreater{}\textbar{}z"
    assert tex_escape("y − ŷ") == r"y \ensuremath{-} ŷ"


@pytest.mark.slow
def test_a_latex_error_names_the_message_and_the_line(tmp_path):
    _need_tex()
    with pytest.raises(DeriveError, match=r"Undefined control sequence.*line 3 of the \.tex"):
        compile_pdf("\\documentclass{article}\n\\begin{document}\n\\notacommand\n\\end{document}\n")


@pytest.mark.slow
def test_a_run_away_compilation_is_stopped():
    _need_tex()
    with pytest.raises(DeriveError, match="did not finish within 2 s"):
        compile_pdf(r"\documentclass{article}\begin{document}\def\loop{\loop}\loop\end{document}", timeout=2)


def test_missing_tex_says_which_packages_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DeriveError, match=re.escape(PACKAGES)):
        compile_pdf(r"\documentclass{article}\begin{document}x\end{document}")


@pytest.mark.slow
def test_without_latexmk_pdflatex_runs_twice(monkeypatch, tmp_path):
    _need_tex()
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "latexmk" else which(name))
    tex = r"\documentclass{article}\begin{document}\section{One}\label{one}See section \ref{one}.\end{document}"
    assert "See section 1." in _pdf_text(tex, tmp_path)  # the reference is resolved on the second run


def test_user_templates_override_the_built_in_ones(tmp_path):
    doc = build(load_network(str(ROOT / "examples" / "pass_fail.yaml")), Options())
    (tmp_path / "tex").mkdir()
    (tmp_path / "tex" / "preamble.tex.j2").write_text("\\documentclass{article} % the user's preamble\n")
    tex = render(doc, "tex", tmp_path)
    assert tex.startswith("\\documentclass{article} % the user's preamble") and r"\section{The network}" in tex
    # The words of every format come from notes.md.j2: an override there changes the LaTeX too.
    (tmp_path / "notes.md.j2").write_text("# {{ doc.title }}\n\nMy own notes, {{ doc.network.sizes.inputs }} inputs.\n")
    tex = render(doc, "tex", tmp_path)
    assert r"\begin{center}" in tex and "My own notes, 3 inputs." in tex and "Forward propagation" not in tex
    (tmp_path / "tex" / "document.tex.j2").write_text("Body: \\VAR{body}")
    assert render(doc, "tex", tmp_path) == "Body: \\begin{center}\n{\\LARGE\\bfseries Will the student pass?\\par}\n\\end{center}\n\nMy own notes, 3 inputs.\n"


@pytest.mark.slow
def test_pictures_are_drawn_where_the_markdown_shows_them(tmp_path):
    """The LaTeX writer puts each picture the Markdown links where the Markdown links it, as TikZ."""
    net = load_network(str(ROOT / "examples" / "pass_fail.yaml"))
    assert r"\begin{tikzpicture}" not in render(build(net, Options()), "tex")
    doc = build(net, Options())
    draw_pictures(doc, "pf_files")
    tex = render(doc, "tex")
    network = tex.index(r"\begin{tikzpicture}")
    assert tex.index(r"\section{The network}") < network < tex.index("Conventions in force")
    w1 = tex.index(r"\subsection*{The gradient of $w_{1}$}")  # its path highlight, then the words about it
    assert w1 < tex.index(r"\begin{tikzpicture}", w1) < tex.index("reaches the loss along one path", w1)
    text = _pdf_text(tex, tmp_path)
    assert "w1 reaches the loss along one path, L → O2 → O1 → w1" in text


@pytest.mark.slow
def test_the_plots_of_the_markdown_notes_are_in_the_pdf(tmp_path):
    """A deep sigmoid network's notes show the activation and per-layer gradient plots; the PDF
    includes them too (as the PDFs matplotlib drew), not only the Markdown and HTML."""
    net = load_network(str(ROOT / "examples" / "deep_sigmoid.yaml"))
    doc = build(net, Options())
    draw_pictures(doc, "deep_files")
    tex = render(doc, "tex")
    for name in ("activations", "layer_gradients"):
        assert rf"\fitpicture{{\includegraphics{{deep_files/{name}.pdf}}}}" in tex
        assert doc.pictures.tex_files()[f"deep_files/{name}.pdf"].startswith(b"%PDF")
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(render(doc, "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Activations (solid) and their derivatives (dashed)" in text  # the plot's own title
    assert "layer (column of the neuron the weight feeds)" in text
