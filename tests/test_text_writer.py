"""derive.render.text_writer: Markdown laid out as plain text for a terminal. Every expected text here
is written out by hand from the layout rules (setext headings, filling at spaces, aligned columns),
not taken from the writer's output."""
import pytest

from derive.render import text_writer, tree


def text(markdown: str, width: int = 100) -> str:
    return text_writer.write(tree.parse(markdown), width)


def test_headings_are_underlined_to_their_length():
    md = "# Notes\n\nIntro.\n\n## 2. Forward pass\n\n### Layer one\n\n#### ✗ `O1`\n\nBody.\n"
    assert text(md) == (
        "Notes\n=====\n\nIntro.\n\n"
        "2. Forward pass\n===============\n\n"
        "Layer one\n---------\n\n"
        "✗ O1\n\nBody.\n")


def test_an_underline_counts_terminal_cells_not_characters():
    # 名前 takes four cells (two wide characters); ŷ written as y + combining circumflex takes one.
    assert text("## 名前\n") == "名前\n====\n"
    assert text("## y\u0302\n") == "y\u0302\n=\n"


def test_paragraphs_fill_to_the_width_and_break_only_at_spaces():
    md = "The quick brown fox jumps over the lazy dog and keeps on running.\n"
    assert text(md, width=20) == "The quick brown fox\njumps over the lazy\ndog and keeps on\nrunning.\n"
    # Source line breaks are soft: the paragraph is refilled.
    assert text("one\ntwo\nthree\n", width=20) == "one two three\n"


def test_a_word_longer_than_the_line_stays_whole():
    long = "x" * 30
    assert text(f"a {long} b\n", width=10) == f"a\n{long}\nb\n"


def test_a_formula_is_never_broken_and_a_no_break_space_holds():
    assert text("see $a + b = c$ now\n", width=10) == "see\na + b = c\nnow\n"
    assert text("width 12\u00a0cm\n", width=8) == "width\n12\u00a0cm\n"


def test_a_hard_line_break_starts_a_new_line():
    assert text("first  \nsecond\n") == "first\nsecond\n"


def test_emphasis_and_code_are_their_bare_text():
    assert text("**bold**, *em* and `x_1 * 2`\n") == "bold, em and x_1 * 2\n"


def test_a_link_shows_its_address_unless_it_is_the_text_or_an_anchor():
    assert text("[the docs](https://example.org/d) and [here](#notes)\n") == \
        "the docs (https://example.org/d) and here\n"


def test_a_table_aligns_text_left_and_numbers_right_with_a_rule_under_the_head():
    md = "| name | value |\n|---|---|\n| w1 | -0.5 |\n| bias | 12.25 |\n"
    assert text(md) == "name  value\n----  -----\nw1     -0.5\nbias  12.25\n"


def test_a_column_of_numbers_and_words_is_text():
    md = "| q | answer |\n|---|---|\n| O1 | 0.76 |\n| dL/dw4 | 2*(O2 - y) |\n"
    assert text(md) == "q       answer\n------  ----------\nO1      0.76\ndL/dw4  2*(O2 - y)\n"


def test_an_alignment_the_markdown_asks_for_wins():
    md = "| a | b |\n|---|--:|\n| x | yy |\n| zzz | w |\n"
    assert text(md) == "a     b\n---  --\nx    yy\nzzz   w\n"


def test_a_table_wider_than_the_line_wraps_its_widest_text_column():
    note = "correct given your O1 = 0.759 (the true value is 0.045194)"
    md = f"| | q | note |\n|---|---|---|\n| ✓ | z(O2) | {note} |\n| ✗ | L | wrong |\n"
    # width 40: columns 1 and 5 wide plus two gaps of 2 leave 30 cells for the note; its longest
    # line then takes 29, and that is the column's width.
    assert text(md, width=40) == (
        "   q      note\n"
        "-  -----  -----------------------------\n"
        "✓  z(O2)  correct given your O1 = 0.759\n"
        "          (the true value is 0.045194)\n"
        "✗  L      wrong\n")


def test_wrapped_rows_are_spaced_when_a_first_cell_is_empty():
    md = "| a | b |\n|---|---|\n|  | one two three four |\n| x | five |\n"
    # 14 would leave the text column 11 cells; it keeps the minimum of 12, and its lines take 10.
    assert text(md, width=14) == "a  b\n-  ----------\n   one two\n   three four\n\nx  five\n"


def test_numbers_keep_their_width_when_the_table_wraps():
    md = "| n | words |\n|---|---|\n| -1234.5 | aa bb cc dd ee ff gg hh |\n| 7 | x |\n"
    assert text(md, width=24) == (
        "      n  words\n"
        "-------  --------------\n"
        "-1234.5  aa bb cc dd ee\n"
        "         ff gg hh\n"
        "      7  x\n")


def test_bullet_lists_hang_their_continuation_lines():
    md = "- short\n- a longer item that has to wrap\n"
    assert text(md, width=16) == "- short\n- a longer item\n  that has to\n  wrap\n"


def test_nested_and_numbered_lists():
    md = "1. first\n2. second\n    - inner one\n    - inner two\n"
    assert text(md) == "1. first\n2. second\n   - inner one\n   - inner two\n"


def test_numbered_list_markers_line_up_past_nine():
    md = "".join(f"{i}. item {i}\n" for i in range(1, 11))
    lines = text(md).splitlines()
    assert lines[0] == "1.  item 1" and lines[9] == "10. item 10"


def test_loose_list_items_are_separated_by_a_blank_line():
    assert text("- one\n\n- two\n") == "- one\n\n- two\n"


def test_code_blocks_are_indented_and_never_filled():
    # An indented block: tree.parse leaves a fenced one as Python-Markdown's raw-HTML placeholder.
    code = "x = 1  # " + "long " * 10
    assert text(f"Before.\n\n    {code}\n    y\n", width=20) == f"Before.\n\n    {code.rstrip()}\n    y\n"


@pytest.mark.parametrize("tex, plain", [
    (r"\partial L", "∂L"),
    (r"\sigma(z)", "σ(z)"),
    (r"a \cdot b", "a · b"),
    (r"\frac{a}{b}", "a/b"),
    (r"\frac{\partial L}{\partial O_2}", "∂L/∂O₂"),
    (r"w_{1} + w_2 + x_{12}", "w₁ + w₂ + x₁₂"),
    (r"x^2 + e^{-1}", "x² + e⁻¹"),
    (r"e^{-z}", "e^(-z)"),
    (r"w_{ij}", "w_ij"),
    (r"\frac{1}{1 + e^{-z}}", "1/(1 + e^(-z))"),
    (r"\frac{a + b}{c}", "(a + b)/c"),
    (r"\frac{a}{b} c", "(a/b) c"),  # not a/b c, which reads as a/(bc)
    (r"\frac{a}{b}^2", "(a/b)²"),
    (r"1/\frac{a}{b}", "1/(a/b)"),
    (r"\frac{a}{b} + c", "a/b + c"),
    (r"\hat{y} - y", "ŷ - y"),
    (r"\sigma'(z)", "σ′(z)"),
    (r"\left( \frac{a}{b} \right)", "(a/b)"),
    (r"\mathrm{new}(w_4) = w_4 - \eta \cdot g", "new(w₄) = w₄ - η · g"),
    (r"\exp(x) \leq \exp x", "exp(x) ≤ exp x"),
])
def test_common_maths_becomes_unicode(tex, plain):
    assert text_writer.to_unicode(tex) == plain


@pytest.mark.parametrize("tex", [
    r"\operatorname*{argmin}_w L",  # a starred command
    r"\mathcal{L}",  # a calligraphic letter has no plain form that keeps its meaning
    r"\sqrt[3]{x}",  # an n-th root
    r"\hat{ab}",  # an accent over two letters
    r"\frac{1}{2",  # an unclosed brace
])
def test_maths_without_a_faithful_plain_form_is_shown_as_tex(tex):
    assert text_writer.to_unicode(tex) is None
    assert text(f"see ${tex}$\n") == f"see {tex}\n"


def test_displayed_maths_is_indented_and_an_aligned_block_is_one_row_a_line():
    md = "Then\n\n$$\\begin{aligned} z &= w_1 x_1 \\\\ O &= \\sigma(z) \\end{aligned}$$\n\nso.\n"
    assert text(md) == "Then\n\n    z = w₁ x₁\n    O = σ(z)\n\nso.\n"


def test_markdown_escapes_come_out_as_the_characters():
    assert text(r"\-0.5 and 2\*3 \(x\)" + "\n") == "-0.5 and 2*3 (x)\n"
