# ruff: noqa: E402, B018
# A notebook source: python tools/build_notebooks.py writes notebooks/04_evaluate_and_compare.ipynb from it.

# %% [markdown]
# # 4 · Evaluate and compare: how often, not whether it worked once
#
# A demo that works once proves little. The same question asked again can get a different query (at
# temperature > 0, or from a provider that is not fully deterministic), and a variant that looks better
# on twenty questions may just be lucky. This notebook measures variants the honest way:
#
# - a **question set** with gold queries; an answer is correct when its result has the same rows as the gold's;
# - **k trials** per question, summarised by **pass^k**: the chance that *all* k answers to a question are
#   correct (tau-bench's estimator). It rewards consistency, which one lucky run cannot show;
# - **confidence intervals** on accuracy, and a **paired comparison** of two variants on the same questions;
# - where the failures are: invalid, rejected by validation, or *valid but wrong*.
#
# The evaluation below asks 20 questions of 4 variants, 3 trials each: 240 model calls, a few seconds
# with the offline model.

# %%
import pandas as pd

from workbench.core.paths import project_root
from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt

ds = open_dataset()
questions = load_question_set(project_root() / "questions" / "core.yaml")
sample = questions.select(ids=questions.ids[:20])

prompts = [Prompt.load(name, ds) for name in ("naive", "honeycomb", "compact")]
# the same compact prompt, sampled at temperature 0.8: each trial gets its own seed
prompts.append(prompts[-1].with_(name="compact-t0.8", temperature=0.8))
for p in prompts:
    print(f"{p.variant.name:13} {p.variant.summary()}")

# %% [markdown]
# ## First: is the question set fit to measure with?
#
# An eval is only as honest as its golds. `check_question_set` validates and runs every gold, and flags
# golds that fail, golds whose answer is empty or zero (a wrong query that matches nothing would count as
# correct), questions that nearly appear in a few-shot example set (the model is shown the answer), and
# near-duplicates. From a terminal: `workbench questions check questions/core.yaml`.

# %%
from workbench.evaluation.check import check_question_set
from workbench.prompt.examples import available_example_sets, load_example_set

check = check_question_set(sample, ds, [load_example_set(name) for name in available_example_sets()])
print(f"{len(check.questions)} questions: {check.errors} error(s), {check.warnings} warning(s)")
for q in check.questions:
    for f in q.findings:
        print(f"  {q.id} {f.severity}: {f.message}")

# %% [markdown]
# `evaluate` runs every question through every variant `trials` times, judges each answer against the
# gold, and records the run in the experiment log (`runs/runs.duckdb`), so it can be reloaded, compared
# and resumed later. The same from a terminal:
# `workbench eval --questions questions/core.yaml --prompt prompts/compact.yaml --trials 3`.

# %%
from workbench.evaluation.evaluate import evaluate

run = evaluate(sample, prompts, dataset=ds, trials=3, progress=True, name="notebook 04")
run

# %% [markdown]
# ## The metrics, with their uncertainty
#
# - **accuracy**: the share of all trials that were correct, with a 95% interval;
# - **pass^3**: the mean over questions of the chance that 3 trials are all correct;
# - **valid**: the share of answers that passed validation (structure and semantics);
# - tokens, latency, and the cost per 1,000 questions if the same requests went to gpt-4o-mini.

# %%
from workbench.core.prices import cost_usd


def metrics_row(name):
    m = run.variant(name).metrics
    low, high = m.accuracy_ci
    per_call = cost_usd("gpt-4o-mini", round(m.tokens_in_mean), round(m.tokens_out_mean)) or 0.0
    return {
        "variant": name,
        "accuracy": f"{m.accuracy:.0%}",
        "95% interval": f"{low:.0%} to {high:.0%}",
        f"pass^{m.k}": f"{m.pass_k:.0%}",
        "valid": f"{m.semantic_valid_rate:.0%}",
        "tokens in": round(m.tokens_in_mean),
        "p50 ms": round(m.latency_ms_p50),
        "$ / 1k questions (gpt-4o-mini)": round(per_call * 1000, 2),
    }


pd.DataFrame([metrics_row(name) for name in run.variant_names]).set_index("variant")

# %% [markdown]
# **What to look at:**
#
# - **valid is well above correct.** Most answers pass validation, yet many of them are wrong: a
#   schema-valid call is not a correct call. Only running the query and comparing results catches that.
# - **the intervals are wide.** With 20 questions, two variants whose intervals overlap this much may not
#   differ at all. More questions narrow them; more trials do not help much, since trials of one question
#   are not independent.
# - **temperature shows up in pass^k.** At temperature 0 the offline model answers the same way every time,
#   so pass^3 equals accuracy. At 0.8 some questions are answered right only some of the time; pass^3
#   counts those as failures, as a user who asks twice would.

# %% [markdown]
# ## Is the difference real? A paired comparison
#
# Two variants answered the *same* questions, so compare them question by question: on how many
# questions did the candidate do better (wins), worse (losses), or the same (ties)? The interval of
# the difference and the p-value say whether the gap could be luck.

# %%
comparisons = run.comparisons(baseline="compact")
pd.DataFrame(
    [
        {
            "candidate vs compact": name,
            "difference": f"{c.difference:+.0%}",
            "95% interval": f"{c.ci[0]:+.0%} to {c.ci[1]:+.0%}",
            "wins": c.wins,
            "losses": c.losses,
            "ties": c.ties,
            "p-value": round(c.p_value, 3),
        }
        for name, c in comparisons.items()
    ]
).set_index("candidate vs compact")

# %% [markdown]
# An interval that contains 0 means: not shown to differ on this sample. Read it before you ship a change.

# %% [markdown]
# ## Where the failures are
#
# Each trial is classified: **correct**, **wrong** (valid and executed, but the rows differ from the gold),
# **rejected** (the validator found errors), **invalid** (not a well-formed query). The grid shows, per
# question, how many of the 3 trials were correct.

# %%
frame = run.frame()
outcomes = frame.groupby(["variant", "outcome"]).size().unstack(fill_value=0)
outcomes

# %%
grid = frame.pivot_table(index="question_id", columns="variant", values="correct", aggfunc="sum")
grid.index = [f"{qid}: {sample[qid].question[:50]}" for qid in grid.index]
colors = {0: "#f28e8e", 1: "#fdc86e", 2: "#fdc86e", 3: "#7fc97f"}
grid[run.variant_names].astype(int).style.map(lambda correct: f"background-color: {colors[correct]}")

# %% [markdown]
# For a wrong answer, the structural diff says which part of the query differs from the gold:

# %%
wrong = frame[frame.outcome == "wrong"]
if wrong.empty:
    print("no valid-but-wrong answers in this run")
else:
    for _, t in wrong.drop_duplicates("question_id").head(3).iterrows():
        parts = [part for part, differs in (t["diff"] or {}).items() if differs]
        print(
            f"{t.question_id} ({t.variant}): {sample[t.question_id].question!r} differs in: {', '.join(parts) or '?'}"
        )

# %% [markdown]
# ## The evaluation dashboard
#
# `Dashboard` shows a run as metrics side by side with their intervals, a cost-versus-accuracy chart
# and the question-by-variant grid. **Click a cell** to see that question's trials: each query, its findings,
# its result, and the gold. **Run evaluation** starts a new run in the background with a progress bar,
# and **Load run** reopens any run from the log.
#
# Here it opens on the run above.

# %%
from workbench.widgets import Dashboard

dashboard = Dashboard(sample, prompts, dataset=ds)
dashboard.load(run.run_id)
dashboard

# %% [markdown]
# **Next:** `05_export.ipynb`: ship the variant you chose, with its validation layer, as one file.
