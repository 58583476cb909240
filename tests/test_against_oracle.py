"""Every number derive prints, against an independent implementation (tests/oracle.py): high-precision
central finite differences and a separate reverse-mode autodiff, on many random networks of every
shape, activation and loss."""
import json
import random

import pytest
from mpmath import mpf

import oracle
from derive import explain

SEEDS = range(60)


def _close(got: str, want, digits=17):
    g = mpf(got)
    return abs(g - want) <= max(abs(want), mpf(10) ** -30) * mpf(10) ** -digits


@pytest.mark.parametrize("seed", SEEDS)
def test_random_network_matches_finite_differences(seed, high_precision):
    text = oracle.random_network(random.Random(seed))
    data = json.loads(explain(text=text, fmt="json", verify=False).text)
    net = oracle.load(text)
    point = net["data"][0]
    fwd = oracle.forward(net, point)
    for name in net["neurons"]:
        assert _close(data["forward"][name]["z"], fwd[name]["z"]), (name, text)
        assert _close(data["forward"][name]["O"], fwd[name]["O"]), (name, text)
    assert _close(data["loss"], fwd["loss"])
    fd = oracle.gradients_fd(net, point)
    for p, want in fd.items():
        assert _close(data["gradients"][p]["value"], want), (p, text)
    for p, want in oracle.updated(net, fd).items():
        assert _close(data["updated"][p], want), (p, text)


@pytest.mark.parametrize("seed", range(100, 112))
def test_symbolic_check_agrees_and_paths_add_up(seed, high_precision):
    """derive's own SymPy cross-check passes, and the path products in the JSON add to the gradient."""
    text = oracle.random_network(random.Random(seed))
    data = json.loads(explain(text=text, fmt="json").text)
    assert data["check"]["done"] and data["check"]["agreed"], data["check"]
    rev = oracle.gradients_reverse(oracle.load(text), oracle.load(text)["data"][0])
    for p, g in data["gradients"].items():
        assert _close(g["value"], rev[p])
        if g["paths"] is not None:
            assert len(g["paths"]) == g["path_count"]
            total = sum((mpf(path["product"]) for path in g["paths"]), mpf(0))
            assert abs(total - rev[p]) <= max(abs(rev[p]), mpf(10) ** -30) * mpf(10) ** -17
