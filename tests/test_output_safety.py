"""Where -o may write, and what happens when writing fails: regular files are replaced atomically
(through a link that names one), special files, read-only and hard-linked files are refused, an output
that is one of the command's inputs is refused, and a full disk or a closed pipe is one line, exit 1,
with the old file intact and no temporary file left. Nothing here points at a real device: FIFOs are
made in tmp_path and full disks are simulated by monkeypatching."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive import output
from derive.cli import main
from derive.errors import DeriveError
from tests.helpers import ROOT

NETWORK = ROOT / "examples" / "pass_fail.yaml"
SEED_ANSWERS = ROOT / "examples" / "seed_answers.yaml"


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        return CliRunner()


def run(*args):
    return runner().invoke(main, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: its kind, inode, mode and (for files) bytes, links not followed."""
    found = {}
    for p in sorted(folder.rglob("*")):
        st = os.lstat(p)
        body = p.read_bytes() if p.is_file() and not p.is_symlink() else os.readlink(p) if p.is_symlink() else None
        found[str(p.relative_to(folder))] = (st.st_mode, st.st_ino, st.st_nlink, body)
    return found


def one_line_error(result, *words: str) -> str:
    err = result.stderr.strip()
    assert err.count("\n") == 0, err
    assert err.startswith("derive: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    return err


@pytest.fixture
def net(tmp_path) -> Path:
    p = tmp_path / "net.yaml"
    p.write_bytes(NETWORK.read_bytes())
    return p


# ---- the library writer -------------------------------------------------------------------------


def test_new_file_and_replacing_a_regular_file_keeps_its_mode(tmp_path):
    target = tmp_path / "sub" / "out.md"
    assert output.write("one", str(target)) == str(target)
    assert target.read_text() == "one"
    target.chmod(0o640)
    output.write(b"two", str(target))
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["out.md"]  # no temporary file left


def test_link_to_a_regular_file_writes_the_file_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    output.write("new", str(link))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"


@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling", "link_to_fifo", "link_to_folder"])
def test_special_targets_are_refused_untouched(tmp_path, kind):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "dir").mkdir()
    targets = {
        "fifo": fifo,
        "folder": tmp_path / "dir",
        "dangling": tmp_path / "dangling",
        "link_to_fifo": tmp_path / "l1",
        "link_to_folder": tmp_path / "l2",
    }
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "l1").symlink_to(fifo)
    (tmp_path / "l2").symlink_to(tmp_path / "dir")
    before = snapshot(tmp_path)
    with pytest.raises(DeriveError) as info:
        output.write("text", str(targets[kind]))
    assert str(targets[kind]) in str(info.value)
    assert snapshot(tmp_path) == before


def test_read_only_and_hard_linked_files_are_refused(tmp_path):
    ro = tmp_path / "ro.md"
    ro.write_text("keep")
    ro.chmod(0o444)
    a = tmp_path / "a.md"
    a.write_text("shared")
    os.link(a, tmp_path / "b.md")
    before = snapshot(tmp_path)
    with pytest.raises(DeriveError, match="read-only"):
        output.write("x", str(ro))
    with pytest.raises(DeriveError, match="hard links"):
        output.write("x", str(a))
    assert snapshot(tmp_path) == before


def test_devnull_and_stdout_are_written_through(tmp_path, monkeypatch, capsys):
    # a FIFO stands in for /dev/null: derive must neither open it nor replace it with a file
    fake_null = tmp_path / "null"
    os.mkfifo(fake_null)
    monkeypatch.setattr(os, "devnull", str(fake_null))
    before = snapshot(tmp_path)
    assert output.write("discarded", str(fake_null)) == str(fake_null)
    assert snapshot(tmp_path) == before
    for name in ("-", "/dev/stdout"):
        assert output.write(f"to {name}\n", name) is None
    assert capsys.readouterr().out == "to -\nto /dev/stdout\n"


class _FullFile:
    """A file object on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.mark.parametrize("where", ["write", "replace"])
def test_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, net, where):
    target = tmp_path / "out.md"
    target.write_text("old notes")
    before = snapshot(tmp_path)
    if where == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, mode="r", *args, **kwargs):
            handle = real_fdopen(fd, mode, *args, **kwargs)
            return _FullFile(handle) if mode == "wb" else handle

        monkeypatch.setattr(output.os, "fdopen", fdopen)
    else:

        def full(*args):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(output.os, "replace", full)
    result = run(net, "-f", "json", "--no-verify", "-o", target)
    assert result.exit_code == 1, result.output
    one_line_error(result, "cannot write", str(target), "No space left on device")
    assert snapshot(tmp_path) == before


def test_full_stdout_is_one_line_exit_1(monkeypatch, net):
    class FullStdout:
        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", FullStdout())
    with pytest.raises(output.OutputError, match="standard output: No space left on device") as info:
        output.write("notes", "-")
    assert info.value.exit_code == 1


@pytest.mark.slow
def test_closed_pipe_on_stdout_is_one_line_exit_1(net):
    read, write = os.pipe()
    os.close(read)  # the reader has gone: every write is EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "derive.cli", str(net), "-f", "json", "--no-verify", "-o", "-"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert done.stderr.startswith("derive: error: cannot write to standard output"), done.stderr


# ---- the command line: -o into special files ----------------------------------------------------


def test_cli_refuses_a_fifo_and_a_read_only_file_before_any_work(tmp_path, net):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    ro = tmp_path / "ro.md"
    ro.write_text("keep")
    ro.chmod(0o444)
    before = snapshot(tmp_path)
    result = run(net, "-o", fifo)
    assert result.exit_code == 2
    one_line_error(result, str(fifo), "not a regular file")
    result = run(net, "-o", ro)
    assert result.exit_code == 2
    one_line_error(result, str(ro), "read-only")
    assert snapshot(tmp_path) == before  # not even the pictures beside the notes


def test_cli_through_a_link_writes_its_file(tmp_path, net):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = run(net, "-f", "json", "--no-verify", "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert '"title"' in real.read_text()


# ---- outputs that are inputs --------------------------------------------------------------------


def test_notes_onto_their_own_network_are_refused(tmp_path, net):
    alias = tmp_path / "alias.yaml"
    alias.symlink_to(net)
    before = snapshot(tmp_path)
    for target in (net, alias, f"{tmp_path}/./net.yaml"):
        result = run(net, "-o", target)
        assert result.exit_code == 2
        one_line_error(result, str(target), "is an input")
    result = run("train", net, "-o", net)
    assert result.exit_code == 2
    one_line_error(result, "is an input")
    (tmp_path / "tpl" / "train").mkdir(parents=True)
    own = tmp_path / "tpl" / "train" / "training.md.j2"
    own.write_text("# {{ doc.title }}\n")
    before = snapshot(tmp_path)
    result = run("train", net, "--templates", tmp_path / "tpl", "-o", own)
    assert result.exit_code == 2
    one_line_error(result, str(own), "is an input")
    assert snapshot(tmp_path) == before


def test_check_refuses_to_write_over_its_inputs(tmp_path, net):
    answers = tmp_path / "answers"
    answers.mkdir()
    ans = answers / "a.yaml"
    ans.write_bytes(SEED_ANSWERS.read_bytes())
    before = snapshot(tmp_path)
    for args in (
        ["-o", ans],
        ["--csv", net],
        ["--csv", ans],
        ["-o", f"{answers}/../answers/a.yaml"],
    ):
        for given in (ans, answers):
            result = run("check", net, given, *args)
            assert result.exit_code == 2, (args, result.output)
            one_line_error(result, "is an input")
    assert snapshot(tmp_path) == before


def test_exercise_mark_refuses_to_write_over_a_submission(tmp_path):
    out = tmp_path / "out"
    (out / "s001").mkdir(parents=True)
    (out / "s001" / "network.yaml").write_bytes(NETWORK.read_bytes())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s001.yaml").write_bytes(SEED_ANSWERS.read_bytes())
    before = snapshot(tmp_path)
    for csv in (subs / "s001.yaml", out / "s001" / "network.yaml"):
        result = run("exercise-mark", out, subs, "--csv", csv)
        assert result.exit_code == 2, result.output
        one_line_error(result, str(csv), "is an input")
    assert snapshot(tmp_path) == before
