"""Inputs and signals that used to hang derive or leave things behind (issue 13, section 2): FIFOs as
inputs, huge --detail and epochs, training whose exact state grew without bound, SIGTERM to a class
being generated, stale LaTeX folders and a malformed exercise.json. The CLI runs in a subprocess with
a timeout, so a regression fails instead of hanging the suite."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from derive import load_network
from derive.numbers import exact_decimal
from derive.render import tex
from derive.train.run import run, settings_for
from tests.exercise_helpers import HOMEWORK
from tests.helpers import ROOT
from tests.train_reference import Reference
from tests.train_reference import train as reference_train

TRAINING = ROOT / "examples" / "training_pass_fail.yaml"
DERIVE = shutil.which("derive") or str(Path(sys.executable).with_name("derive"))


def derive(*args, timeout=30, cwd=None):
    return subprocess.run([DERIVE, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def refused(r, path):
    assert r.returncode == 2, r.stderr
    assert f"{path}: is a named pipe (FIFO), not a regular file" in r.stderr
    assert "Traceback" not in r.stderr


def test_fifo_as_network_is_refused_without_blocking(tmp_path):
    path = fifo(tmp_path, "net.yaml")
    refused(derive("render", path, "-o", tmp_path / "out.md"), path)
    refused(derive("train", path, "-o", tmp_path / "out.md"), path)
    assert not (tmp_path / "out.md").exists()


def test_fifo_as_answers_is_refused(tmp_path):
    path = fifo(tmp_path, "answers.yaml")
    refused(derive("check", ROOT / "examples" / "pass_fail.yaml", path), path)


@pytest.mark.slow
def test_fifo_as_roster_or_exercise_is_refused(tmp_path):
    roster = fifo(tmp_path, "roster.csv")
    refused(derive("exercise", HOMEWORK, "--students", roster, "-o", tmp_path / "out", "--formats", "md"), roster)
    exercise = fifo(tmp_path, "exercise.yaml")
    refused(derive("exercise", exercise, "--count", 1, "-o", tmp_path / "out", "--formats", "md"), exercise)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_detail_past_the_last_step_is_refused(tmp_path):
    # 1 epoch of 4 points with batch_size 1: 4 steps
    r = derive("train", TRAINING, "--epochs", 1, "--detail", "99999999999999999999", "-o", tmp_path / "t.md")
    assert r.returncode == 2 and "this run has 4 steps" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "t.md").exists()


@pytest.mark.slow
def test_epochs_over_the_limit_are_refused(tmp_path):
    r = derive("train", TRAINING, "--epochs", 10_001, "-o", tmp_path / "t.md")
    assert r.returncode == 2 and "10000" in r.stderr.replace(",", "")
    net = tmp_path / "net.yaml"
    net.write_text(TRAINING.read_text(encoding="utf-8").replace("epochs: 100", "epochs: 10001"), encoding="utf-8")
    r = derive("train", net, "-o", tmp_path / "t.md")
    assert r.returncode == 2 and "epochs" in r.stderr and "10,000" in r.stderr
    assert not (tmp_path / "t.md").exists()


def test_fiftieth_step_agrees_with_an_independent_float64_run():
    """The state is carried at 50 digits after step 1; 13 epochs of 4 points = 52 Adam steps."""
    text = TRAINING.read_text(encoding="utf-8")
    net = load_network(text=text)
    r = run(net, settings_for(net, epochs=13), keep=lambda n: False)
    hyper = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    ref = reference_train(Reference(text), "adam", hyper, 1, "mean", 13)
    assert len(r.steps) == len(ref) == 52
    assert all(v.exact is None for v in r.steps[49].after.values())  # carried at working precision
    for p, value in zip(net.parameters, ref[49]["params"]):
        got = float(r.steps[49].after[p].mp)
        assert abs(got - value) <= 1e-9 * max(abs(value), 1e-3), (p, got, value)


def test_exact_decimal_gives_up_on_long_denominators():
    assert exact_decimal(Fraction(1, 2**1_000_000)) is None  # 10^6 places: refused at once
    assert exact_decimal(Fraction(1, 5**21)) is None  # 21 places > 20
    assert exact_decimal(Fraction(1, 3)) is None
    assert exact_decimal(Fraction(1, 5**20)) == "0.00000000000001048576"  # 2^20 / 10^20
    assert exact_decimal(Fraction(-1151, 1000)) == "-1.151"


def test_stale_tex_folders_are_removed(tmp_path):
    now = time.time()
    old, new, other = tmp_path / "derive-tex-old", tmp_path / "derive-tex-new", tmp_path / "other-old"
    for d in (old, new, other):
        d.mkdir()
        (d / "notes.tex").write_text("x")
    (tmp_path / "derive-tex-link").symlink_to(other)
    for d in (old, other, tmp_path / "derive-tex-link"):
        os.utime(d, (now - 7200, now - 7200), follow_symlinks=False)
    removed = tex.remove_stale(str(tmp_path), now)
    assert removed == [str(old)]
    assert not old.exists() and new.exists() and other.exists() and (tmp_path / "derive-tex-link").is_symlink()


@pytest.mark.parametrize("manifest", [
    {"title": "t", "students": 5, "questions": []},
    {"title": "t", "questions": [{"label": 1}], "students": []},
    {"title": "t", "questions": [], "students": [{"id": "../x", "name": "n"}]},
    ["not", "an", "object"],
])
@pytest.mark.slow
def test_malformed_manifest_is_one_line(tmp_path, manifest):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "exercise.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ada.yaml").write_text("answers: {}\n", encoding="utf-8")
    r = derive("exercise-mark", tmp_path / "class", tmp_path / "subs")
    assert r.returncode == 2, r.stderr
    assert "not the manifest derive exercise writes" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_sigterm_ends_the_exercise_workers_and_leaves_no_half_folder(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([DERIVE, "exercise", str(HOMEWORK), "--count", "40",
                             "--jobs", "2", "--formats", "md", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and any(
                p.is_dir() and not p.name.startswith(".") for p in out.iterdir())):
            time.sleep(0.05)
        assert proc.poll() is None, "the class finished before a folder could be seen; make it larger"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        deadline = time.monotonic() + 5
        while not _gone(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(proc.pid), "worker processes outlived derive"
    finally:
        if not _gone(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in err and "Traceback" not in err
    # sheets/<id> (what students get) and keys/<id> (what they must not see) are separate trees
    for tree in (out, out / "sheets", out / "keys"):
        if tree.exists():
            assert not [p for p in tree.iterdir() if p.name.startswith(".")], f"a hidden partial entry in {tree}"
    wanted = {"sheets": {"network.yaml", "sheet.md", "answers.yaml"}, "keys": {"network.yaml", "key.md", "key.json"}}
    for tree, files in wanted.items():
        for p in (out / tree).iterdir() if (out / tree).exists() else ():
            assert p.is_dir() and files <= {f.name for f in p.iterdir()}, p  # every folder there is complete
    assert not (out / "exercise.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (Debian texlive packages)")
def test_sigterm_during_a_pdf_leaves_no_tex_folder(tmp_path):
    """SIGTERM while LaTeX runs: derive stops, TeX stops with it, and its derive-tex-* folder is gone.
    A private TMPDIR, so the folders of other runs on this machine are not counted."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([DERIVE, str(ROOT / "examples" / "two_paths.yaml"), "-f", "pdf", "-o", str(tmp_path / "n.pdf")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p.name.startswith("derive-tex-") for p in scratch.iterdir()):
            time.sleep(0.02)
        assert proc.poll() is None, "the PDF was finished before its TeX folder could be seen"
        time.sleep(0.3)  # let LaTeX start inside it
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0 and "Traceback" not in err
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("derive-tex-")]
    assert not (tmp_path / "n.pdf").exists()
