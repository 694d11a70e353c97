"""A crafted bundle cannot run script in the report: every value is escaped and the CSP allows only the page's own script.

The bundle is a real export whose run record was rewritten with markup in the fields a
report shows (summary fields, question text, variant name, findings, spec values,
variant text and params), its member hashes recomputed as an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _run_records import record_run
from browser_harness import chromium  # noqa: F401  (fixture)

from workbench.export.bundle import MANIFEST, export_bundle, load_bundle
from workbench.report.html import render_report

SCRIPT = "<script>window.__pwned = (window.__pwned || 0) + 1; document.title = 'pwned'</script>"
ATTR = '"><img src=x onerror="window.__pwned=1">'
CLOSE = "</pre></details>" + SCRIPT
PAYLOADS = (SCRIPT, ATTR, CLOSE)
VARIANT = "naive" + SCRIPT  # a variant named with markup


def _craft(record: dict) -> dict:
    s = record["summary"]
    s.update(n_trials=SCRIPT, name=ATTR, status=CLOSE, dataset_identity=SCRIPT, question_set_name=ATTR,
             settings={"imported_from": {"run_id": SCRIPT}})  # fmt: skip
    s["variants"] = [VARIANT if v == "naive" else v for v in s["variants"]]
    for q in record["questions"]:
        q["question"] = f"{q['question']} {CLOSE}"
        q["tags"] = [ATTR]
        q["gold"] = {**(q["gold"] or {}), "limit": SCRIPT}
    for v in record["variants"]:
        if v["variant"] == "naive":
            v.update(
                variant=VARIANT, model=ATTR, variant_text=CLOSE, variant_hash=SCRIPT, params={"x": SCRIPT}
            )
    for t in record["trials"]:
        if t["variant"] == "naive":
            t["variant"] = VARIANT
        if not t["correct"]:
            t["findings"] = [
                {"severity": ATTR, "code": SCRIPT, "message": CLOSE, "path": ATTR, "suggestion": SCRIPT}
            ]
            t["spec"] = {"filters": [{"column": ATTR, "op": "=", "value": SCRIPT}]}
            t.update(sql=CLOSE, error=SCRIPT, outcome=ATTR)
    return record


def crafted_bundle(tmp_path: Path) -> Path:
    """Export a recorded run, rewrite its record with markup, re-sign the members' hashes."""
    store = tmp_path / "runs.duckdb"
    good = export_bundle([record_run(store)], tmp_path / "good.wbundle", store=store)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop(MANIFEST))
    for name in members:
        if name.startswith("runs/"):
            members[name] = json.dumps(_craft(json.loads(members[name]))).encode("utf-8")
    manifest["sha256"] = {n: hashlib.sha256(b).hexdigest() for n, b in members.items()}
    out = tmp_path / "crafted.wbundle"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


@pytest.fixture
def page(tmp_path: Path) -> str:
    (run,) = load_bundle(crafted_bundle(tmp_path)).runs
    assert run.summary.n_trials == SCRIPT  # the crafted value reached the report's input
    return render_report([run])


class _Tags(HTMLParser):
    """The elements of a page and any event-handler attributes (``onerror=...``)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def _csp(page: str) -> str:
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert len(metas) == 1
    return metas[0]


def test_hostile_values_appear_only_escaped(page: str) -> None:
    for payload in PAYLOADS:
        assert payload not in page
    tags = _Tags()
    tags.feed(page)
    assert tags.names.count("script") == 1  # the report's own
    assert "img" not in tags.names and not tags.handlers  # no element, no event handler from the data
    assert "&lt;script&gt;window.__pwned" in page  # shown as text
    assert page.count("&lt;/pre&gt;&lt;/details&gt;") >= 5  # question, status, variant text, finding, SQL


def test_csp_allows_only_the_pages_own_script_and_style_by_hash(page: str) -> None:
    csp = _csp(page)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)  # type: ignore[union-attr]
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)  # type: ignore[union-attr]

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["script-src"] == sha(script)
    assert directives["style-src"] == sha(style)
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"


def _open(chromium, path: Path, fragment: str = "") -> dict:  # noqa: F811
    page = chromium.new_page()
    dialogs, console = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(path.as_uri() + fragment)
        page.wait_for_load_state("load")
        return {
            "pwned": page.evaluate("() => window.__pwned || 0"),
            "title": page.title(),
            "dialogs": dialogs,
            "console": console,
            "opened": page.evaluate("() => [...document.querySelectorAll('details[open]')].map(d => d.id)"),
            "max_width": page.evaluate("() => getComputedStyle(document.body).maxWidth"),
        }
    finally:
        page.close()


@pytest.mark.browser
def test_crafted_bundle_script_does_not_run_in_a_browser(chromium, page: str, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    seen = _open(chromium, path, "#f0-q3")
    assert seen["pwned"] == 0 and seen["title"] != "pwned" and not seen["dialogs"]
    assert seen["opened"] == ["f0-q3"]  # the report's own script ran
    assert seen["max_width"] == "1200px"  # and its own style applied
    assert not [m for m in seen["console"] if "Content Security Policy" in m]


@pytest.mark.browser
def test_csp_blocks_injected_inline_script(chromium, page: str, tmp_path: Path) -> None:  # noqa: F811
    """Defence in depth: were markup ever to slip through, the CSP still refuses to run it."""
    path = tmp_path / "injected.html"
    path.write_text(page.replace("<body>", "<body>" + SCRIPT, 1), encoding="utf-8")
    seen = _open(chromium, path, "#f0-q3")
    assert seen["pwned"] == 0 and seen["title"] != "pwned"
    assert seen["opened"] == ["f0-q3"]
    assert any("Content Security Policy" in m for m in seen["console"])
