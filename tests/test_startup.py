"""What a run of `derive FILE` loads and draws: only what the notes need (issue 7's start-up cost).
Counted by module names and calls, not timed; the times are in bench/ (python bench/run.py)."""

import gc
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
everything = sys.argv.pop(1) == "all"
from derive.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
names = sorted(name for name in sys.modules if everything or name.split(".")[0] in ("matplotlib", "lark", "derive"))
print(",".join(names))
"""


def loaded_after(args, cwd, env=None, everything=False):
    """The modules loaded by `derive ARGS` in a fresh interpreter: matplotlib's, lark's and derive's
    (`everything`: all of them)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    cmd = [sys.executable, "-c", LOADED, "all" if everything else "some", *args]
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.strip().splitlines()[-1].split(","))


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
    """A plot not yet in the figure cache (an empty user cache folder here) is drawn by matplotlib."""
    empty = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    loaded = loaded_after([PASS_FAIL, "--plot-weight", "w4", "-o", str(tmp_path / "seed.md")], tmp_path, empty)
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


@pytest.mark.slow
def test_markdown_draws_no_tikz_and_latex_draws_each_picture_once(monkeypatch):
    calls = []
    real = diagram_module.tikz_of

    def tikz_of(scene):
        calls.append(scene)
        return real(scene)

    monkeypatch.setattr(diagram_module, "tikz_of", tikz_of)
    explain(PASS_FAIL, fmt="md", pictures=True)
    assert calls == []  # each picture is laid out once; its TikZ is drawn only for LaTeX
    notes = explain(PASS_FAIL, fmt="tex", pictures=True)
    # the whole network once, and once per parameter derived in full with its paths highlighted: in
    # the seed, w4 and w1, as the lecture derives them (the others share their shapes and are given
    # as products, without a derivation or a picture of their own)
    full = sorted(p.name for p in notes.document.backward.params if p.full and p.paths is not None)
    assert full == ["w1", "w4"]
    assert len(calls) == 1 + len(full) and calls[0]["legend"] in (None, [], ())
    assert sorted(c["plain_title"].rsplit(" ", 1)[1] for c in calls[1:]) == full  # "…from L back to w1"


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


# -- what help and the JSON path import (issue 16: start-up near Python's) ----------------------------
HELP_HEAVY = ("sympy", "matplotlib", "lark", "numpy", "jinja2", "yaml", "markdown")


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["render", "--help"], ["--version"]])
def test_help_imports_nothing_heavy(args, tmp_path):
    """`derive --help` lists every command from SUMMARIES, importing none of them: no SymPy,
    matplotlib, lark, NumPy, Jinja2, YAML or Markdown, nor derive's commands."""
    loaded = loaded_after(args, tmp_path, everything=True)
    assert "derive.cli" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HELP_HEAVY}
    assert not {m for m in loaded if m.startswith(HEAVY)}


@pytest.mark.parametrize("command", ["check", "exercise", "exercise-mark", "train", "study-lr", "study-depth"])
def test_a_subcommand_s_help_imports_nothing_heavy(command, tmp_path):
    """`derive check --help` and the exercise commands' help import their command module only: the
    marking, drawing and rendering code (SymPy, lark, Jinja2, matplotlib) waits for a run."""
    loaded = loaded_after([command, "--help"], tmp_path, everything=True)
    assert any(m.endswith(".command") for m in loaded)
    assert not {m for m in loaded if m.split(".")[0] in set(HELP_HEAVY) - {"yaml", "markdown"}}


def test_train_help_imports_no_sympy(tmp_path):
    """Training needs no SymPy (activations and losses import it only for their SymPy forms)."""
    loaded = loaded_after(["train", "--help"], tmp_path, everything=True)
    assert "derive.train.command" in loaded and "sympy" not in {m.split(".")[0] for m in loaded}


@pytest.mark.parametrize(
    "args", [["-f", "json", "--no-verify"], ["--no-pictures", "--no-verify", "--max-expression", "0"]]
)
def test_notes_without_the_sympy_check_import_no_sympy(args, tmp_path):
    """SymPy is imported where it works (the check, an output short enough to show) and only there."""
    out = tmp_path / "seed.out"
    loaded = loaded_after([PASS_FAIL, *args, "-o", str(out)], tmp_path, everything=True)
    assert out.exists() and "derive.steps.notes" in loaded
    assert "sympy" not in {m.split(".")[0] for m in loaded}


@pytest.mark.slow
def test_a_network_past_the_sympy_check_s_limits_imports_no_sympy(tmp_path):
    """[8, 8, 1] has 81 parameters, more than the SymPy check affords (60): central differences check
    it, and SymPy is never imported; the default check with SymPy does import it."""
    net = tmp_path / "wide.yaml"
    net.write_text(
        "title: wide\nlayers: [8, 8, 1]\nactivation: sigmoid\n"
        "parameters:\n  random: {seed: 7, low: -1, high: 1, decimals: 2}\n"
        "data:\n  - {x: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], y: 1}\n"
    )
    loaded = loaded_after([str(net), "-f", "json", "-o", str(tmp_path / "wide.json")], tmp_path, everything=True)
    assert '"method": "numeric"' in (tmp_path / "wide.json").read_text()
    assert "sympy" not in {m.split(".")[0] for m in loaded}
    seed = loaded_after([PASS_FAIL, "-f", "json", "-o", str(tmp_path / "seed.json")], tmp_path, everything=True)
    assert "sympy" in {m.split(".")[0] for m in seed}


# -- compiled templates kept between runs (derive.templating) ------------------------------------------
COMPILES = """
import sys
import jinja2
calls = []
real = jinja2.Environment.compile
def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
    calls.append(name)
    return real(self, source, name, filename, raw, defer_init)
jinja2.Environment.compile = counting
from derive.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(len(calls))
"""


def compiled_in_a_run(args, cwd, cache_home) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache_home)}
    r = subprocess.run([sys.executable, "-c", COMPILES, *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip().splitlines()[-1]), r.stderr


@pytest.mark.slow
def test_a_second_run_compiles_no_template(tmp_path):
    """The first run compiles the notes' templates and keeps their code in the user's cache folder;
    the next loads it and compiles none, and writes the same notes."""
    args = [PASS_FAIL, "--no-pictures", "--no-verify", "-o"]
    first, _ = compiled_in_a_run([*args, str(tmp_path / "a.md")], tmp_path, tmp_path / "cache")
    kept = list((tmp_path / "cache" / "derive" / "templates").glob("*/*.cache"))
    assert first >= 1 and len(kept) >= first
    second, _ = compiled_in_a_run([*args, str(tmp_path / "b.md")], tmp_path, tmp_path / "cache")
    assert second == 0
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()


@pytest.mark.slow
def test_an_unusable_cache_folder_is_no_cache_and_no_message(tmp_path):
    """XDG_CACHE_HOME naming a file: nothing can be cached; the run is as it would be, silently."""
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the cache folder would go\n")
    args = [PASS_FAIL, "--no-pictures", "--no-verify", "-o"]
    for name in ("a.md", "b.md"):
        compiled, stderr = compiled_in_a_run([*args, str(tmp_path / name)], tmp_path, blocked)
        assert compiled >= 1 and stderr == f"wrote {tmp_path / name}\n"
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()


def test_the_cache_is_kept_per_derive_and_jinja2_version():
    import jinja2

    import derive
    from derive import templating

    folder = templating.cache_folder()
    assert folder is not None and folder.name == f"derive-{derive.__version__}-jinja2-{jinja2.__version__}"


def test_a_user_template_changed_in_place_is_never_served_stale(tmp_path, monkeypatch):
    """Jinja2 keeps a SHA-1 of the source beside its code and compiles again when the source differs:
    a --templates file rewritten with the same size and the same modification time still takes
    effect. A cache file cut short is compiled over, not an error."""
    from derive import templating

    monkeypatch.setattr(templating, "cache_folder", lambda: tmp_path / "cache")
    folder = tmp_path / "mine"
    folder.mkdir()
    template = folder / "notes.md.j2"
    template.write_text("Notes A on {{ doc.title }}\n")
    assert explain(PASS_FAIL, templates=str(folder)).text == "Notes A on Will the student pass?\n"
    kept = list((tmp_path / "cache").glob("*.cache"))
    assert kept, "the user's template was compiled into the cache"
    stat = template.stat()
    template.write_text("Notes B on {{ doc.title }}\n")  # same length
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert template.stat().st_mtime_ns == stat.st_mtime_ns and template.stat().st_size == stat.st_size
    assert explain(PASS_FAIL, templates=str(folder)).text == "Notes B on Will the student pass?\n"
    for path in (tmp_path / "cache").glob("*.cache"):
        path.write_bytes(path.read_bytes()[:20])
    assert explain(PASS_FAIL, templates=str(folder)).text == "Notes B on Will the student pass?\n"


FROZEN = """
import gc, sys
from derive.cli import main
argv = sys.argv[1:]
try:
    if argv[0] == "as-program":
        sys.argv = ["derive", *argv[1:]]
        main()
    else:
        main(argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(gc.get_freeze_count() > 0, gc.isenabled(), gc.get_threshold()[0])
"""


@pytest.mark.slow
def test_the_program_skips_the_collections_of_shutting_down_and_callers_keep_theirs(tmp_path):
    """Run as the program (arguments from sys.argv), derive freezes its objects out of the garbage
    collector as it ends, so Python's shutdown does not collect them (about 0.15 s after SymPy), and
    collects its youngest generation less often; a caller that passes its own arguments (a test, a
    script) keeps its collector untouched. The notes written are the same either way."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for how, frozen, young in (("as-program", "True", "10000"), ("with-args", "False", str(gc.get_threshold()[0]))):
        args = [sys.executable, "-c", FROZEN, how, PASS_FAIL, "-f", "json", "-o", str(tmp_path / f"{how}.json")]
        r = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == [frozen, "True", young], how
    assert (tmp_path / "as-program.json").read_bytes() == (tmp_path / "with-args.json").read_bytes()
