"""A class's questions for the course's learning-management system: a Moodle XML question bank and a
QTI 1.2 package (what Canvas imports). Every student-specific number is one numerical question,
filed under the student (a Moodle category, a QTI assessment per student), worth the question's
points, with a tolerance that follows the exercise's precision policy. The XML is built with
ElementTree, so every text a user wrote (a title, a name) is escaped, never spliced in as markup.

The tolerance is absolute, as both formats want it: one unit in the last digit the policy asks for
(so rounding and truncation to those digits are both inside it, as derive check accepts them), or
the relative tolerance times the value when that is larger. An LMS cannot ask for a minimum of
digits, so the question's text states it."""

from __future__ import annotations

import html
import io
import re
import zipfile
from decimal import Decimal
from xml.etree import ElementTree as ET

from derive.exercise.draw import KEY_DIGITS
from derive.exercise.sheets import points_text, question_tex
from derive.exercise.spec import Exercise, Question
from derive.latex import z_names

MOODLE_FILE, QTI_FILE = "moodle.xml", "qti.zip"
_DOLLAR = re.compile(r"\$([^$]+)\$")


def answer_text(value: str) -> str:
    """A full-precision value as the answer: an exact one without the zeros JSON pads it with."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def tolerance(value: str, q: Question) -> Decimal:
    """The absolute tolerance of a question's answer `value` (a decimal string at full precision): 0
    for an exact value with no more digits than are asked (1.717 is written 1.717)."""
    v = abs(Decimal(value)).normalize()
    digits = q.policy.digits or KEY_DIGITS
    short = v == 0 or len(v.as_tuple().digits) <= digits
    unit = Decimal(0) if short else Decimal(1).scaleb(v.adjusted() - digits + 1)
    if q.policy.rel_tol is not None:
        rel = Decimal(q.policy.rel_tol.numerator) / Decimal(q.policy.rel_tol.denominator) * v
        unit = max(unit, rel)
    return unit.normalize()


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    """`<tag attrs><text>text</text></tag>`, Moodle's wrapping of every text."""
    el = ET.SubElement(parent, tag, attrs)
    ET.SubElement(el, "text").text = text
    return el


def _leaf(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = text
    return el


def asked(ex: Exercise) -> list[tuple[int, Question, str]]:
    """The numbers asked: (question number on the sheet, question, what it asks as HTML with \\(…\\) maths)."""
    zs = z_names([n.name for n in ex.network.neurons])
    found = []
    for i, q in enumerate(ex.questions, 1):
        if not q.chain:
            found.append((i, q, _DOLLAR.sub(r"\\(\1\\)", question_tex(q, ex.network, zs))))
    return found


def _stem(ex: Exercise, row: dict, number: int, q: Question, what: str) -> str:
    """A question's text: whose it is, what it asks, and the precision the policy asks for."""
    digits = q.policy.digits
    rule = f" Give at least {digits} significant digits." if digits else ""
    return (
        f"<p>{html.escape(ex.title, quote=False)}, question {number}, for {html.escape(row['name'], quote=False)} (student id {html.escape(row['id'], quote=False)}): "
        f"{what}, with the numbers of your own sheet.{rule}</p>"
    )


def moodle_xml(ex: Exercise, rows: list[dict]) -> str:
    """The question bank: a category per student ($course$/<title>/<id>), one numerical question per
    number asked, its answer the key's value at full precision within the policy's tolerance."""
    quiz = ET.Element("quiz")
    for row in rows:
        category = ET.SubElement(quiz, "question", type="category")
        _text(category, "category", f"$course$/{ex.title.replace('/', '//')}/{row['id']}")  # // is a / in a name
        for number, q, what in asked(ex):
            value = answer_text(row["full"][q.label])
            item = ET.SubElement(quiz, "question", type="numerical")
            _text(item, "name", f"{row['id']} {number}. {q.label}")
            _text(item, "questiontext", _stem(ex, row, number, q, what), format="html")
            _text(item, "generalfeedback", f"<p>The key: {row['answers'][q.label]}</p>", format="html")
            _leaf(item, "defaultgrade", points_text(q.points))
            _leaf(item, "penalty", "0")
            _leaf(item, "hidden", "0")
            _leaf(item, "idnumber", f"{row['id']}-{number}")
            answer = _text(item, "answer", value, fraction="100", format="moodle_auto_format")
            _text(answer, "feedback", "", format="html")
            _leaf(answer, "tolerance", f"{tolerance(value, q):f}")
            _leaf(item, "unitgradingtype", "0")
            _leaf(item, "unitpenalty", "0.1000000")
            _leaf(item, "showunits", "3")
            _leaf(item, "unitsleft", "0")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _qti_item(ex: Exercise, row: dict, number: int, q: Question, what: str) -> ET.Element:
    """A Canvas-style QTI 1.2 numerical item: right when the response lies within value ± tolerance."""
    value = answer_text(row["full"][q.label])
    tol = tolerance(value, q)
    low, high = Decimal(value) - tol, Decimal(value) + tol
    item = ET.Element("item", ident=f"{row['id']}-{number}", title=f"{number}. {q.label}")
    fields = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    for label, entry in (("question_type", "numerical_question"), ("points_possible", points_text(q.points))):
        field = ET.SubElement(fields, "qtimetadatafield")
        _leaf(field, "fieldlabel", label)
        _leaf(field, "fieldentry", entry)
    presentation = ET.SubElement(item, "presentation")
    material = ET.SubElement(presentation, "material")
    _leaf(material, "mattext", _stem(ex, row, number, q, what), texttype="text/html")
    response = ET.SubElement(presentation, "response_str", ident="response1", rcardinality="Single")
    ET.SubElement(ET.SubElement(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = ET.SubElement(item, "resprocessing")
    ET.SubElement(
        ET.SubElement(processing, "outcomes"),
        "decvar",
        maxvalue="100",
        minvalue="0",
        varname="SCORE",
        vartype="Decimal",
    )
    condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
    either = ET.SubElement(ET.SubElement(condition, "conditionvar"), "or")
    _leaf(either, "varequal", value, respident="response1")
    within = ET.SubElement(either, "and")
    _leaf(within, "vargte", f"{low:f}", respident="response1")
    _leaf(within, "varlte", f"{high:f}", respident="response1")
    _leaf(condition, "setvar", "100", action="Set", varname="SCORE")
    return item


def qti_zip(ex: Exercise, rows: list[dict]) -> bytes:
    """A QTI 1.2 package: imsmanifest.xml and one assessment per student (<id>/<id>.xml)."""
    manifest = ET.Element(
        "manifest",
        identifier="derive-exercise",
        xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
    )
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for row in rows:
            ident = f"assessment-{row['id']}"
            root = ET.Element("questestinterop")
            assessment = ET.SubElement(root, "assessment", ident=ident, title=f"{ex.title} ({row['id']})")
            section = ET.SubElement(assessment, "section", ident="root_section")
            for number, q, what in asked(ex):
                section.append(_qti_item(ex, row, number, q, what))
            ET.indent(root)
            path = f"{row['id']}/{row['id']}.xml"
            _store(z, path, '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode"))
            resource = ET.SubElement(resources, "resource", identifier=ident, type="imsqti_xmlv1p2", href=path)
            ET.SubElement(resource, "file", href=path)
        ET.indent(manifest)
        _store(
            z, "imsmanifest.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(manifest, encoding="unicode")
        )
    return buffer.getvalue()


def _store(z: zipfile.ZipFile, name: str, text: str) -> None:
    """A member with a fixed date, so the same class gives the same bytes."""
    z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), text, compress_type=zipfile.ZIP_DEFLATED)
