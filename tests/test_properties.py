"""Property-based tests (hypothesis): random valid networks give gradients equal to finite
differences; random mutations of valid files give only derive's own error type."""
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mpmath import mpf

from derive import DeriveError, explain
from tests import oracle
from tests.helpers import ROOT

VALID = [(ROOT / "examples" / name).read_text() for name in
         ("pass_fail.yaml", "two_paths.yaml", "two_paths_dense.yaml", "perceptron.yaml")]
SNIPPETS = [":", " ", "\n", "\t", "{", "}", "[", "]", "-", ",", "'", '"', "&a", "*a", "!!python/object:os.system",
            "0", "1e400", "nan", ".inf", "yes", "null", "~", "#", "x1", "O1", "w1", "softmax", "-1", "1/0", "é", "\\"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_random_networks_match_finite_differences(seed):
    text = oracle.random_network(random.Random(seed))
    data = json.loads(explain(text=text, fmt="json", verify=False).text)
    net = oracle.load(text)
    from mpmath import mp
    with mp.workdps(80):
        fd = oracle.gradients_fd(net, net["data"][0])
        for p, want in fd.items():
            got = mpf(data["gradients"][p]["value"])
            assert abs(got - want) <= max(abs(want), mpf(10) ** -30) * mpf(10) ** -17, (p, text)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace_line", "duplicate_line", "swap_lines"]))
        lines = text.split("\n")
        pos = draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if kind == "insert":
            text = text[:pos] + draw(st.sampled_from(SNIPPETS)) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)):]
        elif kind == "replace_line":
            lines[i] = "".join(draw(st.lists(st.sampled_from(SNIPPETS), max_size=6)))
            text = "\n".join(lines)
        elif kind == "duplicate_line":
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated(), fmt=st.sampled_from(["md", "json"]))
def test_mutated_files_give_only_derive_errors(text, fmt):
    try:
        explain(text=text, fmt=fmt, verify=False)
    except DeriveError as exc:
        assert str(exc).strip(), "an error must say something"
