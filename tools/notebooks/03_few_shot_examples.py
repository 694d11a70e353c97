# ruff: noqa: E402, B018
# A notebook source: python tools/build_notebooks.py writes notebooks/03_few_shot_examples.ipynb from it.

# %% [markdown]
# # 3 · Few-shot examples: show the model the pattern it needs
#
# Instructions say what a good query is; examples *show* it. A question paired with the query that
# answers it teaches the conventions that are hard to put in words: "slowest" means P99 of `duration_ms`
# ordered descending, "yesterday" is a UTC calendar day, "top 5" is an order plus a limit.
#
# Examples cost tokens on every call, so which ones go in matters. This notebook covers:
#
# 1. the example set and what each example costs;
# 2. the selection strategies (`all`, `first`, `random`, `nearest`): what nearest-k offers, and what it costs;
# 3. examples are validated like model output: a broken example is left out, not sent;
# 4. a quick measurement, and the `ExamplesEditor` widget.

# %%
import pandas as pd

from workbench.core.paths import project_root
from workbench.core.tokens import count_tokens
from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.prompt.examples import load_example_set
from workbench.prompt.render import Prompt

ds = open_dataset()
questions = load_question_set(project_root() / "questions" / "core.yaml")
examples = load_example_set("core")  # prompts/examples/core.yaml
print(f"{len(examples)} examples in {examples.path.name}")
pd.DataFrame([{"question": e.question, "tokens": count_tokens(e.render())} for e in examples]).head(10)

# %% [markdown]
# In the prompt each example is two lines, exactly as the model sees them:

# %%
print(examples.examples[0].render())

# %% [markdown]
# ## Selection strategies
#
# A variant's `examples:` block chooses which examples a question gets:
#
# - `all`: every example, every time (simple, expensive);
# - `first` k: the same k for every question. The examples block is identical for all questions, so it stays
#   in the cacheable prefix (Honeycomb's recipe);
# - `random` k: a seeded sample (a baseline for the others);
# - `nearest` k: the k examples whose questions are most similar to this question, with values and
#   numbers masked so that "on android" matches "on ios" (the DAIL-SQL recipe). The most similar
#   example comes last, closest to the question.
#
# Here is what each strategy gives one question:

# %%
question = "average checkout value per payment provider on android"
compact = Prompt.load("compact", ds)
for selection in ("first", "random", "nearest"):
    rendered = compact.with_(examples={"selection": selection, "k": 4}).render(question)
    print(
        f"{selection}: {rendered.sections['examples']} example tokens, cacheable prefix {rendered.stable_prefix_tokens:,} tokens"
    )
    for chosen in rendered.chosen_examples:
        print(f"    {chosen.reason:30} {chosen.example.question}")

# %% [markdown]
# **What to look at:** `first` and `random` give examples that have nothing to do with the question.
# `nearest` finds *average order value per payment provider on ios*: the same shape of query with one
# value changed. An example that close is the strongest hint a model can get.
#
# **The trade-off:** with `nearest` the examples depend on the question, so they move from the system
# message (cacheable) to the user message (not cacheable). For a small model with a big schema, the
# fixed block and a warm cache can be cheaper. Measure both: notebook 4 shows how.

# %% [markdown]
# ## Examples are checked like model output
#
# An example with a typo in a column name would teach the model to make the same mistake. When a prompt
# loads its example set, every example is validated against the dataset's schema. Examples with errors
# are left out of the prompt and reported. Here is a set with one broken example:

# %%
from workbench.prompt.examples import Example, ExampleSet, validate_examples

broken = ExampleSet(
    name="demo",
    examples=(
        examples.examples[0],
        Example(
            "average latency per region",
            {
                "calculations": [{"op": "AVG", "column": "latency"}],
                "breakdowns": ["region"],
                "time_range": 3600,
            },
        ),
    ),
)
for index, findings in validate_examples(broken, ds.schema()).items():
    print(f"example {index} ({broken.examples[index].question!r}) is left out:")
    for f in findings:
        print("   ", f)

# %% [markdown]
# ## A quick measurement
#
# Does the strategy change the answers? Here the `compact` variant runs 20 questions from the question set
# with no examples, the first 6, 6 random ones and the 6 nearest ones. This is **one trial per question** at
# temperature 0: a quick look, not a verdict (notebook 4 does it properly, with repeated trials and
# confidence intervals).

# %%
from workbench.evaluation.evaluate import evaluate

sample = questions.select(ids=questions.ids[:20])
variants = [
    compact.with_(name="no examples", examples={"set": None}),
    compact.with_(name="first 6", examples={"selection": "first", "k": 6, "token_budget": None}),
    compact.with_(name="random 6", examples={"selection": "random", "k": 6, "token_budget": None}),
    compact.with_(name="nearest 6", examples={"selection": "nearest", "k": 6, "token_budget": None}),
]
run = evaluate(sample, variants, dataset=ds, trials=1, store=False)
pd.DataFrame(
    [
        {
            "examples": v.name,
            "correct": f"{run.variant(v.name).metrics.accuracy:.0%}",
            "valid": f"{run.variant(v.name).metrics.valid_rate:.0%}",
            "tokens in (mean)": round(run.variant(v.name).metrics.tokens_in_mean),
        }
        for v in (p.variant for p in variants)
    ]
).set_index("examples")

# %% [markdown]
# **What to look at:** how much the examples add over none, and what they cost in tokens. Between the
# strategies, a difference of a question or two out of 20 is noise, not a finding. Whether nearest-k
# pays off for *your* model and questions is a claim to test with repeated trials and a paired comparison,
# as notebook 4 does.
#
# Expect little from examples here: the offline model already reads everyday wording the way the
# instructions teach, so on these questions the shipped examples add next to nothing. Examples earn their
# tokens on what nothing else in the prompt says: your team's own words ("orders per PSP"), a convention
# the instructions leave open, or a model that follows instructions less closely than it copies examples.

# %% [markdown]
# ## The examples editor
#
# `ExamplesEditor` shows the example set as an editable table: add, edit, delete and reorder examples.
# Each one is validated as you type (its findings appear next to it) and its token cost is shown. Choose
# the selection strategy and k, and type a question to preview which examples it gets.
#
# **Save** writes the set back to its YAML file (`prompts/examples/core.yaml`). Type another path in the
# *save to* box to keep the shipped set as it is.
#
# **Try it:** type *top 5 slowest routes on ios this week* in the preview box and switch between `first`
# and `nearest`; then change an example's column to one that does not exist and watch its finding appear.

# %%
from workbench.widgets import ExamplesEditor

examples_editor = ExamplesEditor(compact)
examples_editor

# %% [markdown]
# **Next:** `04_evaluate_and_compare.ipynb`: measure variants over a question set with repeated trials,
# and tell a real improvement from noise.
