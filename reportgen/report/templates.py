"""Where the templates are, and the three Jinja environments that fill them: HTML, Markdown and LaTeX.

Each environment escapes every ``{{ value }}`` for its language unless the
value is marked safe: HTML (autoescape), Markdown
(:func:`equations.escape_markdown`) and LaTeX (:func:`equations.escape_latex`).
Only HTML that Python produced from trusted input is marked safe: MathML,
matplotlib's SVG, rendered derivations. Numbers go through
``reportgen.formatting``, as the sentences of the analysis do.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

import reportgen
from reportgen.analysis.paired import MIN_PAIRS
from reportgen.formatting import listing, number, percent, rank_range, setting, share
from reportgen.report import equations


def templates_dir() -> Path:
    """./templates beside the source package in a checkout, else the installed ``reportgen.templates`` package."""
    # A checkout comes first: with PYTHONPATH pointing at a checkout (a git worktree, say) while
    # another one is installed in editable mode, the installed mapping of reportgen.templates
    # would otherwise render this checkout's code with the other one's templates.
    checkout = Path(reportgen.__file__).resolve().parent.parent / "templates"
    if (checkout / "index.html.j2").is_file():
        return checkout
    location = Path(str(importlib.resources.files("reportgen.templates")))
    if not (location / "index.html.j2").is_file():
        raise FileNotFoundError(f"report templates not found in {location}")
    return location


def epoch(value: int) -> str:
    """A 1-based epoch, with 0 meaning "never"."""
    return str(int(value)) if value else "never"


def slug(text) -> str:
    """A safe HTML id part from user text (experiment names): lower case, runs of other characters as "-"."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def environment(autoescape: bool, escape=None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Markdown and LaTeX escape every value unless it is marked safe, as HTML does.
        finalize=None if escape is None else (lambda value: value if isinstance(value, Markup) else escape(value)),
    )
    env.filters.update(number=number, percent=percent, share=share, rank_range=rank_range, epoch=epoch, setting=setting, slug=slug)
    env.filters["listing"] = lambda items: listing([str(item) for item in items])
    env.globals["min_pairs"] = MIN_PAIRS  # the seeds a 95% paired interval takes, for the sentences that say so
    return env


def markdown_environment() -> jinja2.Environment:
    env = environment(False, equations.escape_markdown)
    env.filters["md"] = equations.escape_markdown
    env.filters["code_span"] = lambda text: Markup(equations.code_span(str(text)))
    env.filters["code_block"] = lambda code, language="": Markup(equations.code_fence(str(code), language))
    return env


def latex_environment() -> jinja2.Environment:
    env = environment(False, equations.escape_latex)
    env.filters["tex"] = equations.escape_latex
    return env
