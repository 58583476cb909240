"""`derive exercise`: one sheet per student with their own numbers, drawn reproducibly from ranges in an
exercise file, with a blank answers file and an answer key; `derive exercise-mark` marks the handed-in
answers against each student's own network. Modules: spec (the exercise file), roster (the class),
draw (a student's numbers), sheets and keys (their files), generate (the class, in parallel),
marking and report (the marks), command (the click commands).

The names below are loaded on first use, not with the package, so that `derive exercise --help`
(which imports derive.exercise.command) loads none of the marking and drawing code."""

from __future__ import annotations

import importlib

_WHERE = {
    "Exercise": "spec",
    "Student": "roster",
    "counted": "roster",
    "draw_student": "draw",
    "generate": "generate",
    "load_exercise": "spec",
    "mark_class": "marking",
    "read_roster": "roster",
    "student_seed": "draw",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"derive.exercise.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'derive.exercise' has no attribute {name!r}")
