"""Every default that more than one place states: the command-line flags, `derive.explain`, the notes'
`Options` and the commands read them from here, so `--help` shows the value the library uses.

A bottom module: it imports nothing from derive, so anything may import it.
"""

from __future__ import annotations

VERSION = "0.1.0"  # derive's version, as in pyproject.toml (derive.__version__)

# The worked example (derive render, derive.explain, derive.steps.notes.Options).
POINT = 1  # the data point worked through, counted from 1 as a lecturer does
MAX_PATHS = 8  # chain-rule paths listed one by one per parameter; beyond, the δ recursion
MAX_DERIVATIONS = 40  # parameters derived in full; a bigger network gets a sample
MAX_EXPRESSION = 120  # operations in an output's composed expression before it is left out

# The formats of the notes (derive render, derive.explain, derive.render.notes), and the one written
# when none is asked for. Here rather than in derive.render so the command line can offer them
# without loading the renderers (`derive --expand` needs none).
NOTES_FORMATS = ("md", "json", "html", "tex", "pdf", "slides", "slides-tex")  # slides: a Beamer deck
NOTES_FORMAT = "md"  # derive render, train, study-lr, study-depth
REPORT_FORMAT = "text"  # derive check and exercise-mark: a report for the terminal
# The formats of the other commands, here so that their --help lists them without importing them.
REPORT_FORMATS = ("text", "md", "json")  # derive check's --format
CHECK_DIGITS = 2  # derive check's minimum significant digits when not told: one figure is never right
TRAINING_FORMATS = ("md", "json", "html", "tex", "pdf")  # train, study-lr, study-depth
EXERCISE_FORMAT_CHOICES = ("md", "html", "tex", "pdf")  # md (with key.json and answers.yaml) is always written
LMS_FORMATS = ("moodle", "qti")  # derive exercise --lms

# The training studies.
STUDY_RATES = "0.01,0.1,1,10"  # slow, good, oscillating and diverging on the shipped examples
MAX_EPOCHS = 10_000  # the most epochs a file (`epochs:`) or --epochs may ask for; a worked example needs tens
STUDY_EPOCHS = 50  # study-lr's epochs per rate when the file sets none: enough to tell those four apart
DEPTH_SCALE = "8"  # study-depth's "large weights" factor

# Exercise sheets.
SEED = 2026
EXERCISE_FORMATS = "md,pdf"

# The independent check of the gradients (derive render --verify-budget, derive.explain).
VERIFY_BUDGET = 5.0  # seconds of SymPy before its check is given up (central differences check instead)
