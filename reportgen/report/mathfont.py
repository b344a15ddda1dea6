"""The maths font the HTML report carries: a subset of STIX Two Math, inline as WOFF.

Browsers draw MathML with an OpenType MATH font: its table says how to stretch
a brace, size a radical to its fraction and centre an accent on its letter.
Many machines have no such font, and then ``cases`` braces stay small, roots
stop short and hats sit beside their letters. So the page brings its own:
``fonts/STIXTwoMath-subset.woff2`` (SIL Open Font License 1.1, see
``fonts/OFL.txt`` and ``fonts/FONTLOG.txt``; made by
``tools/make_math_font.py``), cut down for each report by fontTools to the
characters its ``<math>`` elements use and what the MATH table reaches from
them (size variants, assembly parts), with the ``ssty``, ``dtls`` and ``flac``
forms. A character is counted as a browser draws it: a one-letter ``<mi>`` in
its mathematical italic form (𝑥 for x), a ``mathvariant`` in its alphabet, a
root with the √ that no text holds.

The rule names the family "reportgen Math", which ``style.css`` puts first, so
no installed font of another version wins. The font carries no time: the same
maths give the same bytes.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "reportgen Math"
FONT = Path(__file__).resolve().parent / "fonts" / "STIXTwoMath-subset.woff2"
# render.py puts this at the top of the page's stylesheet; embed() replaces it with the rule.
PLACEHOLDER = "/* reportgen: the maths font goes here */\n"
FEATURES = ["ssty", "dtls", "flac"]  # script-style forms, dotless i and j under accents, flat accents over capitals

_MATH = re.compile(r"<math\b.*?</math>", re.S)
_TAG = re.compile(r"<[^>]*>")
_ROOT = re.compile(r"<m(?:sqrt|root)\b")
_PLAIN_MI = re.compile(r"<mi(?![^>]*\bmathvariant=)[^>]*>([^<]*)</mi>")
_VARIANT = re.compile(r'<(m[a-z]+)\b[^>]*\bmathvariant="([a-z-]+)"[^>]*>(.*?)</\1>', re.S)
# mathvariant -> the words of its alphabet in Unicode's character names ("normal" has none)
_ALPHABETS = {
    "bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC", "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT", "bold-script": "BOLD SCRIPT", "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF", "bold-sans-serif": "SANS-SERIF BOLD", "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC", "monospace": "MONOSPACE",
}


def styled(character: str, alphabet: str) -> str:
    """``character`` in a mathematical alphabet ("ITALIC": x -> 𝑥, θ -> 𝜃), or itself when it has no such form."""
    base = re.sub(r"^(LATIN |GREEK )|LETTER |LUNATE ", "", unicodedata.name(character, ""))  # "SMALL A", "THETA SYMBOL"
    if (alphabet, base) == ("ITALIC", "SMALL H"):
        return "\u210e"  # PLANCK CONSTANT: Unicode's italic h
    # A letter Unicode had encoded before the mathematical alphabets keeps its older name: DOUBLE-STRUCK CAPITAL R.
    for name in (f"MATHEMATICAL {alphabet} {base}", f"{alphabet.replace('FRAKTUR', 'BLACK-LETTER')} {base}"):
        try:
            return unicodedata.lookup(name)
        except KeyError:
            pass
    return character


def characters(page: str) -> set[str]:
    """Every character the ``<math>`` elements of an HTML page show, in the forms a browser draws."""
    shown: set[str] = set()
    for math in _MATH.findall(page):
        shown.update(html.unescape(_TAG.sub("", math)))
        if _ROOT.search(math):  # a browser draws a root's sign with the font's √ and its MATH variants
            shown.add("\u221a")
        for text in _PLAIN_MI.findall(math):  # MathML Core's math-auto: a lone letter in <mi> is italic
            letter = html.unescape(text).strip()
            if len(letter) == 1:
                shown.add(styled(letter, "ITALIC"))
        for _, variant, content in _VARIANT.findall(math):
            if variant in _ALPHABETS:
                shown.update(styled(character, _ALPHABETS[variant]) for character in html.unescape(_TAG.sub("", content)))
    return shown


@functools.lru_cache(maxsize=4)  # the tests render the same maths many times
def subset_font(shown: frozenset[str]) -> bytes:
    """The shipped font cut down to ``shown``, as WOFF; the same set gives the same bytes."""
    # No timestamp (head.modified stays the shipped font's), and the whole font's bounding boxes, which
    # still hold, rather than every glyph drawn to measure them again.
    with TTFont(FONT, recalcTimestamp=False, recalcBBoxes=False) as font:
        options = subset.Options(layout_features=[*subset.Options().layout_features, *FEATURES], name_IDs=["*"], hinting=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(character) for character in shown))
        subsetter.subset(font)
        # WOFF, not WOFF2: fontTools compresses WOFF2 with Brotli at its slowest setting, half a second
        # for a report's 60 KB; zlib takes a tenth of that for 5 KB more.
        font.flavor = "woff"
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()


def font_face(shown: set[str]) -> str:
    """The CSS @font-face rule of "reportgen Math" for ``shown``, the font inline; "" when there is no maths."""
    if not shown:
        return ""
    data = base64.b64encode(subset_font(frozenset(shown))).decode("ascii")
    return f'@font-face {{ font-family: "{FAMILY}"; src: url("data:font/woff;base64,{data}") format("woff"); }}\n'


def embed(page: str) -> str:
    """``page`` with :data:`PLACEHOLDER` replaced by the font rule for its maths."""
    if PLACEHOLDER not in page:
        raise ValueError("the page has no place for the maths font")
    return page.replace(PLACEHOLDER, font_face(characters(page)), 1)
