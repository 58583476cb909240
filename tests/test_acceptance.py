"""Inputs that used to be accepted silently (issue 13, section 5) are refused with one clear message,
while the correct files next to them still load: x given twice in a data row, names that collide
with the notation or the answer grammar, cross-entropy targets that are not probabilities, a
negative --learning-rate, digits of other scripts, invisible characters, digit separators, and a
folder given as an exercise's network."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from click.testing import CliRunner

from derive.check.grammar import GRAMMAR
from derive.cli import main
from derive.errors import SpecError
from derive.numbers import parse_number
from derive.spec.loader import load
from derive.spec.model import RESERVED
from tests.helpers import ROOT

SEED = """inputs: {x1: IQ, x2: hours}
neurons:
  O1: {from: {x1: w1, x2: w2}, bias: b1, activation: sigmoid}
parameters: {w1: 0.1, w2: 0.2, b1: 0.3}
data:
  - {x1: 1, x2: 2, y: 1}
"""


def refused(text: str) -> str:
    """The message of a file derive must refuse."""
    with pytest.raises(SpecError) as caught:
        load(text, "net.yaml")
    return str(caught.value)


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        return CliRunner()


# -- 1. x: [...] and x1/x2 in one row ----------------------------------------------------------------
def test_a_row_with_both_x_and_named_inputs_is_refused_at_the_named_key():
    message = refused(SEED.replace("{x1: 1, x2: 2, y: 1}", "{x: [1, 2], x2: 7, y: 1}"))
    assert "1 problem in" in message
    assert "net.yaml:6:17: $.data[0].x2: this data point gives its inputs twice" in message
    assert "hint: write them one way" in message


def test_a_row_gives_its_inputs_either_way_with_the_same_values():
    by_list = load(SEED.replace("{x1: 1, x2: 2, y: 1}", "{x: [1, 2], y: 1}"))
    by_name = load(SEED)
    assert by_list.data == by_name.data
    assert by_list.data[0].inputs == {"x1": Fraction(1), "x2": Fraction(2)}


# -- 2. names typeset or read like generated symbols -------------------------------------------------
@pytest.mark.parametrize(
    "old, symbol",
    [("w2", "the weighted sum of neuron O1 as z₁"), ("b1", "the weighted sum of neuron O1 as z₁")],
)
def test_a_parameter_named_z1_says_which_symbol_it_collides_with(old, symbol):
    message = refused(SEED.replace(old, "z1"))
    assert f"parameter name `z1` collides with the notation: the notes write {symbol}" in message
    assert message.count("z1") >= 2 and "1 problem in" in message


@pytest.mark.parametrize(
    "name, words",
    [
        ("z_1", "weighted sum of neuron O1 as z₁"),
        ("z7", "weighted sum of a neuron with index 7 as z₇"),
        ("delta1", "δ = ∂L/∂z of neuron O1 as δ₁"),
        ("delta_1", "δ = ∂L/∂z of neuron O1 as δ₁"),
        ("y1", "target of output 1 as y₁"),
        ("zO1", "answers read `zO1` as the weighted sum of neuron O1"),
        ("deltaO1", "answers read `deltaO1` as δ = ∂L/∂z of neuron O1"),
        ("dw1", "answers read `dw1` as d w1, the derivative sign d before `w1`"),
        ("dx1", "the derivative sign d before `x1`"),
        ("w1new", "the updated value of `w1`, new(w1)"),
        ("w1_new", "the updated value of `w1`, new(w1)"),
    ],
)
def test_names_that_collide_with_generated_symbols_are_refused(name, words):
    message = refused(SEED.replace("w2", name))
    assert f"parameter name `{name}` collides with the notation" in message
    assert words in message
    assert f"$.parameters.{name}" in message


def test_the_suggested_name_is_free_and_loads():
    text = SEED.replace("w2", "z1")  # w1 and b1 are taken: neither is suggested
    message = refused(text)
    suggested = re.search(r"e\.g\. to `(\w+)`", message)
    assert suggested is not None, message
    assert not re.search(rf"\b{suggested.group(1)}\b", text), suggested.group(1)
    net = load(text.replace("z1", suggested.group(1)))
    assert suggested.group(1) in net.parameters


@pytest.mark.parametrize("name", ["zeta1", "Z1", "dx", "delta_w", "yes1", "ynew", "w2new"])
def test_names_that_only_look_alike_still_load(name):
    # dx: no name x; ynew, w2new: no parameter y or w2 (w2 is renamed here); zeta1, yes1: other words
    net = load(SEED.replace("w2", name))
    assert name in net.parameters


def test_an_input_and_a_neuron_are_checked_too():
    assert "input name `z2` collides with the notation" in refused(SEED.replace("x2", "z2"))
    assert "neuron name `y1` collides with the notation" in refused(SEED.replace("O1", "y1"))


def test_the_dense_shorthand_never_collides():
    net = load((ROOT / "examples" / "two_paths_dense.yaml").read_text(encoding="utf-8"))
    assert net.parameters and all(not re.fullmatch(r"(z|delta|y)_?\d+", n) for n in net.parameters)


# -- 3. cross-entropy targets ------------------------------------------------------------------------
def _softmax(ys: list[str], loss: str = "categorical_cross_entropy") -> str:
    k = len(ys)
    neurons = "".join(f"  O{i}: {{from: {{x1: w{i}}}, bias: b{i}, activation: softmax}}\n" for i in range(1, k + 1))
    params = ", ".join([f"w{i}: 0.{i}" for i in range(1, k + 1)] + [f"b{i}: 0" for i in range(1, k + 1)])
    return (
        f"inputs: {{x1: length}}\nneurons:\n{neurons}parameters: {{{params}}}\nloss: {loss}\n"
        f"data:\n  - {{x1: 1, y: [{', '.join(ys)}]}}\n"
    )


@pytest.mark.parametrize(
    "ys, words",
    [
        (["5", "-3"], "target `5` is outside [0, 1]"),
        (["1", "-0.5", "0.5"], "target `-0.5` is outside [0, 1]"),
        (["0.5", "0.2"], "the targets sum to 0.7"),
        (["1", "1"], "the targets sum to 2"),
        (["0", "0", "0"], "the targets sum to 0"),
    ],
)
def test_categorical_cross_entropy_targets_must_be_probabilities_summing_to_1(ys, words):
    message = refused(_softmax(ys))
    assert words in message
    assert "categorical_cross_entropy targets are probabilities" in message and "sum to 1" in message
    assert "one-hot" in message and "1 problem in" in message


@pytest.mark.parametrize("ys", [["1", "0"], ["0", "0", "1"], ["0.3", "0.7"], ['"1/3"', '"1/3"', '"1/3"']])
def test_one_hot_and_soft_targets_summing_exactly_to_1_load(ys):
    net = load(_softmax(ys))
    assert sum(net.data[0].targets) == 1


def _bce(y: str, loss: str = "binary_cross_entropy") -> str:
    return SEED.replace("y: 1}", f"y: {y}}}").replace("data:", f"loss: {loss}\ndata:")


@pytest.mark.parametrize("y", ["2", "-1", "1.0001", '"-1/3"'])
def test_binary_cross_entropy_targets_must_lie_in_0_1(y):
    message = refused(_bce(y))
    assert "$.data[0].y: target" in message and "is outside [0, 1]" in message
    assert "binary_cross_entropy targets are probabilities" in message


@pytest.mark.parametrize("y", ["0", "1", "0.8", '"1/3"'])
def test_binary_cross_entropy_targets_in_0_1_load(y):
    assert load(_bce(y)).data[0].targets == (parse_number(y.strip('"')),)


def test_other_losses_keep_any_target():
    assert load(_bce("2", loss="squared_error")).data[0].targets == (2,)


# -- 4. one rule for the learning rate, in the file and on the command line ---------------------------
def test_a_negative_learning_rate_is_refused_in_the_file_and_on_the_command_line(tmp_path):
    net = ROOT / "examples" / "regression_lr.yaml"
    in_file = tmp_path / "negative.yaml"
    in_file.write_text(net.read_text(encoding="utf-8").replace("learning_rate: 0.1", "learning_rate: -1"))
    runner = _runner()
    by_file = runner.invoke(main, ["train", str(in_file), "-o", str(tmp_path / "a.md")])
    by_option = runner.invoke(main, ["train", str(net), "--learning-rate", "-1", "-o", str(tmp_path / "b.md")])
    by_rates = runner.invoke(main, ["study-lr", str(net), "--rates", "0.1,-1", "-o", str(tmp_path / "c.md")])
    rule = "the learning rate must not be negative"
    for result in (by_file, by_option, by_rates):
        assert result.exit_code == 2, result.output
        assert rule in result.stderr and "Traceback" not in result.stderr
    assert "--learning-rate `-1`" in by_option.stderr and "--rates `-1`" in by_rates.stderr
    assert not list(tmp_path.glob("*.md"))


def test_a_learning_rate_that_the_file_accepts_the_option_accepts(tmp_path):
    out = tmp_path / "run.json"
    net = ROOT / "examples" / "regression_lr.yaml"
    result = _runner().invoke(
        main, ["train", str(net), "--learning-rate", "0", "--epochs", "1", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.exists()


# -- 5. digits of other scripts ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, digit",
    [("٣", "٣ (U+0663 ARABIC-INDIC DIGIT THREE)"), ("０.５", "０ (U+FF10 FULLWIDTH DIGIT ZERO)"),
     ("1.۵", "۵ (U+06F5 EXTENDED ARABIC-INDIC DIGIT FIVE)"), ("१", "१ (U+0967 DEVANAGARI DIGIT ONE)")],
)
def test_digits_of_other_scripts_are_refused_with_the_ascii_digit(text, digit):
    with pytest.raises(ValueError, match=re.escape(f"uses the digit {digit}")):
        parse_number(text)
    message = refused(SEED.replace("0.3", text))
    assert "$.parameters.b1" in message and "which is not an ASCII digit" in message
    assert "hint: write numbers with the digits 0-9" in message


def test_a_weight_written_with_other_digits_is_read_as_a_number_not_a_name():
    message = refused(SEED.replace("{x1: w1", "{x1: ３"))
    assert "the weight from x1 `３` uses the digit ３" in message
    assert "not a usable name" not in message


def test_ascii_numbers_still_parse_exactly():
    assert parse_number("0.01") == Fraction(1, 100)
    assert parse_number("-2.5e-3") == Fraction(-1, 400)
    assert parse_number("1/3") == Fraction(1, 3)


# -- 6. words the answers give a meaning ---------------------------------------------------------------
@pytest.mark.parametrize("word", sorted(RESERVED))
def test_every_reserved_word_is_refused_with_its_reason(word):
    message = refused(SEED.replace("w2", word))
    assert f"parameter name `{word}` is reserved: {RESERVED[word]}" in message
    assert "hint: choose another name, such as w1" in message


def test_every_function_of_the_answer_grammar_is_reserved():
    func = re.search(r"^FUNC\.\d+: /(.*)/$", GRAMMAR, re.M)
    assert func is not None
    words = set(re.findall(r"(?<![\\A-Za-z])([a-z]+)(?=[|)])", func.group(1)))
    assert {"exp", "ln", "log", "tanh", "sigmoid", "sigma"} <= words
    assert words <= set(RESERVED), words - set(RESERVED)


# -- 7. invisible characters shown ---------------------------------------------------------------------
@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u00a0"])
def test_an_invisible_character_in_a_name_is_shown_escaped(char, tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(SEED.replace("w2: 0.2", f"w{char}2: 0.2"), encoding="utf-8")
    result = _runner().invoke(main, [str(path), "-o", str(tmp_path / "out.md")])
    escaped = f"w\\u{ord(char):04x}2"
    assert result.exit_code == 2
    assert f"parameter name `{escaped}` contains an invisible character, U+{ord(char):04X}" in result.stderr
    assert char not in result.stderr
    assert "has no value" not in result.stderr  # the edge that uses w2 is right: one problem only
    assert "1 problem in" in result.stderr


def test_an_invisible_character_in_a_data_key_is_shown_escaped(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(SEED.replace("x2: 2,", "x\u200b2: 2,"), encoding="utf-8")
    result = _runner().invoke(main, [str(path), "-o", str(tmp_path / "out.md")])
    assert result.exit_code == 2
    assert "unknown key `x\\u200b2`" in result.stderr and "\u200b" not in result.stderr


# -- 8. digit separators -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, words",
    [
        ("1_000", "groups its digits with `_` (write 1000"),
        ("12_345.5", "groups its digits with `_` (write 12345.5"),
        ("1,000", "groups its digits with commas (write 1000"),
        ("1 000 000", "groups its digits with spaces (write 1000000"),
        ("0,5", "has a decimal comma (write 0.5"),
        ("1_0", "contains `_` (write 10"),
    ],
)
def test_digit_separators_get_their_own_message(text, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_number(text)


def test_a_yaml_integer_with_underscores_is_refused_in_a_file():
    message = refused(SEED.replace("x1: 1,", "x1: 1_000,"))
    assert "input x1 `1_000` groups its digits with `_`" in message
    assert "hint: write 1000: numbers have no digit separators" in message


# -- 9. a folder as the exercise's network -------------------------------------------------------------
def test_a_folder_as_the_exercise_network_says_it_is_a_folder(tmp_path):
    (tmp_path / "networks").mkdir()
    homework = (ROOT / "examples" / "exercises" / "pass_fail_homework.yaml").read_text(encoding="utf-8")
    exercise = tmp_path / "homework.yaml"
    exercise.write_text(homework.replace("network: ../pass_fail.yaml", "network: networks"), encoding="utf-8")
    result = _runner().invoke(main, ["exercise", str(exercise), "--count", "1", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "$.network: `networks` is a folder" in result.stderr
    assert "does not exist" not in result.stderr
    assert not (tmp_path / "out").exists()
