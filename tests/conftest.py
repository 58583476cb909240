"""Fixtures shared by the test modules. Shared plain helpers live in tests/helpers.py (and oracle.py,
browser.py, exercise_helpers.py, train_reference.py), imported as `tests.<module>`: a conftest is
pytest's to load, not a module to import from."""
import pytest
from mpmath import mp


@pytest.fixture
def high_precision():
    """mpf literals in a test need more than mpmath's default 15 digits."""
    with mp.workdps(80):
        yield
