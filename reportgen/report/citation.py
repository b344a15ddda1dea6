"""How to cite a report: a BibTeX entry and a CITATION.cff, each with the reportgen version and the build date.

The date is ``SOURCE_DATE_EPOCH``'s when that is set (reproducible builds),
otherwise today's in UTC: a citation needs a date, so the files that carry
one are byte-identical across days only with ``SOURCE_DATE_EPOCH`` set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

CFF_FILE = "CITATION.cff"


@dataclass(frozen=True)
class Citation:
    bibtex: str  # keyed reportgen- and a hash of the experiments' cache keys
    cff: str
    cff_file: str = CFF_FILE


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _braced(text: str) -> str:
    """BibTeX field text: braces and LaTeX specials made literal."""
    for special, escaped in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"), ("_", r"\_")):
        text = text.replace(special, escaped)
    return text


def citation(title: str, version: str, experiment_keys: list[str], date: str = "") -> Citation:
    """The citation of a report titled ``title`` built by reportgen ``version`` from experiments with ``experiment_keys``."""
    date = date or datetime.now(timezone.utc).strftime("%Y-%m-%d")
    key = "reportgen-" + hashlib.sha256("\n".join(experiment_keys).encode()).hexdigest()[:8]
    year, month, _ = date.split("-")
    note = f"Built with reportgen {version} on {date}; experiments {', '.join(experiment_keys)}"
    bibtex = (
        f"@misc{{{key},\n"
        f"  title = {{{{{_braced(title)}}}}},\n"
        f"  author = {{{{reportgen}}}},\n"
        f"  year = {{{year}}},\n"
        f"  month = {{{int(month)}}},\n"
        f"  version = {{{version}}},\n"
        f"  note = {{{_braced(note)}}},\n"
        "}\n"
    )
    cff = (
        "cff-version: 1.2.0\n"
        "message: If you use this report, please cite it as below.\n"
        "type: dataset\n"
        f"title: {_quoted(title)}\n"
        "authors:\n"
        "  - name: reportgen\n"
        f"version: {_quoted(version)}\n"
        f"date-released: {_quoted(date)}\n"
        f"abstract: {_quoted(note)}\n"
    )
    return Citation(bibtex, cff)
