import os
import sys
from pathlib import Path

import pytest
from mpmath import mp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/oracle.py


@pytest.fixture
def high_precision():
    """mpf literals in a test need more than mpmath's default 15 digits."""
    with mp.workdps(80):
        yield


@pytest.fixture
def root() -> Path:
    return ROOT


def example_networks() -> list[Path]:
    """examples/*.yaml that are networks (answer files for `derive check` end in _answers.yaml)."""
    return [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.stem.endswith("_answers")]
