"""A visible permalink on every heading of the HTML report, added after the templates have run.

Done once over the page rather than in each template, so that no heading
written later can miss one. The pattern only meets markup the templates
write themselves: headings with an ``id`` as their only attribute.
"""

from __future__ import annotations

import html
import re

_HEADING = re.compile(r'<(h[2-6]) id="([^"]+)">(.*?)</\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _with_link(match: re.Match) -> str:
    tag, anchor, content = match.groups()
    name = html.escape(html.unescape(_TAG.sub("", content)).strip(), quote=True)
    return f'<{tag} id="{anchor}">{content}<a class="permalink" href="#{anchor}" aria-label="Link to {name}">#</a></{tag}>'


def add_permalinks(page: str) -> str:
    """``page`` with a ``#`` link to itself at the end of every heading that has an id."""
    return _HEADING.sub(_with_link, page)
