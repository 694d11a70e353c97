# ruff: noqa: E402, B018
# A notebook source: python tools/build_notebooks.py writes notebooks/02_schema_compression.ipynb from it.

# %% [markdown]
# # 2 · Schema compression: pay for the columns the question needs
#
# The model can only use columns it is told about, so the prompt lists the dataset's columns. Real
# telemetry schemas are wide: the embedded dataset has more than 400 columns (custom attributes,
# headers, runtime metadata, experiment flags, deprecated fields). Listing them all makes the
# **schema the biggest part of every request**, and you pay for it on every call.
#
# Compression decides which columns go in and how much is said about each. This notebook shows:
#
# 1. where a request's tokens go, section by section;
# 2. what each compression rule keeps and drops;
# 3. **column recall**: whether the columns the questions really need survive a token budget;
# 4. the `SchemaEditor` widget, which does all of this live.
#
# (If the dataset has not been generated yet, the first cell generates it: about 10 to 20 seconds, once.)

# %%
import pandas as pd

from workbench.core.paths import project_root
from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt

ds = open_dataset()
schema = ds.schema()
questions = load_question_set(project_root() / "questions" / "core.yaml")
print(f"{len(schema)} columns; {len(questions)} questions with gold queries")

# %% [markdown]
# ## Where the tokens go
#
# `Prompt.render(question)` builds the exact request and counts its tokens per **section**:
# `instructions`, `schema`, `examples`, `question`, `tools` (the function definition the model fills in)
# and `format` (message framing). The sections add up exactly to the request's prompt tokens.
#
# The **cacheable prefix** is the part that is identical for every question. Providers bill a cached
# prefix at a discount, so a prompt whose schema does not depend on the question is cheaper to repeat.

# %%
question = "slow endpoints for android users yesterday"
rows = []
for name in ("naive", "honeycomb", "compact"):
    r = Prompt.load(name, ds).render(question)
    rows.append(
        {
            "variant": name,
            **r.sections,
            "total": r.total_tokens,
            "cacheable prefix": r.cacheable_tokens,
            "$ / 1k calls (gpt-4o-mini)": round(r.cost_usd_per_1000_calls(model="gpt-4o-mini"), 2),
            "... with a warm cache": round(r.cost_usd_per_1000_calls(model="gpt-4o-mini", cached=True), 2),
        }
    )
pd.DataFrame(rows).set_index("variant")

# %% [markdown]
# **What to look at:** in `naive` the schema is nearly the whole request. `honeycomb` keeps only the
# columns written in the last 7 days, still many thousands of tokens, but the same for every question,
# so a warm cache makes it much cheaper. `compact` picks columns per question under a budget: it is
# the smallest request, but the schema moves out of the cacheable prefix.

# %% [markdown]
# ## The compression rules
#
# `SchemaSettings` holds the knobs (the `schema:` block of a variant file), and `compress` applies the
# rules in order:
#
# | rule | setting | drops a column because it is |
# |---|---|---|
# | excluded | `excluded` | on the exclude list |
# | active window (Honeycomb's rule) | `window_days` | not written in the last N days |
# | relevance ranking | `relevance` | (orders columns: pinned first, then most relevant to the question) |
# | column cap | `max_columns` | beyond the first N |
# | token budget | `token_budget` | beyond the budget |
#
# Pinned columns (`pinned`) are always kept and listed first. What each column line says is set by
# `format` (`lines`, `json`, `ddl`) and `types`, `descriptions`, `domains`, `samples`.

# %%
from workbench.schema.compress import SchemaSettings, compress

CORE = ["service.name", "duration_ms", "error", "http.route", "http.response.status_code"]
settings = {
    "everything": SchemaSettings(),
    "written in the last 7 days": SchemaSettings(window_days=7),
    "... names, types and values only": SchemaSettings(window_days=7, descriptions=False, samples=False),
    "... relevant to the question, <= 1,500 tokens": SchemaSettings(
        window_days=7, relevance="lexical", token_budget=1500
    ),
    "... relevant, <= 500 tokens": SchemaSettings(window_days=7, relevance="lexical", token_budget=500),
}
results = {label: compress(schema, s, question) for label, s in settings.items()}
pd.DataFrame(
    [
        {"settings": label, "tokens": c.tokens, "kept": len(c.kept), "dropped": len(c.dropped), **c.reasons}
        for label, c in results.items()
    ]
).set_index("settings").fillna(0).astype(int)

# %% [markdown]
# Each result says exactly what it kept and why each other column was dropped. Here are the first
# columns the 500-token setting kept for our question, and some of what it dropped:

# %%
tight = results["... relevant, <= 500 tokens"]
print("kept:", ", ".join(tight.kept[:20]), "..." if len(tight.kept) > 20 else "")
print()
for name, reason in list(tight.dropped.items())[:10]:
    print(f"dropped {name:40} {reason}")

# %% [markdown]
# ## Column recall: does the budget keep what the questions need?
#
# Fewer tokens is only good if the right columns survive. If `duration_ms` is dropped, no model can
# answer a latency question correctly, however good it is. **Column recall** measures this over a question
# set: of all the columns the gold queries use, the share that survives compression for their
# question.
#
# Sweep the token budget and watch recall against tokens:

# %%
from workbench.schema.recall import column_recall

items = [(q.question, q.gold_columns) for q in questions]
sweep = []
for budget in (250, 500, 1000, 1500, 3000, None):
    s = SchemaSettings(window_days=7, relevance="lexical", token_budget=budget)
    report = column_recall(schema, s, items)
    sweep.append(
        {
            "token budget": budget or "none",
            "mean schema tokens": round(report.mean_tokens),
            "column recall": round(report.recall, 3),
            "columns lost": report.n_missed,
            "most often lost": ", ".join(list(report.misses)[:3]),
        }
    )
pd.DataFrame(sweep).set_index("token budget")

# %% [markdown]
# **What to look at:** recall falls as the budget shrinks, and the columns lost first are the most
# important ones: `duration_ms`, `http.route` and the status code. Questions rarely name them ("slow",
# "endpoints", "5xx"), so relevance ranking by the question's words misses them.
#
# The fix is cheap: **pin** the columns almost every question needs. They cost a few dozen tokens
# and are never dropped:

# %%
pinned = SchemaSettings(window_days=7, relevance="lexical", token_budget=500, pinned=CORE)
report = column_recall(schema, pinned, items)
print(
    f"<= 500 tokens with {len(CORE)} pinned columns: recall {report.recall:.3f}, "
    f"mean {report.mean_tokens:.0f} tokens, still lost: {dict(list(report.misses.items())[:5])}"
)

# %% [markdown]
# This is what the shipped `compact` variant does (`prompts/compact.yaml`): 7-day window, lexical
# relevance, 5 pinned columns, at most 40 columns and 1,500 tokens.
#
# Column recall is necessary, not sufficient: a column that is present can still be misused (notebook 1
# showed a valid query on the wrong column). Notebook 4 measures the end result.

# %% [markdown]
# ## What an edit does to one request
#
# Before spending an eval on an edit, compare the two requests for a question: tokens per section and
# in the cacheable prefix, the columns and examples that came or went, and the text diff. Here the
# `compact` variant against the same variant with the tighter 500-token schema budget (from a terminal:
# `workbench prompt diff --prompt A --prompt B --question Q`):

# %%
from workbench.prompt.diff import diff_rendered

compact = Prompt.load("compact", ds)
tighter = compact.with_(name="compact-500", schema={"token_budget": 500})
diff = diff_rendered(compact.render(question), tighter.render(question))
print("\n".join(diff.lines(context_lines=12)))

# %% [markdown]
# ## The schema editor
#
# `SchemaEditor` puts these settings on sliders and checkboxes. Every change re-compresses the schema
# and updates the schema tokens, the kept and dropped columns (searchable) and the column recall on
# the question set.
#
# **Try it:** lower the token budget and watch recall drop; pin `trace.parent_id` (needed for questions
# about traces) and watch it come back; switch the format to `ddl` or `json` and compare tokens.

# %%
from workbench.widgets import SchemaEditor

editor = SchemaEditor(Prompt.load("compact", ds), questions=questions)
editor

# %% [markdown]
# The editor works on a copy: the file is not changed. `editor.prompt` is the edited prompt, ready to be
# used anywhere a prompt is. To keep it as a new variant, write it to a file, for example
# `editor.prompt.variant.with_(name="compact-tuned").save("../prompts/compact-tuned.yaml")`.
#
# **Next:** `03_few_shot_examples.ipynb`: which examples go into the prompt, and why the nearest ones.
