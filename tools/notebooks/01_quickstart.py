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
# The story of this notebook: a question becomes a query, the query a result; then a question where
# a variant's query is **valid but wrong**, and how the workbench shows what was wrong, clause by clause,
# next to the gold answer. The helpers live in the package: every cell is a line or two.
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
from workbench.pipeline.ask import ask
from workbench.widgets import query_widget

question = "slow endpoints for android users yesterday"
answer = ask(question, prompt, dataset=ds)
query_widget(answer.spec, now=ds.schema().now_epoch)

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
# `questions/core.yaml` holds questions with a **gold** query each; an answer is correct when its result
# has the same rows as the gold's. The `SideBySide` widget asks one question of several variants at once.
# The cell below asks the set's questions in turn and stops at the first one some variant gets wrong.
#
# **How to read it:** each column is a variant, each row one aspect of its answer, lined up across the
# columns: tokens, latency and cost; a badge (*matches gold* or *differs from gold*); the query in
# Honeycomb's builder form, where a clause that differs from the gold is **red** (with the gold's clause
# under it) and one that differs from the other variants is **amber**; the critic's warnings in yellow;
# the SQL; the result and a chart. The raw JSON is one click away under each query.

# %%
from workbench.core.paths import project_root
from workbench.evaluation.questions import load_question_set
from workbench.widgets import SideBySide

questions = load_question_set(project_root() / "questions" / "core.yaml")
side_by_side = SideBySide(["naive", "honeycomb", "compact"], dataset=ds, questions=questions)
for q in list(questions)[:12]:
    side_by_side.ask(q.question)
    if not all(column.matched for column in side_by_side.columns):
        break
side_by_side

# %% [markdown]
# **Try it:** type a question in the box (for example *errors by cloud region in the last 6 hours*) and
# press **Enter**, or pick a question from the set in the drop-down (those get the gold badge and the red
# clauses). Notebook 4 asks every question k times and shows the same clause diff for each wrong trial.

# %% [markdown]
# The same from a terminal: `workbench ask "slow endpoints for android users yesterday" --prompt prompts/compact.yaml`.
#
# **Next:** `02_schema_compression.ipynb`: why the schema is most of the bill, and how to cut it without
# losing the columns the questions need.
