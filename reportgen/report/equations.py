"""Maths and text for the three output languages: HTML (MathML), Markdown and LaTeX.

* :func:`to_mathml` converts LaTeX with latex2mathml, in Python, so the HTML
  report needs no script to show an equation (its font comes inline:
  :mod:`reportgen.report.mathfont`).
* :func:`markdown_to_html` renders Markdown whose ``$...$`` / ``$$...$$`` must
  not be read as emphasis (``a_1 ... a_2`` would become italics): the maths is
  cut out first, replaced by placeholders, the Markdown rendered, and the
  MathML put back.
* :func:`markdown_for_github` keeps the LaTeX for GitHub's renderer: inline
  ``$...$`` as it is, display maths as a fenced ``math`` block.
* :func:`escape_markdown`, :func:`escape_latex` and :func:`code_fence` make
  user-supplied text (method names, paths, config strings) inert in Markdown
  and LaTeX, as Jinja's autoescape does for HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from latex2mathml.converter import convert

# Code first, so that a dollar sign inside `code` is not read as maths.
_CODE_OR_MATH = re.compile(
    r"(?P<code>```.*?```|`[^`\n]+`)"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$]*?[^\s\\$])?)\$(?!\d)",
    re.S,
)
_PLACEHOLDER = "MATHPLACEHOLDER{}END"
_BEGIN_ENVIRONMENT = re.compile(r"\\begin\{")


@dataclass(frozen=True)
class Equation:
    """One formula in both forms the report needs."""

    latex: str
    mathml: str


def display_latex(latex: str) -> str:
    """A display formula whose lines stay apart in every renderer.

    A bare ``\\\\`` between lines is dropped by GitHub's MathJax and turned into
    an <mspace linebreak> that browsers ignore, so multi-line formulas get an
    environment: ``aligned`` when they have alignment points, a one-column
    ``array`` otherwise.
    """
    latex = latex.strip()
    if "\\\\" not in latex or _BEGIN_ENVIRONMENT.search(latex):
        return latex
    if "&" in latex:
        return rf"\begin{{aligned}}{latex}\end{{aligned}}"
    return rf"\begin{{array}}{{l}}{latex}\end{{array}}"


def _for_latex2mathml(latex: str) -> str:
    # latex2mathml 3.81 turns ``aligned`` into one row with a literal ``&``
    # (invalid markup) but handles ``align*`` as a table, so feed it that.
    return latex.replace(r"\begin{aligned}", r"\begin{align*}").replace(r"\end{aligned}", r"\end{align*}")


# latex2mathml 3.81 writes \sim as an identifier holding an ASCII tilde; it is the relation "distributed as".
_TILDE = "<mi>&#x0007E;</mi>"
_SIM = '<mo lspace="0.2778em" rspace="0.2778em">&#x0223C;</mo>'
# It writes \mathbf letters as Unicode bold letters but digits as mathvariant="bold", which MathML Core (Chromium)
# ignores: the digits become the bold digits of Unicode's mathematical alphanumerics too.
_BOLD_NUMBER = re.compile(r'<mn mathvariant="bold">([0-9]+)</mn>')
_BOLD_ZERO = 0x1D7CE
# It writes \lVert and \rVert as bare <mo>: Chromium stretches the opening one over the closing one's subscript
# (Muon's norm). A norm of one letter needs no stretching.
_NORM_BAR = "<mo>&#x02016;</mo>"
_FIXED_NORM_BAR = '<mo stretchy="false">&#x02016;</mo>'


def _bold_digits(match: re.Match) -> str:
    return "<mn>" + "".join(f"&#x{_BOLD_ZERO + int(digit):X};" for digit in match.group(1)) + "</mn>"


def to_mathml(latex: str, display: bool = False) -> str:
    """MathML for one LaTeX formula (``display=True`` for a block)."""
    try:
        mathml = convert(_for_latex2mathml(display_latex(latex)), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many types; name the formula
        raise ValueError(f"cannot convert LaTeX to MathML: {latex!r}: {error}") from error
    return _BOLD_NUMBER.sub(_bold_digits, mathml.replace(_TILDE, _SIM).replace(_NORM_BAR, _FIXED_NORM_BAR))


def equation(latex: str) -> Equation:
    """A display formula with its MathML; the LaTeX as GitHub should get it."""
    return Equation(display_latex(latex), to_mathml(latex, display=True))


def math_segments(text: str) -> list[tuple[str, bool]]:
    """Every formula of a Markdown text as (latex, display), in order; code is skipped."""
    segments = []
    for match in _CODE_OR_MATH.finditer(text):
        if match["code"] is None:
            display = match["display"] is not None
            segments.append((match["display"] if display else match["inline"], display))
    return segments


def markdown_to_html(text: str) -> str:
    """Render Markdown with LaTeX maths to HTML with MathML."""
    formulas: list[str] = []

    def protect(match: re.Match) -> str:
        if match["code"] is not None:
            return match[0]
        display = match["display"] is not None
        formulas.append(to_mathml(match["display"] if display else match["inline"], display=display))
        return _PLACEHOLDER.format(len(formulas) - 1)

    html = markdown.markdown(_CODE_OR_MATH.sub(protect, text), extensions=["tables", "fenced_code"], output_format="html")
    for index, mathml in enumerate(formulas):
        placeholder = _PLACEHOLDER.format(index)
        # A display formula alone in its paragraph is a block, not a paragraph.
        html = html.replace(f"<p>{placeholder}</p>", mathml).replace(placeholder, mathml)
    return html


def markdown_for_github(text: str) -> str:
    """Markdown for GitHub: display maths ``$$...$$`` becomes a fenced ``math`` block."""

    def fence(match: re.Match) -> str:
        if match["display"] is None:
            return match[0]
        return f"```math\n{match['display'].strip()}\n```"

    return _CODE_OR_MATH.sub(fence, text)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|$~>])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def escape_markdown(text) -> str:
    """Make user text literal in Markdown: no emphasis, code, maths, links, tables or HTML.

    Line breaks become spaces so the text can sit in a table cell. Markdown
    punctuation and ``>`` get a backslash (CommonMark's escape, which keeps
    "a -> b" readable); ``<`` becomes ``&lt;``, which every Markdown dialect
    honours, so no tag or autolink can start; ``&`` is escaped only where it
    would start a character reference, which keeps "Kingma & Ba" as it is.
    """
    text = re.sub(r"\s*\n\s*", " ", str(text))
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_LATEX_SPECIAL = re.compile("|".join(re.escape(character) for character in _LATEX_SPECIALS))


def escape_latex(text) -> str:
    """Make user text literal in LaTeX (all ten specials plus < and >)."""
    return _LATEX_SPECIAL.sub(lambda match: _LATEX_SPECIALS[match[0]], str(text))


def code_span(text: str) -> str:
    """Inline Markdown code whose backtick fence is longer than any run inside (no escaping applies in code)."""
    text = re.sub(r"\s*\n\s*", " ", str(text))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def code_fence(code: str, language: str = "") -> str:
    """A fenced Markdown code block whose fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"
