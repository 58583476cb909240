"""One student's sheet and key as PDF: the sheet shows their numbers and the questions and no answer;
the key opens with the expected answers and goes on with the worked solution."""
import json
import shutil
import subprocess

import pytest
import yaml

from derive.render.tex import PACKAGES
from tests.exercise_helpers import HOMEWORK, roster, run_exercise

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftotext")),
                                 reason=f"needs pdflatex and pdftotext: install {PACKAGES} poppler-utils")]


def text_of(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout


def test_the_sheet_and_the_key_as_pdf(tmp_path):
    r = run_exercise(HOMEWORK, "--students", roster(tmp_path, ["ada"]), "-o", tmp_path / "out",
                     "--formats", "md,pdf", "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    folder, keys = tmp_path / "out" / "sheets" / "ada", tmp_path / "out" / "keys" / "ada"
    sheet, key = text_of(folder / "sheet.pdf"), text_of(keys / "key.pdf")
    answers = json.loads((keys / "key.json").read_text(encoding="utf-8"))["exercise"]["answers"]
    net = yaml.safe_load((folder / "network.yaml").read_text(encoding="utf-8"))
    assert "Student Ada" in sheet and "Questions" in sheet and "answers.yaml" in sheet
    assert f"w4 = {net['parameters']['w4']}".replace("-", "−") in sheet  # the diagram's label
    assert f"IQ = {net['data'][0]['x1']}" in sheet
    for q in ("z(O1)", "O1", "L", "dL/dw4", "new(w4)"):
        assert answers[q].replace("-", "−") not in sheet, q
    first_page = key.split("\f")[0]
    assert "Answer key" in first_page and "Student Ada" in first_page
    for q in ("O1", "L", "dL/dw1", "new(w4)"):
        assert answers[q].replace("-", "−") in first_page, q
    assert "Back-propagation" in key  # the worked solution follows
    # ... on a page of its own, under the network's title, as the old LaTeX key's \clearpage did
    assert net["title"] not in first_page and key.split("\f")[1].lstrip().startswith(net["title"])
    for raw in ("**", "](", "$", "|---", "\\", "XMATHQ"):  # both are written from Markdown: none of it shows
        assert raw not in sheet and raw not in key, raw
