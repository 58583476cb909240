"""The installed package (a normal, non-editable `pip install .`) carries its templates and examples."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT


def _installed_location(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([sys.executable, "-c", "import derive, sys; print(derive.__file__)"],
                       cwd=tmp_path, capture_output=True, text=True, env=env)
    return r.stdout.strip() if r.returncode == 0 else None


def test_installed_console_script_renders_the_seed(tmp_path):
    location = _installed_location(tmp_path)
    if location is None or location.startswith(str(ROOT)):
        pytest.skip("derive is not installed non-editably here (CI installs it with `pip install .`)")
    exe = shutil.which("derive")
    assert exe, "the `derive` console script is not on PATH"
    r = subprocess.run([exe, "--format", "json"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "output" / "pass_fail.json").read_text())
    assert data["forward"]["O1"]["z_exact"] == "1151/1000"
    r = subprocess.run([exe], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Forward propagation" in (tmp_path / "output" / "pass_fail.md").read_text()


def test_the_installed_package_carries_the_shipped_activations_plot(tmp_path):
    """A deep network's notes include the activations plot shipped with derive: it must be installed."""
    location = _installed_location(tmp_path)
    if location is None or location.startswith(str(ROOT)):
        pytest.skip("derive is not installed non-editably here (CI installs it with `pip install .`)")
    exe = shutil.which("derive")
    assert exe
    r = subprocess.run([exe, str(ROOT / "examples" / "deep_sigmoid.yaml"), "-o", str(tmp_path / "d.md")],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "deep_sigmoid_files" / "activations.svg").read_text().startswith("<?xml")  # beside the notes
