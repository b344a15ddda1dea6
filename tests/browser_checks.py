"""A built report checked as a reader's browser shows it, and by the W3C Nu HTML checker.

Debian's chromium, driven through its chromium-driver by Selenium, with no download: the driver's path is
given, so Selenium Manager never runs. axe-core (accessibility) and vnu.jar (HTML) are the npm packages
that tests/package.json pins, installed by ``npm ci --prefix tests --ignore-scripts``; vnu needs Java. ``.ci/run`` installs
all of them. tests/test_browser.py asserts these checks on a fixture report; for any built report::

    python tests/browser_checks.py output/index.html

prints the measurements (page heights, overflow, unlaid math and figures, console errors, requests,
axe violations, vnu errors). Phone widths are emulated as a phone (overlay scrollbars, the page's
meta viewport), the desktop width as a desktop window.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
DESKTOP, PHONES = 1280, (390, 360)
INSTALL = "apt-get install -y --no-install-recommends chromium chromium-driver"
NPM = "npm ci --prefix tests --ignore-scripts"  # vnu-jar's install script would download a Java runtime
# The probe's flags: no background connections of the browser's own (they are refused here, and are not the page's).
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic")

# A short, findable name for an element: tag#id.class, the nearest section (its id or the id of its heading),
# the start of its text.
_DESCRIBE = """
const name = el => el.id || el.getAttribute('aria-labelledby') || '';
const describe = el => {
  const classes = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const anchor = el.parentElement && el.parentElement.closest('[id], [aria-labelledby]');
  const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
  return el.localName + (el.id ? '#' + el.id : '') + classes + (anchor ? ' in #' + name(anchor) : '') + (text ? ` "${text}"` : '');
};
"""
# Outermost elements past the right edge of the viewport; the inside of an element that scrolls or clips
# horizontally by design (overflow-x auto, scroll, hidden, clip: a wide table's wrapper, an svg) is not
# searched, but such an element that itself sticks out is listed.
_OVERFLOW = _DESCRIBE + """
const limit = document.documentElement.clientWidth, found = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT, {acceptNode(el) {
  const rect = el.getBoundingClientRect();
  if (rect.right > limit + 0.5 && rect.width > 0) {
    found.push(`${describe(el)}: right edge ${Math.round(rect.right)} px, width ${Math.round(rect.width)} px`);
    return NodeFilter.FILTER_REJECT;
  }
  const clips = ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  return clips || el.localName === 'svg' ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
}});
while (walker.nextNode());
return [document.documentElement.scrollWidth, limit, found];
"""
_UNLAID = _DESCRIBE + """
return [...document.querySelectorAll('math, svg:not(svg svg)')].filter(el => {
  const rect = el.getBoundingClientRect();
  return rect.width === 0 || rect.height === 0;
}).map(describe);
"""
# The page's parts (the children of <body> and of <main>) by height, tallest first.
_PARTS = _DESCRIBE + """
return [...document.querySelectorAll('body > :not(main), main > *')].map(el =>
  [name(el) ? '#' + name(el) : describe(el).split(' ')[0], Math.round(el.getBoundingClientRect().height)]).sort((a, b) => b[1] - a[1]);
"""
_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  results => done(results.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes[0].target.join(' '), v.help])),
  error => done(String(error)));
"""


def missing() -> str:
    """What the browser checks need and this machine lacks, with how to install it; empty when nothing is missing."""
    lacking = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    needs = [] if importlib.util.find_spec("selenium") else ["the Python package selenium: pip install '.[test]'"]
    if lacking:
        needs.append(f"Debian's chromium and chromium-driver ({', '.join(lacking)} not found): {INSTALL}")
    if not AXE.is_file():
        needs.append(f"the npm package axe-core ({AXE} not found): {NPM}")
    return "; ".join(needs) + ("; .ci/run installs them" if needs else "")


@contextlib.contextmanager
def browser():
    """A headless chromium that keeps its console (all levels) and its network events for the checks."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(600)  # axe on a whole report
    try:
        yield driver
    finally:
        driver.quit()


def show(driver, width: int, details_open: bool) -> None:
    """The page at ``width`` CSS pixels with every <details> open or closed."""
    phone = width < 800
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": phone})
    driver.execute_script("document.querySelectorAll('details').forEach(d => { d.open = arguments[0]; });", details_open)


def height(driver, width: int, details_open: bool) -> int:
    show(driver, width, details_open)
    return driver.execute_script("return document.documentElement.scrollHeight;")


def parts(driver) -> list[tuple[str, int]]:
    """(name, height in px) of the page's parts, tallest first, as shown now."""
    return [tuple(part) for part in driver.execute_script(_PARTS)]


def overflow(driver, width: int) -> tuple[int, int, list[str]]:
    """(scrollWidth, clientWidth, the elements that stick out) at ``width`` with every <details> open."""
    show(driver, width, True)
    return tuple(driver.execute_script(_OVERFLOW))


def unlaid(driver) -> list[str]:
    """The <math> elements and <svg> figures laid out with zero width or height (every <details> open)."""
    show(driver, DESKTOP, True)
    return driver.execute_script(_UNLAID)


def console_errors(driver) -> list[str]:
    """The SEVERE console messages logged since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requests(driver) -> list[str]:
    """Every URL the page asked for since the last call, but its own and inline data: URLs (DevTools network
    events, and the page's resource timing entries)."""
    page = driver.current_url
    asked = [entry["params"]["request"]["url"] for entry in map(_event, driver.get_log("performance")) if entry["method"] == "Network.requestWillBeSent"]
    asked += driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    return sorted({url for url in asked if url != page and not url.startswith("data:")})


def _event(entry: dict) -> dict:
    return json.loads(entry["message"])["message"]


def axe_violations(driver) -> list[tuple[str, str, int, str, str]]:
    """axe-core's violations with every <details> open: (rule, impact, count, first target, help)."""
    show(driver, DESKTOP, True)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(_AXE_RUN)
    if isinstance(result, str):
        raise RuntimeError(f"axe-core failed: {result}")
    return [tuple(violation) for violation in result]


def version(package: str) -> str:
    """The version of an npm package installed under tests/node_modules."""
    return json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]


def vnu_missing() -> str:
    needs = [] if shutil.which("java") else ["Java (apt-get install -y --no-install-recommends default-jre-headless)"]
    needs += [] if VNU.is_file() else [f"the npm package vnu-jar ({VNU} not found): {NPM}"]
    return "; ".join(needs) + ("; .ci/run installs them" if needs else "")


def vnu_errors(path: Path) -> list[str]:
    """The Nu HTML checker's errors, one line per message: the message, how often, the first lines it is on."""
    run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", str(path)], capture_output=True, text=True)
    try:
        messages = json.loads(run.stdout)["messages"]
    except ValueError:
        raise RuntimeError(f"vnu.jar gave no report (exit code {run.returncode}): {run.stderr.strip()}") from None
    lines: dict[str, list] = {}
    for message in messages:
        lines.setdefault(f"{message['type']}: {message['message']}", []).append(message.get("lastLine", "?"))
    return [f"{text} ({len(at)}x, line {', '.join(map(str, at[:5]))}{', ...' if len(at) > 5 else ''})" for text, at in lines.items()]


def measure(path: Path) -> None:
    """Print every measurement of the report at ``path``."""
    with browser() as driver:
        driver.get(path.resolve().as_uri())
        for width in (DESKTOP, *PHONES):
            print(f"height at {width} px: {height(driver, width, False)} px with <details> closed, {height(driver, width, True)} px open")
        show(driver, DESKTOP, False)
        print(f"parts at {DESKTOP} px, <details> closed:", *(f"{name}: {part} px" for name, part in parts(driver)), sep="\n  ")
        for width in PHONES:
            scroll, client, found = overflow(driver, width)
            print(f"overflow at {width} px: scrollWidth {scroll}, clientWidth {client}; {len(found)} elements stick out", *found, sep="\n  ")
        print("math and figures with zero size:", *unlaid(driver) or ["none"], sep="\n  ")
        violations = axe_violations(driver)
        print(f"axe-core {version('axe-core')}: {len(violations)} rules violated",
              *(f"{rule} ({impact}): {count} elements, first {target}: {help}" for rule, impact, count, target, help in violations), sep="\n  ")
        print("console errors:", *console_errors(driver) or ["none"], sep="\n  ")
        print("requests:", *requests(driver) or ["none"], sep="\n  ")
    errors = vnu_errors(path) if not vnu_missing() else [f"not run: needs {vnu_missing()}"]
    print(f"vnu: {len(errors)} distinct errors", *errors, sep="\n  ")


if __name__ == "__main__":
    if len(sys.argv) != 2 or missing():
        sys.exit(missing() or "usage: python tests/browser_checks.py path/to/index.html")
    if not Path(sys.argv[1]).is_file():
        sys.exit(f"{sys.argv[1]}: no such file (build a report first: reportgen build)")
    measure(Path(sys.argv[1]))
