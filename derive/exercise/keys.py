"""A student's answer key: the expected answer to each question, then the full worked solution of their
own network (derive's lecture notes), in every format asked for."""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from derive import explain
from derive.latex import number, z_names
from derive.render.notes import markdown_environment, render
from derive.render.html import render_html
from derive.render.tex import compile_pdf, tex_environment
from derive.exercise.draw import Draw, filled_answer
from derive.exercise.roster import Student
from derive.exercise.sheets import question_tex, yaml_key
from derive.exercise.spec import Exercise

NUMBER = re.compile(r"-?[0-9.]+(e-?[0-9]+)?")
NOTES_NAME = "network.yaml"  # how the notes name their source; their pictures go to network_files/


def key_context(ex: Exercise, student: Student, d: Draw) -> dict:
    """The questions with their expected answers, and the answers file filled in with them."""
    net = d.network
    zs = z_names([n.name for n in net.neurons])
    rows = [{"number": i, "label": q.label, "key": q.key, "what": question_tex(q, net, zs), "chain": q.chain,
             "expected": d.answers[q.label], "tex": None if q.chain else number(d.answers[q.label])}
            for i, q in enumerate(ex.questions, 1)]
    filled = [{"key": yaml_key(k), "text": filled_answer(ex, d.answers, k)} for k in ex.keys()]
    for f in filled:  # a number stays plain; a structure is quoted, as YAML could misread `*` or `: `
        f["yaml"] = f["text"] if NUMBER.fullmatch(f["text"]) else json.dumps(f["text"])
    carry = net.carry.describe() if net.carry.mode != "exact" else None
    return {"title": ex.title, "student": student, "rows": rows, "filled": filled, "carry": carry,
            "tries": d.tries}


def key_files(ex: Exercise, student: Student, d: Draw, formats: set[str]) -> dict[str, str | bytes]:
    """Each file of the key by its path in the student's folder: key.md and key.json always (with the
    pictures key.md shows), key.html, key.tex and key.pdf when asked for."""
    ctx = key_context(ex, student, d)
    notes = explain(text=d.text, name=NOTES_NAME, fmt="md", pictures=True)
    files: dict[str, str | bytes] = dict(notes.document.pictures.files)
    head = markdown_environment().get_template("exercise/key.md.j2").render(k=ctx)
    files["key.md"] = head + "\n" + notes.text
    files["key.json"] = key_json(ctx, explain(text=d.text, name=NOTES_NAME, fmt="json").text)
    if "html" in formats:
        files["key.html"] = _html(files, f"Answer key: {ex.title} ({student.id})")
    if formats & {"tex", "pdf"}:
        tex = key_tex(ctx, render(notes.document, "tex"))
        if "tex" in formats:
            files["key.tex"] = tex
        if "pdf" in formats:
            files["key.pdf"] = compile_pdf(tex)
    return files


def key_json(ctx: dict, notes_json: str) -> str:
    """The notes' JSON (every number at full precision) with the exercise's answers in front."""
    data = json.loads(notes_json)
    key = {"student": {"id": ctx["student"].id, "name": ctx["student"].name}, "draws": ctx["tries"],
           "answers": {r["label"]: r["expected"] for r in ctx["rows"]},
           "answers_file": {f["key"]: f["text"] for f in ctx["filled"]}}
    return json.dumps({"exercise": key, **data}, indent=2, ensure_ascii=False) + "\n"


def key_tex(ctx: dict, notes_tex: str) -> str:
    """The notes' LaTeX with a first page that lists the expected answers."""
    page = tex_environment().get_template("tex/exercise/key.tex.j2").render(k=ctx)
    marker = "\\begin{document}"
    if marker not in notes_tex:
        raise ValueError("the LaTeX notes have no \\begin{document}")
    return re.sub(r"\n{3,}", "\n\n", notes_tex.replace(marker, marker + "\n" + page, 1))


def _html(files: dict[str, str | bytes], title: str) -> str:
    """key.md as one HTML page; its pictures are laid out in a scratch folder to be embedded."""
    with tempfile.TemporaryDirectory() as scratch:
        for name, content in files.items():
            if "/" in name:  # a picture, in the notes' pictures folder
                path = Path(scratch) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return render_html(files["key.md"], title, None, Path(scratch))
