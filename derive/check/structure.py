"""Judging a chain-rule structure such as `dL/dO31 * dO31/dO21 * dO21/dO11 * dO11/dw1 + …`: each term
must be a chain of steps that join up from the top to the bottom, and together the terms must cover
every path of the network exactly once. Missing paths, paths that do not exist and wrong factors are
named with the reason."""

from __future__ import annotations

import itertools
from collections import Counter

import sympy

from derive.check.formulas import chain, paths
from derive.check.names import L_NODE, Names, Node, Quantity, label
from derive.check.numeric import RIGHT, WRONG, Judgement
from derive.check.truth import link, step, why_not
from derive.spec.model import Network

MAX_TERMS = 256


def is_chain(names: Names, q: Quantity, expr: sympy.Expr) -> bool:
    """Whether an answer is written only in derivatives (so its structure, not a formula, is judged).
    Softmax couples its outputs, so such networks have their chains judged by value instead."""
    syms = expr.free_symbols
    softmax = any(n.activation.couples_outputs for n in names.net.neurons)
    return q.is_derivative and bool(syms) and syms <= set(names.derivs) and not softmax


def judge_chain(net: Network, names: Names, q: Quantity, expr: sympy.Expr) -> Judgement:
    expected = expected_paths(net, q)
    shown = " + ".join(_coarse_chain(p) for p in expected) if q.top == L_NODE else _d(q.top, q.bottom)
    if _term_bound(expr) > MAX_TERMS:
        return Judgement(
            WRONG, expected=shown, causes=[f"more than {MAX_TERMS} terms: too many to read as a sum of paths"]
        )
    issues: list[str] = []
    got: Counter = Counter()
    totals: list[str] = []
    terms = sympy.Add.make_args(sympy.expand(expr))
    for i, term in enumerate(terms, 1):
        where = f"term {i}" if len(terms) > 1 else "your chain"
        found, term_issues = _term_paths(net, names, q, term, where, totals)
        issues += term_issues
        got.update(found)
    want = Counter(tuple(p) for p in expected)
    for p in want - got:
        issues.append(f"missing path {_route(p)} ({_coarse_chain(p)})")
    for p in got - want:
        issues.append(
            f"the path {_route(p)} appears {got[p]} times (a number {got[p]} in front of it, "
            "or the same path written twice): each path counts once"
        )
    if issues:
        return Judgement(WRONG, expected=shown, causes=issues)
    one = len(totals) == 1
    note = (
        f"{', '.join(totals)} stand{'s' if one else ''} for every path below {'it' if one else 'them'}"
        if totals
        else ""
    )
    return Judgement(RIGHT, note=note, method="every path once, every factor a step of the network")


def expected_paths(net: Network, q: Quantity) -> list[list[Node]]:
    """The fine paths (with z nodes) that d(top)/d(bottom) sums over."""
    if q.top != L_NODE:
        return [link(net, q.top, q.bottom)]
    return [_fine(net, p) for p in paths(net, q.bottom, MAX_TERMS)]


def _fine(net: Network, coarse: list[Node]) -> list[Node]:
    fine = list(coarse[:2])
    for a, b in itertools.pairwise(coarse[1:]):
        fine += link(net, a, b)[1:]
    return fine


def _term_paths(net, names, q, term, where, totals) -> tuple[list[tuple], list[str]]:
    coeff, factors = term.as_coeff_mul()
    issues, links = [], []
    repeat = int(coeff) if coeff.is_Integer and coeff > 0 else 1  # the same path twice is counted twice
    if repeat == 1 and coeff != 1:
        issues.append(f"{where} has a number ({coeff}) in front: the chain rule multiplies derivatives only")
    for f in factors:
        base, power = f.as_base_exp()
        if base not in names.derivs or not power.is_Integer or power < 1:
            issues.append(f"{where}: `{f}` is not a product of derivatives")
            continue
        if power > 1:
            issues.append(f"{where} has {base} {power} times: each factor appears once in a path")
        top, bottom = names.derivs[base]
        if top != L_NODE and step(net, top, bottom) is None:
            issues.append(f"wrong factor {_d(top, bottom)}: {why_not(net, top, bottom)}")
        links.append((top, bottom))
    if issues:
        return [], issues
    ordered, problem = _join(links, q)
    if problem:
        return [], [f"{where} {problem}"]
    found, issues = _expand(net, q, ordered, where, totals)
    return found * repeat, issues


def _join(links: list[tuple[Node, Node]], q: Quantity) -> tuple[list, str]:
    """The factors in chain order from q's top to its bottom, or what breaks the chain."""
    remaining, at, ordered = list(links), q.top, []
    while remaining:
        nxt = next((f for f in remaining if f[0] == at), None)
        if nxt is None:
            break
        ordered.append(nxt)
        remaining.remove(nxt)
        at = nxt[1]
    written = " * ".join(_d(a, b) for a, b in ordered + remaining)
    if remaining:
        rest = ", ".join(_d(a, b) for a, b in remaining)
        after = _d(*ordered[-1]) if ordered else "the start"
        return [], (
            f"({written}): the factors do not join up: after {after} the next factor must start at "
            f"{label(at)}, but what is left is {rest}"
        )
    if at != q.bottom:
        return [], f"({written}): the chain ends at {label(at)}, not at {label(q.bottom)}"
    return ordered, ""


def _expand(net, q, ordered, where, totals) -> tuple[list[tuple], list[str]]:
    """The fine paths one chain covers; a leading dL/dX stands for every path from L to X."""
    issues, starts = [], [[q.top]]
    for k, (top, bottom) in enumerate(ordered):
        if k == 0 and top == L_NODE:
            if bottom == q.bottom and len(ordered) == 1:
                return [], [f"{where} restates the question: {_d(top, bottom)} is what is asked"]
            heads = paths(net, bottom, MAX_TERMS)
            if not heads:
                issues.append(f"wrong factor {_d(top, bottom)}: L does not depend on {label(bottom)}")
                continue
            if len(heads) > 1 or (bottom[0] != "O" or bottom[1] not in net.outputs):
                totals.append(_d(top, bottom))
            starts = [_fine(net, h) for h in heads]
            continue
        starts = [s + link(net, top, bottom)[1:] for s in starts]
    return ([] if issues else [tuple(s) for s in starts]), issues


def _term_bound(e) -> int:
    """An upper bound on the number of terms `e` expands to, found without expanding it."""
    if e.is_Add:
        return sum(_term_bound(a) for a in e.args)
    if e.is_Mul:
        total = 1
        for a in e.args:
            total *= _term_bound(a)
            if total > MAX_TERMS:
                return total
        return total
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        base = _term_bound(e.base)
        return base ** int(e.exp) if base > 1 else 1
    return 1


def _d(top: Node, bottom: Node) -> str:
    return f"d{label(top)}/d{label(bottom)}"


def _route(fine) -> str:
    return " → ".join(label(n) for n in fine if n[0] != "z" or n == fine[-1])


def _coarse_chain(fine) -> str:
    coarse = [n for n in fine if n[0] != "z" or n == fine[-1]]
    return chain(coarse)
