"""`derive --expand`: the explicit form of a network, as YAML a user can rename and edit."""
from __future__ import annotations

import json
from fractions import Fraction

from derive.spec.model import Network
from derive.numbers import exact_decimal
from derive.render.notes import markdown_environment


def yaml_number(x: Fraction) -> str:
    """An exact decimal where one exists, else a quoted ratio (read back exactly)."""
    text = exact_decimal(x, max_places=30)
    return text if text is not None else f'"{x.numerator}/{x.denominator}"'


def _ref(w) -> str:
    return w if isinstance(w, str) else yaml_number(w)


def expand_text(net: Network) -> str:
    env = markdown_environment(q=lambda s: json.dumps(str(s), ensure_ascii=False),  # a JSON string is valid YAML
                               num=yaml_number, ref=_ref)
    return env.get_template("expand.yaml.j2").render(net=net)
