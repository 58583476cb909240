"""Paths shared by the test modules (imported as `from tests.helpers import ROOT`)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def example_networks() -> list[Path]:
    """examples/*.yaml that are networks (answer files for `derive check` end in _answers.yaml)."""
    return [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.stem.endswith("_answers")]


# Pieces of YAML (and of derive's own keys and names) that random edits of the examples insert, to
# see every loader refuse what is broken with a place, never a crash.
YAML_PIECES = [
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    ",",
    "- ",
    "\n",
    "  ",
    "\t",
    "'",
    '"',
    "&a ",
    "*a",
    "!x ",
    "yes",
    "~",
    "0",
    "-1",
    "1e400",
    ".nan",
    "O1",
    "x1",
    "w1",
    "softmax",
    "from",
    "activation",
    "? ",
    "#",
    "---",
]
