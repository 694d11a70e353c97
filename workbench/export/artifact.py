"""Production artifacts: one versioned JSON file that carries a tuned prompt variant to production unchanged.

An artifact holds everything ``workbench.runtime`` needs to send, for any question, the
exact request the workbench sends, and to judge the answer the same way:

- ``variant``: name, ``variant_hash``, every setting (instructions inline) and the YAML text;
- ``model``: model name, endpoint settings, output mode and sampling parameters;
- ``request``: the chat.completions body without its messages (tools / response format,
  parameters), as rendered;
- ``prompt``: the system message as rendered (the stable, cacheable prefix) and where the
  question-dependent blocks go;
- ``compression`` and ``examples``: the schema settings with the columns compression can
  ever keep (``candidates``), and the usable examples with the selection settings;
- ``schema``: the dataset's column metadata (``Schema.to_dict()``): what compression reads,
  and the validation rules (columns, types, value domains, when each column was last
  written). It holds every column of the dataset, not only the candidates, because two
  things read the others too: lexical relevance ranking scores a column with BM25 over
  the whole column set (restricting it changes the ranking: on the default dataset 48
  of the 78 shipped questions render differently for ``compact``), and validation tells
  a stale column (a warning) from an unknown one (an error that triggers a repair);
  ``tests/test_export.py`` shows both;
- ``policy``: the repair policy; ``dataset``: the dataset's identity and clock;
- ``eval``: the summary of the latest eval run of this exact variant (same hash), if any;
- ``content_hash``: sha256 of the canonical JSON of everything else.

``load_artifact`` refuses a newer ``format_version``, a missing field and a hash mismatch
with one line each. This module is light at import (the runtime imports it): the
workbench-side builders import rendering, the dataset and the run log lazily.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ConfigError, WorkbenchError

if TYPE_CHECKING:
    from workbench.prompt.render import Prompt
    from workbench.prompt.variant import PromptVariant

__all__ = [
    "ARTIFACT_FORMAT",
    "FORMAT_VERSION",
    "REQUIRED_FIELDS",
    "ArtifactError",
    "build_artifact",
    "canonical_json",
    "content_hash",
    "eval_summary",
    "export_prompt",
    "load_artifact",
    "verify_artifact",
    "write_json",
]

ARTIFACT_FORMAT = "query-workbench/prompt-artifact"
#: the artifact format this version writes and the newest it reads
FORMAT_VERSION = 1
#: dotted paths every artifact must have (checked before the content hash, so the message names the field)
REQUIRED_FIELDS: tuple[str, ...] = (
    "format_version",
    "variant.name",
    "variant.hash",
    "variant.settings",
    "model.name",
    "model.output_mode",
    "request",
    "prompt.system",
    "examples.examples",
    "schema.columns",
    "schema.now",
    "policy.repair",
    "dataset.identity",
    "content_hash",
)
_PROBE = "?"  # a question to render the question-independent parts with


class ArtifactError(ConfigError):
    """An artifact file that cannot be used: not one, from a newer format, edited, or incomplete."""


# --------------------------------------------------------------------------- hashing


def canonical_json(data: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the form the content hash is taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(artifact: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of every field except ``content_hash``."""
    body = {k: v for k, v in artifact.items() if k != "content_hash"}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- loading


def load_artifact(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read and verify an artifact (a path or an already parsed dict); raises ``ArtifactError``."""
    if isinstance(source, dict):
        return verify_artifact(source)
    path = Path(source)
    where = str(path)
    if not path.is_file():
        raise ArtifactError(
            f"artifact not found: {where}", "export one with `workbench export --prompt FILE --out FILE`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{where} is not a prompt artifact: not JSON ({exc})", "re-export it") from None
    return verify_artifact(data, where)


def verify_artifact(data: Any, where: str = "artifact") -> dict[str, Any]:
    """Check format, version, required fields and content hash, in that order; returns ``data``."""
    if not isinstance(data, dict):
        raise ArtifactError(f"{where} is not a prompt artifact: expected a JSON object", "re-export it")
    kind = data.get("format")
    if kind is not None and kind != ARTIFACT_FORMAT:
        raise ArtifactError(
            f"{where} is a {kind!r} file, not a prompt artifact", f"give a {ARTIFACT_FORMAT} file"
        )
    version = data.get("format_version")
    if "format_version" in data and (
        not isinstance(version, int) or isinstance(version, bool) or version < 1
    ):
        raise ArtifactError(f"{where} has an invalid format_version {version!r}", "re-export it")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise ArtifactError(
            f"{where} has artifact format version {version}, newer than this runtime supports ({FORMAT_VERSION})",
            "upgrade query-workbench, or re-export with this version",
        )
    for dotted in REQUIRED_FIELDS:
        node: Any = data
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                raise ArtifactError(
                    f"{where} is missing field {dotted!r}", "re-export it with `workbench export`"
                )
            node = node[key]
    try:
        expected = content_hash(data)
    except (TypeError, ValueError):
        raise ArtifactError(
            f"{where}: artifact was edited or corrupted (not canonical JSON)", "re-export it"
        ) from None
    if data["content_hash"] != expected:
        raise ArtifactError(
            f"{where}: artifact was edited or corrupted (content hash mismatch)",
            "re-export it with `workbench export`; edit the prompt variant, not the artifact",
        )
    return data


# --------------------------------------------------------------------------- building


def build_artifact(prompt: Prompt, *, store: Any = None) -> dict[str, Any]:
    """The artifact of a bound prompt (variant + dataset schema + example set), content hash included.

    Args:
        prompt: a ``render.Prompt``.
        store: where to look for the latest eval run of this variant: a ``RunStore``, a path,
            ``None`` for the default experiment log, ``False`` to leave ``eval`` empty.
    """
    v = prompt.variant
    probe = prompt.render(_PROBE)
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


def compression_candidates(schema: Any, settings: Any) -> list[str]:
    """The columns compression can ever keep: what the static rules (excluded, window_days) leave."""
    from workbench.schema.compress import Context, drop_excluded, keep_active

    excluded = set(settings.excluded)
    pinned = tuple(n for n in dict.fromkeys(settings.pinned) if n in schema and n not in excluded)
    ctx = Context(settings=settings, question=None, encoding="", lines=None, pinned=pinned)  # type: ignore[arg-type]
    return list(keep_active(drop_excluded(schema, ctx).schema, ctx).schema.names)


def variant_settings(v: PromptVariant) -> dict[str, Any]:
    """Every setting that reaches the request, instructions as text (validates back to an equal variant)."""
    return v.model_dump(mode="json", by_alias=True, exclude={"instructions_file"})


def variant_yaml(v: PromptVariant) -> str:
    """The variant as YAML with the instructions inline (self-contained)."""
    from workbench.core.yamlio import dump_yaml

    data = v.to_dict()
    data.pop("instructions_file", None)
    data["instructions"] = v.instructions
    return dump_yaml(data)


def workbench_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("query-workbench")
    except PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- eval summary


def eval_summary(variant: PromptVariant, store: Any = None) -> dict[str, Any] | None:
    """The latest eval run of exactly this variant (name and ``variant_hash``): accuracy, pass^k, cost, latency.

    ``None`` when the log has no such run (a run of another version of the variant does not count).
    """
    from workbench.evaluation.run import EvalRun
    from workbench.store.runs import RunStore

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
    return {
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
    }


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
    from workbench.prompt.render import Prompt

    bound = prompt if isinstance(prompt, Prompt) else Prompt.load(prompt, dataset)
    if format == "artifact":
        return write_json(build_artifact(bound, store=store), out)
    from workbench.export import formats as _export_formats

    if format == "template":
        return write_json(_export_formats.build_template(bound), out)
    if format == "promptfoo":
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_export_formats.build_promptfoo(bound, questions), encoding="utf-8")
        return target
    raise ConfigError(f"unknown export format {format!r}", "use artifact, template or promptfoo")
