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
# ## A quick measurement: a team's own words
#
# Examples earn their tokens on what nothing else in the prompt says. `questions/team_jargon.yaml` asks in
# one team's house wording: "blowups" for failed spans, "the shelf" for the catalog service, "the lobby" for
# the api-gateway, "droids", "iphoners" and "whales" for user segments, "per DC" for per region, "PSP" for
# payment provider. Only its example set, `prompts/examples/team_jargon.yaml`, explains those words, each in
# other sentences than the questions use.
#
# Here the `compact` variant runs those 16 questions with no examples, 6 random ones and the 6 nearest ones.
# This is **one trial per question** at temperature 0: a quick look, not a verdict (notebook 4 does it
# properly, with repeated trials and confidence intervals).

# %%
from workbench.evaluation.evaluate import evaluate

jargon = load_question_set(project_root() / "questions" / "team_jargon.yaml")
team_examples = {"set": "team_jargon", "k": 6, "token_budget": None}
variants = [
    compact.with_(name="no examples", examples={"set": None}),
    compact.with_(name="random 6", examples={**team_examples, "selection": "random"}),
    compact.with_(name="nearest 6", examples={**team_examples, "selection": "nearest"}),
]
run = evaluate(jargon, variants, dataset=ds, trials=1, store=False)
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
# **What to look at:** with no examples the house words mean nothing to the model: it declines, naming
# the word it cannot place. A random 6 explain some of the words a question uses; the nearest 6 are chosen
# for the question, so they explain more of them. With the offline model that reads as none < random <
# nearest (0/16, 6/16 and 13/16 when this was written; a miss is a decline naming the word, or a column
# validation reports, never a silently different question). Sixteen questions and one trial are a small
# sample: whether nearest-k pays off for *your* model and questions is a claim to test with repeated
# trials and a paired comparison, as notebook 4 does.
#
# On the core question set, by contrast, the shipped examples add little: the instructions and the
# conventions already say what everyday words mean. Examples matter most for a team's own words, a
# convention the instructions leave open, or a model that copies examples more closely than it follows
# instructions.

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
