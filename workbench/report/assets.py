"""The static HTML report's stylesheet and script, inlined into every report (no CDN, no fonts, no images).

Kept as Python strings, not data files, so they ship with the package without a
package-data entry. The Content-Security-Policy in the page allows only these inline
blocks: nothing is fetched when the report is opened.
"""

from __future__ import annotations

__all__ = ["CSP", "CSS", "JS"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --ok: #7fc97f; --partial: #fdc86e; --bad: #f28e8e; --none: #eeeeee; --ink: #1f2328; --muted: #656d76;
        --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--ink); background: var(--bg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 6px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.metrics td:first-child { font-weight: 600; white-space: nowrap; }
.ci { color: var(--muted); font-size: 12px; }
.grid td.cell { text-align: center; min-width: 64px; font-variant-numeric: tabular-nums; }
.grid td.cell a { color: inherit; text-decoration: none; display: block; }
.grid td.q { max-width: 520px; }
.ok { background: var(--ok); } .partial { background: var(--partial); } .bad { background: var(--bad); }
.none { background: var(--none); color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
svg.chart { background: var(--bg); border: 1px solid var(--line); max-width: 100%; height: auto; }
svg .grid { stroke: #e6e8eb; } svg .frame { fill: none; stroke: var(--line); }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); } svg .axis { font-size: 12px; }
svg .tick { fill: var(--muted); }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details[open] { background: var(--soft); }
summary { cursor: pointer; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 6px 8px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.finding { margin: 2px 0; } .sev-error { color: #b42318; font-weight: 600; }
.sev-warning { color: #9a6700; font-weight: 600; } .sev-info { color: var(--muted); font-weight: 600; }
.trial { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { details { break-inside: avoid; } }
"""

# Open the failure a grid cell links to; filter the grid to questions some variant got wrong.
JS = """
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  var box = document.getElementById('only-failing');
  if (box) {
    box.addEventListener('change', function () {
      var rows = document.querySelectorAll('table.grid tbody tr');
      for (var i = 0; i < rows.length; i++) {
        rows[i].style.display = box.checked && rows[i].getAttribute('data-all-correct') === '1' ? 'none' : '';
      }
    });
  }
})();
"""
