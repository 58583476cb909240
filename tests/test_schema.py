"""The JSON Schema offered to editors accepts every example and rejects a typo derive also rejects."""
import json

import jsonschema
import pytest
import yaml

from tests.helpers import ROOT, example_networks

SCHEMA = json.loads((ROOT / "schema" / "network.schema.json").read_text())


@pytest.mark.parametrize("example", example_networks(), ids=lambda p: p.name)
def test_examples_validate(example):
    jsonschema.validate(yaml.safe_load(example.read_text()), SCHEMA)


def test_schema_rejects_a_misspelt_key():
    doc = yaml.safe_load((ROOT / "examples" / "pass_fail.yaml").read_text())
    doc["neurons"]["O1"]["activaton"] = doc["neurons"]["O1"].pop("activation")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


# -- one rule for derive and the schema ---------------------------------------------------------------
CORPUS = ROOT / "tests" / "bad_inputs"
# Corpus files whose mistake the schema can state too (a name, a number's spelling, a learning rate,
# a cross-entropy target's range, x given twice); derive's messages are checked in test_bad_inputs.py.
SCHEMA_REFUSES = [
    "56_negative_learning_rate.yaml",
    "79_reserved_name.yaml",
    "150_x_list_and_named_inputs.yaml",
    "151_parameter_named_z1.yaml",
    "153_input_named_y2.yaml",
    "155_cce_targets_not_probabilities.yaml",
    "157_bce_target_2.yaml",
    "158_arabic_indic_digits.yaml",
    "159_fullwidth_digits.yaml",
    "160_parameter_named_ln.yaml",
    "161_input_named_d.yaml",
    "162_neuron_named_exp.yaml",
    "163_zero_width_space_in_name.yaml",
    "164_word_joiner_in_data_key.yaml",
    "166_digit_separator_comma.yaml",
    "167_typographic_minus.yaml",
]


@pytest.mark.parametrize("name", SCHEMA_REFUSES)
def test_schema_refuses_what_derive_refuses(name):
    doc = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def _network(parameter: str = "b1", value="0.5", learning_rate="0.1") -> str:
    return (
        "inputs: {x1: IQ}\n"
        "neurons:\n"
        f"  O1: {{from: {{x1: w1}}, bias: {parameter}, activation: sigmoid}}\n"
        f"parameters: {{w1: 0.1, {parameter}: {value}}}\n"
        f"learning_rate: {learning_rate}\n"
        "data:\n"
        "  - {x1: 1, y: 1}\n"
    )


def _derive_accepts(text: str) -> bool:
    from derive.errors import SpecError
    from derive.spec.loader import load

    try:
        load(text, "case.yaml")
    except SpecError:
        return False
    return True


def _schema_accepts(text: str) -> bool:
    try:
        jsonschema.validate(yaml.safe_load(text), SCHEMA)
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "name",
    ["b1", "bias_1", "zeta1", "dx", "Z1", "L2", "delta", "z1", "z_21", "delta2", "y1", "y_3", "L", "e", "eta",
     "ln", "log", "exp", "tanh", "sigmoid", "d", "loss", "error", "b\u200b1", "x\u0661"],
)
def test_derive_and_the_schema_agree_on_names(name):
    text = _network(parameter=f'"{name}"')
    assert _derive_accepts(text) == _schema_accepts(text), name


@pytest.mark.parametrize(
    "number",
    ["0.5", "-0.5", "+2", ".5", "5.", "2.5e-3", "1/3", "-1/3", "٣", "0.٥", "３", "1,000", "1 000",
     "−0.5", "0x1F", "1e", "1/", "--1", "0.5\u200b"],
)
def test_derive_and_the_schema_agree_on_numbers(number):
    text = _network(value=f'"{number}"')
    assert _derive_accepts(text) == _schema_accepts(text), number


@pytest.mark.parametrize("rate", ["0", "0.1", "1/2", "-0.1", "-1", '"-1/10"', '"0.5"'])
def test_derive_and_the_schema_agree_on_learning_rates(rate):
    text = _network(learning_rate=rate)
    assert _derive_accepts(text) == _schema_accepts(text), rate


def _softmax(loss: str, y: str) -> str:
    return (
        "inputs: {x1: IQ}\n"
        "neurons:\n"
        "  O1: {from: {x1: w1}, bias: b1, activation: softmax}\n"
        "  O2: {from: {x1: w2}, bias: b2, activation: softmax}\n"
        "parameters: {w1: 0.1, w2: 0.2, b1: 0, b2: 0}\n"
        f"loss: {loss}\n"
        f"data: [{{x1: 1, y: {y}}}]\n"
    )


@pytest.mark.parametrize("y", ["[1, 0]", "[0.3, 0.7]", "[5, -3]", "[2, 0]", "[1.5, -0.5]"])
def test_derive_and_the_schema_agree_on_cross_entropy_targets_out_of_range(y):
    text = _softmax("categorical_cross_entropy", y)
    assert _derive_accepts(text) == _schema_accepts(text), y


def test_the_schema_checks_the_range_of_bce_targets_not_only_derive():
    text = _network().replace("data:", "loss: binary_cross_entropy\ndata:")
    assert _schema_accepts(text) and _derive_accepts(text)
    for y in ("2", "-1", "1.01"):
        bad = text.replace("y: 1}", f"y: {y}}}")
        assert not _schema_accepts(bad) and not _derive_accepts(bad), y
    assert _schema_accepts(text.replace("y: 1}", "y: 0.8}"))


def test_a_list_x_alone_or_names_alone_are_both_fine_in_the_schema():
    text = _network()
    assert _schema_accepts(text.replace("{x1: 1, y: 1}", "{x: [1], y: 1}"))
    assert not _schema_accepts(text.replace("{x1: 1, y: 1}", "{x: [1], x1: 1, y: 1}"))
