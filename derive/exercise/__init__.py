"""`derive exercise`: one sheet per student with their own numbers, drawn reproducibly from ranges in an
exercise file, with a blank answers file and an answer key; `derive exercise-mark` marks the handed-in
answers against each student's own network. Modules: spec (the exercise file), roster (the class),
draw (a student's numbers), sheets and keys (their files), generate (the class, in parallel),
marking and report (the marks), command (the click commands)."""

from __future__ import annotations

from derive.exercise.draw import draw_student, student_seed
from derive.exercise.generate import generate
from derive.exercise.marking import mark_class
from derive.exercise.roster import Student, counted, read_roster
from derive.exercise.spec import Exercise, load_exercise

__all__ = [
    "Exercise",
    "Student",
    "counted",
    "draw_student",
    "generate",
    "load_exercise",
    "mark_class",
    "read_roster",
    "student_seed",
]
