"""`derive check`: marks a hand derivation (numbers, formulas, chain-rule structure) against a network,
with the follow-through credit exams use. `check_answers` is the library entry point.

Nothing is imported with the package itself (its modules load SymPy and lark), so that
`derive check --help`, which imports derive.check.command, stays quick."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derive.check.mark import Report
    from derive.check.numeric import Policy
    from derive.spec.model import Network

__all__ = ["Policy", "Report", "check_answers"]


def check_answers(net: Network, path: str, *, text: str | None = None, policy: Policy | None = None) -> Report:
    """The marked report of the answers file `path` (or of `text`, called `path`) for network `net`,
    its numbers judged by `policy` (by default to the digits written, with no minimum)."""
    from derive.check.answers import read_answers
    from derive.check.mark import mark
    from derive.check.numeric import DEFAULT_POLICY

    return mark(net, read_answers(path, net, text=text), policy or DEFAULT_POLICY)


def __getattr__(name: str):
    if name == "Policy":
        from derive.check.numeric import Policy

        return Policy
    if name == "Report":
        from derive.check.mark import Report

        return Report
    raise AttributeError(f"module 'derive.check' has no attribute {name!r}")
