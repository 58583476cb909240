"""What students actually write around an answer, read as they meant it before the grammar sees it:
`≈ 0.7597`, `~0.76`, `\\approx 0.7597`, `0.7597 (approx)`, a decimal comma (`-0,18554`) when it cannot
be a thousands separator, `1.2 × 10^{-3}`, `\\sigma^{\\prime}`, `$…$` around LaTeX, a unit after a
lone number. Only text is rewritten (regular expressions over the characters); the grammar still
builds every expression, so nothing here is evaluated. Each rewrite is said in a note, so the
report shows how the answer was read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from derive.check.parse import MAX_LENGTH

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_APPROX_BEFORE = re.compile(r"^\s*(?:≈|~|∼|\\approx|approx\.?|ca\.)\s*(?=\S)", re.I)
_APPROX_AFTER = re.compile(
    r"\s*(?:\(\s*(?:approx\.?|approximately|rounded|about|ca\.?)\s*\)|approx\.?|approximately)\s*$", re.I
)
_DOLLARS = re.compile(r"^\s*\$+\s*(.*?)\s*\$+\s*$", re.S)
_PRIME = re.compile(r"\^\s*\{\s*(?:\\prime|'|′)\s*\}|\^\s*\\prime\b|\\prime\b")
_TEN = re.compile(
    rf"(?<![\w.^}}])({_NUM})\s*(?:×|x|\\times|\*|·|\\cdot)\s*10\s*(?:\^|\*\*)\s*"
    r"(?:\{\s*([-+−]?\d+)\s*\}|\(\s*([-+−]?\d+)\s*\)|([-+−]?\d+))(?![\d.])"
)
_COMMA = re.compile(r"(?<![\d,.])(\d+),(\d+)(?![\d,.])")
_UNIT = re.compile(rf"^\s*([-+−–]?\s*{_NUM}(?:[eE][-+]?\d+)?)\s+([A-Za-z%°][A-Za-z%°/²]*\.?)\s*$")


_KNOWN_WORDS = {"exp", "log", "ln", "tanh", "sigma", "sigmoid", "delta", "eta"}


@dataclass
class Reading:
    """The answer as the grammar is to read it, and what was changed to get there."""

    text: str
    notes: list[str] = field(default_factory=list)


def read_leniently(text: str, is_name: Callable[[str], bool]) -> Reading:
    """`text` with what students write around an answer turned into what the grammar reads.
    `is_name` says whether a word is a name of the network (`0.5 w1` is a product, not a unit)."""
    r = Reading(text)
    if len(text) > MAX_LENGTH:  # the grammar refuses it, with the reason; nothing to read leniently
        return r
    m = _DOLLARS.match(r.text)
    if m and "$" not in m.group(1):
        r.text = m.group(1)
    m = _APPROX_BEFORE.match(r.text)
    if m:
        r.notes.append(f"`{m.group().strip()}` dropped")
        r.text = r.text[m.end() :]
    m = _APPROX_AFTER.search(r.text)
    if m and m.start() > 0:
        r.notes.append(f"`{m.group().strip()}` dropped")
        r.text = r.text[: m.start()]
    if _PRIME.search(r.text):
        r.text = _PRIME.sub("′", r.text)
    r.text = _TEN.sub(lambda m: _scientific(m, r), r.text)
    r.text = _COMMA.sub(lambda m: _comma(m, r), r.text)
    m = _UNIT.match(r.text)
    if m and not is_name(m.group(2).rstrip(".")):
        r.notes.append(f"the unit `{m.group(2)}` ignored")
        r.text = m.group(1)
    return r


def _scientific(m: re.Match, r: Reading) -> str:
    exponent = (m.group(2) or m.group(3) or m.group(4)).replace("−", "-")
    written = f"{m.group(1)}e{exponent}"
    r.notes.append(f"`{' '.join(m.group().split())}` read as {written}")
    return written


def _comma(m: re.Match, r: Reading) -> str:
    """A decimal comma, unless it could be a thousands separator (1,234: three digits after a
    non-zero whole part), which is left for the grammar to refuse with a hint."""
    whole, frac = m.group(1), m.group(2)
    if len(frac) == 3 and whole.lstrip("0"):
        return m.group()
    r.notes.append(f"the decimal comma of `{m.group()}` read as a point")
    return f"{whole}.{frac}"


def unreadable_hint(text: str, grammar_hint: str, is_name: Callable[[str], bool]) -> str:
    """What to write instead, for an answer the grammar cannot read after the lenient reading: a
    comma that may be a thousands separator is named first, then the grammar's own hint."""
    if re.search(r"\d,\d{3}(?!\d)", text):
        return "a comma between digits: write 1.234 for a decimal, or 1234 without a separator"
    words = re.match(r"^\s*([A-Za-z]{3,})\b.*?([-+−]?\d[\d.]*(?:[eE][-+]?\d+)?)", text)
    if words and words.group(1).lower() not in _KNOWN_WORDS and not is_name(words.group(1)):
        return f"write the number alone, such as {words.group(2)}, without words around it"
    return grammar_hint or "write the number alone (0.7597, -1.2e-3) or a formula in the network's names"
