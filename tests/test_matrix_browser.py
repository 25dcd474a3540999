"""The HTML matrix in a real headless browser (Debian's chromium): it renders, a click on a cell
opens that cell's drill-down, and the filter hides the rows that do not match.

The screenshot goes to pytest's tmp folder, never into the repository. Without chromium these
tests skip; ``.ci/run`` installs it, so CI runs them.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conformance import matrix, matrix_html
from tests import matrix_reports as fixtures

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)
# A closed network and no screen: no background connections, no GPU, no sandbox (root in CI).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1200,900",
    "--virtual-time-budget=3000",
]
# Stands in for a reader: clicks the failing cell, then types into the filter.
READER = """
<script>
document.querySelector("td.state-fails a").click();
var filter = document.getElementById("filter");
filter.value = "autograd";
filter.dispatchEvent(new Event("input"));
</script>
"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"  # a fresh profile per run
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


class Elements(HTMLParser):
    """Every element's tag and attributes, in document order."""

    def __init__(self, text: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def having(self, tag: str, cls: str) -> list[dict]:
        return [a for t, a in self.found if t == tag and cls in (a.get("class") or "").split()]


@pytest.fixture
def page(tmp_path):
    reports = [
        fixtures.write(tmp_path / "reference.json", fixtures.conforming()),
        fixtures.write(tmp_path / "toy.json", fixtures.toy()),
    ]
    path = tmp_path / "matrix.html"
    path.write_text(matrix_html.as_html(matrix.build([matrix.load(p) for p in reports])))
    return path


def test_page_renders_to_a_screenshot(tmp_path, page):
    shot = tmp_path / "matrix.png"
    chromium(tmp_path, f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a rendered table, not a blank page


def test_click_opens_the_cells_drill_down_and_the_filter_hides_rows(tmp_path, page):
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.read_text().replace("</body>", READER + "</body>"))
    dom = chromium(tmp_path, "--dump-dom", clicked.as_uri()).stdout
    elements = Elements(dom)

    sections = elements.having("section", "drill")
    opened = [s for s in sections if "hidden" not in s]
    assert len(sections) == 3 + 9 and len(opened) == 1, "one drill-down open after the click"
    assert opened[0]["data-capability"] == "autograd.backward"
    assert "open" in opened[0]["class"]
    assert elements.having("td", "selected")[0]["data-state"] == "fails"
    shown = dom.split(f'id="{opened[0]["id"]}"', 1)[1].split("</section>", 1)[0]
    for text in ["autograd.chain_grad", "got 12 &lt;|&gt;", "# reproduce autograd.chain_grad"]:
        assert text in shown

    rows = elements.having("tr", "row")
    visible = [r["data-search"].split()[0] for r in rows if "hidden" not in r]
    assert visible == ["autograd.backward", "autograd.accumulate", "autograd.no_grad"]
    chapters = [c["data-chapter"] for c in elements.having("tr", "chapter") if "hidden" not in c]
    assert chapters == ["autograd"]


def test_a_link_to_a_cell_opens_its_drill_down(tmp_path, page):
    dom = chromium(tmp_path, "--dump-dom", page.as_uri() + "#d-0").stdout
    opened = [s for s in Elements(dom).having("section", "drill") if "hidden" not in s]
    assert [s["id"] for s in opened] == ["d-0"]
    shot = tmp_path / "drill.png"
    chromium(tmp_path, f"--screenshot={shot}", page.as_uri() + "#d-3")
    assert shot.stat().st_size > 20_000


# Stands in for a reader who clicks a failing cell, then measures where things are.
MEASURE = """
<script>
document.querySelector("td.state-fails a").click();
function box(element) { return element.getBoundingClientRect(); }
var cell = box(document.querySelector("td.selected"));
var panel = box(document.querySelector("section.drill.open"));
var apart = panel.left >= cell.right || panel.right <= cell.left ||
    panel.top >= cell.bottom || panel.bottom <= cell.top;
document.body.setAttribute("data-drill-beside-cell", String(apart));
var failures = box(document.getElementById("failures"));
var table = box(document.getElementById("matrix"));
document.body.setAttribute("data-failures-above-table", String(failures.bottom <= table.top));
document.body.setAttribute("data-failures-in-view", String(failures.top < window.innerHeight));
</script>
"""


def test_failures_come_first_and_the_drill_down_opens_beside_the_cell(tmp_path, page):
    measured = tmp_path / "measured.html"
    measured.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    dom = chromium(tmp_path, "--dump-dom", measured.as_uri()).stdout
    (body,) = [attributes for tag, attributes in Elements(dom).found if tag == "body"]
    assert body.get("data-drill-beside-cell") == "true", body
    assert body.get("data-failures-above-table") == "true", body
    assert body.get("data-failures-in-view") == "true", body
