"""The maths font embedded in the HTML report: which characters, what the subset keeps, the same bytes each time.

The rendered report's font is checked in test_report.py, on the module's one full render.
"""

import io
import re
import tomllib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from reportgen.report import equations, mathfont

ROOT = Path(__file__).resolve().parent.parent


def _font(data: bytes) -> TTFont:
    return TTFont(io.BytesIO(data))


def test_characters_are_counted_as_a_browser_draws_them():
    page = "".join(
        equations.to_mathml(latex)
        for latex in (r"\hat{x} + \sqrt{y}", r"\theta_h \in \mathbb{R}", r"\mathbf{1}", r"\mathrm{lr}\,\epsilon")
    )
    shown = mathfont.characters("<p>text outside: Q</p>" + page)
    # a lone letter in <mi> is italic (h's italic is the Planck constant), a root needs its sign
    assert {"\U0001d465", "\U0001d466", "\U0001d703", "\u210e", "\U0001d716", "\u221a", "^", "+", "\u2208", "\u211d"} <= shown
    assert "\U0001d7cf" in shown  # \mathbf{1}: mathvariant="bold", the bold digit one
    assert "l" in shown and "\U0001d459" not in shown  # \mathrm{lr}: mathvariant="normal", upright
    assert "Q" not in shown and "\U0001d444" not in shown  # text outside <math>


def test_alphabets():
    assert mathfont.styled("h", "ITALIC") == "\u210e"
    assert mathfont.styled("A", "ITALIC") == "\U0001d434"
    assert mathfont.styled("\u03f5", "ITALIC") == "\U0001d716"  # lunate epsilon, LaTeX's \epsilon
    assert mathfont.styled("R", "DOUBLE-STRUCK") == "\u211d" and mathfont.styled("C", "FRAKTUR") == "\u212d"
    assert mathfont.styled("~", "ITALIC") == "~" and mathfont.styled("1", "ITALIC") == "1"


def test_subset_keeps_the_math_table_its_variants_and_script_forms():
    shown = mathfont.characters(equations.to_mathml(r"f(x) = \begin{cases} \hat{x} & x > 0 \\ \sqrt{\frac{a}{b}} & x \le 0 \end{cases}", display=True))
    font = _font(mathfont.subset_font(frozenset(shown)))
    cmap = font.getBestCmap()
    assert {ord(character) for character in shown} <= set(cmap)
    variants = font["MATH"].table.MathVariants
    vertical = variants.VertGlyphCoverage.glyphs
    glyphs = set(font.getGlyphOrder())
    for character in "{\u221a":  # the cases brace and the radical stretch: their size variants and parts came along
        construction = variants.VertGlyphConstruction[vertical.index(cmap[ord(character)])]
        assert len(construction.MathGlyphVariantRecord) > 1 and construction.GlyphAssembly is not None
        assert {record.VariantGlyph for record in construction.MathGlyphVariantRecord} <= glyphs
        assert {part.glyph for part in construction.GlyphAssembly.PartRecords} <= glyphs
    assert "ssty" in {record.FeatureTag for record in font["GSUB"].table.FeatureList.FeatureRecord}
    assert len(glyphs) < 200  # a subset, not the shipped font's 2,500 glyphs


def test_the_same_maths_give_the_same_bytes():
    shown = frozenset("x\U0001d465{}\u221a")
    first = mathfont.subset_font(shown)
    mathfont.subset_font.cache_clear()
    assert mathfont.subset_font(frozenset(sorted(shown, reverse=True))) == first
    with TTFont(mathfont.FONT) as shipped:
        assert _font(first)["head"].modified == shipped["head"].modified  # no time of the build inside


def test_a_page_without_maths_gets_no_font_and_a_page_needs_the_hook():
    page = f"<style>\n{mathfont.PLACEHOLDER}p {{ margin: 0; }}</style><p>no maths, $5</p>"
    assert mathfont.embed(page) == "<style>\np { margin: 0; }</style><p>no maths, $5</p>"
    with pytest.raises(ValueError, match="no place"):
        mathfont.embed("<style></style><math><mi>x</mi></math>")


def test_rule_names_the_family_and_inlines_a_woff():
    rule = mathfont.font_face({"x"})
    assert rule.startswith('@font-face { font-family: "reportgen Math"; src: url("data:font/woff;base64,')
    # first in the maths' font stack, so that no installed font wins
    assert re.search(r'^math \{[^}]*font-family: "reportgen Math",', (ROOT / "templates" / "style.css").read_text(encoding="utf-8"), re.M)


def test_the_font_ships_with_its_licence_and_keeps_its_notices():
    fonts = mathfont.FONT.parent
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    assert "STIX Two Math font, version 2.13 b171" in (fonts / "FONTLOG.txt").read_text(encoding="utf-8")
    names = _font(mathfont.subset_font(frozenset("x")))["name"]
    assert "STIX Fonts Project" in names.getDebugName(0) and "Open Font License" in names.getDebugName(13)
    assert names.getDebugName(1) == mathfont.FAMILY
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    shipped = {path for pattern in package_data["reportgen.report"] for path in fonts.parent.glob(pattern)}
    assert {mathfont.FONT, fonts / "OFL.txt", fonts / "FONTLOG.txt"} <= shipped
