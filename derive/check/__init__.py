"""`derive check`: marks a hand derivation (numbers, formulas, chain-rule structure) against a network,
with the follow-through credit exams use. `check_answers` is the library entry point."""

from __future__ import annotations

from derive.check.answers import read_answers
from derive.check.mark import Report, mark
from derive.check.numeric import DEFAULT_POLICY, Policy
from derive.spec.model import Network

__all__ = ["Policy", "Report", "check_answers"]


def check_answers(net: Network, path: str, *, text: str | None = None, policy: Policy = DEFAULT_POLICY) -> Report:
    """The marked report of the answers file `path` (or of `text`, called `path`) for network `net`,
    its numbers judged by `policy` (by default to the digits written, with no minimum)."""
    return mark(net, read_answers(path, net, text=text), policy)
