"""The reader every writer shares: Markdown to a tree, maths kept aside, code kept as code."""
from __future__ import annotations

from derive.render import tex_writer, tree


def test_maths_is_kept_whole_and_in_order():
    t = tree.parse("A $w_1 * x_1$ and $$\\frac{a_1}{b_2}$$ here.\n\n$$\nL = (y - O)^2\n$$\n")
    assert [(f.tex, f.display) for f in t.formulas] == [("w_1 * x_1", False), ("\\frac{a_1}{b_2}", True),
                                                        ("L = (y - O)^2", True)]
    paragraph, alone = list(t.root)
    assert "<em>" not in str(paragraph.text) and not len(paragraph)  # no emphasis read into the maths
    assert t.only_formula(alone) == t.formulas[2] and t.only_formula(paragraph) is None


def test_a_fenced_code_block_reaches_the_writers_as_code():
    t = tree.parse("Run:\n\n```\nderive a.yaml -o x.tex\n  a < b & c\n```\n")
    block = t.root[1]
    assert block.tag == "pre" and "".join(block.itertext()) == "derive a.yaml -o x.tex\n  a < b & c\n"
    assert "\\begin{verbatim}\nderive a.yaml -o x.tex\n  a < b & c\n\\end{verbatim}" in tex_writer.write(t)


def test_headings_carry_the_ids_links_point_at():
    t = tree.parse("## 2. Forward propagation\n\nSee [the sweep](#back-propagation-in-one-sweep).\n\n"
                   "### Back-propagation in one sweep\n")
    assert [h.get("id") for h in t.root.iter() if h.tag in ("h2", "h3")] == [
        "2-forward-propagation", "back-propagation-in-one-sweep"]
    tex = tex_writer.write(t)
    assert "\\section{Forward propagation}\\label{2-forward-propagation}" in tex
    assert "\\hyperref[back-propagation-in-one-sweep]{the sweep}" in tex
    assert "\\subsection*{Back-propagation in one sweep}\\phantomsection\\label{back-propagation-in-one-sweep}" in tex
