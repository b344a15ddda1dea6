"""Safe to publish: user text is escaped everywhere, and the HTML makes no request and runs no script.

One real build whose experiment name, description, data path and config file
name are made of HTML, Markdown and LaTeX syntax (tags, quotes, backticks,
dollar signs, links).
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest

import idx_files
from bad_inputs import harness

NAME = "<script>alert(\"name\")&`tick`$x$'q'"  # no "/": a name is a folder name
DESCRIPTION = "</script><img src=x onerror=alert(1)> \"quoted\" `code` $E=mc^2$ [link](javascript:alert(2)) *star* _under_ # hash"
DATA_FOLDER = "<b>\"q'`tick`$x$ & %"
pytestmark = pytest.mark.slow  # builds in a real process

CONFIG_FILE = "<i>cfg`$.toml"
REMOTE = re.compile(r"^\s*(https?:|//|javascript:)", re.I)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    idx_files.write_split(root / "data" / DATA_FOLDER, "test", [0] * 7 + [1] * 7)
    config = harness.write_config(root / CONFIG_FILE, name="placeholder", description="placeholder")
    text = config.read_text(encoding="utf-8")
    text = text.replace('"placeholder"', json.dumps(NAME), 1).replace('"placeholder"', json.dumps(DESCRIPTION), 1)
    text = text.replace("n_test = 4", f"n_test = 4\nsource = \"idx\"\npath = {json.dumps('data/' + DATA_FOLDER)}")
    config.write_text(text, encoding="utf-8")
    # relative --config, so the command the report shows is the file name itself
    finished = harness.run_process("build", "--config", CONFIG_FILE, "--out", root / "out", "--workers", "1", cwd=root)
    assert finished.returncode == 0, finished.stderr
    return root / "out"


def test_user_text_is_escaped_in_the_html(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "")  # only the escaped description holds it
    for text in (NAME, DESCRIPTION, DATA_FOLDER, CONFIG_FILE):
        assert html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;") in page, text


class _Elements(HTMLParser):
    """Every start tag with its attributes; the text of <style> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parse(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser


def _requests_and_scripts(text: str) -> list[str]:
    """What in this HTML or SVG would fetch from the network or run code."""
    parsed = _parse(text)
    found = []
    for tag, attributes in parsed.elements:
        if tag in ("script", "iframe", "object", "embed", "base", "frame", "applet"):
            found.append(f"<{tag}>")
        if tag == "link" or (tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh"):
            found.append(f"<{tag} {attributes}>")
        for name, value in attributes.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            is_link = tag == "a" and name == "href" and not value.lower().lstrip().startswith("javascript:")
            if name in ("src", "href", "xlink:href", "srcset", "action", "formaction", "data", "poster") and REMOTE.match(value) and not is_link:
                found.append(f"<{tag} {name}={value}>")
            if name == "style" and re.search(r"url\(\s*['\"]?\s*(https?:|//)|@import|expression\(", value, re.I):
                found.append(f"<{tag} style={value}>")
    for style in parsed.styles:
        if re.search(r"url\(\s*['\"]?\s*(https?:|//)|@import", style, re.I):
            found.append("remote url( or @import in <style>")
    return found


def test_the_html_makes_no_request_and_runs_no_script(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    assert _requests_and_scripts(page) == []
    links = [attributes["href"] for tag, attributes in _parse(page).elements if tag == "a" and "href" in attributes]
    assert any(REMOTE.match(link) for link in links)  # ordinary links to the references are fine, and are there


def test_the_checker_finds_what_it_looks_for():
    hostile = (
        '<p onclick="x()">a</p><img src="https://tracker.example/p.gif"><script>1</script><link rel="stylesheet" href="//cdn.example/a.css">'
        '<style>@import "x.css"; body { background: url( "https://x.example/b.png") }</style><a href="javascript:alert(1)">x</a>'
    )
    assert len(_requests_and_scripts(hostile)) == 7
    assert _requests_and_scripts('<a href="https://doi.org/10.1/x">paper</a><img src="figures/a.png"><svg><use xlink:href="#p1"/></svg>') == []


def test_the_figures_run_no_script(report):
    svgs = sorted((report / "figures").glob("*.svg"))
    assert svgs
    for svg in svgs:
        assert _requests_and_scripts(svg.read_text(encoding="utf-8")) == [], svg.name


def test_user_text_is_inert_in_markdown(report):
    text = (report / "report.md").read_text(encoding="utf-8")
    rendered = markdown.markdown(text, extensions=["tables", "fenced_code"])
    elements = _parse(rendered).elements
    assert "script" not in {tag for tag, _ in elements}
    assert [tag for tag, attributes in elements if tag == "img" and "onerror" in attributes] == []
    assert [attributes for tag, attributes in elements if attributes.get("href", "").startswith("javascript:")] == []
    # Shown literally: CommonMark reads "\$" as "$"; Python-Markdown, used here, does not know that escape.
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\\$", "$")
    for shown in (NAME, DESCRIPTION):
        assert shown in visible, shown


def test_user_text_is_escaped_in_latex(report):
    table = (report / "paper" / "results.tex").read_text(encoding="utf-8")
    assert "<script" not in table
    shown = re.search(r"alert\(.*?'q'", table)
    assert shown, "the experiment name is in the LaTeX table"
    assert re.findall(r"(?<!\\)[$&%#_]", shown.group()) == []  # every LaTeX special character escaped
