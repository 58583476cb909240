"""A `--templates` folder from someone else: the sandbox keeps it from Python's internals, imports and
files; links out of the folder are refused; huge ranges, repetitions and powers stop at once; and every
mistake in a template is one line naming the template file and line, exit 2, with no output written."""

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive import templating
from derive.cli import main
from derive.errors import DeriveError
from derive.templating import environment, render_template
from tests.helpers import ROOT

NETWORK = ROOT / "examples" / "pass_fail.yaml"
TRAINING = ROOT / "examples" / "training_pass_fail.yaml"


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        return CliRunner()


def render_one(folder: Path, body: str, kind: str = "md", name: str = "t.j2") -> str:
    (folder / name).write_text(body, encoding="utf-8")
    return render_template(environment(kind, folder), name)


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
        "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
        "{{ self.__init__.__globals__.__builtins__.open('SECRET').read() }}",
        "{{ joiner.__init__.__globals__.__builtins__.__import__('os').system('touch MARKER') }}",
        "{% import 'os' as os %}{{ os }}",
        "{% include 'SECRET' %}",
        "{% include '../secret.txt' %}",
        "{{ range.__self__.__import__('os') }}",
        "{% set x = [] %}{{ x.append(1) }}",
    ],
)
def test_sandbox_allows_no_escape(tmp_path, body):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-42")
    marker = tmp_path / "marker"
    folder = tmp_path / "tpl"
    folder.mkdir()
    body = body.replace("MARKER", str(marker)).replace("SECRET", str(secret))
    with pytest.raises(DeriveError) as info:
        render_one(folder, body)
    message = str(info.value)
    assert message.startswith(f"{folder / 't.j2'}:1: "), message
    assert "\n" not in message
    assert "SECRET-42" not in message
    assert not marker.exists()


def test_template_link_leaving_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret")
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "notes.md.j2").symlink_to(outside / "secret.txt")
    (folder / "train").symlink_to(outside, target_is_directory=True)  # a folder on the way counts too
    for name in ("notes.md.j2", "train/secret.txt"):
        with pytest.raises(DeriveError, match="outside the templates folder") as info:
            render_template(environment("md", folder), name)
        assert "the secret" not in str(info.value)
    (folder / "notes.md.j2").unlink()
    (folder / "inside.j2").write_text("inside {{ 1 + 1 }}")
    (folder / "notes.md.j2").symlink_to("inside.j2")  # a link that stays in the folder is fine
    assert render_template(environment("md", folder), "notes.md.j2") == "inside 2"


def test_template_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "t.j2")  # reading it would wait for a writer forever
    with pytest.raises(DeriveError, match="not a regular file"):
        render_template(environment("md", tmp_path), "t.j2")


@pytest.mark.parametrize(
    "body, words",
    [
        ("{% for i in range(10**12) %}x{% endfor %}", "10000000"),
        ("{% for i in range(200000) %}x{% endfor %}", "range"),
        ("{{ 'x' * 10**9 }}", "repetition"),
        ("{{ [1, 2] * 10**8 }}", "repetition"),
        ("{{ 10 ** 100000000 }}", "digits"),
        ("{{ 'x' | center(10**9) }}", "center"),
        ("{{ 'x'.ljust(10**9) }}", "10,000,000"),
        ("{% set s = 'x' * 9000000 %}{{ s + s }}", "joining"),
        ("{{ 1.5 ** 100000000 }}", "power"),
        ("{{ '{:>1000000000}'.format(1) }}", "width"),
        ("{{ '%1000000000s' % 1 }}", "width"),
        ("{{ '%1000000000s' | format(1) }}", "width"),
    ],
)
def test_huge_work_stops_at_once(tmp_path, body, words):
    start = time.monotonic()
    with pytest.raises(DeriveError) as info:
        render_one(tmp_path, "first line\n" + body)
    assert time.monotonic() - start < 1.0
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 't.j2'}:2: template error: "), message
    assert words in message


def test_big_numbers_from_the_document_still_pass(tmp_path):
    """The caps are on what a template builds, not on the numbers it shows: a network may well have
    10^20 chain-rule paths."""
    (tmp_path / "t.j2").write_text(
        "{% macro show(n) %}[{{ n | md }}]{% endmacro %}{{ show(n) }} {{ n * 2 }} {{ n + 1 }}"
    )
    env = environment("md", tmp_path, {"md": str})
    assert render_template(env, "t.j2", n=10**20) == f"[{10**20}] {2 * 10**20} {10**20 + 1}"


def test_time_and_output_budgets(tmp_path, monkeypatch):
    monkeypatch.setattr(templating, "TIME_BUDGET", 0.2)
    body = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    start = time.monotonic()
    with pytest.raises(DeriveError, match=r"longer than 0\.2 seconds"):
        render_one(tmp_path, body)
    assert time.monotonic() - start < 2.0
    monkeypatch.setattr(templating, "MAX_OUTPUT", 1000)
    with pytest.raises(DeriveError, match="more than 1,000 characters"):
        render_one(tmp_path, "{% for i in range(1000) %}{{ 'abc' }}{% endfor %}")
    assert render_one(tmp_path, "{% for i in range(300) %}abc{% endfor %}") == "abc" * 300


@pytest.mark.parametrize(
    "body, line, words",
    [
        ("a\nb\n{% if %}\n", 3, "syntax error"),
        ("a\n{{ nope }}\n", 2, "'nope' is undefined"),
        ("a\nb\n{% include 'missing.md.j2' %}\n", 3, "'missing.md.j2'"),
        # the macro spans lines 1–2, and which frame the recursion limit hits depends on how deep the
        # caller's own stack already is
        ("{% macro f() %}\n{{ f() }}{% endmacro %}{{ f() }}", (1, 2), "endless recursion"),
        ("a\n{{ doc.title.nope }}\n", 2, "nope"),
    ],
)
def test_template_mistakes_are_one_line_with_file_and_line(tmp_path, body, line, words):
    with pytest.raises(DeriveError) as info:
        render_template(environment("md", tmp_path), _write(tmp_path, "t.j2", body), doc={"title": "x"})
    message = str(info.value)
    lines = line if isinstance(line, tuple) else (line,)
    assert any(message.startswith(f"{tmp_path / 't.j2'}:{n}: ") for n in lines), message
    assert words in message and "\n" not in message


def _write(folder: Path, name: str, body: str) -> str:
    (folder / name).write_text(body, encoding="utf-8")
    return name


def _one_line(result) -> str:
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("derive: error: "), err
    return err


@pytest.mark.parametrize(
    "fmt, name, body, line",
    [
        ("md", "notes.md.j2", "# {{ doc.title | md }}\n\n{{ doc.missing_field }}\n", 3),
        ("html", "html/page.html.j2", "<html>\n{% if %}\n", 2),
        ("tex", "tex/document.tex.j2", "\\documentclass{article}\n\\VAR{ nope }\n", 2),
        ("md", "notes.md.j2", "{% include 'nowhere.md.j2' %}\n", 1),
    ],
)
def test_notes_html_tex_template_errors_through_the_cli(tmp_path, fmt, name, body, line):
    folder = tmp_path / "tpl"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    out = tmp_path / "out" / f"notes.{fmt}"
    result = runner().invoke(
        main, [str(NETWORK), "-f", fmt, "--no-verify", "--no-pictures", "--templates", str(folder), "-o", str(out)]
    )
    assert result.exit_code == 2, result.output
    err = _one_line(result)
    assert f"{folder / name}:{line}: " in err, err
    assert not (tmp_path / "out").exists()


def test_training_template_error_through_the_cli(tmp_path):
    folder = tmp_path / "tpl"
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "training.md.j2").write_text("# {{ doc.title }}\n{{ 'x' * 10**10 }}\n")
    out = tmp_path / "out" / "training.md"
    result = runner().invoke(
        main, ["train", str(TRAINING), "--epochs", "1", "--no-pictures", "--templates", str(folder), "-o", str(out)]
    )
    assert result.exit_code == 2, result.output
    err = _one_line(result)
    assert f"{folder / 'train' / 'training.md.j2'}:2: template error: repetition" in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_good_templates_still_render(tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "notes.md.j2").write_text("# {{ doc.title | md }}\n{% for i in range(3) %}{{ i * 2 }}{% endfor %}\n")
    out = tmp_path / "notes.md"
    result = runner().invoke(main, [str(NETWORK), "--no-verify", "--templates", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines()[1] == "024"


def test_loops_that_call_nothing_stop_at_the_time_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(templating, "TIME_BUDGET", 0.2)
    body = (
        "{% set s = 'x' * 5000 %}\n{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
    )
    start = time.monotonic()
    with pytest.raises(DeriveError, match=r"longer than 0\.2 seconds") as info:
        render_one(tmp_path, body)
    assert time.monotonic() - start < 2.0
    assert str(info.value).startswith(f"{tmp_path / 't.j2'}:2: ")
