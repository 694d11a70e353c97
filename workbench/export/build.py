"""Building production artifacts (the workbench side): from a bound prompt, with the eval summary of the run log.

``build_artifact`` fills the format ``export.artifact`` describes (and the runtime loads);
``eval_summary`` reads the latest eval run of the exact variant from the experiment log;
``export_prompt`` writes an artifact, a request template or a promptfoo config
(``export.formats``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.yamlio import dump_yaml
from workbench.evaluation.run import EvalRun
from workbench.export.artifact import (
    ARTIFACT_FORMAT,
    FORMAT_VERSION,
    PROBE,
    compression_candidates,
    content_hash,
    workbench_version,
)
from workbench.export.formats import build_promptfoo, build_template
from workbench.pipeline.ask import bind_prompt
from workbench.prompt.render import Prompt
from workbench.prompt.variant import PromptVariant
from workbench.store.runs import RunStore

__all__ = [
    "build_artifact",
    "eval_summary",
    "export_prompt",
    "variant_settings",
    "variant_yaml",
    "write_json",
]


def build_artifact(prompt: Prompt, *, store: Any = None) -> dict[str, Any]:
    """The artifact of a bound prompt (variant + dataset schema + example set), content hash included.

    Args:
        prompt: a ``render.Prompt``.
        store: where to look for the latest eval run of this variant: a ``RunStore``, a path,
            ``None`` for the default experiment log, ``False`` to leave ``eval`` empty.
    """
    v = prompt.variant
    probe = prompt.render(PROBE)
    schema_settings = v.schema_
    examples_settings = prompt._examples_settings()  # the variant's, naming the bound example set
    examples_vary = prompt.example_set is not None and examples_settings.depends_on_question
    schema = prompt.schema
    artifact: dict[str, Any] = {
        "format": ARTIFACT_FORMAT,
        "format_version": FORMAT_VERSION,
        "workbench_version": workbench_version(),
        "variant": {
            "name": v.name,
            "description": v.description,
            "hash": v.variant_hash,
            "settings": variant_settings(v),
            "yaml": variant_yaml(v),
        },
        "model": {
            "name": v.model,
            "base_url": v.base_url,
            "api_key_env": v.api_key_env,
            "output_mode": v.output_mode,
            "params": {k: getattr(v, k) for k in ("temperature", "top_p", "max_tokens", "seed")},
        },
        "request": {k: val for k, val in probe.body.items() if k != "messages"},
        "prompt": {
            "system": probe.system,
            "encoding": probe.encoding,
            "stable_prefix_tokens": probe.stable_prefix_tokens,
            "schema_in": "user" if schema_settings.depends_on_question else "system",
            "examples_in": None if prompt.example_set is None else "user" if examples_vary else "system",
        },
        "compression": {
            "settings": schema_settings.model_dump(mode="json"),
            "depends_on_question": schema_settings.depends_on_question,
            "candidates": compression_candidates(schema, schema_settings),
            "kept": None if schema_settings.depends_on_question else list(probe.compressed.kept),
        },
        "examples": {
            "set": None if prompt.example_set is None else prompt.example_set.name,
            "settings": examples_settings.model_dump(mode="json"),
            "depends_on_question": examples_vary,
            **_examples(prompt),
        },
        "schema": schema.to_dict(),
        "policy": {
            "validate": "structure (Honeycomb rules) then semantics against `schema`",
            "repair": v.repair,
            "max_repairs": 1 if v.repair else 0,
        },
        "dataset": {
            "identity": schema.identity,
            "table": schema.table,
            "now": schema.now.isoformat(),
            "n_columns": len(schema),
        },
        "eval": None if store is False else _eval_or_none(v, store, schema.identity),
    }
    artifact["content_hash"] = content_hash(artifact)
    return artifact


def _examples(prompt: Prompt) -> dict[str, list[dict[str, Any]]]:
    """The usable examples (what selection may pick) and the excluded ones with their findings."""
    examples = prompt.example_set.examples if prompt.example_set is not None else ()
    bad = prompt.invalid_examples
    return {
        "examples": [
            {"question": e.question, "query": e.query} for i, e in enumerate(examples) if i not in bad
        ],
        "excluded": [
            {"index": i, "question": examples[i].question, "findings": [f.to_dict() for f in fs]}
            for i, fs in sorted(bad.items())
        ],
    }


def variant_settings(v: PromptVariant) -> dict[str, Any]:
    """Every setting that reaches the request, instructions as text (validates back to an equal variant)."""
    return v.model_dump(mode="json", by_alias=True, exclude={"instructions_file"})


def variant_yaml(v: PromptVariant) -> str:
    """The variant as YAML with the instructions inline (self-contained)."""
    data = v.to_dict()
    data.pop("instructions_file", None)
    data["instructions"] = v.instructions
    return dump_yaml(data)


def eval_summary(variant: PromptVariant, store: Any = None) -> dict[str, Any] | None:
    """The latest eval run of exactly this variant (name and ``variant_hash``): accuracy, pass^k, cost, latency,
    and the critic's recall and false-alarm rate when the run measured them.

    ``None`` when the log has no such run (a run of another version of the variant does not count).
    """
    log = store if isinstance(store, RunStore) else RunStore(store)
    if not log.path.exists():
        return None
    summary = log.latest_run_for_variant(variant.name, variant.variant_hash)
    if summary is None:
        return None
    run = EvalRun.from_run(log.load_run(summary.run_id))
    vr = run.variant(variant.name)
    m = vr.metrics
    if m is None:
        return None
    out = {
        "run_id": summary.run_id,
        "created_at": summary.created_at.isoformat(),
        "status": summary.status,
        "question_set": {
            "name": summary.question_set_name,
            "hash": summary.question_set_hash,
            "n_questions": summary.n_questions,
        },
        "dataset_identity": summary.dataset_identity,
        "trials_per_question": summary.trials_per_question,
        "n_trials": m.n_trials,
        "accuracy": m.accuracy,
        "accuracy_ci": list(m.accuracy_ci_questions),
        "pass_k": m.pass_k,
        "k": m.k,
        "valid_rate": m.valid_rate,
        "cost_usd": m.cost_usd,
        "cost_per_question": m.cost_per_question,
        "tokens_in_mean": m.tokens_in_mean,
        "tokens_out_mean": m.tokens_out_mean,
        "latency_ms_p50": m.latency_ms_p50,
        "latency_ms_p95": m.latency_ms_p95,
        # the latency is over calls that reached the model; errored trials are not in the rates
        "latency_calls": m.n_timed,
        "cache_hits": m.cache_hits,
        "n_answered": m.n_answered,
        "n_errors": m.n_errors,
    }
    if m.critic_recall is not None or m.critic_false_alarm is not None:
        # the critic measured on this run (None: no executed-but-wrong, or no correct, trial to measure on)
        out |= {"critic_recall": m.critic_recall, "critic_false_alarm": m.critic_false_alarm}
    return out


def _eval_or_none(variant: PromptVariant, store: Any, dataset_identity: str) -> dict[str, Any] | None:
    try:
        summary = eval_summary(variant, store)
    except WorkbenchError as exc:  # a log in use by a running eval must not block an export
        warnings.warn(f"no eval summary in the artifact: {exc}", stacklevel=3)
        return None
    if summary is not None:
        summary["same_dataset"] = summary["dataset_identity"] == dataset_identity
    return summary


# --------------------------------------------------------------------------- files


def write_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as indented UTF-8 JSON (creating folders)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return target


def export_prompt(
    prompt: Prompt | PromptVariant | str | Path,
    out: str | Path,
    *,
    dataset: Any = None,
    format: str = "artifact",
    questions: Any = None,
    store: Any = None,
) -> Path:
    """Export a prompt variant bound to ``dataset``: ``artifact`` (JSON), ``template`` (JSON) or ``promptfoo`` (YAML).

    Example:
        >>> export_prompt("compact", "compact.artifact.json")  # doctest: +SKIP
    """
    bound = bind_prompt(prompt, dataset)
    if format == "artifact":
        return write_json(build_artifact(bound, store=store), out)
    if format == "template":
        return write_json(build_template(bound), out)
    if format == "promptfoo":
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(build_promptfoo(bound, questions), encoding="utf-8")
        return target
    raise ConfigError(f"unknown export format {format!r}", "use artifact, template or promptfoo")
