"""LaTeX to MathML, Markdown with protected maths, escaping for Markdown and LaTeX, citations."""

import re
from pathlib import Path

import pytest

from reportgen.report import equations, references

DERIVATIONS = Path(__file__).resolve().parent.parent / "templates" / "derivations"
# Anything but a character reference: latex2mathml's ``aligned`` bug writes a bare "&".
BARE_AMPERSAND = re.compile(r"&(?!#x[0-9A-Fa-f]+;|#[0-9]+;|[A-Za-z]+;)")


def test_inline_and_display_mathml():
    inline = equations.to_mathml(r"\frac{a}{b}")
    block = equations.to_mathml(r"\frac{a}{b}", display=True)
    assert inline.startswith("<math") and 'display="inline"' in inline and "<mfrac>" in inline
    assert 'display="block"' in block


def test_aligned_becomes_a_table_without_bare_ampersands():
    mathml = equations.to_mathml(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", display=True)
    assert mathml.count("<mtr>") == 2
    assert not BARE_AMPERSAND.search(mathml)


def test_bare_line_breaks_get_an_environment():
    assert equations.display_latex(r"a = 1 \\ b = 2") == r"\begin{array}{l}a = 1 \\ b = 2\end{array}"
    assert equations.display_latex(r"a &= 1 \\ b &= 2").startswith(r"\begin{aligned}")
    assert equations.display_latex(r"\begin{cases} a \\ b \end{cases}") == r"\begin{cases} a \\ b \end{cases}"
    assert equations.to_mathml(r"a = 1 \\ b = 2", display=True).count("<mtr>") == 2


def test_bad_latex_names_the_formula():
    with pytest.raises(ValueError, match=r"\\frac\{"):
        equations.to_mathml(r"\frac{")


def test_markdown_keeps_subscripts_out_of_emphasis():
    html = equations.markdown_to_html("Between $a_1$ and $a_2$ lies *text*.")
    assert "<em>" in html and html.count("<em>") == 1  # only the real emphasis
    assert html.count("<math") == 2 and "<msub>" in html
    assert "MATHPLACEHOLDER" not in html


def test_display_maths_is_a_block_not_a_paragraph():
    html = equations.markdown_to_html("Text.\n\n$$\nJ = \\frac{1}{2}\n$$\n\nMore.")
    assert '<p><math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' not in html
    assert 'display="block"' in html


def test_code_and_prices_are_not_maths():
    text = "Run `echo $HOME $PATH` and pay $5 and $6 today."
    assert equations.math_segments(text) == []
    assert "<math" not in equations.markdown_to_html(text)


def test_github_markdown_fences_display_maths_and_keeps_inline():
    text = "Inline $x_1$.\n\n$$\nJ = 1\n$$\n"
    assert equations.markdown_for_github(text) == "Inline $x_1$.\n\n```math\nJ = 1\n```\n"


def test_escape_markdown():
    hostile = 'name <script>alert("x")</script> `tick` $x$ a_b *c* [l](u) | ~s~ \\ &amp; & > q\nnext'
    escaped = equations.escape_markdown(hostile)
    assert "<" not in escaped and "&lt;script" in escaped
    for mark in ("`", "$", "_", "*", "[", "]", "|", "~", ">"):
        # every occurrence is preceded by a backslash
        assert re.search(r"(?<!\\)" + re.escape(mark), escaped.replace("\\\\", "")) is None, mark
    assert "&amp;amp;" in escaped and " & " in escaped  # only entity-like ampersands change
    assert "\n" not in escaped


def test_escape_latex():
    assert equations.escape_latex("a_b & 50% $x$ #1 {y} ~ ^ \\ <>") == (
        r"a\_b \& 50\% \$x\$ \#1 \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{} \textless{}\textgreater{}"
    )


def test_code_fence_and_span_outgrow_backticks_inside():
    fence = equations.code_fence("a ```` b", "python")
    assert fence.startswith("`````python\n") and fence.endswith("\n`````")
    assert equations.code_span("a `b` c") == "``a `b` c``"
    assert equations.code_span("`x`") == "`` `x` ``"


def test_citations_link_to_the_reference_list():
    text = "See [@kingma2014] and [@sutton1986; @qian1999]."
    assert references.cited_keys(text) == ["kingma2014", "sutton1986", "qian1999"]
    linked = references.link_citations(text)
    assert "([Kingma & Ba 2014](#ref-kingma2014))" in linked
    assert "([Sutton 1986](#ref-sutton1986); [Qian 1999](#ref-qian1999))" in linked


def test_unknown_citation_key_fails():
    with pytest.raises(KeyError, match="nobody2020"):
        references.link_citations("[@nobody2020]")


@pytest.mark.parametrize("path", sorted(DERIVATIONS.glob("*.md")), ids=lambda path: path.stem)
def test_every_derivation_converts_cleanly(path):
    text = path.read_text(encoding="utf-8")
    segments = equations.math_segments(text)
    assert segments, "a derivation without maths"
    html = equations.markdown_to_html(references.link_citations(text))
    assert html.count("<math") == len(segments)
    assert "merror" not in html and not BARE_AMPERSAND.search(html)
    # Inline maths that GitHub mangles: \{ is read as a Markdown escape, \\ as a line break.
    for latex, display in segments:
        if not display:
            assert "\\{" not in latex and "\\\\" not in latex, latex


def test_sim_is_the_relation_not_a_tilde():
    mathml = equations.to_mathml(r"n \sim \mathcal{N}(0, 1)")
    assert "&#x0223C;</mo>" in mathml and "&#x0007E;" not in mathml


def test_bold_digits_are_bold_characters_not_a_mathvariant():
    mathml = equations.to_mathml(r"n_t = s_t \mathbf{1} + \mathbf{10}")
    assert "mathvariant" not in mathml and "<mn>&#x1D7CF;</mn>" in mathml and "<mn>&#x1D7CF;&#x1D7CE;</mn>" in mathml


def test_norm_bars_do_not_stretch_over_a_subscript():
    mathml = equations.to_mathml(r"\max(\lVert M \rVert_{F}, \epsilon)")
    assert mathml.count('<mo stretchy="false">&#x02016;</mo>') == 2 and "<mo>&#x02016;</mo>" not in mathml
