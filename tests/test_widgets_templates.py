"""The widgets' HTML comes from autoescaped templates, and the Dashboard is composed of parts with one job each."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as widgets
import pytest
from markupsafe import Markup

from workbench.core.templates import environment
from workbench.widgets._common import error_line, fragment

REPO = Path(__file__).resolve().parents[1]
WIDGETS = REPO / "workbench" / "widgets"
HOSTILE = "<img src=x onerror=alert(1)> & 'q'"


def test_no_hand_placed_escape_without_a_comment_saying_why() -> None:
    uncommented = []
    for path in sorted(WIDGETS.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if (
                re.search(r"\bescape\(", line)
                and '"""' not in line
                and not lines[i - 1].strip().startswith("#")
            ):
                uncommented.append(f"{path.name}:{i + 1}: {line.strip()}")
    assert uncommented == [], "build this HTML in a template (widgets/templates/) instead"


@pytest.mark.parametrize("macro", ["muted", "bold", "readback", "model_said", "text"])
def test_every_fragment_escapes_its_text(macro: str) -> None:
    html = fragment(macro, text=HOSTILE) if macro not in ("model_said",) else fragment(macro, message=HOSTILE)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp;" in html
    assert type(html) is str  # joining it with other markup must not escape it again


def test_fragments_keep_markup_and_escape_lines_and_errors() -> None:
    assert (
        fragment("example_summary", question=HOSTILE, note=Markup("<b>valid</b>")).count("<b>valid</b>") == 1
    )
    assert fragment("lines", lines=["a<b", "c"]) == "a&lt;b<br>c"
    assert "&lt;img" in error_line(HOSTILE) and "wb-error-line" in error_line(HOSTILE)
    status = fragment("run_status", run_id=HOSTILE, verb="loaded", n_trials=3)
    assert status.startswith("loaded run <b>&lt;img") and status.endswith(": 3 trials")


def test_every_widget_template_autoescapes() -> None:
    env = environment("workbench.widgets")
    names = env.list_templates()
    assert "fragments.html.j2" in names and "cell_detail.html.j2" in names and "chain_detail.html.j2" in names
    html = env.get_template("cell_detail.html.j2").render(
        question_id=HOSTILE, variant="v", question=HOSTILE, gold_query=None, gold_table="", trials=[]
    )
    assert "<img" not in html and html.count("&lt;img") == 2


def test_a_trial_shows_its_outcome_and_error_as_text() -> None:
    from workbench.widgets._run_view import trial_html

    html = trial_html({"trial": 0, "correct": False, "outcome": HOSTILE, "error": HOSTILE, "spec": None})
    assert "<img" not in html and html.count("&lt;img") == 2 and "class='wb-trial'" in html


def test_the_dashboard_holds_its_parts_and_little_else(small_dataset) -> None:
    from workbench.widgets import Dashboard
    from workbench.widgets._cells import CellExplorer
    from workbench.widgets._plan_panel import PlanPanel
    from workbench.widgets._run_panel import RunPanel

    d = Dashboard("no/such/set.yaml", ["compact"], small_dataset)
    own = set(vars(d)) - set(vars(widgets.VBox()))
    assert own == {
        "error", "prompts", "questions", "dataset", "runner", "plan", "metrics_html", "chart", "explorer", "chains",
        "watch",
    }  # fmt: skip
    assert (
        isinstance(d.runner, RunPanel)
        and isinstance(d.plan, PlanPanel)
        and isinstance(d.explorer, CellExplorer)
    )
    # the names notebooks and the Workbench use are the parts' widgets
    assert d.run_button is d.runner.run_button and d.grid is d.explorer.grid and d.task is d.runner.task
    assert d.view is None and d.selected is None and d.cells == {} and d.figure is None


def test_the_cell_explorer_works_without_the_dashboard(small_dataset, tmp_path) -> None:
    from tests.test_widgets_dashboard import IDS, log_run
    from workbench.evaluation.questions import load_question_set
    from workbench.store.runs import RunStore
    from workbench.widgets._cells import CellExplorer
    from workbench.widgets._run_view import RunView

    questions = load_question_set(REPO / "questions" / "core.yaml").select(ids=IDS)
    path, run_id = log_run(tmp_path / "runs.duckdb", questions)
    error = widgets.HTML()
    explorer = CellExplorer(small_dataset, error)
    explorer.select("q002", "a")  # nothing shown yet: nothing to select
    assert explorer.selected is None
    explorer.show(RunView.from_log(RunStore(path).load_run(run_id)))
    assert "click a cell" in explorer.detail.value and explorer.now == small_dataset.schema().now_epoch
    explorer.select("q004", "b")
    assert "q004 &middot; b" in explorer.detail.value and "wb-gold-table" in explorer.detail.value
    assert set(explorer.golds.results) == {"q004"}  # the gold ran once, for the cell shown
