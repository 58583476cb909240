"""Errors a user can cause. Each says what happened, where, and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


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
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class SpecError(DeriveError):
    """All the problems found in one input file, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.path))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {self.problems[0].file}" if count else ""
        super().__init__(head + "\n" + "\n".join(p.format() for p in self.problems))


class NotDifferentiable(DeriveError):
    """A gradient was asked of a network that contains a step (threshold) activation."""
