"""What the subcommands share: each default stated once (derive/defaults.py), a DeriveError turned into
one line and exit code 2 by derive's command group whatever the subcommand, the same document options,
and `derive --expand` reading and writing a network without loading the renderers."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from derive import defaults, explain
from derive.cli import main
from derive.steps.notes import Options

ROOT = Path(__file__).resolve().parents[1]
PASS_FAIL = str(ROOT / "examples" / "pass_fail.yaml")


def run(code: str, *args, cwd=None) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter (nothing of derive imported yet), with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def shown_default(command_name: str, option: str) -> str:
    """The `[default: …]` that `derive COMMAND --help` prints for `option`."""
    command = main.get_command(click.Context(main), command_name)
    ctx = click.Context(command, info_name=command_name, parent=click.Context(main, info_name="derive"))
    param = next(p for p in command.params if option in p.opts)
    record = param.get_help_record(ctx)
    assert record is not None and "[default: " in record[1], record
    return record[1].split("[default: ")[1].split("]")[0]


# (subcommand, option, name in derive.defaults)
SHOWN = [
    ("render", "--point", "POINT"),
    ("render", "--max-paths", "MAX_PATHS"),
    ("render", "--max-derivations", "MAX_DERIVATIONS"),
    ("render", "--max-expression", "MAX_EXPRESSION"),
    ("render", "--format", "NOTES_FORMAT"),
    ("train", "--format", "NOTES_FORMAT"),
    ("study-lr", "--rates", "STUDY_RATES"),
    ("study-depth", "--scale", "DEPTH_SCALE"),
    ("study-depth", "--point", "POINT"),
    ("check", "--format", "REPORT_FORMAT"),
    ("exercise", "--seed", "SEED"),
    ("exercise", "--formats", "EXERCISE_FORMATS"),
    ("exercise-mark", "--format", "REPORT_FORMAT"),
]


@pytest.mark.parametrize("command, option, name", SHOWN)
def test_help_shows_the_default_from_defaults_py(command, option, name):
    assert shown_default(command, option) == str(getattr(defaults, name))


def test_the_command_line_reads_its_defaults_when_it_is_imported():
    """Changing derive.defaults before the commands are imported changes what --help shows and what the
    notes' Options use: the values are read from there, not written again beside each flag."""
    code = """
import sys
import derive.defaults as d
d.MAX_PATHS, d.MAX_DERIVATIONS, d.MAX_EXPRESSION, d.POINT = 5, 7, 9, 3
from derive.cli import main
from derive.steps.notes import Options
o = Options()
print(o.max_paths, o.max_derivations, o.max_expression, o.point)
main(["render", "--help"])
"""
    r = run(code)
    assert r.returncode == 0, r.stderr
    first, help_text = r.stdout.split("\n", 1)
    assert first == "5 7 9 2"  # Options counts the point from 0
    flat = " ".join(help_text.split())  # click wraps the help column
    for option, value in [("--max-paths", 5), ("--max-derivations", 7), ("--max-expression", 9), ("--point", 3)]:
        after = flat.split(f"{option} INTEGER", 1)[1]
        assert after.split("[default: ", 1)[1].startswith(f"{value}]"), option


def test_explain_and_options_agree_with_defaults():
    signature = inspect.signature(explain).parameters
    options = Options()
    assert signature["max_paths"].default == options.max_paths == defaults.MAX_PATHS
    assert signature["max_derivations"].default == options.max_derivations == defaults.MAX_DERIVATIONS
    assert signature["max_expression"].default == options.max_expression == defaults.MAX_EXPRESSION
    assert signature["point"].default - 1 == options.point == defaults.POINT - 1
    assert signature["fmt"].default == defaults.NOTES_FORMAT in defaults.NOTES_FORMATS


def test_the_notes_formats_are_the_renderers_formats():
    from derive.render.notes import FORMATS

    assert FORMATS == defaults.NOTES_FORMATS == ("md", "json", "html", "tex", "pdf", "slides", "slides-tex")


# Each subcommand given a network (or exercise, or folder) that does not exist.
MISSING = [
    ["missing.yaml"],
    ["render", "missing.yaml"],
    ["--expand", "missing.yaml"],
    ["check", "missing.yaml", "answers.yaml"],
    ["train", "missing.yaml"],
    ["study-lr", "missing.yaml"],
    ["study-depth", "missing.yaml"],
    ["exercise", "missing.yaml", "--count", "1"],
    ["exercise-mark", "missing_out", "missing_submissions"],
]
CLI = "import sys\nfrom derive.cli import main\nmain(sys.argv[1:], prog_name='derive')\n"


# These commands take over a second to start (they load their plotting before reading the file): slow tier.
SLOW_TO_START = ("train", "study-lr", "study-depth")


@pytest.mark.parametrize(
    "args",
    [pytest.param(a, marks=pytest.mark.slow) if a[0] in SLOW_TO_START else a for a in MISSING],
    ids=lambda a: " ".join(a),
)
@pytest.mark.slow
def test_a_derive_error_in_any_subcommand_is_one_line_and_exit_2(tmp_path, args):
    r = run(CLI, *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("derive: error: missing"), r.stderr
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", ["render", "train", "study-lr", "study-depth"])
def test_document_commands_share_format_output_and_templates(tmp_path, command):
    """The same three options with the same behaviour: a --templates folder must exist, and an unknown
    format is refused with the command's own list of formats."""
    r = CliRunner().invoke(main, [command, PASS_FAIL, "--templates", str(tmp_path / "none")])
    assert r.exit_code == 2 and "--templates" in r.output and "does not exist" in r.output
    r = CliRunner().invoke(main, [command, PASS_FAIL, "-f", "docx", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "'md', 'json', 'html', 'tex', 'pdf'" in r.output
    params = {p.name: p for p in main.get_command(click.Context(main), command).params}
    assert params["output"].opts == ["-o", "--output"] and params["fmt"].opts == ["-f", "--format"]


def test_expand_does_not_load_the_renderers(tmp_path):
    code = """
import sys
from derive.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(",".join(sorted(m for m in sys.modules if m.startswith("derive"))))
"""
    target = tmp_path / "explicit.yaml"
    r = run(code, "--expand", PASS_FAIL, "-o", target)
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.strip().split(","))
    assert "derive.spec.expand" in loaded  # the probe does see derive's own modules
    assert not [m for m in loaded if m.startswith(("derive.render", "derive.steps", "derive.pictures"))]
    from derive.spec.loader import load
    from derive.spec.source import read_text

    original, explicit = load(read_text(PASS_FAIL), "a"), load(read_text(str(target)), "b")
    assert explicit.parameters == original.parameters and explicit.data == original.data
    assert [n.name for n in explicit.neurons] == [n.name for n in original.neurons]


def test_help_lists_every_subcommand_without_importing_any():
    """`derive --help` names each subcommand with its arguments, yet loads none of their modules (they
    bring lark, matplotlib and the training code); `derive check --help` then loads only check."""
    code = """
import sys
from derive.cli import main
try:
    main(sys.argv[1:], prog_name="derive")
except SystemExit as exc:
    assert not exc.code, exc.code
print(",".join(sorted(m for m in sys.modules if m.startswith(("derive", "lark", "matplotlib")))))
"""
    r = run(code, "--help")
    assert r.returncode == 0, r.stderr
    help_text, loaded = r.stdout.rsplit("\n", 2)[0], set(r.stdout.strip().rsplit("\n", 1)[1].split(","))
    assert "derive.cli" in loaded  # the probe does see derive's own modules
    assert not [m for m in loaded if m.startswith(("derive.check", "derive.train", "derive.exercise", "lark"))]
    commands = help_text.split("Commands:", 1)[1]
    listed = [line.split()[0] for line in commands.splitlines() if line.startswith("  ") and line[2] != " "]
    assert sorted(listed) == sorted(main.list_commands(click.Context(main)))
    assert "  check NETWORK.yaml ANSWERS..." in commands

    r = run(code, "check", "--help")
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.strip().rsplit("\n", 1)[1].split(","))
    assert "derive.check.command" in loaded
    assert not [m for m in loaded if m.startswith(("derive.train", "derive.exercise"))]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file, at any depth (the commands import inside functions)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


SUBPACKAGES = sorted(p for p in (ROOT / "derive").iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("package", SUBPACKAGES, ids=lambda p: p.name)
def test_no_subpackage_uses_the_facade(package):
    """derive/__init__ is the top (explain, load_network for notebooks and tests); the layers below it
    use each other's functions, so importing derive.X never runs the facade's code paths."""
    facade = {"explain", "load_network", "builtin_example", "Notes"}
    for path in package.rglob("*.py"):
        for module, names in _imports(path):
            assert not (module == "derive" and facade & set(names)), f"{path.relative_to(ROOT)}: {names}"


def test_the_spec_layer_imports_nothing_above_it():
    """Reading and writing a network file (derive.spec) needs no calculus, steps, pictures or output."""
    above = (
        "derive.calculus",
        "derive.steps",
        "derive.pictures",
        "derive.render",
        "derive.train",
        "derive.check",
        "derive.exercise",
        "derive.cli",
        "derive.templating",
    )
    for path in (ROOT / "derive" / "spec").rglob("*.py"):
        for module, _ in _imports(path):
            assert not module.startswith(above), f"{path.relative_to(ROOT)} imports {module}"


def test_study_lr_uses_the_epochs_its_help_states():
    from derive.spec.loader import load
    from derive.spec.source import read_text
    from derive.train.studies import default_epochs

    net = load(read_text(PASS_FAIL), "pass_fail.yaml")
    assert "epochs" not in net.training.given  # the seed file sets none, so the default applies
    assert default_epochs(net) == defaults.STUDY_EPOCHS
    r = CliRunner().invoke(main, ["study-lr", "--help"], terminal_width=200)
    assert f"else {defaults.STUDY_EPOCHS})" in r.output
