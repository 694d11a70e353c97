# ruff: noqa: E402
# A notebook source: python tools/build_notebooks.py writes notebooks/05_export.ipynb from it.

# %% [markdown]
# # 5 · Export: ship the prompt you measured, unchanged
#
# A tuned prompt is only worth something if production sends exactly the request you evaluated, and
# judges the answer with the same validation layer. Rewriting the prompt by hand in a service's
# codebase is how a "95% in the notebook" becomes something else in production.
#
# `export` writes **one versioned JSON artifact** with everything needed to rebuild the exact request for any
# question: the rendered system message, the example set and how examples are chosen, the schema snapshot
# compression reads, the tool definition, the model and its parameters, the validation rules, the repair
# policy, the dataset identity, a content hash, and the summary of the variant's latest evaluation.
# `workbench.runtime.Assistant` loads it in a service. The runtime imports neither pandas, DuckDB nor Jupyter.

# %%
import json

from workbench.core.paths import home
from workbench.dataset.source import open_dataset
from workbench.export.build import export_prompt
from workbench.prompt.render import Prompt

ds = open_dataset()
prompt = Prompt.load("compact", ds)
exports = home() / "build" / "exports"
artifact_path = export_prompt(prompt, exports / "compact.artifact.json")
print(f"wrote {artifact_path} ({artifact_path.stat().st_size / 1024:,.0f} KiB)")

# %% [markdown]
# The same from a terminal: `workbench export --prompt prompts/compact.yaml --out compact.artifact.json`.
#
# What is inside:

# %%
artifact = json.loads(artifact_path.read_text())
for key, value in artifact.items():
    shown = json.dumps(value)
    print(f"{key:16} {shown[:90]}{'…' if len(shown) > 90 else ''}")

# %% [markdown]
# `eval` holds the latest evaluation of this exact variant (same settings hash) from the experiment
# log. If you ran notebook 4, it is that run: the numbers travel with the prompt. If you did not, it is `null`.

# %%
print(
    json.dumps(artifact["eval"], indent=2)
    if artifact["eval"]
    else "no evaluation of this variant in the log yet"
)

# %% [markdown]
# ## In production: `Assistant`
#
# `Assistant.from_artifact` checks the format version, the required fields and the content hash before
# it accepts the file. `render(question)` returns the messages and tools exactly as the workbench
# renders them. Check it against the workbench for a few questions:

# %%
from workbench.runtime import Assistant

assistant = Assistant.from_artifact(artifact_path)
print(assistant)
for q in (
    "slow endpoints for android users yesterday",
    "errors by cloud region in the last 6 hours",
    "top 5 users by revenue this week",
):
    same = assistant.render(q)["messages"] == prompt.render(q).messages
    print(f"{'identical' if same else 'DIFFERENT'}: {q}")

# %% [markdown]
# `ask(question, dialect=...)` calls the model, parses, validates and (if the policy says so) repairs
# the answer exactly as the workbench does, then compiles the accepted query to SQL for **your** engine.
# The runtime does not run the SQL: the service runs it, on its own database, with its own permissions.

# %%
answer = assistant.ask("errors by cloud region in the last 6 hours", dialect="duckdb")
print("valid:", answer.valid, "| findings:", [str(f) for f in answer.findings] or "none")
print(json.dumps(answer.spec))
print(answer.sql)

# %% [markdown]
# Here "your engine" is the embedded DuckDB file, opened read-only:

# %%
from IPython.display import display

if answer.valid:
    with ds.connect() as con:
        display(con.sql(answer.sql).df())

# %% [markdown]
# The same spec compiles for other engines:

# %%
print(assistant.ask("errors by cloud region in the last 6 hours", dialect="postgres").sql)

# %% [markdown]
# ## A changed artifact is refused
#
# The content hash covers everything in the file. If someone edits the instructions in production by hand,
# the runtime refuses to load the artifact and says why. Change the prompt in the workbench, evaluate it,
# and export it again instead.

# %%
from workbench.export.artifact import ArtifactError

tampered = dict(
    artifact, prompt={**artifact["prompt"], "system": artifact["prompt"]["system"] + " Be brief."}
)
tampered_path = exports / "compact.tampered.json"
tampered_path.write_text(json.dumps(tampered))
try:
    Assistant.from_artifact(tampered_path)
except ArtifactError as exc:
    print("refused:", exc)

# %% [markdown]
# ## For services that are not in Python, and for CI
#
# Two more formats come from the same prompt:
#
# - **template** (`format="template"`): the request as plain JSON (messages and tools) with a `{{question}}`
#   placeholder, for a service in another language. When the schema or examples depend on the question
#   (as in `compact`), the template says so and lists what to fill in;
# - **promptfoo** (`format="promptfoo"`): a [promptfoo](https://www.promptfoo.dev/) configuration that runs
#   the question set against the prompt and checks each answer against its gold query, so a team can keep
#   the evaluation running in CI with a tool it may already use.

# %%
template_path = export_prompt(prompt, exports / "compact.template.json", format="template")
promptfoo_path = export_prompt(prompt, exports / "compact.promptfoo.yaml", format="promptfoo")
print(f"wrote {template_path.name} and {promptfoo_path.name} in {exports}")
print()
print("\n".join(promptfoo_path.read_text().splitlines()[:12]))

# %% [markdown]
# ## Where to go from here
#
# - Point the workbench at a real model: set `OPENAI_API_KEY` (or a `base_url` in the variant for any
#   OpenAI-compatible server: vLLM, Ollama, llama.cpp) and set `model:` in a variant file. The same code runs.
# - Point it at your own events: `open_dataset("events.parquet")` (or a DuckDB file, or CSV files).
# - Open everything at once: `from workbench.widgets import Workbench; Workbench()` holds the side-by-side
#   view, the editors, the prompt inspector and the dashboard in tabs, kept in sync.
