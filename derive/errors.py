"""Errors a user can cause. Each says what happened, where, and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SHOWN = 20  # problems printed per file; the rest are counted
# Control and bidi characters, and those that show as nothing (zero-width, soft hyphen, fillers).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    r"\u00ad\u034f\u115f\u1160\u180b-\u180e\u200b-\u200d\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_LONG = re.compile(r"[^\s.`\[\]]{49,}")


def clean(text: str, shorten: bool = True) -> str:
    """User text made safe to print: control and bidi characters escaped, very long words cut."""
    text = _CONTROL.sub(_escape, text)
    return _LONG.sub(lambda m: m.group()[:40] + "...", text) if shorten else text


def _escape(match) -> str:
    char = match.group()
    special = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return special.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


class DeriveError(Exception):
    """Root of every error caused by input; the CLI prints it and exits with code 2."""


@dataclass(frozen=True)
class Problem:
    """One mistake in an input file, with its place and a hint."""

    file: str
    line: int | None  # 1-based
    column: int | None  # 1-based
    path: str  # key path such as $.neurons.O1.activation
    message: str
    hint: str = ""

    def format(self) -> str:
        where = clean(self.file, shorten=False)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        message = clean(self.message)
        text = f"{where}: {clean(self.path)}: {message}" if self.path else f"{where}: {message}"
        if self.hint:
            text += f"\n    hint: {clean(self.hint)}"
        return text


class SpecError(DeriveError):
    """All the problems found in one input file, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.path))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {clean(self.problems[0].file, False)}" if count else ""
        lines = [p.format() for p in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"... and {count - MAX_SHOWN} more (fix these first; the rest often follow from them)")
        super().__init__(head + "\n" + "\n".join(lines))


class NotDifferentiable(DeriveError):
    """A gradient was asked of a network that contains a step (threshold) activation."""
