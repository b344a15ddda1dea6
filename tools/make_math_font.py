"""Make reportgen/report/fonts/STIXTwoMath-subset.woff2, the maths font the HTML report embeds.

Usage: python tools/make_math_font.py path/to/STIXTwoMath-Regular.otf [--output FILE]

The input is STIX Two Math 2.13 b171, ``fonts/static_otf/STIXTwoMath-Regular.otf``
of https://github.com/stipub/stixfonts at commit 744a22a4 (the last release that
committed built fonts; SIL Open Font License 1.1, whose text is
reportgen/report/fonts/OFL.txt). The whole font as WOFF2 is 552 KB; this script
keeps the characters a formula of this report can plausibly use (Latin, Greek,
the maths operators, arrows and delimiters, the italic, bold, script and
double-struck alphabets) with everything the OpenType MATH table reaches from
them (size variants and assembly parts of stretchy delimiters, radicals and
accents) and the script-style (``ssty``), dotless (``dtls``) and flat-accent
(``flac``) forms, about 200 KB. ``reportgen.report.mathfont`` subsets it again,
per report, to the characters its formulas use.

The modified font is renamed "reportgen Math" (the OFL asks modified versions
not to pass as the original); its copyright, trademark and licence records are
kept. The head table's timestamps are the original's, so running the script
again gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "reportgen" / "report" / "fonts" / "STIXTwoMath-subset.woff2"
EXPECTED_VERSION = "Version 2.13 b171"
FAMILY = "reportgen Math"

# First and last code point of each range kept.
RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x00FF),  # ASCII, Latin-1 (× · ± ¬ ¯)
    (0x0131, 0x0131), (0x0237, 0x0237), (0x02C6, 0x02DD),  # dotless i and j, spacing accents
    (0x0391, 0x03F6),  # Greek and its symbol forms (ϵ ϕ ϑ)
    (0x2000, 0x206F), (0x20D0, 0x20FF),  # spaces, dashes, primes, invisible operators; combining accents for symbols
    (0x2190, 0x21FF), (0x2200, 0x22FF),  # arrows, mathematical operators
    (0x2308, 0x230B), (0x23B4, 0x23B5), (0x23DC, 0x23E1),  # ceiling and floor, over and under brackets, parentheses, braces
    (0x27C0, 0x27FF),  # angle brackets, long arrows
    (0x1D400, 0x1D467), (0x1D49C, 0x1D4CF), (0x1D538, 0x1D56B),  # bold and italic, script, double-struck Latin
    (0x1D6A4, 0x1D71B), (0x1D7CE, 0x1D7D7),  # italic dotless i and j, bold and italic Greek, bold digits
]
# The letters the mathematical alphabets above leave to the Letterlike Symbols block (ℎ ℝ ℬ ...).
LETTERLIKE = [0x2102, 0x2107, *range(0x210A, 0x2114), 0x2115, *range(0x2118, 0x211E), 0x2124, 0x2127, 0x2128, 0x212C, 0x212D, *range(0x212F, 0x2132), *range(0x2133, 0x2139)]
NAMES = {1: FAMILY, 3: "reportgen;reportgenMath-Regular", 4: f"{FAMILY} Regular", 6: "reportgenMath-Regular"}
KEPT_NAMES = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]  # copyright, names, version, trademark, licence and its address


def make(source: Path) -> bytes:
    font = TTFont(source, recalcTimestamp=False)
    version = font["name"].getDebugName(5)
    if version != EXPECTED_VERSION:
        raise SystemExit(f"{source}: expected STIX Two Math {EXPECTED_VERSION!r}, got {version!r}")
    options = subset.Options()
    options.layout_features += ["ssty", "dtls", "flac"]
    options.name_IDs = KEPT_NAMES
    options.desubroutinize = True  # smaller as WOFF2, and no subroutines to prune per report
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for first, last in RANGES for code in range(first, last + 1)] + LETTERLIKE)
    subsetter.subset(font)
    name = font["name"]
    for name_id, text in {**NAMES, 5: f"{EXPECTED_VERSION}; subset for reportgen"}.items():
        name.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode, English: the only records the subsetter keeps
    font["CFF "].cff.fontNames = ["reportgenMath-Regular"]
    top = font["CFF "].cff.topDictIndex[0]
    top.FamilyName, top.FullName = FAMILY, f"{FAMILY} Regular"
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="STIXTwoMath-Regular.otf, version 2.13 b171")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args(argv)
    data = make(arguments.source)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_bytes(data)
    glyphs = len(TTFont(arguments.output).getGlyphOrder())
    print(f"{arguments.output}: {glyphs} glyphs, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
