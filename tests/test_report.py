"""The static HTML report: valid HTML, self-contained (nothing fetched), holds the run's numbers, escapes model output."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _run_records import BAD_FINDING, BAD_SPEC, HOSTILE, QUESTIONS, record_run
from browser_harness import chromium  # noqa: F401  (fixture)

from workbench.cli import main
from workbench.evaluation.run import EvalRun
from workbench.export.bundle import export_bundle
from workbench.report.html import render_report
from workbench.report.svg import nice_ticks
from workbench.store.runs import RunStore

CRITIC = {
    "severity": "warning", "code": "critic_value", "path": "filters[0].value",
    "message": "the question names android, the query filters on another value", "suggestion": "app.platform = android",
}  # fmt: skip
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    """Strict structure check: every element closed in order, attributes that could fetch anything recorded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.fetching: list[tuple[str, str, str]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self.doctype = False
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "svg" not in self.stack:  # SVG has its own <title> (tooltips)
            self.tags.append(tag)
        for name, value in attrs:
            value = value or ""
            if name == "id":
                self.ids.append(value)
            if name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
                if name == "href" and value.startswith("#"):
                    self.links.append(value[1:])
                else:
                    self.fetching.append((tag, name, value))
            if name == "style" and "url(" in value:
                self.fetching.append((tag, name, value))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(page: str) -> Checker:
    c = Checker()
    c.feed(page)
    c.close()
    assert c.doctype, "no <!DOCTYPE html>"
    assert not c.problems, c.problems[:5]
    assert not c.stack, f"unclosed: {c.stack}"
    assert [t for t in c.tags if t in ("html", "head", "body", "title")] == ["html", "head", "title", "body"]
    assert not c.fetching, f"would fetch: {c.fetching[:5]}"  # no src/href out of the page at all
    assert "link" not in c.tags and "img" not in c.tags and "iframe" not in c.tags
    assert len(c.ids) == len(set(c.ids)), "duplicate ids"
    assert set(c.links) <= set(c.ids), "a link to a missing anchor"
    assert "@import" not in page and not re.search(
        r"https?://", page.split("<body>", 1)[0].split("</title>", 1)[1]
    )
    return c


@pytest.fixture
def run(tmp_path: Path):
    store = tmp_path / "runs.duckdb"
    run_id = record_run(store)
    return RunStore(store).load_run(run_id), store


def test_report_is_valid_self_contained_html(run) -> None:
    loaded, _ = run
    page = render_report([loaded])
    checked = check(page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg") == 2  # the scatter and the latency bars, inline
    assert "<script>" in page and "<script src" not in page
    assert any("q3" in i for i in checked.ids)  # failures have anchors the grid links to


def test_report_holds_the_numbers_of_the_run(run) -> None:
    loaded, _ = run
    page = render_report([loaded])
    text = " ".join(check(page).text)
    assert loaded.run_id in text
    for v in EvalRun.from_run(loaded).variants:
        m = v.metrics
        assert f"{100 * m.accuracy:.1f}%" in text
        lo, hi = m.accuracy_ci_questions
        assert f"[{100 * lo:.1f}, {100 * hi:.1f}]" in text
        assert f"{100 * m.pass_k:.1f}%" in text
        assert f"{100 * m.valid_rate:.1f}%" in text
        assert f"${m.cost_usd:.4f}" in text
        assert f"{m.latency_ms_p50:,.0f} ms" in text and f"{m.latency_ms_p95:,.0f} ms" in text
        assert f"{m.tokens_in_mean:,.0f}" in text
    # known values of the recorded run: naive 5/9 correct, compact 8/9; pass^3 1/3 and 2/3
    assert "55.6%" in text and "88.9%" in text and "33.3%" in text and "66.7%" in text
    for q in QUESTIONS:
        assert q.question in text
    assert "2/3" in text and "0/3" in text and "3/3" in text  # the per-question grid
    assert "compact vs naive" in text  # the paired comparison
    assert "cost per 1,000 questions" in text  # priced trials: the scatter uses cost


def test_failures_show_query_findings_and_sql_escaped(run) -> None:
    loaded, _ = run
    page = render_report([loaded])
    text = " ".join(check(page).text)
    assert HOSTILE not in page  # model output is escaped, never markup
    assert "&lt;script&gt;alert(" in page
    assert BAD_FINDING["code"] in text and BAD_FINDING["suggestion"] in text
    # the SQL as sqlglot's pretty printer lays it out (a clause a line; the comment kept), in a box that scrolls
    assert re.search(
        r'<pre class="sql">SELECT\n  COUNT\(\*\)\nFROM &#34;events&#34; /\* naive q3 0 \*/</pre>', page
    )
    assert "gold query" in text and "COUNT_DISTINCT" in text


def test_failures_show_each_query_as_a_builder_with_the_clauses_that_differ_from_the_gold(run) -> None:
    from workbench.spec.view import clause_text, query_view

    loaded, _ = run
    page = render_report([loaded])
    gold, view = QUESTIONS["q3"].gold, query_view(BAD_SPEC, against=QUESTIONS["q3"].gold)
    assert view.differ  # the bad query differs from the gold somewhere
    section = page[page.index('id="f0-q3"') :]
    section = section[: section.find('<details id="', 1)]  # up to the next failure
    marked = re.findall(r'<tr class="clause diff" data-clause="([^"]+)">', section)
    assert set(marked) == set(view.differ)  # the clauses the widgets mark, marked here too
    assert f"differs from gold in: {', '.join(view.differ)}" in section
    for row in view.rows:
        if row.differs:
            assert escape(f"gold: {row.want}", quote=True).replace("&#x27;", "&#39;") in section
    from workbench.spec.view import builder_or_none

    gold_clauses = builder_or_none(gold)
    assert (
        escape(clause_text(gold_clauses, "VISUALIZE"), quote=True) in section
    )  # the gold's own builder form
    assert '<details class="raw-json"><summary>raw JSON</summary>' in section  # the JSON one click away
    assert "&#34;calculations&#34;" in section and '<pre>{"calculations"' not in section


def test_failures_read_each_query_back_and_mark_the_critics_warnings(run) -> None:
    from workbench.spec.readback import readback

    loaded, _ = run
    failing = [t for t in loaded.trials if not t["correct"] and t.get("valid") and t.get("spec")]
    assert failing
    loaded.trials[loaded.trials.index(failing[0])]["findings"] = [CRITIC]
    page = render_report([loaded])
    text = " ".join(check(page).text)
    for t in failing:
        assert readback(t["spec"]) in text
    assert readback(QUESTIONS["q3"].gold) in text  # the gold, read back, next to the question
    (marked,) = re.findall(r'<div class="finding critic">(.*?)</div>', page)
    assert CRITIC["message"] in marked and CRITIC["suggestion"] in marked
    assert page.count("finding critic") == 1  # only the critic's warning is marked


def test_the_metrics_table_has_critic_rates_with_a_dash_when_unmeasured(run) -> None:
    from workbench.report.html import _metric_rows

    loaded, _ = run
    m = EvalRun.from_run(loaded).variant("compact").metrics
    rows = dict(_metric_rows("pass^3"))
    recall, false_alarm = (
        rows["critic recall (wrong trials warned)"],
        rows["critic false alarm (correct trials warned)"],
    )
    assert recall(m) == ("0.0%", None) and false_alarm(m) == (
        "0.0%",
        None,
    )  # no trial carries a critic warning
    assert recall(replace(m, critic_recall=None)) == ("-", None)
    assert false_alarm(replace(m, critic_false_alarm=0.25)) == ("25.0%", None)
    assert "critic recall (wrong trials warned)" in " ".join(check(render_report([loaded])).text)


def test_report_compares_runs(run, tmp_path: Path) -> None:
    first, store = run
    second = RunStore(store).load_run(record_run(store, name="again", variants=("compact",)))
    page = render_report([first, second], title="before & after")
    text = " ".join(check(page).text)
    assert "before & after" in text and "<title>before &amp; after</title>" in page
    assert f"compact ({first.run_id})" in text and f"compact ({second.run_id})" in text
    assert f"compact ({second.run_id}) vs compact ({first.run_id})" in text


def test_report_cli_from_the_log_and_from_a_bundle(run, tmp_path: Path, capsys) -> None:
    loaded, store = run
    out = tmp_path / "report.html"
    assert main(["report", loaded.run_id[:-1], "--out", str(out), "--store", str(store)]) == 0
    assert "wrote the report of 1 run(s)" in capsys.readouterr().out
    check(out.read_text(encoding="utf-8"))
    bundle = export_bundle([loaded.run_id], tmp_path / "b.wbundle", store=store)
    out2 = tmp_path / "from-bundle.html"
    assert main(["report", str(bundle), "--out", str(out2)]) == 0
    assert loaded.run_id in out2.read_text(encoding="utf-8")
    assert main(["report", "r-nope", "--out", str(out2), "--store", str(store)]) == 2


def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    ticks = nice_ticks(0, 17784)
    assert ticks[0] == 0 and ticks[-1] >= 17784 and len(ticks) <= 7


@pytest.mark.browser
def test_report_opens_offline_in_a_browser(chromium, run, tmp_path: Path) -> None:  # noqa: F811
    loaded, _ = run
    path = tmp_path / "report.html"
    path.write_text(render_report([loaded]), encoding="utf-8")
    page = chromium.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri() + "#f1-q3")
        assert page.locator("#f1-q3").evaluate("e => e.open")  # the grid's link opened its failure
        assert page.locator("svg.chart").count() == 2
        page.check("#only-failing")
        visible = page.locator("table.grid tbody tr:visible").count()
    finally:
        page.close()
    assert [url.split("#")[0] for url in requests] == [path.as_uri()]  # the page itself, nothing else
    assert not errors
    assert visible == 2  # q2 and q3: some variant got them wrong
