"""The conformance matrix as one self-contained HTML page: inline CSS and script, no network.

Failures come first: above the table, a list of the cells whose verdict needs a reader (fails,
blocked, stale baseline, deviates), each linking to its drill-down. Every cell links to a
drill-down section listing the specs about that capability on that target (behaviour, sources,
outcome, message, reproduction). The sections are in the page from the start, hidden, in a
column beside the table (never over it: the clicked cell stays in sight); the script opens one
on a click (``#d-N`` links, so without the script the browser's ``:target`` still shows it) and
filters the rows by the words typed into the filter.
Colours carry the states: the Markdown's emoji marks need an emoji font, which a headless
browser or a CI machine may lack.
"""

from __future__ import annotations

from html import escape

from conformance.capabilities import CAPABILITIES
from conformance.matrix import LEGEND, STATES, Matrix, describe, summary

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c9c9c9; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; position: sticky; top: 0; }
tr.chapter th { background: #e8eef7; font-weight: 600; }
td.cell a { color: inherit; text-decoration: none; display: block; }
td.cell:hover { outline: 2px solid #555; cursor: pointer; }
td.selected { outline: 3px solid #1a56c4; }
.state-conforms { background: #c8efc8; } .state-fails { background: #f6b8b8; }
.state-known-failures { background: #fbd9a5; } .state-blocked { background: #ddc9f2; }
.state-stale { background: #b8e0dc; }
.state-skipped { background: #e4e4e4; } .state-would-pass { background: #d5ecfb; }
.state-deviates { background: #fff0a6; } .state-absent { background: #f3f3f3; color: #777; }
.state-not-claimed { background: #fff; color: #888; } .state-none { color: #aaa; }
#filter { font: inherit; padding: 3px 6px; width: 24em; margin: 0.6em 0; }
.drill { border: 2px solid #1a56c4; padding: 0.8em 1em; margin: 1em 0; max-width: 70em; }
.drill[hidden] { display: none; } .drill:target { display: block; }
#layout { display: flex; gap: 1.2em; align-items: flex-start; }
#layout > .table { flex: 0 1 auto; overflow-x: auto; }
#drilldowns { flex: 1 1 40%; min-width: 22em; position: sticky; top: 1em;
  max-height: calc(100vh - 2em); overflow: auto; }
#drilldowns .drill { margin-top: 0; }
#failures { border-left: 4px solid #b00; padding: 0.3em 1em; margin: 0.8em 0; }
#failures h2 { margin: 0.2em 0; }
.spec { border-top: 1px solid #ddd; padding: 0.4em 0; }
.spec h3 { font-size: 1em; margin: 0.2em 0; }
.outcome-passed .outcome { color: #176b17; } .outcome-failed .outcome { color: #b00; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; max-height: 24em; }
.legend li { margin: 0.1em 0; } .muted { color: #666; }
"""

SCRIPT = """
(function () {
  var sections = document.querySelectorAll("section.drill");
  function open(id) {
    var found = document.getElementById(id);
    if (!found || !found.classList.contains("drill")) return;
    sections.forEach(function (s) {
      s.hidden = s !== found;
      s.classList.toggle("open", s === found);
    });
    document.querySelectorAll("td.selected").forEach(function (c) {
      c.classList.remove("selected");
    });
    var cell = document.querySelector('td.cell a[data-drill="' + id + '"]');
    if (cell) cell.parentNode.classList.add("selected");
    if (history.replaceState) history.replaceState(null, "", "#" + id);
  }
  document.querySelectorAll("a[data-drill]").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      open(a.dataset.drill);
    });
  });
  document.querySelectorAll("button.close").forEach(function (b) {
    b.addEventListener("click", function () {
      var section = b.closest("section");
      section.hidden = true;
      section.classList.remove("open");
    });
  });
  var filter = document.getElementById("filter");
  function apply() {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll("tr.row").forEach(function (row) {
      var text = row.dataset.search;
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep; if (keep) shown++;
    });
    document.querySelectorAll("tr.chapter").forEach(function (head) {
      var rows = document.querySelectorAll('tr.row[data-chapter="' + head.dataset.chapter + '"]');
      head.hidden = Array.prototype.every.call(rows, function (r) { return r.hidden; });
    });
    document.getElementById("shown").textContent = shown + " capabilities shown";
  }
  filter.addEventListener("input", apply);
  apply();
  if (location.hash) open(location.hash.slice(1));
})();
"""


def spec_entry(result: dict) -> str:
    case = f" [{escape(result['case'])}]" if result.get("case") else ""
    outcome = escape(result.get("outcome", ""))
    unclaimed = "" if result.get("claimed", True) else " (not claimed)"
    parts = [
        f'<article class="spec outcome-{outcome}" data-spec="{escape(result["spec"])}">',
        f"<h3><code>{escape(result['spec'])}</code>{case}: "
        f'<span class="outcome">{outcome}</span>{unclaimed}'
        f' <span class="muted">{float(result.get("duration") or 0):.3f} s</span></h3>',
        f'<p class="behaviour">{escape(result.get("behaviour", ""))}</p>',
    ]
    sources = result.get("sources") or []
    if sources:
        parts.append(
            '<ul class="sources">' + "".join(f"<li>{escape(s)}</li>" for s in sources) + "</ul>"
        )
    if result.get("message"):
        parts.append(
            '<details class="message" open><summary>message</summary>'
            f"<pre>{escape(result['message'])}</pre></details>"
        )
    if result.get("reproduction"):
        parts.append(
            '<details class="reproduction"><summary>reproduction</summary>'
            f"<pre>{escape(result['reproduction'])}</pre></details>"
        )
    return "".join(parts) + "</article>"


NEEDS_A_LOOK = ("fails", "blocked", "stale", "deviates")


def failures_section(failures: list[str]) -> str:
    if not failures:
        return '<section id="failures"><h2>Failures</h2><p>none: no cell fails</p></section>'
    return (
        f'<section id="failures"><h2>Failures ({len(failures)})</h2>'
        f"<ul>{''.join(failures)}</ul></section>"
    )


def as_html(matrix: Matrix, *, title: str = "Conformance matrix") -> str:
    heads = "".join(f"<th>{escape(matrix.labels[c.key])}</th>" for c in matrix.columns)
    summaries = "".join(
        "<td>"
        + "<br>".join(
            f'<span class="state-{escape(s)}">{n} {escape(STATES.get(s, ("", s))[1])}</span>'
            for s, n in summary(c).items()
        )
        + "</td>"
        for c in matrix.columns
    )
    rows: list[str] = []
    drills: list[str] = []
    failures: list[str] = []  # links to the cells a reader must look at, in table order
    for chapter, capabilities in matrix.chapters.items():
        rows.append(
            f'<tr class="chapter" data-chapter="{escape(chapter)}">'
            f'<th colspan="{len(matrix.columns) + 1}">{escape(chapter)}</th></tr>'
        )
        for capability in capabilities:
            cells, search = [], [capability, CAPABILITIES.get(capability, "")]
            for column in matrix.columns:
                verdict = column.verdict(capability)
                words = describe(verdict)
                if verdict is None:
                    cells.append(f'<td class="cell state-none">{escape(words)}</td>')
                    continue
                state = verdict.get("state", "")
                drill = f"d-{len(drills)}"
                results = column.results(capability)
                search += [words, state, *(r["spec"] for r in results)]
                cells.append(
                    f'<td class="cell state-{escape(state)}" data-state="{escape(state)}" '
                    f'data-column="{escape(matrix.labels[column.key])}">'
                    f'<a href="#{drill}" data-drill="{drill}">{escape(words)}</a>'
                    "</td>"
                )
                label = f"{capability} on {matrix.labels[column.key]}: {words}"
                if state in NEEDS_A_LOOK:
                    failures.append(
                        f'<li class="state-{escape(state)}"><a href="#{drill}" '
                        f'data-drill="{drill}">{escape(label)}</a></li>'
                    )
                drills.append(
                    f'<section class="drill" id="{drill}" hidden '
                    f'data-capability="{escape(capability)}">'
                    f'<button class="close" type="button">close</button>'
                    f"<h2>{escape(label)}</h2>"
                    f'<p class="muted">{escape(CAPABILITIES.get(capability, ""))}</p>'
                    + (
                        "".join(spec_entry(r) for r in results)
                        or '<p class="muted">no spec result about this capability</p>'
                    )
                    + "</section>"
                )
            rows.append(
                f'<tr class="row" data-chapter="{escape(chapter)}" '
                f'data-search="{escape(" ".join(search).lower())}">'
                f"<th><code>{escape(capability)}</code></th>{''.join(cells)}</tr>"
            )
    runs = "".join(
        f"<li>{escape(matrix.labels[c.key])}: suite {escape(str(c.report.suite.get('version')))}"
        f", catalogue <code>{escape(str(c.report.suite.get('catalogue', ''))[:12])}</code>, "
        f"Python {escape(str(c.report.data.get('environment', {}).get('python', '')))} "
        f"on {escape(str(c.report.data.get('environment', {}).get('platform', '')))} "
        f"({escape(c.report.path)})</li>"
        for c in matrix.columns
    )
    legend = "".join(
        f'<li><span class="state-{s}">{escape(w)}</span>: {escape(LEGEND[s])}</li>'
        for s, (_, w) in STATES.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><ul class="runs">{runs}</ul>'
        '<label>Filter <input id="filter" type="search" '
        'placeholder="capability, state or spec id"></label> <span id="shown" class="muted">'
        "</span>"
        f"{failures_section(failures)}"
        '<div id="layout"><div class="table">'
        f'<table id="matrix"><thead><tr><th>capability</th>{heads}</tr></thead><tbody>'
        f'<tr class="summary"><th>capabilities by state</th>{summaries}</tr>'
        f"{''.join(rows)}</tbody></table>"
        '<p class="muted">Click a cell for its specs.</p></div>'
        f'<div id="drilldowns">{"".join(drills)}</div></div>'
        f'<h2>Legend</h2><ul class="legend">{legend}</ul>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
