"""The answer grammar: what it reads (plain maths, LaTeX, d/d and ∂ notation) and what it refuses,
quickly and without running anything."""
import ast
import builtins
import time
from pathlib import Path

import pytest
import sympy

from derive import load_network
from derive.check import parse as parse_module
from derive.check.names import Names
from derive.check.parse import MAX_LENGTH, ExpressionError, parse_answer
from tests.helpers import ROOT

NET = load_network(str(ROOT / "examples" / "pass_fail.yaml"))
TWO = load_network(str(ROOT / "examples" / "two_paths.yaml"))
O1, O2, w4, x2, y = (sympy.Symbol(n) for n in ("O1", "O2", "w4", "x2", "y"))


def one(text, net=NET):
    names = Names(net)
    parts = parse_answer(text, names)
    assert len(parts) == 1
    return parts[0].expr, names


def d(names, top, bottom):
    """The placeholder the parser makes for d(top)/d(bottom)."""
    return names.derivative(top, bottom)


def test_plain_maths_with_the_networks_names():
    expr, _ = one("2*(O2 - y) * O2*(1 - O2) * O1")
    assert sympy.expand(expr - 2 * (O2 - y) * O2 * (1 - O2) * O1) == 0


def test_implicit_products_powers_and_unicode_operators():
    expr, _ = one("2(O2 − y)·O2 (1 - O2) × O1")
    assert sympy.expand(expr - 2 * (O2 - y) * O2 * (1 - O2) * O1) == 0
    assert one("O1^2")[0] == one("O1**2")[0] == one("O1²")[0] == O1 ** 2
    assert one("2^-3")[0] == sympy.Rational(1, 8)
    assert one("-(-O1)")[0] == O1


def test_numbers_are_exact_rationals():
    assert one("0.1 + 0.2")[0] == sympy.Rational(3, 10)
    assert one("4.9975e-3")[0] == sympy.Rational(49975, 10 ** 7)
    part = parse_answer("-0.759", Names(NET))[0]
    assert part.number == "-0.759" and part.expr == sympy.Rational(-759, 1000)


def test_latex_subset_means_the_same_names():
    latex, names = one(r"\frac{\partial L}{\partial O_2} \cdot O_2 (1 - O_2) w_4 \cdot O_{1}\left(1-O_1\right) x_2")
    placeholder = d(names, ("L",), ("O", "O2"))
    assert sympy.expand(latex - placeholder * O2 * (1 - O2) * w4 * O1 * (1 - O1) * x2) == 0
    assert one(r"\frac{1}{2}")[0] == sympy.Rational(1, 2)
    assert one(r"e^{-z_1}")[0] == sympy.exp(-sympy.Symbol("z(O1)"))


@pytest.mark.parametrize("text", ["dL/dw1", "∂L/∂w1", r"\frac{\partial L}{\partial w_1}", r"\frac{dL}{dw_{1}}",
                                  r"\partial L / \partial w_1", "dL / dw_1"])
def test_every_derivative_notation_names_the_same_quantity(text):
    expr, names = one(text)
    assert names.derivs[expr] == (("L",), ("p", "w1"))


def test_derivatives_of_z_and_delta_and_factors():
    _, names = one("dz(O2)/dw4 * dO2/dz_2 * delta_2")
    assert set(names.derivs.values()) == {(("z", "O2"), ("p", "w4")), (("O", "O2"), ("z", "O2")),
                                          (("L",), ("z", "O2"))}
    expr, names = one(r"\frac{\partial O_{21}}{\partial O_{11}}", TWO)
    assert names.derivs[expr] == (("O", "O21"), ("O", "O11"))


def test_functions_sigma_exp_log_tanh_and_their_derivatives():
    z = sympy.Symbol("z(O2)")
    s = 1 / (1 + sympy.exp(-z))
    for text in ("sigmoid(z_2)", r"\sigma(z_2)", "σ(z(O2))", r"\sigma\left(z_{2}\right)"):
        assert sympy.simplify(one(text)[0] - s) == 0
    assert sympy.simplify(one("σ'(z_2)")[0] - s * (1 - s)) == 0
    assert one(r"\ln O_2")[0] == one("log(O2)")[0] == sympy.log(O2)
    assert one("tanh(z_2)")[0] == sympy.tanh(z)


def test_an_answer_written_as_an_equation_keeps_each_side():
    parts = parse_answer(r"\frac{\partial L}{\partial w_4} = 2(O_2 - y) O_2 (1-O_2) O_1 = -0.1855", Names(NET))
    assert [p.text for p in parts] == [r"\frac{\partial L}{\partial w_4}", "2(O_2 - y) O_2 (1-O_2) O_1", "-0.1855"]
    assert parts[2].number == "-0.1855"


@pytest.mark.parametrize("text, words", [
    ("w7 * O1", "`w7` is not a name in this network"),
    ("O1 +", "ends too early"),
    ("(O1", "ends too early"),
    ("O1 )", "not expected here"),
    ("0.5 0.3", "two numbers side by side"),
    ("1/0", "division by zero"),
    ("log(0)", "logarithm needs a positive number"),
    (r"\alpha + O1", r"unknown LaTeX command `\alpha`"),
    ("2^1000", "exponent 1000 is too large"),
    ("((O1^2)^2)^2^2", "more than 3 powers are stacked"),
])
def test_mistakes_are_named_with_where(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_answer(text, Names(NET))
    assert words in str(info.value)


def test_the_column_points_at_the_problem():
    with pytest.raises(ExpressionError) as info:
        parse_answer("O1 * O2 + w7", Names(NET))
    assert info.value.position == 10 and "at character 11" in str(info.value)
    assert "did you mean `w4`?" in str(info.value)


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned_check')",
    "9**9**9**9",
    "x1.__class__",
    "x1.__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "lambda x: x",
    "exec('import os')",
    "eval('1')",
    "open('/etc/passwd').read()",
    "a" * 100_000,
    "(" * 10_000 + "O1" + ")" * 10_000,
    "(" * 60 + "O1" + ")" * 60,
    "-" * 1999 + "O1",
    "O1+" * 666 + "O1",
    "1e999999",
    "9" * 70,
    "(10^15)^100 * (10^15)^100 * (10^15)^100",
    "((10^15)^100)^100",
    r"\input{/etc/passwd}",
    "O1\x00O2",
    "{{7*7}}",
    "${7*7}",
    "`id`",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_input_gets_a_clear_error_or_a_bounded_value_quickly(text):
    start = time.perf_counter()
    try:
        parse_answer(text, Names(NET))
    except ExpressionError as exc:
        assert str(exc) and "Traceback" not in str(exc)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text", ["a" * 100_000, "(" * 10_000 + ")" * 10_000])
def test_limits_are_checked_before_parsing(text, monkeypatch):
    monkeypatch.setattr(parse_module, "_parser", lambda: pytest.fail("the parser ran"))
    with pytest.raises(ExpressionError, match="at most 2,000|nested more than 50"):
        parse_answer(text, Names(NET))
    assert len(text) > MAX_LENGTH


def test_nothing_in_an_answer_is_ever_run(monkeypatch):
    """eval, exec and __import__ are never reached while parsing, whatever the text says."""
    parse_module._parser()  # build the parser first: lark reads its own grammar once
    names = Names(NET)
    calls = []

    def refuse(name):
        def guard(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return guard

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "eval", refuse("eval"))
    monkeypatch.setattr(builtins, "exec", refuse("exec"))
    monkeypatch.setattr(builtins, "__import__", lambda n, *a, **k: calls.append(n) or real_import(n, *a, **k)
                        if n in ("os", "subprocess") else real_import(n, *a, **k))
    for text in HOSTILE[:9]:
        try:
            parse_answer(text, names)
        except ExpressionError:
            pass
    assert calls == []
    assert not Path("/tmp/pwned_check").exists()


def test_the_check_package_never_calls_an_evaluating_function():
    """No call anywhere in derive/check to a function that turns text into code or SymPy."""
    forbidden = {"eval", "exec", "sympify", "parse_expr", "lambdify", "S", "__import__", "compile"}
    for path in (ROOT / "derive" / "check").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                assert name not in forbidden or (name == "compile" and owner == "re"), f"{path.name}:{node.lineno}"
