"""Training notes in every format (Markdown, JSON, HTML, LaTeX, PDF), the three commands, and the
training keys of the network file."""
import io
import json
import math
import os
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
    # two epochs are few: a row after every step instead of one per epoch
    assert [r[0] for r in _rows(md, "## 3. Step by step")] == ["start", *map(str, range(1, 9))]
    assert "epoch $e$ ends with step $4e$" in md and "a row after every step, not one per epoch" in md


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


# ---- issue 14: teachable length, the optimizer once, prose, commands that paste -----------------

PASS_FAIL_DATA = [((95, 4, 4), 1), ((110, 6, 2), 1), ((80, 2, 6), 0), ((85, 1, 8), 0)]  # the example's data


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def _pass_fail(w, x):
    """The 3-1-1 sigmoid network of training_pass_fail.yaml in floats: (O1, O2)."""
    o1 = _sigmoid(w["w1"] * x[0] + w["w2"] * x[1] + w["w3"] * x[2] + w["b1"])
    return o1, _sigmoid(w["w4"] * o1 + w["b2"])


def _rows(md, heading):
    """The data rows of the first table after `heading`, as lists of cells without $…$."""
    part = md.split(heading, 1)[1]
    table = re.search(r"\n(\|.*\|[ ]*\n\|[-| ]+\|[ ]*\n(?:\|.*\|[ ]*\n)+)", part).group(1)
    return [[c.strip().strip("$") for c in line.strip().strip("|").split("|")] for line in table.splitlines()[2:]]


@pytest.fixture(scope="module")
def pass_fail(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pf")
    assert invoke("train", EX / "training_pass_fail.yaml", "-o", folder / "t.md").exit_code == 0
    assert invoke("train", EX / "training_pass_fail.yaml", "-f", "json", "-o", folder / "t.json").exit_code == 0
    return (folder / "t.md").read_text(), json.loads((folder / "t.json").read_text())


def test_progress_table_has_a_row_per_epoch_group_with_the_mean_loss_over_the_data(pass_fail):
    md, data = pass_fail
    rows = _rows(md, "## 3. Epoch by epoch")
    assert len(rows) <= 25
    # 100 epochs into at most 25 rows: one every 5 epochs (20 rows) after the start row
    assert [r[0] for r in rows] == ["start"] + [str(e) for e in range(5, 101, 5)]
    assert "one row every 5 epochs" in md and "at the weights the epoch ended with" in md
    for row in rows[1:]:
        epoch = int(row[0])
        weights = {k: float(v) for k, v in data["epochs"][epoch]["parameters"].items()}
        # the mean over the four points of (y − O2)², computed here in floats from those weights
        mean = sum((y - _pass_fail(weights, x)[1]) ** 2 for x, y in PASS_FAIL_DATA) / 4
        assert float(row[1]) == pytest.approx(mean, rel=5e-5), epoch
        for name, cell in zip(("w1", "w2", "w3", "w4"), row[3:], strict=True):  # the weights it was taken at
            assert float(cell) == pytest.approx(weights[name], rel=5e-5), (epoch, name)
    # the JSON still holds every step and every epoch
    assert len(data["steps"]) == 400 and len(data["epochs"]) == 101


def test_a_run_of_few_epochs_has_a_row_per_n_steps_with_the_loss_over_the_data(tmp_path):
    # 3 epochs of 4 steps: 12 steps, all fit (≤ 24 rows after the start); each row's L is the mean
    # over the four points at the weights after that step, recomputed here in floats from the JSON
    md_path, json_path = tmp_path / "t.md", tmp_path / "t.json"
    invoke("train", EX / "training_pass_fail.yaml", "-o", md_path, "--epochs", "3")
    invoke("train", EX / "training_pass_fail.yaml", "-o", json_path, "-f", "json", "--epochs", "3")
    rows, data = _rows(md_path.read_text(), "## 3. Step by step"), json.loads(json_path.read_text())
    assert [r[0] for r in rows] == ["start", *map(str, range(1, 13))]
    for row in rows[1:]:
        weights = {k: float(v) for k, v in data["steps"][int(row[0]) - 1]["parameters"].items()}
        mean = sum((y - _pass_fail(weights, x)[1]) ** 2 for x, y in PASS_FAIL_DATA) / 4
        assert float(row[1]) == pytest.approx(mean, rel=5e-5), row[0]
    # the JSON holds each row's numbers too
    assert [c["step"] for c in data["checkpoints"]] == list(range(1, 13))
    assert all(float(c["loss"]) == pytest.approx(float(r[1]), rel=5e-5) for c, r in zip(data["checkpoints"], rows[1:], strict=True))


def test_first_step_norm_breaks_over_lines_and_matches_a_float_calculation(pass_fail):
    md, _ = pass_fail
    block = md.split("root of the sum of its squares:", 1)[1].split(r"\end{aligned}", 1)[0]
    lines = [x for x in block.splitlines() if x.strip().startswith(("\\lVert", "&"))]
    assert all(x.replace(r"\rVert^{2}", "").count("^{2}") <= 3 for x in lines) and len(lines) >= 3
    # step 1 at the starting weights, point 1, squared error with no ½: g = dL/dparameter
    w = {"w1": 0.01, "w2": 0.02, "w3": 0.03, "w4": 0.02, "b1": 0.001, "b2": 0.03}
    x, y = PASS_FAIL_DATA[0]
    o1, o2 = _pass_fail(w, x)
    d2 = -2 * (y - o2) * o2 * (1 - o2)
    d1 = d2 * w["w4"] * o1 * (1 - o1)
    g = [d1 * x[0], d1 * x[1], d1 * x[2], d2 * o1, d1, d2]
    norm = math.sqrt(sum(v * v for v in g))
    shown = re.search(r"\\lVert g \\rVert &= \\sqrt\{[0-9.]+\} \\approx ([0-9.]+)", block).group(1)
    assert float(shown) == pytest.approx(norm, rel=5e-5)


def test_the_optimizer_is_worked_once_then_tabled(pass_fail):
    md, _ = pass_fail
    assert md.count(r"\hat m_{1} &=") == 1  # Adam's step-1 block, once (it was printed seven times)
    rows = _rows(md, "The same rule for every parameter:")
    assert [r[0] for r in rows] == ["w_{1}", "w_{2}", "w_{3}", "w_{4}", "b_{1}", "b_{2}"]
    # Adam's first step from m₀ = v₀ = 0: m₁ = 0.1·g₁ and v₁ = 0.001·g₁², and since m̂₁ = g₁ and
    # v̂₁ = g₁², every parameter moves by η = 0.01 against its gradient (ε = 1e-8 aside)
    for row in rows:
        g, m, v, before, after = (float(c.replace(r" \times 10^{", "e").rstrip("}")) for c in row[1:])
        assert m == pytest.approx(0.1 * g, rel=1e-4) and v == pytest.approx(0.001 * g * g, rel=1e-4)
        assert after - before == pytest.approx(0.01 if g < 0 else -0.01, rel=1e-4)
    trace = _rows(md, "over its first steps")
    assert [r[0] for r in trace] == ["1", "2", "3", "4", "5"]


@pytest.mark.slow
def test_prose_names_the_method_and_says_nothing_of_where_the_example_came_from(tmp_path):
    outputs = {}
    for command, path, extra in CASES:
        target = tmp_path / f"{path.stem}_{command}.md"
        assert invoke(command, path, "-o", target, *extra).exit_code == 0
        outputs[target.name] = target.read_text()
    for name, md in outputs.items():
        assert "seed" not in md.lower() and "updation" not in md, name
        assert ": training over the data" not in md, name
        assert not [span for span in re.findall(r"`([^`\n]+)`", md) if "\\" in span], name
    assert outputs["training_pass_fail_train.md"].startswith("# Will the student pass? Training over four students\n")
    assert outputs["deep_sigmoid_study-depth.md"].startswith("# The vanishing gradient in a chain of sigmoids\n")
    # regression_lr takes the whole data set per step: batch gradient descent, not stochastic
    full = tmp_path / "full.md"
    invoke("train", EX / "regression_lr.yaml", "-o", full, "--epochs", "2")
    assert "Full-batch gradient descent" in full.read_text() and "tochastic" not in full.read_text()
    one = tmp_path / "one.md"
    invoke("train", EX / "regression_lr.yaml", "-o", one, "--epochs", "2", "--batch-size", "1")
    assert "Stochastic gradient descent (SGD)" in one.read_text()


def test_code_spans_paste_and_the_input_is_named_relative_to_where_the_command_ran(tmp_path, monkeypatch):
    work = tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    source = (EX / "training_pass_fail.yaml").resolve()
    assert invoke("train", source, "-o", "t.md", "--epochs", "1").exit_code == 0
    md = (work / "t.md").read_text()
    relative = os.path.relpath(source, work)
    assert not os.path.isabs(relative)
    assert not re.search(r"(?<!\.)" + re.escape(str(source)), md)  # only inside ../../…, never alone
    spans = re.findall(r"`([^`\n]+)`", md)
    assert f"derive {relative} --point 1" in spans and relative in spans
    assert not [s for s in spans if "\\" in s]


def test_a_zero_gradient_is_said_in_words(tmp_path):
    # softmax_3class: step 2 is the batch {3}, whose x1 = 0, so dL/dw1 = δ11 · x1 = 0 exactly; with
    # momentum, v2 = 0.9 · v1 + 0 is not 0, so w1 still moves
    target = tmp_path / "s.md"
    invoke("train", EX / "softmax_3class.yaml", "-o", target, "--epochs", "3")
    md = target.read_text()
    assert "At steps 2 and 4, $\\partial L / \\partial w_{1} = 0$, yet $w_{1}$ still moves" in md
    assert "\\approx 0 " not in md and "\\approx 0$" not in md  # an exact zero is written = 0


def test_a_perceptron_update_with_an_input_of_zero_is_said_in_words(tmp_path):
    # AND starts at w1 = 0.3, w2 = −0.1, b = 0.2: point 1 is (0, 0) with y = 0, and z = b = 0.2 ≥ 0
    # gives ŷ = 1, wrong; the rule adds η·(y − ŷ)·x = 0 to both weights, so only b moves
    target = tmp_path / "and.md"
    invoke("train", EX / "and_perceptron.yaml", "-o", target)
    point1 = target.read_text().split("**Point 1**", 1)[1].split("**Point 2**", 1)[0]
    assert "$x_{1} = 0$, so $w_{1}$ is not updated, and $x_{2} = 0$, so $w_{2}$ is not updated" in point1


def test_a_longer_run_of_few_epochs_groups_steps():
    # 7 epochs of 4 steps = 28 steps, more than 24 rows: every 2nd step (14 rows after the start)
    from derive.steps.training import progress_steps

    assert progress_steps(7, 4) == frozenset(range(2, 29, 2))
    assert progress_steps(5, 10) == frozenset([*range(3, 50, 3), 50])  # every 3rd of 50, and the last
    assert progress_steps(8, 4) == frozenset() and progress_steps(3, 1) == frozenset()  # rows per epoch
