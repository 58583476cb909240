"""Paths shared by the test modules (imported as `from tests.helpers import ROOT`)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def example_networks() -> list[Path]:
    """examples/*.yaml that are networks (answer files for `derive check` end in _answers.yaml)."""
    return [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.stem.endswith("_answers")]
