"""Writing results: atomically (temporary file, then rename), and never outside the chosen folder."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from derive.errors import DeriveError

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_stem(name: str) -> str:
    """A file name made from user text that cannot climb out of a folder (`../../x` → `x`)."""
    stem = _SAFE.sub("_", Path(name).stem).strip("._") or "notes"
    return stem[:80]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write(text: str | bytes, target: str) -> str | None:
    """Write `text` (or bytes) to `target` ('-' for standard output); returns the path written."""
    if target == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return None
    path = Path(target)
    if path.is_dir():
        raise DeriveError(f"{target}: is a folder; give a file name with -o")
    if path.exists() and not path.is_file():  # /dev/null, a pipe: written into, never replaced by a file
        with path.open("wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DeriveError(f"cannot write {target}: {exc.strerror}") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(path)
