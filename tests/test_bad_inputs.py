"""Every broken or hostile file in tests/bad_inputs/ gives one clear message and exit code 2.

Each corpus file states what stderr must contain in `# expect: TEXT` comment lines (all must
appear); files that cannot hold a comment (empty, binary, not UTF-8) are listed in
expectations.txt. `# expect-exit: 0` marks a file that only earns warnings.

Most cases run `derive.cli.main` in-process (click's CliRunner); a few run the real command in a
subprocess, where a traceback, a crash or a side effect would show as it does for a user.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.spec import source
from tests.helpers import ROOT, YAML_PIECES

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
TABLE = CORPUS / "expectations.txt"
MARKER = "derive_pwned_marker"  # the file the !!python/object payloads would create in the cwd


def _table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, text = line.partition(": ")
            table.setdefault(name, []).append(text)
    return table


def _case(path: Path, table) -> tuple[list[str], int]:
    """(expected substrings, expected exit code) of one corpus file."""
    expected, code = list(table.get(path.name, [])), 2
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if line.startswith("# expect: "):
            expected.append(line[len("# expect: ") :])
        elif line.startswith("# expect-exit: "):
            code = int(line.split(":", 1)[1])
    return expected, code


FILES = sorted(p for p in CORPUS.iterdir() if p.name != TABLE.name)
CASES = {p.name: (p, *_case(p, _table())) for p in FILES}


def test_corpus_is_large_and_every_file_states_expectations():
    assert len(FILES) >= 65
    for name, (_, expected, _) in CASES.items():
        assert re.match(r"^\d{2,3}_\w+\.\w+$", name), name
        assert expected, f"{name} has no `# expect:` line and no entry in expectations.txt"
    assert set(_table()) <= set(CASES), "expectations.txt names a file that does not exist"


def _check(name: str, stderr: str, code: int, out: Path, expected: list[str], want: int, shown: str):
    assert code == want, f"{name}: exit {code}, wanted {want}\n{stderr}"
    assert "Traceback" not in stderr, f"{name}:\n{stderr}"
    for text in expected:
        assert text in stderr, f"{name}: stderr lacks {text!r}:\n{stderr}"
    assert re.search(re.escape(shown) + r":\d+:\d+: ", stderr), f"{name}: no FILE:LINE:COL: place\n{stderr}"
    assert "\x1b" not in stderr and "\x07" not in stderr, f"{name}: control characters reach the terminal"
    assert len(stderr) < 6000, f"{name}: the message is {len(stderr)} characters long"
    if want == 2:
        assert stderr.count("derive: error:") == 1, stderr
        problems = [line for line in stderr.splitlines() if line.startswith(shown)]
        hints = [line for line in stderr.splitlines() if line.startswith("    hint: ") and len(line) > 12]
        assert len(hints) == len(problems), f"{name}: every problem needs a hint\n{stderr}"
        assert not out.exists(), f"{name}: an output file was written for a bad input"
    else:
        assert "warning" in stderr


@pytest.mark.parametrize("loader", source.LOADERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_in_process(name, loader, tmp_path, monkeypatch):
    """With libyaml's parser (where installed) and with PyYAML's own, the same messages."""
    path, expected, want = CASES[name]
    monkeypatch.setattr(source, "LOADERS", (loader,))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.md"
    result = CliRunner().invoke(main, [str(path), "-o", str(out), "--no-verify"])
    if result.exc_info and not isinstance(result.exc_info[1], SystemExit):
        raise result.exc_info[1]
    _check(name, result.stderr, result.exit_code, out, expected, want, str(path))
    assert not (tmp_path / MARKER).exists()


def _run(path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "derive.cli", str(path), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


SUBPROCESS_CASES = [
    "04_tab_indent.yaml",
    "37_binary_garbage.bin",
    "40_billion_laughs.yaml",
    "65_deep_brackets.yaml",
    "100_many_mistakes.yaml",
]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_input_as_a_real_command(name, tmp_path):
    path, expected, want = CASES[name]
    out = tmp_path / "out.md"
    proc = _run(path, tmp_path, "-o", str(out))
    _check(name, proc.stderr, proc.returncode, out, expected, want, str(path))
    assert proc.stdout == ""


@pytest.mark.parametrize("name", ["41_python_object_tag.yaml", "42_python_tag_in_parameter.yaml"])
def test_python_tags_never_run(name, tmp_path):
    proc = _run(CASES[name][0], tmp_path, "-o", str(tmp_path / "out.md"))
    assert proc.returncode == 2, proc.stderr
    assert "is not accepted" in proc.stderr
    assert not (tmp_path / MARKER).exists(), "the YAML payload ran"
    assert not list(tmp_path.iterdir())


def test_existing_output_is_left_unchanged(tmp_path):
    out = tmp_path / "notes.md"
    out.write_bytes(b"previous notes\r\n\x00kept byte for byte")
    before = (out.read_bytes(), out.stat().st_mtime_ns)
    proc = _run(CASES["100_many_mistakes.yaml"][0], tmp_path, "-o", str(out))
    assert proc.returncode == 2, proc.stderr
    assert (out.read_bytes(), out.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md"]


def test_default_output_is_not_created_for_a_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [str(CASES["08_unknown_key_activaton.yaml"][0])])
    assert result.exit_code == 2
    assert not (tmp_path / "output").exists()


def test_expand_reports_the_same_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, expected, _ = CASES["100_many_mistakes.yaml"]
    result = CliRunner().invoke(main, ["--expand", str(path)])
    assert result.exit_code == 2
    assert all(text in result.stderr for text in expected)
    assert result.stdout == ""


@pytest.mark.parametrize(
    "target, words", [("no_such_file.yaml", "no such file"), ("/dev/zero", "is a device, not a regular file")]
)
def test_unreadable_paths(target, words, tmp_path, monkeypatch):
    if target.startswith("/dev/") and not Path(target).exists():
        pytest.skip(f"{target} does not exist here")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [target, "-o", str(tmp_path / "out.md")])
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.md").exists()


def test_mutated_examples_never_crash_the_loader():
    """Random edits of the examples: every one loads or raises a SpecError with a place."""
    from derive.errors import SpecError
    from derive.spec.loader import load

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.yaml"))]
    rng = random.Random(2024)
    for _ in range(400):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(YAML_PIECES) + text[at + rng.randint(0, 6) :]
        try:
            load(text, "mutated.yaml")
        except SpecError as exc:
            assert all(p.line is not None for p in exc.problems), str(exc)
