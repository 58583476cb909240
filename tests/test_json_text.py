"""derive.json_text.dumps writes what the standard library's json.dumps(indent=2, ensure_ascii=False)
writes, byte for byte, whichever encoder it uses (orjson where installed, else the standard one)."""

from __future__ import annotations

import json

import pytest

from derive import explain, json_text


def _stdlib(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Noten für Ärzte: σ′(z) — “quoted” \\ back\\slash", "values": ["0.12", "-3.5e-21"]},
        {"control": "\x00\x01\x1f\x7f\b\f\n\r\t", "separators": "\u2028\u2029", "emoji": "\U0001f600"},
        {"empty_list": [], "empty_map": {}, "nested": [[], [{}], {"a": [1, -2, 0]}], "none": None, "yes": True},
        # an integer past 64 bits (the path count of a deep chain): orjson refuses it, json writes it
        {"path_count": 2**70, "paths": None},
        # text that is not valid UTF-8 on its own (a lone surrogate): orjson refuses it, json writes it
        {"odd": "\ud800"},
    ],
    ids=["unicode", "control", "containers", "big-int", "surrogate"],
)
def test_same_text_as_the_standard_library(data):
    assert json_text.dumps(data) == _stdlib(data)
    if "odd" not in data:  # a lone surrogate has no UTF-8 form: writing it fails either way
        assert json_text.dumps_utf8(data) == _stdlib(data).encode("utf-8")


def test_a_network_json_reads_back_to_the_same_values():
    text = explain("examples/two_paths.yaml", fmt="json", verify=False).text
    data = json.loads(text)
    assert text == _stdlib(data)
    # every number is a decimal string, so no digit passes through a float on the way out
    assert all(isinstance(g["value"], str) for g in data["gradients"].values())
