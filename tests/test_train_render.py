"""Training notes in every format (Markdown, JSON, HTML, LaTeX, PDF), the three commands, and the
training keys of the network file."""
import io
import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from derive import SpecError, load_network
from derive.cli import main
from derive.render.html import render_html_report
from derive.train.command import progress
from tests.helpers import ROOT

EX = ROOT / "examples"


cli = main  # derive's own group: it registers the commands and turns a DeriveError into exit code 2


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


CASES = [("train", EX / "training_pass_fail.yaml", ["--epochs", "3"]),
         ("train", EX / "softmax_3class.yaml", ["--epochs", "2"]),
         ("train", EX / "and_perceptron.yaml", []),
         ("train", EX / "xor_perceptron.yaml", []),
         ("study-lr", EX / "regression_lr.yaml", ["--epochs", "20"]),
         ("study-depth", EX / "deep_sigmoid.yaml", [])]


@pytest.mark.parametrize("command,path,extra", CASES, ids=lambda c: getattr(c, "stem", None))
@pytest.mark.slow
def test_markdown_json_html_and_tex(command, path, extra, tmp_path):
    outs = {}
    for fmt in ("md", "json", "html", "tex"):
        target = tmp_path / f"notes.{fmt}"
        result = invoke(command, path, "-f", fmt, "-o", target, *extra)
        assert result.exit_code == 0, result.output
        outs[fmt] = target.read_text(encoding="utf-8")
    data = json.loads(outs["json"])
    assert data["kind"] in ("training", "perceptron", "study_lr", "study_depth")
    picture = re.search(r"!\[[^\]]*\]\(([^)]+\.svg)\)", outs["md"])
    assert picture and (tmp_path / picture.group(1)).exists()
    _, failures = render_html_report(outs["md"], "t")
    assert failures == [] and "<math" in outs["html"] and "data:image/svg+xml;base64," in outs["html"]
    assert outs["tex"].startswith("\\documentclass") and "\\begin{tikzpicture}" in outs["tex"]
    # the same numbers in Markdown and LaTeX: every $…$ number of the Markdown tables is in the .tex
    numbers = set(re.findall(r"\| \$(-?[0-9.]+)\$ ", outs["md"]))
    missing = [n for n in numbers if n not in outs["tex"]]
    assert not missing, missing[:5]


@pytest.mark.slow
def test_training_json_holds_every_step(tmp_path):
    target = tmp_path / "t.json"
    invoke("train", EX / "training_pass_fail.yaml", "-f", "json", "-o", target)
    data = json.loads(target.read_text())
    assert len(data["steps"]) == 400 and len(data["epochs"]) == 101
    assert data["settings"] == {"optimizer": "adam", "hyper_parameters": {"beta1": "0.90000000000000000000",
                                "beta2": "0.99900000000000000000", "epsilon": "0.000000010000000000000000000"},
                                "learning_rate": "0.010000000000000000000", "batch_size": 1,
                                "batch_reduction": "mean", "epochs": 100}
    first = data["steps"][0]
    assert set(first["optimizer"]["w1"]) >= {"m", "v", "mhat", "vhat"}


def test_markdown_of_the_first_step_and_the_table(tmp_path):
    target = tmp_path / "t.md"
    invoke("train", EX / "training_pass_fail.yaml", "-o", target, "--epochs", "2", "--detail", "2")
    md = target.read_text()
    assert "### Step 1 (epoch 1): data point 1" in md and "### Step 2 (epoch 1): data point 2" in md
    assert "z_{1} &= 95 \\cdot 0.01 + 4 \\cdot 0.02 + 4 \\cdot 0.03 + 0.001 = 1.151" in md
    assert "\\hat m_{1}" in md and "1 - 0.9^{1}" in md  # Adam's bias correction, with numbers
    assert md.count("\n| 8 | 2 | 4 |") == 1  # step 8 is a table row


def test_detail_all_writes_every_step(tmp_path):
    target = tmp_path / "t.md"
    invoke("train", EX / "regression_lr.yaml", "-o", target, "--epochs", "3", "--detail", "all")
    assert target.read_text().count("### Step ") == 3


def test_mini_batch_notes_show_the_combination(tmp_path):
    target = tmp_path / "t.md"
    invoke("train", EX / "softmax_3class.yaml", "-o", target, "--epochs", "1")
    md = target.read_text()
    assert "data points 1, 2" in md and "\\tfrac{1}{2}\\left(" in md and "softmax Jacobian" in md
    assert "O_k - y_k" in md


@pytest.mark.slow
def test_pdf(tmp_path):
    if shutil.which("pdflatex") is None or shutil.which("pdftotext") is None:
        pytest.skip("needs pdflatex and pdftotext")
    target = tmp_path / "p.pdf"
    assert invoke("train", EX / "xor_perceptron.yaml", "-f", "pdf", "-o", target).exit_code == 0
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout
    assert "did not converge" in text and "not linearly" in text


def test_default_output_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(EX / "and_perceptron.yaml", "and_perceptron.yaml")
    result = CliRunner().invoke(cli, ["train", "and_perceptron.yaml"])
    assert result.exit_code == 0 and "wrote output/and_perceptron_training.md" in result.output
    assert (tmp_path / "output" / "and_perceptron_training_files" / "boundary.svg").exists()


def test_errors_exit_2():
    result = CliRunner().invoke(cli, ["train", str(EX / "pass_fail.yaml"), "--learning-rate", "fast"])
    assert result.exit_code == 2 and "derive: error: --learning-rate `fast`" in result.output
    result = CliRunner().invoke(cli, ["study-depth", str(EX / "and_perceptron.yaml")])
    assert result.exit_code == 2 and "no chain" in result.output
    result = CliRunner().invoke(cli, ["train", str(EX / "missing.yaml")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_progress_bar_only_on_a_terminal_for_long_runs(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    with progress(300, "training") as bar:
        assert bar is not None
        bar(300)
    assert "training" in screen.getvalue()
    with progress(100, "training") as bar:
        assert bar is None
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with progress(300, "training") as bar:
        assert bar is None


BASE = (EX / "pass_fail.yaml").read_text()


@pytest.mark.parametrize("extra,message", [
    ("optimizer: adma\n", "did you mean `adam`"),
    ("optimizer: {name: momentum, beta2: 0.9}\n", "`beta2` belongs to adam, not momentum"),
    ("optimizer: {name: adam, betta1: 0.9}\n", "did you mean `beta1`"),
    ("batch_size: 0\n", "not a number of data points"),
    ("batch_reduction: avg\n", "unknown batch_reduction"),
    ("epochs: 1.5\n", "whole number"),
    ("optimizer: {name: rmsprop, rho: 1}\n", "below 1"),
    ("optimiser: adam\n", "did you mean `optimizer`"),
])
def test_training_keys_are_checked_with_place_and_hint(extra, message):
    with pytest.raises(SpecError) as info:
        load_network(text=BASE + extra, name="t.yaml")
    assert message in str(info.value) and re.search(r"t\.yaml:\d+:\d+: \$\.", str(info.value))


def test_training_defaults():
    t = load_network(text=BASE).training
    assert (t.optimizer, t.batch_size, t.batch_reduction, t.epochs) == ("sgd", 1, "mean", 1)
    t = load_network(text=BASE + "optimizer: adam\nbatch_size: full\nepochs: 3\n").training
    assert t.batch_size is None and t.hyper_parameters()["beta2"] == pytest.approx(0.999)
    assert t.hyper_parameters()["epsilon"] * 10 ** 8 == 1
