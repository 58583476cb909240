"""Writing results: atomically (temporary file, then rename), and never outside the chosen folder."""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from derive.errors import DeriveError

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_stem(name: str) -> str:
    """A file name made from user text that cannot climb out of a folder (`../../x` → `x`)."""
    stem = _SAFE.sub("_", Path(name).stem).strip("._") or "notes"
    return stem[:80]


def shown_path(name: str) -> str:
    """How notes name their input: as given when relative, an absolute path rewritten relative to
    where the command ran, so the commands the notes quote work when pasted there and no home folder
    shows. Names that are not files (`<text>`, `-`) stay as they are."""
    if name == "-" or name.startswith("<") or not os.path.isabs(name):
        return name
    try:
        return os.path.relpath(name, os.getcwd())
    except ValueError:  # another drive (Windows): no relative path leads there
        return name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputError(DeriveError):
    """Writing failed (a full disk, a closed pipe): printed as one line with exit code 1."""

    exit_code = 1


# Names for standard output besides '-'.
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def _is_devnull(path: str) -> bool:
    try:
        return os.path.samefile(path, os.devnull)
    except OSError:
        return False


def check_target(target: str) -> None:
    """Raise DeriveError unless `target` is a place derive may write: standard output, /dev/null, a
    new path, or a regular writable file with one name (or a link to one). Nothing is touched."""
    if target in STDOUT_NAMES or _is_devnull(target):
        return
    path = Path(target)
    if path.is_symlink():
        real = Path(os.path.realpath(target))
        if not real.is_file():
            raise DeriveError(f"{target}: is a link to {real}, which is not a regular file; give another path with -o")
        path = real
    if path.is_dir():
        raise DeriveError(f"{target}: is a folder; give a file name with -o")
    if not path.exists():
        return
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise DeriveError(f"{target}: is not a regular file (a device, pipe or socket); give a file path with -o")
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise DeriveError(f"{target}: is read-only; make it writable or give another path with -o")
    if info.st_nlink > 1:
        raise DeriveError(
            f"{target}: has {info.st_nlink} hard links, and replacing it would split them; "
            "remove it first or give another path with -o"
        )


def _stdout(text: str | bytes) -> None:
    try:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        _drop_stdout()
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _drop_stdout() -> None:
    """After a failed write, what is left in standard output's buffer is thrown away, so Python's
    own flush at exit does not fail a second time with a traceback."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def write(text: str | bytes, target: str) -> str | None:
    """Write `text` (or bytes) to `target` ('-' or /dev/stdout for standard output, /dev/null to
    discard); returns the path written. A file is written atomically: a temporary file beside it,
    then a rename, so a failure leaves the old file (or none) and no temporary file. A link is
    followed to the regular file it names, which is replaced; the link stays."""
    if target in STDOUT_NAMES:
        _stdout(text)
        return None
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if _is_devnull(target):
        return target
    check_target(target)
    path = Path(os.path.realpath(target)) if Path(target).is_symlink() else Path(target)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, mode)  # mkstemp makes 0600; a new file gets the usual mode, a replaced one keeps its own
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)
