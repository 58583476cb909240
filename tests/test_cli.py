"""The command line as a user runs it: files written, standard output, exit codes, no tracebacks."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from derive.cli import main
from tests.helpers import ROOT

PASS_FAIL = str(ROOT / "examples" / "pass_fail.yaml")


def run(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, installed or not
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.mark.slow
def test_renders_example_to_output_folder(tmp_path):
    r = run([PASS_FAIL], tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "output" / "pass_fail.md").read_text()
    assert text.startswith("# Will the student pass?")


def test_no_file_renders_the_builtin_seed_example(tmp_path):
    r = CliRunner().invoke(main, ["-o", "-"])
    assert r.exit_code == 0
    assert r"z_{1} &= 95 \cdot 0.01 + 4 \cdot 0.02 + 4 \cdot 0.03 + 0.001 = 1.151" in r.output


def test_json_to_stdout():
    r = CliRunner().invoke(main, [PASS_FAIL, "--format", "json", "-o", "-"])
    assert r.exit_code == 0
    data = json.loads(r.output)
    for key in ("forward", "loss", "gradients", "updated"):
        assert key in data
    assert set(data["gradients"]) == {"w1", "w2", "w3", "w4", "b1", "b2"}
    assert isinstance(data["gradients"]["w1"]["paths"], list)


def test_point_option_and_bad_point(tmp_path, monkeypatch):
    text = (ROOT / "examples" / "pass_fail.yaml").read_text().replace(
        "  - {x1: 95, x2: 4, x3: 4, y: 1}", "  - {x1: 95, x2: 4, x3: 4, y: 1}\n  - {x1: 100, x2: 0, x3: 8, y: 0}")
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "two.yaml").write_text(text)
    r = runner.invoke(main, ["two.yaml", "--point", "2", "-o", "-"])
    assert r.exit_code == 0
    # z = 100·0.01 + 0·0.02 + 8·0.03 + 0.001 = 1 + 0 + 0.24 + 0.001 = 1.241
    assert "= 1.241" in r.output
    r = runner.invoke(main, ["two.yaml", "--point", "3"])
    assert r.exit_code == 2 and "there is no data point 3" in r.output


@pytest.mark.parametrize("content,expected", [
    (None, "no such file"),
    ("inputs: {x1: a\nneurons: [", "YAML syntax error"),
    ("inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1}, activation: sigmoidd}\nparameters: {w1: 1}\ndata: [{x1: 1, y: 1}]\n",
     "did you mean `sigmoid`"),
    ("inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1}, activation: sigmoid}\nparameters: {w1: 1}\nloss: cross\ndata: [{x1: 1, y: 1}]\n",
     "unknown loss `cross`"),
    ("inputs: {x1: a}\nneurons:\n  O1: {from: {x9: w1}, activation: sigmoid}\nparameters: {w1: 1}\ndata: [{x1: 1, y: 1}]\n",
     "`x9` is neither an input nor a neuron"),
    ("inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1, O2: w2}, activation: sigmoid}\n  O2: {from: {O1: w3}, activation: sigmoid}\n"
     "  O3: {from: {O2: w4}, activation: sigmoid}\noutputs: [O3]\nparameters: {w1: 1, w2: 1, w3: 1, w4: 1}\ndata: [{x1: 1, y: 1}]\n",
     "form a cycle: O"),
])
def test_bad_input_exits_2_with_message_and_no_traceback(tmp_path, content, expected):
    path = tmp_path / "net.yaml"
    if content is not None:
        path.write_text(content)
    r = run([str(path), "-o", str(tmp_path / "out.md")], tmp_path)
    assert r.returncode == 2
    assert expected in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out.md").exists()


def test_unknown_activation_lists_the_allowed_ones(tmp_path):
    path = tmp_path / "n.yaml"
    path.write_text("inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1}, activation: swish}\nparameters: {w1: 1}\ndata: [{x1: 1, y: 1}]\n")
    r = CliRunner().invoke(main, [str(path)])
    assert r.exit_code == 2
    assert "n.yaml:3:" in r.output and "$.neurons.O1.activation" in r.output
    assert "sigmoid, tanh, relu, leaky_relu, linear, softmax, step" in r.output


def test_expand_prints_an_explicit_form_that_loads_to_the_same_numbers(tmp_path):
    runner = CliRunner()
    dense = str(ROOT / "examples" / "two_paths_dense.yaml")
    r = runner.invoke(main, ["--expand", dense])
    assert r.exit_code == 0 and "O11: {from: {x1: w1, x2: w2}, bias: b1, activation: sigmoid}" in r.output
    a = json.loads(runner.invoke(main, [dense, "-f", "json", "-o", "-"]).output)
    (tmp_path / "explicit.yaml").write_text(r.output)
    b = json.loads(runner.invoke(main, [str(tmp_path / "explicit.yaml"), "-f", "json", "-o", "-"]).output)
    assert a["gradients"] == b["gradients"] and a["forward"] == b["forward"]


@pytest.mark.slow
def test_output_name_cannot_leave_the_output_folder(tmp_path):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "..yaml").write_text((ROOT / "examples" / "pass_fail.yaml").read_text())
    r = run([str(sub / "..yaml")], tmp_path)
    assert r.returncode == 0, r.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".md", ".svg")]
    assert written and all((tmp_path / "output") in p.parents for p in written)
    assert [p.name for p in written if p.suffix == ".md"] == ["notes.md"]


def test_expand_writes_every_key_and_reads_back_to_the_same_network(tmp_path):
    """tests/data/every_key.yaml uses every key the explicit form can hold (leaky ReLU slope, a
    threshold, a ratio parameter, frozen parameters, an optimizer with a hyper-parameter, full batches
    summed, epochs, two targets, carry): expanding it, then expanding the result, gives the same text,
    and both files give the same numbers."""
    source = ROOT / "tests" / "data" / "every_key.yaml"
    runner = CliRunner()
    first = runner.invoke(main, ["--expand", str(source)])
    assert first.exit_code == 0, first.output
    for line in ("activation: {name: leaky_relu, slope: 0.05}", "threshold: 0.4", 'w2: "1/3"',
                 "freeze: [b3, w2]", "optimizer: {name: adam, beta1: 0.8}", "batch_size: full",
                 "batch_reduction: sum", "epochs: 3", "y: [1, 0]", "carry: truncate 4",
                 "render: {plot_weight: w4}"):
        assert line in first.output, line
    (tmp_path / "explicit.yaml").write_text(first.output)
    assert runner.invoke(main, ["--expand", str(tmp_path / "explicit.yaml")]).output == first.output
    a = json.loads(runner.invoke(main, [str(source), "-f", "json", "-o", "-"]).output)
    b = json.loads(runner.invoke(main, [str(tmp_path / "explicit.yaml"), "-f", "json", "-o", "-"]).output)
    assert a["gradients"] == b["gradients"] and a["forward"] == b["forward"]


@pytest.mark.slow
def test_the_readme_first_command_regenerates_the_committed_notes(tmp_path):
    """`derive examples/pass_fail.yaml` (the README's first command) writes output/pass_fail.md byte
    for byte as committed, descent curve included: the file declares `render: {plot_weight: w4}`."""
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "pass_fail.yaml", tmp_path / "examples" / "pass_fail.yaml")
    r = run(["examples/pass_fail.yaml"], tmp_path)
    assert r.returncode == 0, r.stderr
    written = tmp_path / "output" / "pass_fail.md"
    assert written.read_text(encoding="utf-8") == (ROOT / "output" / "pass_fail.md").read_text(encoding="utf-8")
    assert "pass_fail_files/descent_w4.svg" in written.read_text(encoding="utf-8")
    for svg in (ROOT / "output" / "pass_fail_files").glob("*.svg"):  # matplotlib's plot: present
        got = tmp_path / "output" / "pass_fail_files" / svg.name
        assert got.exists() and (svg.name.startswith("descent_") or got.read_bytes() == svg.read_bytes()), svg.name


def test_a_render_plot_weight_that_is_no_parameter_is_refused(tmp_path):
    text = (ROOT / "examples" / "pass_fail.yaml").read_text().replace("render: {plot_weight: w4}", "render: {plot_weight: w9}")
    (tmp_path / "n.yaml").write_text(text)
    r = run(["n.yaml", "-o", "n.md"], tmp_path)
    assert r.returncode == 2 and "$.render.plot_weight: `w9` is not a parameter" in r.stderr
    assert "did you mean `w4`?" in r.stderr and not (tmp_path / "n.md").exists()
