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
