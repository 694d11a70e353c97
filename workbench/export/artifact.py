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
with one line each. This module is the format only and light (the runtime imports it);
``export.build`` builds artifacts on the workbench side, ``export.formats`` the other formats.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.schema.columns import Schema
from workbench.schema.compress import Context, SchemaSettings, drop_excluded, keep_active

__all__ = [
    "ARTIFACT_FORMAT",
    "FORMAT_VERSION",
    "PROBE",
    "REQUIRED_FIELDS",
    "ArtifactError",
    "canonical_json",
    "compression_candidates",
    "content_hash",
    "load_artifact",
    "verify_artifact",
    "workbench_version",
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
#: a question to render the question-independent parts with
PROBE = "?"


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


# --------------------------------------------------------------------------- facts the builders share


def compression_candidates(schema: Schema, settings: SchemaSettings) -> list[str]:
    """The columns compression can ever keep: what the static rules (excluded, window_days) leave."""
    excluded = set(settings.excluded)
    pinned = tuple(n for n in dict.fromkeys(settings.pinned) if n in schema and n not in excluded)
    ctx = Context(settings=settings, question=None, encoding="", lines=None, pinned=pinned)  # type: ignore[arg-type]
    return list(keep_active(drop_excluded(schema, ctx).schema, ctx).schema.names)


def workbench_version() -> str:
    try:
        return version("query-workbench")
    except PackageNotFoundError:
        return "unknown"
