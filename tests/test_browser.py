"""The report as a reader's browser shows it: Debian's headless chromium, driven by Selenium (tests/browser_checks.py).

The page is a fixture report built from synthetic results shaped like the default build (two experiments,
twelve methods), so its height stands for the real one's. Missing chromium, chromium-driver, Java or the npm
checkers make these tests fail with what to install; they are never skipped. Marked ``slow``: they start a
browser and Java.
"""

from __future__ import annotations

import browser_checks as checks
import pytest
from fixtures import make_pair, render_report

pytestmark = pytest.mark.slow

PHONE = 360
MOST_HEIGHT = 15_000
# A page that asks for a resource on a closed port of this machine: the request fails at once, and must be seen.
ASKS = '<!doctype html><html lang="en"><title>t</title><p>x</p><img src="http://127.0.0.1:9/x.png" alt="x"></html>'


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    render_report(list(make_pair()), out)
    return out / "index.html"


@pytest.fixture(scope="module")
def page(request):
    """A browser showing the fixture report (built only once the browser is known to be there)."""
    _require("The browser tests need", checks.missing())
    with checks.browser() as driver:
        driver.get(request.getfixturevalue("report").as_uri())
        yield driver


def _require(what: str, missing: str) -> None:
    if missing:
        pytest.fail(f"{what} {missing}", pytrace=False)


def _lines(items) -> str:
    return "".join(f"\n  {item}" for item in items)


def test_no_horizontal_overflow_on_a_phone(page):
    scroll_width, client_width, found = checks.overflow(page, PHONE)
    assert scroll_width <= client_width and not found, (
        f"At {PHONE} px (every <details> open) the page is {scroll_width} px wide for a viewport of {client_width} px; "
        f"{len(found)} elements stick out past the right edge and are not inside an element that scrolls horizontally "
        f"by design:{_lines(found)}"
    )


def test_page_height_on_a_desktop_with_details_closed(page):
    height = checks.height(page, checks.DESKTOP, details_open=False)
    assert height <= MOST_HEIGHT, (
        f"At {checks.DESKTOP} px with every <details> closed the page is {height:,} px tall, more than {MOST_HEIGHT:,}. "
        f"Its parts, tallest first:{_lines(f'{name}: {part:,} px' for name, part in checks.parts(page))}"
    )


def test_every_equation_and_figure_is_laid_out(page):
    unlaid = checks.unlaid(page)
    assert not unlaid, f"{len(unlaid)} <math> or <svg> elements have zero width or height (every <details> open):{_lines(unlaid)}"


def test_no_console_errors(page):
    errors = checks.console_errors(page)
    assert not errors, f"The browser's console logged {len(errors)} errors:{_lines(errors)}"


def test_no_network_request(page):
    for width in (checks.DESKTOP, PHONE):  # anything a width or an open <details> would load
        checks.show(page, width, details_open=True)
    asked = checks.requests(page)
    assert not asked, f"The page asked for {len(asked)} URLs besides its own file:{_lines(asked)}"


def test_no_accessibility_violations(page):
    violations = checks.axe_violations(page)
    assert not violations, f"axe-core {checks.version('axe-core')} found {len(violations)} rules violated (every <details> open):" + _lines(
        f"{rule} ({impact}): {count} elements, first {target}: {help}" for rule, impact, count, target, help in violations
    )


def test_valid_html(request):
    _require("The HTML check needs", checks.vnu_missing())
    errors = checks.vnu_errors(request.getfixturevalue("report"))
    assert not errors, f"The Nu HTML checker (vnu-jar {checks.version('vnu-jar')}) found {len(errors)} distinct errors:{_lines(errors)}"


@pytest.mark.parametrize("html, asked", [(ASKS, ["http://127.0.0.1:9/x.png"]), (ASKS.replace("<img", "<!--img"), [])], ids=["request", "none"])
def test_the_request_and_console_checks_see_a_request(tmp_path, html, asked):
    """The detectors themselves: a page that asks for an image is caught, twice; the same page without it passes."""
    _require("The browser tests need", checks.missing())
    (tmp_path / "page.html").write_text(html)
    with checks.browser() as driver:
        driver.get((tmp_path / "page.html").as_uri())
        assert checks.requests(driver) == asked
        assert bool(checks.console_errors(driver)) == bool(asked)
