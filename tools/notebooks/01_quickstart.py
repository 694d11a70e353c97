# ruff: noqa: E402, B018
# A notebook source: python tools/build_notebooks.py writes notebooks/01_quickstart.ipynb from it.

# %% [markdown]
# # 1 · Quickstart: ask a question and see every step
#
# An assistant like Honeycomb's Query Assistant turns a question such as *"slow endpoints for android
# users yesterday"* into a **query specification** (a JSON object returned by a model's function call).
# The workbench runs that path end to end and shows you every step so you can judge it:
#
# 1. **render**: the prompt variant becomes a request: instructions, a compressed schema, few-shot examples;
# 2. **call**: the model answers (here the built-in `offline` model, reached through the real `openai` client);
# 3. **validate**: the query is checked against Honeycomb's rules, then against the dataset's columns and values;
# 4. **compile and run**: sqlglot turns it into SQL, which DuckDB runs read-only.
#
# Everything runs offline with no API key. Run the cells from top to bottom (Shift+Enter).
#
# The first cell opens the embedded telemetry dataset. **The first time you run it, it generates the
# dataset (500,000 span events, about 10 to 20 seconds).** After that it opens at once.

# %%
from workbench.dataset.source import open_dataset

ds = open_dataset()
info = ds.describe()
print(
    f"{info['rows']:,} span events, {info['columns']} columns ({info['columns_active_7d']} written in the last 7 days)"
)
print(f"the dataset's 'now' is {info['now']}: 'yesterday' and 'last 6 hours' are relative to it")

# %% [markdown]
# ## A prompt variant
#
# A **prompt variant** is a small YAML file in `prompts/` that says what goes into the request:
# the instructions, how the schema is compressed, which few-shot examples are used, the model and
# its parameters. Three variants come with the workbench:
#
# - `naive`: the whole schema, every column with everything known about it, and no examples;
# - `honeycomb`: Honeycomb's recipe: only the columns written in the last 7 days, and a fixed set of 8 examples;
# - `compact`: the columns most relevant to the question under a 1,500-token budget, and the 6 nearest examples.
#
# `Prompt.load` reads a variant and binds it to the dataset's schema. Its preview shows what each
# part of the request costs in tokens.

# %%
from workbench.prompt.render import Prompt

prompt = Prompt.load("compact", ds)
prompt

# %% [markdown]
# ## Ask a question
#
# `ask` runs the whole pipeline for one question and returns an `Answer` with every step's output.
# Here is the query the model wrote. Is it the query you would have written? Keep that question in
# mind: we come back to it below.

# %%
import json

from workbench.pipeline.ask import ask

question = "slow endpoints for android users yesterday"
answer = ask(question, prompt, dataset=ds)
print(json.dumps(answer.spec, indent=2))

# %% [markdown]
# The model's output is **untrusted**. Before anything runs, the validator checks it and reports
# **findings**: errors (for example, a column that does not exist) stop the query; warnings and notes
# point at things that are probably not what the user meant (a filter value that never occurs, a time
# window with no data). Then the spec is compiled to SQL with sqlglot builders (never by pasting model text
# into SQL) and run read-only:

# %%
print("findings:", *(answer.findings or ["none"]), sep="\n  ")
print()
print(answer.sql)

# %%
answer.result.to_pandas().head(10) if answer.result is not None else "no result (see the findings above)"

# %% [markdown]
# Every call also tells you what it cost. The offline model is free, so the cell below also shows
# what the same request would cost on a hosted model. The token counts are exact (tiktoken, offline).

# %%
per_1000 = answer.rendered.cost_usd_per_1000_calls(model="gpt-4o-mini")
print(
    f"{answer.tokens_in:,} tokens in, {answer.tokens_out:,} out, {answer.latency_ms:,.0f} ms, "
    f"${answer.cost_usd or 0:.4f} here; ${per_1000:.2f} per 1,000 calls on gpt-4o-mini"
)

# %% [markdown]
# ## A valid query is not a correct query
#
# The validator says whether a query *can* run. It cannot say whether it answers the question. A query
# that uses real columns and passes every rule can still measure the wrong column, filter the wrong
# value or cover the wrong days. This is the central lesson of the workbench: **a schema-valid call is not a
# correct call.**
#
# `questions/core.yaml` holds questions with a **gold** query each. An answer is correct when its
# result has the same rows as the gold query's result. Below, each variant answers eight of those
# questions. Compare the *valid* column with the *correct* column.

# %%
import pandas as pd

from workbench.core.paths import project_root
from workbench.evaluation.questions import load_question_set
from workbench.spec.matching import results_match, spec_is_ordered
from workbench.spec.query import parse_spec
from workbench.sql.execute import run_query

questions = load_question_set(project_root() / "questions" / "core.yaml")
sample = [questions[f"q{i:03d}"] for i in range(1, 9)]
gold_results = {q.id: [run_query(ds, parse_spec(spec)) for spec in q.specs] for q in sample}


def is_correct(answer, q):
    """The answer's rows equal the rows of the gold query (or of an accepted alternative)."""
    return answer.result is not None and any(
        results_match(answer.result, gold, ordered=spec_is_ordered(spec))
        for spec, gold in zip(q.specs, gold_results[q.id], strict=True)
    )


variants = {name: Prompt.load(name, ds) for name in ("naive", "honeycomb", "compact")}
answers = {(name, q.id): ask(q.question, p, dataset=ds) for name, p in variants.items() for q in sample}
pd.DataFrame(
    [
        {
            "variant": name,
            "valid": sum(answers[name, q.id].valid for q in sample),
            "correct": sum(is_correct(answers[name, q.id], q) for q in sample),
            "questions": len(sample),
        }
        for name in variants
    ]
).set_index("variant")

# %% [markdown]
# Here is one query that passed validation but returned the wrong rows, next to the gold query.
# Look for the difference: the wrong column, a missing filter, a different time window, a missing order.

# %%
wrong = [
    (name, questions[qid])
    for (name, qid), a in answers.items()
    if a.valid and not is_correct(a, questions[qid])
]
if not wrong:
    print("every valid answer in this sample was also correct: notebook 4 asks more questions")
else:
    name, q = wrong[0]
    print(f"{q.id}: {q.question!r}, asked of {name!r}\n")
    print("model: ", json.dumps(answers[name, q.id].spec))
    print("gold:  ", json.dumps(q.gold))

# %% [markdown]
# ## Side by side
#
# The `SideBySide` widget asks one question of several variants at once and shows, for each: the
# generated query, its findings, the SQL, the result as a table and a chart, and its tokens, latency and cost.
#
# **Try it:** type a question in the box (for example *errors by cloud region in the last 6 hours*)
# and press **Run**. Or pick a question from the set in the drop-down: for those, each column also shows
# the gold answer and a badge that says whether the variant's result matches it.

# %%
from workbench.widgets import SideBySide

side_by_side = SideBySide(["naive", "honeycomb", "compact"], dataset=ds, questions=questions)
side_by_side

# %% [markdown]
# The same from a terminal: `workbench ask "slow endpoints for android users yesterday" --prompt prompts/compact.yaml`.
#
# **Next:** `02_schema_compression.ipynb`: why the schema is most of the bill, and how to cut it without
# losing the columns the questions need.
