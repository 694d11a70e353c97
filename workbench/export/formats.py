"""Two more export formats of a bound prompt: a plain JSON request template and a promptfoo configuration.

**Request template** (``workbench export --format template``): the chat.completions body
as JSON with ``{{question}}`` where the question goes, for services without Python.
Substitute into the *parsed* string value (so JSON escaping is automatic), with the
question's surrounding whitespace removed. For a variant whose schema block and examples
do not depend on the question (``naive``, ``honeycomb``) the result is exactly the request
the workbench sends (``"exact": true``). A variant that picks columns or examples per
question (``compact``: BM25 relevance under a tiktoken budget, TF-IDF nearest examples)
cannot be reproduced without the workbench's code: its template carries the candidate
column lines, the usable examples, the rule in words and a question-independent
``fallback`` block, and says plainly (``"exact": false``) that exact requests need the
Python runtime (``workbench.runtime``).

**promptfoo** (``--format promptfoo``): a ``promptfooconfig.yaml`` whose provider is an
OpenAI-compatible endpoint (the variant's model; ``offline`` is served by
``workbench serve-model``), whose prompt is the chat messages, and whose tests are the
question set's questions. The system message is one shared var; each test carries the
user message the workbench renders for its question (exact, also for question-dependent
variants) plus the gold and accepted specs, and a JavaScript assertion compares the
model's query structurally (key order, null/empty fields, ``filter_combination: AND``
and the order of filters, breakdowns, calculations and havings ignored). That is
stricter than ``workbench eval``, which compares executed results.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.paths import project_root
from workbench.core.yamlio import dump_yaml
from workbench.evaluation.questions import ensure_question_set
from workbench.export.artifact import PROBE, compression_candidates, workbench_version
from workbench.prompt.example_selection import format_examples, select_examples
from workbench.schema.cache import lines_for
from workbench.schema.compress import compress

__all__ = ["PROMPTFOO_ASSERT", "TEMPLATE_FORMAT", "build_promptfoo", "build_template"]

TEMPLATE_FORMAT = "query-workbench/request-template"
SERVE_MODEL_URL = "http://127.0.0.1:8765/v1"  # `workbench serve-model` default host and port

_RULE = (
    "Columns: drop `excluded`; keep columns written in the last `window_days` before the dataset's now "
    "(and pinned ones); pinned columns first, then the rest by {relevance} relevance to the question "
    "(ties keep this order); at most `max_columns`; fill `token_budget` ({encoding} tokens of the block) "
    "in that priority order, skipping columns that do not fit. The block is prefix + lines joined by "
    "separator + suffix."
)
_EXAMPLES_RULE = (
    "Examples: the {k} usable examples whose questions are most similar to the question (TF-IDF over "
    "words and word pairs, numbers and known values masked), kept in that order while the block fits "
    "`token_budget`, most similar last; each rendered as `Q: ...` / `A: <compact JSON>`, blank line between."
)


def build_template(prompt: Any) -> dict[str, Any]:
    """The request template of a bound ``Prompt`` (see the module docstring)."""
    v = prompt.variant
    probe = prompt.render(PROBE)
    settings = v.schema_
    ex_settings = prompt._examples_settings()
    dep_schema = settings.depends_on_question
    dep_examples = prompt.example_set is not None and ex_settings.depends_on_question
    parts = (["## Columns\n{{columns}}"] if dep_schema else []) + (
        ["## Examples\n{{examples}}"] if dep_examples else []
    )
    user = "\n\n".join([*parts, "## Question\n{{question}}"])
    request = {
        **probe.body,
        "messages": [{"role": "system", "content": probe.system}, {"role": "user", "content": user}],
    }
    out: dict[str, Any] = {
        "format": TEMPLATE_FORMAT,
        "format_version": 1,
        "workbench_version": workbench_version(),
        "variant": {"name": v.name, "hash": v.variant_hash},
        "request": request,
        "placeholders": {
            "question": "the user's question, surrounding whitespace removed; substitute it into the parsed "
            "string, never into the JSON text",
        },
        "exact": not (dep_schema or dep_examples),
    }
    if out["exact"]:
        out["limits"] = "none: replacing {{question}} gives exactly the request the workbench sends"
        return out
    out["limits"] = (
        "This variant chooses columns and/or examples per question; only the Python runtime "
        "(workbench.runtime.Assistant.render) reproduces that choice exactly. Without it, fill the "
        "placeholders with the `fallback` blocks below (question-independent: the request then differs "
        "from the one evaluated) or implement the rules given here."
    )
    if dep_schema:
        lines = lines_for(prompt.schema, settings.format_settings(), prompt.encoding)
        names = compression_candidates(prompt.schema, settings)
        out["placeholders"]["columns"] = "the schema block for the question (see `columns`)"
        out["columns"] = {
            "rule": _RULE.format(relevance=settings.relevance, encoding=prompt.encoding),
            "settings": settings.model_dump(mode="json"),
            "block": {"prefix": lines.prefix, "separator": lines.sep, "suffix": lines.suffix},
            "candidates": [{"name": n, "line": lines.line(prompt.schema.get(n))} for n in names],
            "fallback": compress(prompt.schema, settings, None, encoding=prompt.encoding).text,
        }
    if dep_examples:
        usable = [e for i, e in enumerate(prompt.example_set) if i not in prompt.invalid_examples]
        first = ex_settings.model_copy(update={"selection": "first"})
        out["placeholders"]["examples"] = "the examples block for the question (see `examples`)"
        out["examples"] = {
            "rule": _EXAMPLES_RULE.format(k=ex_settings.k),
            "settings": ex_settings.model_dump(mode="json"),
            "candidates": [{"question": e.question, "rendered": e.render()} for e in usable],
            "fallback": format_examples(select_examples(usable, first, encoding=prompt.encoding)),
        }
    return out


# --------------------------------------------------------------------------- promptfoo

#: the chat prompt: the shared system message and each test's user message, JSON-encoded by nunjucks
PROMPTFOO_PROMPT = (
    '[{"role": "system", "content": {{ system | dump }}}, {"role": "user", "content": {{ user | dump }}}]'
)

PROMPTFOO_ASSERT = r"""// Query Workbench: the model's query must equal the gold query or an accepted one, structurally
// (key order, null or empty fields, filter_combination AND, and the order of filters, breakdowns,
// calculations and havings do not matter). `workbench eval` compares executed results instead.
const parse = (x) => {
  if (typeof x !== 'string') return x;
  try { return JSON.parse(x); } catch (e) {
    const m = x.match(/\{[\s\S]*\}/);
    if (m) { try { return JSON.parse(m[0]); } catch (e2) { /* not JSON */ } }
    return null;
  }
};
const out = parse(output);
let calls = null;
if (Array.isArray(out)) calls = out;
else if (out && Array.isArray(out.tool_calls)) calls = out.tool_calls;
else if (out && out.function_call) calls = [{ function: out.function_call }];
let spec = null;
if (calls) {
  const call = calls.find((c) => c && c.function && c.function.name === 'run_query');
  spec = call ? parse(call.function.arguments) : null;
} else if (out && typeof out === 'object') {
  spec = typeof out.content === 'string' ? parse(out.content) : out;
}
if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
  return { pass: false, score: 0, reason: 'no query specification in the output: ' + String(output).slice(0, 200) };
}
const UNORDERED = ['filters', 'breakdowns', 'calculations', 'havings'];
const norm = (v, key) => {
  if (Array.isArray(v)) {
    const items = v.map((x) => norm(x));
    return UNORDERED.includes(key) ? items.map((x) => JSON.stringify(x)).sort() : items;
  }
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x === null || x === undefined || (Array.isArray(x) && x.length === 0)) continue;
      if (k === 'filter_combination' && x === 'AND') continue;
      o[k] = norm(x, k);
    }
    return o;
  }
  return v;
};
const got = JSON.stringify(norm(spec));
const wanted = [context.vars.gold, ...(context.vars.accept || [])].map((s) => JSON.stringify(norm(s)));
const pass = wanted.includes(got);
return { pass, score: pass ? 1 : 0, reason: pass ? 'query matches' : 'query differs from gold: ' + got };
"""


def default_questions() -> Any:
    root = project_root()
    path = root / "questions" / "core.yaml" if root else None
    if path is None or not path.is_file():
        raise ConfigError("no question set for the promptfoo tests", "add --questions FILE")
    return path


def build_promptfoo(prompt: Any, questions: Any = None) -> str:
    """A promptfoo configuration (YAML text) running ``questions`` (default ``questions/core.yaml``)."""
    qs = ensure_question_set(questions if questions is not None else default_questions())
    v = prompt.variant
    rendered = [(q, prompt.render(q.question)) for q in qs]
    system = rendered[0][1].system
    body = rendered[0][1].body
    config: dict[str, Any] = {}
    if v.base_url or v.model == "offline":
        config["apiBaseUrl"] = v.base_url or SERVE_MODEL_URL
    if v.model == "offline" and not v.base_url:
        config["apiKey"] = "not-needed"  # the offline model takes no key
    if v.api_key_env:
        config["apiKeyEnvar"] = v.api_key_env
    config.update({k: val for k, val in body.items() if k not in ("model", "messages")})
    tests = []
    for q, r in rendered:
        test: dict[str, Any] = {
            "description": f"{q.id}: {q.question}",
            "vars": {"question": q.question, "user": r.user, "gold": q.gold},
        }
        if q.accept:
            test["vars"]["accept"] = q.accept
        if q.tags:
            test["metadata"] = {"tags": list(q.tags)}
        tests.append(test)
    serve = " (start it with `workbench serve-model`)" if v.model == "offline" and not v.base_url else ""
    doc = {
        "description": (
            f"Query Workbench prompt {v.name!r} (variant {v.variant_hash[:12]}) on question set {qs.name!r}: "
            f"{len(tests)} questions, model {v.model} at an OpenAI-compatible endpoint{serve}. "
            f"Generated by workbench {workbench_version()}; re-export after changing the prompt."
        ),
        "prompts": [PROMPTFOO_PROMPT],
        "providers": [{"id": f"openai:chat:{v.model}", "label": v.name, "config": config}],
        "defaultTest": {
            "vars": {"system": system},
            "assert": [{"type": "javascript", "value": PROMPTFOO_ASSERT, "metric": "query_match"}],
        },
        "tests": tests,
    }
    header = (
        "# promptfoo configuration exported by Query Workbench (`workbench export --format promptfoo`).\n"
        "# Run: npx promptfoo eval -c THIS_FILE\n"
    )
    return header + dump_yaml(doc, width=110)
