"""What a run of `derive FILE` loads and draws: only what the notes need (issue 7's start-up cost).
Counted by module names and calls, not timed; the times are in bench/ (python bench/run.py)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import derive.pictures.diagram as diagram_module
from derive import explain
from derive.cli import LAZY_COMMANDS, main
from derive.render.notes import markdown_environment
from derive.render.tex import tex_environment
from tests.helpers import ROOT

PASS_FAIL = str(ROOT / "examples" / "pass_fail.yaml")
HEAVY = ("matplotlib", "lark", "derive.check", "derive.exercise", "derive.train.command", "derive.pictures.figures")

LOADED = """
import sys
from derive.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(",".join(sorted(name for name in sys.modules if name.split(".")[0] in ("matplotlib", "lark", "derive"))))
"""


def loaded_after(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", LOADED, *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.strip().split(","))


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_notes_for_the_seed_load_no_plotting_parser_or_other_commands(tmp_path, fmt):
    """Notes with diagrams (drawn by derive itself) but no plots leave matplotlib, the answer parser
    (lark) and the check/train/exercise commands unloaded: they cost most of a start-up. (The seed
    file asks for its descent curve with `render:`; without that line it has no plot.)"""
    seed = tmp_path / "seed.yaml"
    text = Path(PASS_FAIL).read_text(encoding="utf-8")
    seed.write_text("\n".join(line for line in text.splitlines() if not line.startswith("render:")) + "\n")
    loaded = loaded_after([str(seed), "-f", fmt, "-o", str(tmp_path / f"seed.{fmt}")], tmp_path)
    assert (tmp_path / f"seed.{fmt}").exists()
    assert "derive.steps.notes" in loaded  # the probe does see derive's own modules
    assert not {m for m in loaded if m.startswith(HEAVY)}


@pytest.mark.slow
def test_a_plot_still_loads_matplotlib_when_asked_for(tmp_path):
    loaded = loaded_after([PASS_FAIL, "--plot-weight", "w4", "-o", str(tmp_path / "seed.md")], tmp_path)
    assert "matplotlib" in loaded and "derive.pictures.figures" in loaded
    assert (tmp_path / "pass_fail_files" / "descent_w4.svg").exists()


def test_every_subcommand_is_listed_and_runs_under_its_own_name():
    help_text = CliRunner().invoke(main, ["--help"]).output
    for name, target in LAZY_COMMANDS.items():
        assert f"  {name} " in help_text
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0, r.output
        assert r.output.startswith(f"Usage: main {name} ") or r.output.startswith(f"Usage: derive {name} ")
        module, attr = target.split(":")
        assert getattr(sys.modules[module], attr).name == name


def test_markdown_draws_no_tikz_and_latex_draws_each_picture_once(monkeypatch):
    calls = []
    real = diagram_module.tikz

    def tikz(*args, **kwargs):
        calls.append(kwargs.get("highlight"))
        return real(*args, **kwargs)

    monkeypatch.setattr(diagram_module, "tikz", tikz)
    explain(PASS_FAIL, fmt="md", pictures=True)
    assert calls == []
    explain(PASS_FAIL, fmt="tex", pictures=True)
    # the whole network once, and once per parameter with its paths highlighted (the seed has six)
    assert calls[0] is None and sorted(calls[1:]) == ["b1", "b2", "w1", "w2", "w3", "w4"]


def test_shared_environments_are_never_given_a_callers_filters():
    """expand and the training LaTeX add filters of their own; they get private environments, so the
    shared one (compiled templates kept for the whole run) stays as built."""
    from derive import load_network
    from derive.spec.expand import expand_text

    before_md, before_tex = set(markdown_environment().filters), set(tex_environment().filters)
    expand_text(load_network(PASS_FAIL))
    private = tex_environment(label=str)
    assert "label" in private.filters and private is not tex_environment()
    assert markdown_environment() is markdown_environment()
    assert set(markdown_environment().filters) == before_md and "q" not in before_md
    assert set(tex_environment().filters) == before_tex and "label" not in before_tex


def test_an_override_added_while_a_notebook_runs_is_seen(tmp_path):
    """Only the built-in environment is shared: a template put in the user's folder after a first
    render (as in a long Jupyter session) takes effect at the next one."""
    first = explain(PASS_FAIL, templates=str(tmp_path)).text
    assert first.startswith("# Will the student pass?")
    (tmp_path / "notes.md.j2").write_text("Notes on {{ doc.title }}\n")
    assert explain(PASS_FAIL, templates=str(tmp_path)).text == "Notes on Will the student pass?\n"
    assert explain(PASS_FAIL).text == first  # the built-in notes are unchanged
