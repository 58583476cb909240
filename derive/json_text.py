"""JSON text as derive writes it: indented by two spaces, UTF-8 characters as themselves, one value a
line, so a person can read it and a diff shows what changed.

The standard library's encoder runs in C only without `indent`; with it, every value goes through
its pure-Python encoder (for the JSON of a [256, 256, 1] network that was 0.3 s of a 2 s run).
orjson, where installed, writes the same text byte for byte (two-space indent, `": "` after a key,
characters escaped alike) about ten times faster; every number derive writes is already a decimal
string, so no number passes through a float. Where orjson refuses a value (an integer past 64 bits,
such as the path count of a deep chain, or text that is not valid UTF-8), or is not installed, the
standard library writes it.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any) -> str:
    """`data` as indented JSON text with a final newline."""
    fast = _orjson(data)
    return fast.decode("utf-8") if fast is not None else json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dumps_utf8(data: Any) -> bytes:
    """The same text encoded as UTF-8, what a file receives (orjson writes it so: no copy to decode)."""
    fast = _orjson(data)
    return fast if fast is not None else (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _orjson(data: Any) -> bytes | None:
    """orjson's UTF-8 text, or None where orjson is missing or refuses a value."""
    try:
        import orjson  # imported here: notes in other formats never load it
    except ImportError:  # orjson is optional
        return None
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # orjson.JSONEncodeError: a value orjson does not write
        return None
