"""The HTML notes: maths as MathML, user text escaped, nothing loaded from the network, and (in a
real headless Chromium) every page renders with its maths and requests nothing."""
import base64
import functools
import random
import re

import pytest

from derive import explain
from derive.render.html import render_html, render_html_report
from derive.render.mathml import to_mathml
from tests import oracle
from tests.browser import CHROMIUM, inked_rows, run_pages
from tests.helpers import ROOT, example_networks

EXAMPLES = example_networks()
HOSTILE = """
title: "Mixed <b>x</b> & $5 *not* _em_ `code` | pipe \\\\ back </title><script>alert(1)</script>"
inputs: {x1: "<script>alert(1)</script>", h_a: "[link](http://evil.example/)", IQ: "![i](https://x.example/a.png)"}
neurons:
  O11: {from: {x1: w1, h_a: w2, IQ: w3}, bias: b1, activation: relu}
  O12: {from: {x1: w4, h_a: w2}, bias: b2, activation: tanh}
  O13: {from: {x1: w5, IQ: 0.5}, activation: {name: leaky_relu, slope: 0.1}}
  hid: {from: {O11: w6, O12: w7, O13: w8}, bias: b3, activation: linear}
  O21: {from: {hid: w9, O12: w10}, bias: b4, activation: sigmoid}
  O22: {from: {hid: w11, O11: w12}, bias: b5, activation: sigmoid}
parameters: {w1: 0.1, w2: -0.2, w3: 0.0000003, w4: 0.4, w5: -0.5, w6: 0.6, w7: 0.7, w8: 0.8, w9: 0.9,
             w10: 1.0, w11: 1.1, w12: 1.2, b1: 0.1, b2: 0.2, b3: 0.3, b4: 0.4, b5: 0.5}
loss: mae
data: [{x1: 1, h_a: 2, IQ: 3, y: [0.5, 0.25]}]
numbers: {carry: round 3}
freeze: [b2]
"""
STEP = "inputs: {x1: a}\nneurons: {O1: {from: {x1: w1}, bias: b1, activation: step}}\n" \
       "parameters: {w1: 0.1, b1: 0}\ndata: [{x1: 1, y: 1}]\n"
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"


@functools.lru_cache(maxsize=None)
def _notes(path) -> tuple[str, str]:
    """(Markdown, title) of an example's notes, made once for all the tests here."""
    notes = explain(str(path))
    return notes.text, notes.document.title


def _body(page: str) -> str:
    return page.split("<main>", 1)[1].split("</main>", 1)[0]


# ---- maths ----------------------------------------------------------------------------------------

def test_maths_is_protected_from_emphasis():
    body = _body(render_html("$x_{1}$ and $x_{2}$, then $$y_{1} * y_{2} * y_{3}$$", "t"))
    assert "<em>" not in body and "<strong>" not in body
    assert body.count("<msub>") == 5 and body.count("<math") == 3
    assert '<span class="math-display"><math display="block">' in body  # in a paragraph: a span
    body = _body(render_html("text\n\n$$\nx_{1}\n$$\n\nmore", "t"))
    assert '<p>text</p>\n<div class="math-display"><math display="block">' in body


def test_aligned_becomes_a_table():
    body = _body(render_html("$$\n\\begin{aligned}\na &= b_{1} \\\\\nc &= \\frac{1}{2}\n\\end{aligned}\n$$", "t"))
    assert body.count("<mtable") == 1 and body.count("<mtr>") == 2
    assert "&amp;" not in body and "\\" not in body
    assert '<mtd columnalign="right"><mi>a</mi></mtd><mtd columnalign="left"><mi /><mo>=</mo>' in body


@pytest.mark.parametrize("tex, expected", [
    (r"\frac{a}{b} + \dfrac{c}{d} + \tfrac{1}{2}", ["<mfrac>", 'displaystyle="true"', 'displaystyle="false"']),
    (r"\left(\frac{1}{2}\right) \left|x\right| \lvert\delta\rvert", ['form="prefix">(', 'form="postfix">|']),
    (r"a \cdot b \approx c \to d \le e \ge f", ["·", "≈", "→", "≤", "≥"]),
    (r"\operatorname{ReLU}(z) + \ln O + \tanh(z) + \max(0, z)", ["<mi>ReLU</mi>", "<mi>ln</mi>", "<mi>max</mi>"]),
    (r"\sigma'(z_{2})", ['<mi>σ</mi><mo lspace="0" rspace="0">′</mo>']),
    (r"w^{\text{new}} + \mathrm{IQ}", ["<mtext>new</mtext>", 'mathvariant="normal">I<']),
    (r"\begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}", ["<mtable>", "{</mo>"]),
    (r"\sigma(z)\,\bigl(1 - \sigma(z)\bigr) \qquad a\;b", ['mathsize="1.2em"', 'width="2em"', 'width="0.278em"']),
    (r"\frac{\partial L}{\partial w} = \sum_j e^{-1.151}", ["<mi>∂</mi>", "<munder><mo", "<mo lspace"]),
    (r"\frac{\partial L}{\partial w_{5}} \mathrel{+}= \delta_{11} \cdot O_{21}", ['rspace="0.2778em">+=</mo>']),
    (r"x_{1} + 1.2 \times 10^{-7}", ["<mn>10</mn>", "×"]),
])
def test_each_construct_the_notes_use_converts(tex, expected):
    for display in (True, False):
        mathml = to_mathml(tex, display=display)
        assert mathml is not None and "\\" not in mathml
        for piece in expected:
            assert piece in mathml, (piece, mathml)
        assert "<mo><" not in mathml  # no operator wrapping other elements


def _coverage_notes():
    """Notes that between them use every activation, loss, carry mode and kind of paragraph."""
    notes = [_notes(p)[0] for p in EXAMPLES]
    notes += [explain(text=oracle.random_network(random.Random(1), shape=s), verify=False).text
              for s in oracle.SHAPES]
    notes += [explain(text=HOSTILE, verify=False, max_paths=1).text, explain(text=STEP).text,
              explain(str(ROOT / "examples" / "deep_sigmoid.yaml"), verify=False, max_paths=0).text]
    return notes


@pytest.mark.slow
def test_no_formula_falls_back_to_tex_source_in_any_notes():
    for md in _coverage_notes():
        page, failures = render_html_report(md, "notes")
        assert failures == []
        assert 'class="tex"' not in page
        if "\\$" not in md:  # no dollar of user text: every `$` was a delimiter, now gone
            assert "$" not in re.sub(r"<code>.*?</code>", "", _body(page))


def test_a_formula_that_cannot_be_converted_shows_its_source_and_is_counted():
    page, failures = render_html_report(r"Known $x$, unknown $\foo{x_1}$.", "t")
    assert failures == [r"\foo{x_1}"]
    assert r'<code class="tex">$\foo{x_1}$</code>' in page


def test_dollars_in_code_and_escaped_dollars_are_not_maths():
    md = "costs \\$5 and \\$6; `$a_1$` stays code; $b$\n\n    $$indented code$$\n\n```\n$fenced$\n```\n"
    body = _body(render_html(md, "t"))
    assert body.count("<math") == 1
    assert "costs $5 and $6" in body and "<code>$a_1$</code>" in body
    assert "$$indented code$$" in body and "$fenced$" in body


def test_a_bar_inside_maths_does_not_split_a_table_cell():
    body = _body(render_html("| a | b |\n|---|---|\n| $\\left|x_{1}\\right|$ | 2 |\n", "t"))
    assert body.count("<td>") == 2 and body.count("<math") == 1


def test_heading_ids_come_from_the_text_of_their_maths():
    body = _body(render_html("### The gradient of $w_{1}$\n\nsee [there](#the-gradient-of-w1)", "t"))
    assert '<h3 id="the-gradient-of-w1">' in body and '<a href="#the-gradient-of-w1">' in body


def test_a_templates_folder_overrides_the_page(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "page.html.j2").write_text("<title>{{ title }}</title>{{ body | safe }}")
    assert render_html("$x$", "a<b", templates=tmp_path).startswith("<title>a&lt;b</title><p><math")


# ---- user text and raw HTML -------------------------------------------------------------------

def test_hostile_labels_and_title_are_shown_as_text():
    notes = explain(text=HOSTILE, verify=False)
    page = render_html(notes.text, notes.document.title)
    body = _body(page)
    assert "<title>Mixed &lt;b&gt;x&lt;/b&gt; &amp; $5" in page and "&lt;/title&gt;&lt;script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; $5 *not* _em_ `code` | pipe \\ back" in body
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in body
    assert "<td>[link](http://evil.example/)</td>" in body  # text, not a link
    for tag in ("<script", "<b>", "<em>em", "<a href=\"http", "<img"):
        assert tag not in page


def test_raw_html_in_the_markdown_creates_no_element():
    md = ('<div onclick="x()">hi</div>\n\n<script>alert(1)</script>\n\ntext <b>bold</b> '
          '<img src="https://x.example/t.png"> <http://x.example/> <!-- c -->\n')
    body = _body(render_html(md, "t"))
    assert not re.search(r"<(?!/?(p|math|mi|mrow)\b)[a-z]", body), body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;b&gt;bold&lt;/b&gt;" in body


# ---- nothing from the network -----------------------------------------------------------------

def _assert_self_contained(page: str):
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"url\(|<iframe|<object|<embed|srcset=", page)
    for attr, target in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert target.startswith("#") or target.startswith("data:"), (attr, target)
    assert not re.search(r"https?:|(?<![A-Za-z0-9])//[A-Za-z0-9]", page.replace(MATHML_NAMESPACE, ""))
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_pages_are_self_contained(path):
    _assert_self_contained(render_html(*_notes(path)))


def test_svg_images_are_embedded_and_nothing_else_is_fetched(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'
    (tmp_path / "net.svg").write_text(svg)
    (tmp_path.parent / "outside.svg").write_text(svg)
    md = ("![the network](net.svg)\n\n![far](../outside.svg) ![remote](https://x.example/a.svg) "
          "![proto](//x.example/b.svg) ![gone](missing.svg)\n")
    page = render_html(md, "t", base_dir=tmp_path)
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert [base64.b64decode(u).decode() for u in uris] == [svg]
    assert page.count('class="missing-image"') == 4 and "x.example" not in page
    _assert_self_contained(page)
    assert render_html(md, "t").count('class="missing-image"') == 5  # no base_dir: nothing is read


# ---- a real browser ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_runs(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install the Debian package `chromium`")
    folder = tmp_path_factory.mktemp("html")
    pages = {path.stem: render_html(*_notes(path)) for path in EXAMPLES}
    pages["canary"] = '<!DOCTYPE html><p>canary <img src="http://derive-canary.invalid/x.png"></p>'
    return pages, run_pages(pages, folder)


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
@pytest.mark.slow
def test_chromium_renders_every_example_with_its_maths_and_requests_nothing(browser_runs, name):
    pages, runs = browser_runs
    run = runs[name]
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.png.exists() and inked_rows(run.png) > 0.25, "the screenshot is (nearly) blank"
    expected = pages[name].count("<math")
    assert expected > 20 and run.dom.count("<math") == expected  # the DOM after load holds every formula
    assert run.dom.count("<mfrac") == pages[name].count("<mfrac") > 0
    assert run.page_requests == [], run.page_requests


@pytest.mark.slow
def test_the_request_detector_sees_a_page_that_does_fetch(browser_runs):
    """Control: the same harness, on a page with a remote image (and no policy), records it."""
    _, runs = browser_runs
    assert "http://derive-canary.invalid/x.png" in runs["canary"].page_requests


def test_pictures_held_in_memory_are_embedded_and_others_stay_their_alt_text():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    page = render_html("![the net](n_files/net.svg)\n\n![gone](n_files/gone.svg)\n", "t", files={"n_files/net.svg": svg})
    assert f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"' in page
    assert "[image: gone]" in page
