"""A student's answer key: the expected answer to each question, then the full worked solution of their
own network (derive's lecture notes), in every format asked for. key.md (exercise/key.md.j2, then the
notes' Markdown) is the key's one source of words: its HTML and LaTeX are written from it."""

from __future__ import annotations

import json
import re

from derive.exercise.draw import KEY_DIGITS, Draw, filled_answer
from derive.exercise.roster import Student
from derive.exercise.sheets import policy_words, question_tex, yaml_key
from derive.exercise.spec import Exercise
from derive.latex import number, z_names
from derive.output import safe_stem
from derive.render.html import render_html
from derive.render.notes import draw_pictures, markdown_environment, to_json
from derive.render.notes import markdown as notes_markdown
from derive.render.tex import compile_pdf, picture_tex, render_tex
from derive.steps.notes import Options, build

NUMBER = re.compile(r"-?[0-9.]+(e-?[0-9]+)?")
YAML_WIDTH = 76  # characters per line of the answers file in key.md: a verbatim line of the PDF holds 78
YAML_INDENT = "    "  # a quoted answer's continuation lines, deeper than its key's two spaces
NOTES_NAME = "network.yaml"  # how the notes name their source; their pictures go to network_files/


def key_context(ex: Exercise, student: Student, d: Draw) -> dict:
    """The questions with their expected answers, and the answers file filled in with them."""
    net = d.network
    zs = z_names([n.name for n in net.neurons])
    rows = [
        {
            "number": i,
            "label": q.label,
            "key": q.key,
            "what": question_tex(q, net, zs),
            "chain": q.chain,
            "expected": d.answers[q.label],
            "tex": None if q.chain else number(d.answers[q.label]),
            "exact": q.label in d.exact,
        }
        for i, q in enumerate(ex.questions, 1)
    ]
    filled = [
        {"key": yaml_key(k), "text": text}  # every key of the exercise is asked, so it has a text
        for k in ex.keys()  # noqa: SIM118 -- Exercise.keys() is a method of ours, not a dict's
        if (text := filled_answer(ex, d.answers, k)) is not None
    ]
    for f in filled:  # a number stays plain; a structure is quoted, as YAML could misread `*` or `: `
        f["yaml"] = f["text"] if NUMBER.fullmatch(f["text"]) else folded(json.dumps(f["text"]), len(f["key"]) + 4)
    return {
        "title": ex.title,
        "student": student,
        "rows": rows,
        "filled": filled,
        "tries": d.tries,
        "digits": KEY_DIGITS,
        "policy": policy_words(ex.policy),
    }


def folded(quoted: str, taken: int) -> str:
    """A double-quoted YAML string broken at single spaces into lines of at most YAML_WIDTH characters
    (`taken` of the first line hold `  key: `), the lines after it indented by YAML_INDENT. YAML reads
    each break as the one space it replaced, so the value is the same; the answers file in key.md
    then fits the line of the PDF, where a verbatim line cannot wrap."""
    lines: list[str] = []
    line = ""
    for word in re.split(r"(?<! ) (?! )", quoted):  # at a single space: folding keeps no more than one
        limit = YAML_WIDTH - (taken if not lines else len(YAML_INDENT))
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return f"\n{YAML_INDENT}".join([*lines, line])


def key_files(ex: Exercise, student: Student, d: Draw, formats: set[str]) -> dict[str, str | bytes]:
    """Each file of the key by its path in the student's folder: key.md and key.json always (with the
    pictures key.md shows), key.html, key.tex and key.pdf when asked for."""
    ctx = key_context(ex, student, d)
    title = f"Answer key: {ex.title} ({student.id})"
    # d.network is d.text read back under NOTES_NAME: the notes are those of the file the student gets
    notes = build(d.network, Options())
    draw_pictures(notes, f"{safe_stem(NOTES_NAME)}_files")
    files: dict[str, str | bytes] = dict(notes.pictures.files)
    head = markdown_environment().get_template("exercise/key.md.j2").render(k=ctx)
    markdown = files["key.md"] = head + "\n" + notes_markdown(notes)
    files["key.json"] = key_json(ctx, to_json(build(d.network, Options(detail=False))))
    if "html" in formats:
        files["key.html"] = _html(markdown, files, title)
    if formats & {"tex", "pdf"}:
        # key.md is the key's one source of words; the notes' pictures it links are drawn in TikZ
        tex = render_tex(markdown, title, pictures=picture_tex(notes.pictures))
        if "tex" in formats:
            files["key.tex"] = tex
        if "pdf" in formats:
            files["key.pdf"] = compile_pdf(tex, files=notes.pictures.tex_files())
    return files


def key_json(ctx: dict, notes_json: str) -> str:
    """The notes' JSON (every number at full precision) with the exercise's answers in front."""
    data = json.loads(notes_json)
    key = {
        "student": {"id": ctx["student"].id, "name": ctx["student"].name},
        "draws": ctx["tries"],
        "answers": {r["label"]: r["expected"] for r in ctx["rows"]},
        "answers_file": {f["key"]: f["text"] for f in ctx["filled"]},
    }
    return json.dumps({"exercise": key, **data}, indent=2, ensure_ascii=False) + "\n"


def _html(markdown: str, files: dict[str, str | bytes], title: str) -> str:
    """key.md as one HTML page, its pictures (the entries of `files` in a folder) embedded."""
    return render_html(markdown, title, files={n: c for n, c in files.items() if "/" in n})  # the pictures
