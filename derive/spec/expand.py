"""`derive --expand`: the explicit form of a network, as YAML a user can rename and edit.

Written through derive.templating directly, not the notes' renderer: reading and writing a network
file needs neither the worked example nor any output format, so `--expand` loads none of derive.render.
"""

from __future__ import annotations

import json
from fractions import Fraction

from derive.numbers import exact_decimal
from derive.spec.model import Network
from derive.templating import environment


def yaml_number(x: Fraction) -> str:
    """An exact decimal where one exists, else a quoted ratio (read back exactly)."""
    text = exact_decimal(x, max_places=30)
    return text if text is not None else f'"{x.numerator}/{x.denominator}"'


def yaml_string(s: object) -> str:
    """A JSON string, which is also a valid YAML string (quotes, backslashes and all)."""
    return json.dumps(str(s), ensure_ascii=False)


def _ref(w) -> str:
    return w if isinstance(w, str) else yaml_number(w)


# Module-level functions, so the environment built for these filters is built once and reused.
_FILTERS = {"q": yaml_string, "num": yaml_number, "ref": _ref}


def expand_text(net: Network) -> str:
    return environment("md", filters=_FILTERS).get_template("expand.yaml.j2").render(net=net)
