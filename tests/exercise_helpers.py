"""Shared by the tests of `derive exercise`: running its commands, and the seed lecture's network worked
out independently with mpmath from a student's network.yaml (read as plain YAML, not by derive)."""
from decimal import Decimal
from pathlib import Path

import mpmath
import yaml
from click.testing import CliRunner

from derive.cli import main
from tests.helpers import ROOT

HOMEWORK = ROOT / "examples" / "exercises" / "pass_fail_homework.yaml"
QUESTIONS = ["z(O1)", "O1", "z(O2)", "O2", "L", "dL/dw4", "dL/dw1", "new(w4)", "chain dL/dw1"]


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        return CliRunner()


def run_exercise(*args):
    # through derive's group, as a user runs it: the group turns a DeriveError into exit code 2
    return runner().invoke(main, ["exercise", *(str(a) for a in args)])


def run_mark(*args):
    return runner().invoke(main, ["exercise-mark", *(str(a) for a in args)])


def roster(folder: Path, ids: list[str], name: str = "roster.csv") -> Path:
    path = folder / name
    path.write_text("id,name\n" + "".join(f"{i},Student {i.title()}\n" for i in ids), encoding="utf-8")
    return path


def lecture_numbers(network_yaml: Path) -> dict[str, mpmath.mpf]:
    """Every asked quantity of the seed lecture's network (3 inputs → O1 → O2, sigmoid, squared error),
    by its textbook formulas, from the numbers in the file."""
    net = yaml.safe_load(network_yaml.read_text(encoding="utf-8"))
    with mpmath.workdps(40):
        p = {k: mpmath.mpf(str(v)) for k, v in net["parameters"].items()}
        point = net["data"][0]
        x = {k: mpmath.mpf(str(point[k])) for k in ("x1", "x2", "x3")}
        y = mpmath.mpf(str(point["y"]))
        eta = mpmath.mpf(str(net["learning_rate"]))
        z1 = p["w1"] * x["x1"] + p["w2"] * x["x2"] + p["w3"] * x["x3"] + p["b1"]
        o1 = 1 / (1 + mpmath.exp(-z1))
        z2 = p["w4"] * o1 + p["b2"]
        o2 = 1 / (1 + mpmath.exp(-z2))
        delta2 = -2 * (y - o2) * o2 * (1 - o2)
        dw4 = delta2 * o1
        dw1 = delta2 * p["w4"] * o1 * (1 - o1) * x["x1"]
        return {"z(O1)": z1, "O1": o1, "z(O2)": z2, "O2": o2, "L": (y - o2) ** 2, "dL/dw4": dw4,
                "dL/dw1": dw1, "new(w4)": p["w4"] - eta * dw4, "params": p, "x": x, "y": y}


def agrees(text: str, exact: mpmath.mpf) -> bool:
    """Whether `text` is `exact` correctly rounded to the digits written."""
    ulp = Decimal(1).scaleb(Decimal(text).as_tuple().exponent)
    return abs(mpmath.mpf(text) - exact) <= mpmath.mpf(str(ulp)) / 2 * (1 + mpmath.mpf("1e-20"))


def fill(answers_yaml: str, values: dict[str, str]) -> str:
    """A blank answers file with some lines filled in (the others stay empty)."""
    lines = []
    for line in answers_yaml.splitlines():
        key = line.strip()[:-1] if line.startswith("  ") and line.rstrip().endswith(":") else None
        lines.append(f'  {key}: "{values[key]}"' if key in values else line)
    return "\n".join(lines) + "\n"
