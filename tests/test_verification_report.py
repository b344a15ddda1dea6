"""The Verification section of a real build: its tables read back against data/verification.csv, and a failed check shown loudly.

The numbers are read from the CSV with the csv module and formatted here at
the report's 4 significant digits; each row's verdict is recomputed as value
<= tolerance, never taken from the code that wrote it.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import math
import re
import shutil

import fixtures
import pytest

from reportgen import cli, optimizers, verification
from reportgen.verification import gradient, parity

TABLES = ("gradient", "libraries", "schedules", "engine")  # in order: every library's trajectories share a table, the lr sequences have their own


def table_of(check: str) -> str:
    """Which table a row of verification.csv belongs in, by its check column."""
    if check in ("gradient", "engine"):
        return check
    return "schedules" if check.endswith(" schedules") else "libraries"


def digits(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "n/a"


def read_csv(out) -> list[dict]:
    with open(out / "data" / "verification.csv", newline="") as stream:
        return list(csv.DictReader(stream))


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def html_tables(out) -> list[list[dict]]:
    """Each table of the HTML Verification section as rows of {header: cell text}."""
    text = section((out / "index.html").read_text(), '<section aria-labelledby="verification">', "</section>")
    tables = []
    for table in re.findall(r"<table.*?</table>", text, re.DOTALL):
        headers = [html.unescape(re.sub(r"<.*?>", "", cell)) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table)]
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.DOTALL)
        cells = [[html.unescape(re.sub(r"<.*?>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)] for row in rows]
        tables.append([dict(zip(headers, row)) for row in cells])
    return tables


def markdown_tables(out) -> list[list[dict]]:
    text = section((out / "report.md").read_text(), "## Verification", "## References")
    tables, lines = [], [line for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("| ") and index + 1 < len(lines) and lines[index + 1].startswith("| ---"):
            headers = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows = []
            for row in lines[index + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(dict(zip(headers, [cell.strip().strip("`*").replace("\\_", "_") for cell in row.strip("|").split(" | ")])))
            tables.append(rows)
    return tables


def assert_tables_match(tables, rows):
    assert [len(table) for table in tables] == [sum(table_of(row["check"]) == table for row in rows) for table in TABLES]
    for shown, row in zip([cell for table in tables for cell in table], rows):
        value, tolerance = float(row["value"]), float(row["tolerance"])
        passed = value <= tolerance
        assert row["passed"] == ("true" if passed else "false"), row
        assert shown["Largest deviation"] == digits(value), (shown, row)
        assert shown["Tolerance"] == digits(tolerance), (shown, row)
        assert shown["Result"] == ("pass" if passed else "FAIL"), (shown, row)
        assert row["detail"] in shown.values(), (shown, row)


def test_the_tables_show_the_csv_numbers_and_verdicts(diverging_report):
    out, stderr = diverging_report
    rows = read_csv(out)
    recorded = parity.sources()
    assert len(rows) == 6 + sum(len(source.cases) for source in recorded) + sum(len(source.sequences) for source in recorded) + len(optimizers.every_method())
    assert_tables_match(html_tables(out), rows)
    assert_tables_match(markdown_tables(out), rows)
    assert all(row["passed"] == "true" for row in rows)
    nearest = max(rows, key=lambda row: float(row["value"]) / float(row["tolerance"]))
    sentence = (
        f"All {len(rows)} pass; the one with the least room is {nearest['check']} / {nearest['case']} / {nearest['subject']}, "
        f"{digits(float(nearest['value']))} against {digits(float(nearest['tolerance']))}."
    )
    assert sentence in (out / "index.html").read_text()
    assert sentence in (out / "report.md").read_text().replace("\\_", "_")
    assert "verification failed" not in stderr.lower()
    assert 'class="alert"' not in (out / "index.html").read_text()


def test_the_stated_tolerances_are_the_projects_claims(diverging_report):
    tolerances = {(row["check"], float(row["tolerance"])) for row in read_csv(diverging_report[0])}
    assert tolerances == {
        ("gradient", 1e-6), ("torch", 1e-10), ("torch", 1e-12), ("torch schedules", 1e-12), ("pytorch-optimizer", 1e-10), ("schedulefree", 1e-10),
        ("engine", 1e-12),
    }


@pytest.fixture(scope="module")
def failed_build(diverging_report, tmp_path_factory):
    """The shared report rendered again with a gradient tolerance its rows cannot meet: the build's exit code, stderr and output."""
    out = tmp_path_factory.mktemp("failed") / "out"
    shutil.copytree(diverging_report[0], out)
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.setattr(verification, "verify", fixtures.verify)  # the real checks, not the session's stored run
        patch.setattr(gradient, "TOLERANCE", 1e-13)
        code = cli.main(["render", "--config", str(diverging_report[0].parent / "diverging.toml"), "--out", str(out)])
    return code, stderr.getvalue(), out


def test_a_failed_check_still_builds_and_is_shown_loudly(failed_build):
    code, stderr, out = failed_build
    assert code == 0
    rows = read_csv(out)
    failed = [row for row in rows if float(row["value"]) > float(row["tolerance"])]
    assert [row["check"] for row in failed] == ["gradient"] * 6
    assert stderr.count("reportgen: warning: verification failed: gradient") == 6
    page, markdown = (out / "index.html").read_text(), (out / "report.md").read_text()
    summary = f"{len(failed)} of {len(rows)} checks"
    assert re.search(rf'<p class="alert" role="alert"><strong>Verification failed:</strong> {summary} ', page)
    assert f"> **Verification failed:** {summary} " in markdown
    assert page.index('class="alert"') < page.index('<nav class="toc"')  # before the contents, where no reader misses it
    assert f"{summary} failed" in page and f"**{summary} failed**" in markdown
    assert_tables_match(html_tables(out), rows)
    assert_tables_match(markdown_tables(out), rows)
