"""The report files: contents and order, self-containment, escaping, valid HTML, determinism."""

import base64
import dataclasses
import io
import re
from html import unescape
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fixtures import make_pair, render_report
from fontTools.ttLib import TTFont
from markupsafe import escape

import reportgen
from reportgen import optimizers
from reportgen.analysis import analyse
from reportgen.report import equations, figures, methods, templates
from reportgen.report import render as render_module
from reportgen.training import executors
from reportgen.errors import ConfigError

EPOCHS = 12
SECTION_IDS = [
    "summary",
    "setup",
    "update-equations",
    "cost-plots",
    "results-table",
    "overlap-analysis",
    "the-2018-quirks-one-at-a-time",
    "the-2018-claims",
    "limitations",
    "derivations",
    "code-of-the-parts",
    "verification",
    "cite-this-report",
    "references",
]
MARKDOWN_HEADINGS = [
    "## Summary",
    "## Setup",
    "## Update equations",
    "## Cost plots",
    "## Results table",
    "## Overlap analysis",
    "## The 2018 quirks, one at a time",
    "## The 2018 claims",
    "## Limitations",
    "## Derivations",
    "## Code of the parts",
    "## Verification",
    "## Cite this report",
    "## References",
]
HOSTILE = "<script>alert(\"x\")</script> it's `tick` $HOME | a_b"
VOID_ELEMENTS = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "embed", "source", "track", "wbr", "param"}


@pytest.fixture(scope="module")
def result_sets():
    return list(make_pair(epochs=EPOCHS))


@pytest.fixture(scope="module")
def rendered(result_sets, tmp_path_factory):
    """One full render; the figures it drew are kept so other tests need not draw again."""
    out = tmp_path_factory.mktemp("report")
    drawn, draw_all = [], figures.draw_all
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "draw_all", lambda *arguments: drawn.extend(draw_all(*arguments)) or drawn)
        with executors.create("process", 2) as pool:  # as a build draws them
            paths = render_report(result_sets, out, command="reportgen build --out report", executor=pool)
    return out, paths, drawn


@pytest.fixture(scope="module")
def built(rendered):
    return rendered[:2]


@pytest.fixture(scope="module")
def drawn(rendered):
    return rendered[2]


@pytest.fixture
def quick_render(monkeypatch, drawn):
    """render() with the module's figures reused: for tests about text, not plots."""
    monkeypatch.setattr(figures, "draw_all", lambda result_sets, analyses, executor=None: drawn)

    def render(result_sets, out, **options):
        render_report(result_sets, out, **options)
        return (out / "index.html").read_text(encoding="utf-8"), (out / "report.md").read_text(encoding="utf-8")

    return render


def escape_html(text: str) -> str:
    return str(escape(text))


def _html(built):
    return (built[0] / "index.html").read_text(encoding="utf-8")


def _markdown(built):
    return (built[0] / "report.md").read_text(encoding="utf-8")


class StrictParser(HTMLParser):
    """Checks balanced tags, collects ids, headings, links and every attribute with an address."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids, self.headings = [], [], [], []
        self.hrefs, self.addresses, self.text_addresses, self.math = [], [], [], 0
        self.doctype = None

    def handle_decl(self, declaration):
        self.doctype = declaration

    def _attributes(self, tag, attributes):
        for name, value in attributes:
            if name == "id":
                self.ids.append(value)
            if tag == "a" and name == "href":
                self.hrefs.append(value)
            elif value and re.search(r"https?://", value) and not name.startswith("xmlns"):
                self.addresses.append((tag, name, value))
        if tag == "math":
            self.math += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_starttag(self, tag, attributes):
        self._attributes(tag, attributes)
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attributes):
        self._attributes(tag, attributes)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if re.search(r"https?://", data) and "a" not in self.stack and "style" not in self.stack:
            self.text_addresses.append(data.strip()[:80])


def _parse(html):
    parser = StrictParser()
    parser.feed(html)
    parser.close()
    return parser


def test_render_writes_every_output(built, drawn):
    out, paths = built
    expected = {"index.html", "report.md", "CITATION.cff", "data/metrics.csv", "data/metrics.json", "data/controls.csv", "data/ablations.csv", "data/verification.csv", "paper/results.tex"}
    for figure in drawn:
        expected |= {f"figures/{figure.slug}.svg", f"figures/{figure.slug}.png", f"figures/{figure.slug}.pdf", f"paper/{figure.slug}.pdf"}
    assert {path.relative_to(out).as_posix() for path in paths} == expected
    assert all(path.is_file() for path in paths)
    assert not list(out.rglob("*.tmp"))


def test_sections_in_order_in_html_and_markdown(built):
    html, markdown = _html(built), _markdown(built)
    positions = [html.index(f'<h2 id="{section}">') for section in SECTION_IDS]
    assert positions == sorted(positions)
    positions = [markdown.index(f"\n{heading}\n") for heading in MARKDOWN_HEADINGS]
    assert positions == sorted(positions)
    assert "Learning-rate sensitivity" not in html and "Learning-rate sensitivity" not in markdown
    for section in SECTION_IDS:  # the table of contents links every section
        assert f'<li><a href="#{section}">' in html and f"](#{section})" in markdown


def test_every_method_appears_in_both(built):
    """Every method the built presets train (the article's twelve); later methods appear when a config trains them."""
    html, markdown = _html(built), _markdown(built)
    for name in optimizers.ARTICLE_METHODS:
        info = optimizers.describe(name, "textbook")
        assert f'id="derivation-{name}"' in html and f'id="update-{name}"' in html
        variants = [optimizers.describe(name, variant) for variant in optimizers.VARIANTS]
        if len({info.equation for info in variants}) == 1:  # one equation, headed by both variants
            assert f'id="update-{name}-variants"' in html
        else:
            for variant in optimizers.VARIANTS:
                assert f'id="update-{name}-{variant}"' in html
        heading = f"### {info.letter}. {equations.escape_markdown(info.title)}"
        assert markdown.count(heading) == 2, heading  # derivation and update equations
    for name in methods.IN_DEPTH:
        assert re.search(rf'id="derivation-{name}">.*?<span class="badge">in depth</span><a class="permalink" href="#derivation-{name}"', html)


def test_update_rules_show_the_source_that_runs_each_function_once(built):
    html, markdown = _html(built), _markdown(built)
    shown = set()
    for name in optimizers.ARTICLE_METHODS:
        for variant in optimizers.VARIANTS:
            for code in optimizers.describe(name, variant).code:
                shown.add(code.name)
                heading = "# " + code.name.removeprefix("reportgen.optimizers.")
                # Once in each output, under its heading, whole: every method and variant that runs it links there.
                assert html.count(escape_html(heading) + "\n") == 1 and markdown.count(heading + "\n") == 1, heading
                assert escape_html(heading + "\n" + code.source) in html and heading + "\n" + code.source in markdown
    assert len(shown) > 2 * len(optimizers.ARTICLE_METHODS)  # the parts too, not only the builders


def test_one_mathml_element_per_equation(built):
    html, markdown = _html(built), _markdown(built)
    texts = [methods.NETWORK_TEXT, methods.BACKPROP_TEXT, *optimizers.ARTICLE_METHODS]
    derivation_maths = sum(
        len(equations.math_segments((templates.templates_dir() / "derivations" / f"{slug}.md").read_text(encoding="utf-8"))) for slug in texts
    )
    rules = sum(len({optimizers.describe(name, variant).equation for variant in optimizers.VARIANTS}) for name in optimizers.ARTICLE_METHODS)
    assert _parse(html).math == derivation_maths + rules
    assert "merror" not in html
    # report.md keeps the LaTeX: every rule as a math block, no MathML
    assert markdown.count("```math\n") >= rules and "<math" not in markdown


def test_html_is_well_formed(built):
    parser = _parse(_html(built))
    assert parser.errors == [] and parser.stack == []
    assert parser.doctype == "DOCTYPE html"
    assert len(parser.ids) == len(set(parser.ids)), sorted({i for i in parser.ids if parser.ids.count(i) > 1})[:10]
    assert parser.headings.count(1) == 1 and parser.headings[0] == 1
    for previous, current in zip(parser.headings, parser.headings[1:]):
        assert current <= previous + 1, "a heading level is skipped"
    internal = [href[1:] for href in parser.hrefs if href.startswith("#")]
    assert set(internal) <= set(parser.ids)
    html = _html(built)
    assert '<html lang="en">' in html and '<meta charset="utf-8">' in html


def test_html_is_self_contained(built):
    html = _html(built)
    parser = _parse(html)
    assert parser.addresses == [] and parser.text_addresses == []
    assert "<script" not in html and "@import" not in html
    # one web font, the maths font, inline: nothing to download
    assert re.findall(r"@font-face \{[^}]*\}", html) == [re.search(r'@font-face \{ font-family: "reportgen Math"; src: url\("data:font/woff;base64,[A-Za-z0-9+/=]+"\) format\("woff"\); \}', html)[0]]
    assert not re.search(r"\bsrc\s*=", html)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    assert all(href.startswith(("#", "https://", "http://", "figures/", "data/", "paper/", "CITATION.cff", "data:")) for href in parser.hrefs)


class MathText(HTMLParser):
    """The text of every <math> element, the letters alone in an attribute-free <mi>, and whether there is a root."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.characters, self.lone_letters, self.roots, self.mi = 0, set(), set(), 0, None

    def handle_starttag(self, tag, attributes):
        self.depth += tag == "math"
        self.roots += tag in ("msqrt", "mroot")
        self.mi = "" if tag == "mi" and not attributes else None

    def handle_endtag(self, tag):
        self.depth -= tag == "math"
        if tag == "mi" and self.mi is not None and len(self.mi.strip()) == 1:
            self.lone_letters.add(self.mi.strip())
        self.mi = None

    def handle_data(self, data):
        if self.depth:
            self.characters.update(data.replace("\n", ""))
            if self.mi is not None:
                self.mi += data


def _italic(letter: str) -> str | None:
    """The mathematical italic form a browser draws for a lone Latin or Greek letter in <mi> (MathML Core)."""
    special = {"h": "\u210e", "\u03f5": "\U0001d716", "\u03d1": "\U0001d717", "\u03d5": "\U0001d719"}
    if letter in special:
        return special[letter]
    for first, last, italic in (("a", "z", 0x1D44E), ("A", "Z", 0x1D434), ("\u03b1", "\u03c9", 0x1D6FC), ("\u0391", "\u03a9", 0x1D6E2)):
        if first <= letter <= last:
            return chr(italic + ord(letter) - ord(first))
    return None


def test_the_maths_font_covers_every_character_of_the_maths(built):
    html = _html(built)
    embedded = re.findall(r'@font-face \{ font-family: "reportgen Math"; src: url\("data:font/woff;base64,([A-Za-z0-9+/=]+)"\)', html)
    assert len(embedded) == 1 and html.index("@font-face") < html.index("</style>")
    font = TTFont(io.BytesIO(base64.b64decode(embedded[0])))
    maths = MathText()
    maths.feed(html)
    assert maths.roots and {"x", "\u03b8", "\u03f5"} <= maths.lone_letters  # what the checks below are about
    italics = {_italic(letter) for letter in maths.lone_letters} - {None}
    needed = maths.characters | italics | {"\u221a"}  # a root is drawn with the font's √
    cmap = font.getBestCmap()
    assert sorted(character for character in needed if ord(character) not in cmap) == []
    assert "MATH" in font
    assert len(cmap) < len(needed) + 40  # a subset of the maths, not the whole font


def test_markdown_inline_maths_stays_on_one_line(built):
    """GitHub reads $...$ only within one line: outside code and maths blocks, every line opens and closes its $."""
    odd, fence = [], None
    for number, line in enumerate(_markdown(built).splitlines(), 1):
        opening = re.match(r"\s*(`{3,}|~{3,})", line)
        if fence is None and opening:
            fence = opening[1]
        elif fence is not None:
            fence = None if line.strip().startswith(fence) else fence
        else:
            text = re.sub(r"\$\$.*?\$\$", "", re.sub(r"(`+).+?\1", "", line))
            if len(re.findall(r"(?<!\\)\$", text)) % 2:
                odd.append(f"{number}: {line}")
    assert odd == []
    assert re.search(r"(?<!\\)\$[^$\n]+(?<!\\)\$", _markdown(built))  # there is inline maths to check


def test_figures_are_inline_with_alt_text_and_captions(built, drawn):
    html = _html(built)
    for figure in drawn:
        block = re.search(rf'<figure class="chart" id="figure-{re.escape(figure.slug)}">(.*?)</figure>', html, re.S)
        assert block, figure.slug
        assert f'role="img" aria-label="{escape_html(figure.alt)}"' in block[1]
        assert "<svg" in block[1] and "<figcaption>" in block[1]
    assert "prefers-color-scheme: dark" in html and "@media print" in html


def test_marker_captions_listed_under_the_main_cost_figure(built, result_sets):
    from reportgen import analysis

    html = _html(built)
    for result_set in result_sets:
        markers = analysis.analyse_experiment(result_set).markers
        block = re.search(rf'id="figure-{result_set.experiment}-cost">(.*?)</figure>', html, re.S)[1]
        for marker in markers:
            assert f'<li class="marker-{marker.kind}">' in block and escape_html(marker.caption) in block
    assert any(analysis.analyse_experiment(result_set).markers for result_set in result_sets)


def test_markdown_links_resolve(built):
    out = built[0]
    markdown = _markdown(built)
    images = re.findall(r"!\[(?:\\.|[^\]\\])*\]\(([^)]+)\)", markdown)
    assert len(images) == len(list((out / "figures").glob("*.png")))
    links = re.findall(r"\]\(((?:figures|data|paper)/[^)]+)\)", markdown)
    assert set(images) <= set(links)
    for link in links:
        assert (out / link).is_file(), link


def test_size_budget(built):
    assert (built[0] / "index.html").stat().st_size <= 3 * 1024 * 1024


@pytest.mark.slow  # a second full render
def test_two_renders_are_byte_identical(built, result_sets, tmp_path):
    render_report(result_sets, tmp_path, command="reportgen build --out report")
    first = {path.relative_to(built[0]): path.read_bytes() for path in built[0].rglob("*") if path.is_file()}
    second = {path.relative_to(tmp_path): path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_latex_table(built):
    table = (built[0] / "paper" / "results.tex").read_text(encoding="utf-8")
    assert table.count(r"\toprule") == 1 and table.count(r"\bottomrule") == 1 and table.count(r"\midrule") == 2
    body = table[table.index(r"\begin{tabular}") : table.index(r"\end{tabular}")]
    rows = [line for line in body.splitlines() if line.endswith(r"\\") and not line.startswith(r"\multicolumn")]
    assert len(rows) == 1 + 12 * 2
    assert all(len(re.findall(r"(?<!\\)&", row)) == 8 for row in rows)
    assert table.count("{") - table.count(r"\{") == table.count("}") - table.count(r"\}")
    assert "95.0\\%" in table or "100.0\\%" in table  # the percent sign is escaped


def test_user_text_is_escaped_everywhere(result_sets, quick_render, monkeypatch, tmp_path):
    original = optimizers.describe

    def hostile_describe(name, variant):
        info = original(name, variant)
        return dataclasses.replace(info, title=f"SGD {HOSTILE}") if name == "sgd" else info

    monkeypatch.setattr(optimizers, "describe", hostile_describe)
    sets = [dataclasses.replace(result_set) for result_set in result_sets]
    for result_set in sets:
        result_set.experiment = f"{result_set.experiment} {HOSTILE}"
        result_set.description = f"described {HOSTILE}"
        result_set.data = {**result_set.data, "path": f"/data/{HOSTILE}.npz"}
    html, markdown = quick_render(sets, tmp_path, command=f"reportgen build --config '{HOSTILE}'")

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; it&#39;s `tick` $HOME | a_b" in html
    assert _parse(html).errors == []

    # Only inside the code span of the command, where Markdown shows text as it is.
    assert "<script" not in markdown.replace(f"``reportgen build --config '{HOSTILE}'``", "")
    escaped = equations.escape_markdown(HOSTILE)
    assert r"&lt;script\>alert(" in escaped and r"\`tick\` \$HOME \| a\_b" in escaped
    assert f"described {escaped}" in markdown  # the summary
    assert f"| path | /data/{escaped}.npz |" in markdown  # a table cell
    assert f"SGD {escaped}" in markdown  # a method title
    assert f"``reportgen build --config '{HOSTILE}'``" in markdown  # the command, as code

    table = (tmp_path / "paper" / "results.tex").read_text(encoding="utf-8")
    assert r"seed-2018 \textless{}script\textgreater{}alert" in table and r"\$HOME" in table and r"a\_b" in table
    assert r"\multicolumn{9}{l}{\textit{seed-2018 \textless{}" in table


def test_build_date_only_with_source_date_epoch(result_sets, quick_render, monkeypatch, tmp_path):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html, markdown = quick_render(result_sets, tmp_path / "plain")
    assert "(UTC" not in html and "(UTC)" not in markdown
    # Without it only the citation is dated (a citation needs a date): today's
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    before_citation = html[: html.index('<h2 id="cite-this-report">')] + markdown[: markdown.index("## Cite this report")]
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", before_citation)
    assert f"on {today};" in html and f"date-released: \"{today}\"" in (tmp_path / "plain" / "CITATION.cff").read_text()

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1609459200")  # 2021-01-01 00:00 UTC
    html, markdown = quick_render(result_sets, tmp_path / "dated")
    assert "built 2021-01-01 (UTC" in html and "on 2021-01-01 (UTC)" in markdown
    assert "year = {2021}" in html and 'date-released: "2021-01-01"' in (tmp_path / "dated" / "CITATION.cff").read_text()

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        quick_render(result_sets, tmp_path / "bad")


def test_sweep_block_only_when_given(result_sets, quick_render, tmp_path):
    html, markdown = quick_render(result_sets, tmp_path, sweeps=[])
    assert html.index('<h2 id="learning-rate-sensitivity">') < html.index('<h2 id="references">')
    assert markdown.index("## Learning-rate sensitivity") < markdown.index("## References")
    assert '<a href="#learning-rate-sensitivity">' in html


def test_without_stored_ablations_the_report_says_how_to_run_them(result_sets, quick_render, tmp_path):
    html, markdown = quick_render(result_sets[:1], tmp_path)
    assert "not measured in this build: run <code>reportgen ablate</code>" in html
    assert "not measured in this build: run `reportgen ablate`" in markdown
    assert (tmp_path / "data" / "ablations.csv").read_text() == "experiment,direction,method,quirk,seed,baseline_final_cost,arm_final_cost\n"
    assert _parse(html).errors == []


def test_no_results_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no results"):
        render_report([], tmp_path)


def test_templates_found_from_the_source_tree():
    directory = templates.templates_dir()
    assert (directory / "index.html.j2").is_file() and (directory / "derivations" / "backprop.md").is_file()
    assert directory.resolve() == (Path(__file__).resolve().parent.parent / "templates").resolve()


def test_first_screen_gives_the_takeaway_and_the_main_figure(built, result_sets):
    html = _html(built)
    header = html[html.index("<header") : html.index("</header>")]
    analysis = analyse(result_sets)
    assert 1 <= len(analysis.takeaway) <= 3
    for sentence in analysis.takeaway:  # each is a finding or the start of one, so the findings' tests cover its numbers
        assert any(finding.startswith(sentence) for finding in analysis.findings), sentence
        assert f"<p>{escape_html(sentence)}</p>" in header
    assert f'id="figure-{figures.figure_slug(result_sets[0].experiment, "cost")}"' in header
    assert html.count(f'id="figure-{figures.figure_slug(result_sets[0].experiment, "cost")}"') == 1


def test_no_paragraph_printed_twice(built):
    html, markdown = _html(built), _markdown(built)
    paragraphs = [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", html, re.S)]
    repeated = {text for text in paragraphs if len(text) > 40 and paragraphs.count(text) > 1}
    assert not repeated
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)  # code is checked by the test above
    paragraphs = [text for text in prose.split("\n\n") if len(text) > 40 and not text.startswith(("#", "|"))]
    assert not {text for text in paragraphs if paragraphs.count(text) > 1}


def test_citation_with_version_and_date(built, monkeypatch, result_sets, quick_render, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764633600")  # 2025-12-02
    html, markdown = quick_render(result_sets, tmp_path)
    cff = (tmp_path / "CITATION.cff").read_text()
    version = reportgen.__version__
    assert f'version: "{version}"' in cff and 'date-released: "2025-12-02"' in cff and cff.startswith("cff-version: 1.2.0\n")
    bibtex = re.search(r'<pre class="bibtex"[^>]*><code>(.*?)</code></pre>', html, re.S)[1]
    assert bibtex.startswith("@misc{reportgen-") and "year = {2025}" in bibtex and f"version = {{{version}}}" in bibtex
    assert bibtex.count("{") == bibtex.count("}")
    assert "```bibtex\n" + unescape(bibtex) in markdown


def test_small_files_travel_inside_the_page(built):
    """A copy of index.html alone keeps the download links of the small files: each is a data: URL with the file's bytes."""
    out, _ = built
    html = _html(built)
    links = dict(re.findall(r'<a href="data:[^;]+;charset=utf-8;base64,([^"]+)" download="([^"]+)">', html))
    names = {name: data for data, name in links.items()}
    for relative in ("data/verification.csv", "data/ablations.csv", "paper/results.tex", "CITATION.cff"):
        path = out / relative
        assert path.stat().st_size <= render_module.EMBED_LIMIT
        assert base64.b64decode(names[path.name]) == path.read_bytes(), relative
    assert "metrics.json" not in names and (out / "data" / "metrics.json").stat().st_size > 0


def test_every_heading_and_figure_has_a_visible_permalink(built):
    html = _html(built)
    headings = re.findall(r'<h([2-6]) id="([^"]+)">(.*?)</h\1>', html, re.S)
    assert len(headings) > 40
    for _, anchor, content in headings:
        assert re.search(rf'<a class="permalink" href="#{re.escape(anchor)}" aria-label="Link to [^"]+">#</a>$', content), anchor
    for slug in re.findall(r'<figure class="chart" id="figure-([^"]+)">', html):
        assert f'<a class="permalink" href="#figure-{slug}"' in html, slug
    assert "a.permalink" in html  # styled: visible, quiet until pointed at
