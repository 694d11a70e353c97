"""Prompt variants: the one source of truth for what a prompt is, loaded from ``prompts/*.yaml``.

A ``PromptVariant`` is immutable: ``with_(...)`` returns a changed copy, nested
settings merge (``v.with_(schema={"token_budget": 800})``). The widget, the CLI,
evaluation and export all read and write this object. Loading a file gives
one-line ``ConfigError`` messages naming the file, line, key path and the fix.

Instructions are inline text (``instructions: |``) or a file next to the
variant (``instructions_file: instructions/default.md``), so that several
variants can share one text; the loaded variant always holds the text itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workbench.core.errors import ConfigError
from workbench.core.paths import home, project_root, prompts_dir
from workbench.core.yamlio import config_error, display_path, dump_yaml, read_yaml, unknown_key_error
from workbench.prompt.callsettings import DeclaredPrice, check_extra_body
from workbench.prompt.conventions import Conventions
from workbench.prompt.example_selection import ExampleSettings
from workbench.schema.compress import SchemaSettings

__all__ = [
    "OutputModeName",
    "PromptVariant",
    "available_variants",
    "load_variant",
    "resolve_variant_path",
    "variant_from_yaml",
]

OutputModeName = Literal["tool_call", "json_schema", "plain_json"]
#: what ``api_key_env`` may name: a key-like variable, never HOME or any other environment variable
API_KEY_ENV = re.compile(r"[A-Z][A-Z0-9_]*(API_KEY|_KEY|_TOKEN)")


class PromptVariant(BaseModel):
    """A prompt variant: model, parameters, instructions, schema compression and example selection.

    Args:
        name: short id shown in comparisons.
        description: what this variant is trying.
        model: model name (``offline`` = the built-in offline model).
        base_url: an OpenAI-compatible server for this variant (else ``OPENAI_BASE_URL``).
        api_key_env: the environment variable holding its API key (else ``OPENAI_API_KEY``).
        output_mode: ``tool_call``, ``json_schema`` or ``plain_json``.
        temperature, top_p, max_tokens, seed: sampling parameters sent with the request.
        repair: on invalid output, send one repair turn with the findings.
        repair_on: what a repair turn answers: ``errors`` (invalid output, the default) or ``warnings``
            too (e.g. the critic's: a valid query that does not answer the question).
        schema: schema compression settings (``compress.SchemaSettings``).
        examples: example set and selection (``example_selection.ExampleSettings``).
        instructions: the system instructions text.
        instructions_file: where the instructions were read from (relative to the variant's folder).
        conventions: the team's conventions (``conventions.Conventions``): rendered into the prompt
            and read by the critic; ``None`` states none.
        text_query: tool_call mode, a query the model wrote as text instead of calling the tool:
            ``accept`` it with a warning (the default) or ``reject`` it.
        timeout_s, max_attempts: per HTTP attempt, and attempts per call (else the environment's
            ``WORKBENCH_TIMEOUT_S`` / ``WORKBENCH_MAX_ATTEMPTS``, else 60 s and 4); a CLI flag wins.
        price: the model's price in USD per million tokens, when the price table lacks it.
        extra_body: server-specific request parameters (``cache_prompt``, ``top_k``, ...), sent
            as they are; never model, messages, tools, output format or the endpoint.
        current_query: how a follow-up's current query is shown (a ``## Current query`` section
            after the stable prefix): ``json`` (the spec, the default), ``readback`` (one line of
            English) or ``none`` (not shown: every question stands alone).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    model: str = Field(default="offline", min_length=1)
    base_url: str | None = None
    api_key_env: str | None = None
    output_mode: OutputModeName = "tool_call"
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=1000, ge=1)
    seed: int | None = None
    repair: bool = False
    repair_on: Literal["errors", "warnings"] = "errors"
    schema_: SchemaSettings = Field(default_factory=SchemaSettings, alias="schema")
    examples: ExampleSettings = Field(default_factory=ExampleSettings)
    conventions: Conventions | None = None
    text_query: Literal["accept", "reject"] = "accept"
    timeout_s: float | None = Field(default=None, gt=0)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    price: DeclaredPrice | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)
    current_query: Literal["json", "readback", "none"] = "json"
    instructions_file: str | None = None
    instructions: str = Field(min_length=1)

    _source: Path | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _read_instructions_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("instructions") or not data.get("instructions_file"):
            return data
        base = (info.context or {}).get("base_dir")
        ref = str(data["instructions_file"])
        folders = [Path(base)] if base else []
        folders += [prompts_dir(), home() / "prompts"]
        for folder in dict.fromkeys(folders):
            path = _inside(folder, ref)
            if path is not None and path.is_file():
                return {**data, "instructions": path.read_text(encoding="utf-8")}
        if Path(ref).is_absolute() or ".." in Path(ref).parts or _escapes(folders, ref):
            raise ValueError(
                f"instructions_file: {ref!r} is outside the variant's folder and the prompts folder; "
                "put the file next to the variant"
            )
        looked = ", ".join(dict.fromkeys(display_path(f) for f in folders))
        raise ValueError(f"instructions_file: {ref!r} not found (looked in {looked})")

    @field_validator("extra_body")
    @classmethod
    def _server_parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_extra_body(value)

    @field_validator("api_key_env")
    @classmethod
    def _key_like(cls, value: str | None) -> str | None:
        if value is not None and not API_KEY_ENV.fullmatch(value):
            raise ValueError(
                f"{value!r} does not name an API key variable; use a name like MY_LLM_API_KEY "
                "(capitals, ending in _KEY or _TOKEN)"
            )
        return value

    def __eq__(self, other: object) -> bool:
        # the settings that reach the request: where the variant or its instructions were read from
        # (the source path, instructions_file) does not make two variants different
        if not isinstance(other, PromptVariant):
            return NotImplemented
        return self.model_dump(exclude={"instructions_file"}) == other.model_dump(
            exclude={"instructions_file"}
        )

    def __hash__(self) -> int:
        return hash(self.variant_hash)

    @property
    def schema(self) -> SchemaSettings:  # type: ignore[override]  # BaseModel.schema() is deprecated
        """The schema compression settings (YAML key ``schema``)."""
        return self.schema_

    @property
    def source(self) -> Path | None:
        """The file this variant was loaded from, if any."""
        return self._source

    @property
    def depends_on_question(self) -> bool:
        """True when part of the prompt (schema or examples) is chosen per question."""
        return bool(self.schema_.depends_on_question or self.examples.depends_on_question)

    # ----------------------------------------------------------------- copies

    def with_(self, **changes: Any) -> PromptVariant:
        """A copy with ``changes``; ``schema`` and ``examples`` dicts merge into the current settings.

        Example:
            >>> v.with_(temperature=0.7, schema={"token_budget": 800})  # doctest: +SKIP
        """
        data = self.model_dump(by_alias=True)
        known = list(data)
        for key, value in changes.items():
            key = "schema" if key == "schema_" else key
            if key not in data:
                raise unknown_key_error("with_()", "", key, known)
            if isinstance(value, BaseModel):
                value = value.model_dump()
            if key in ("schema", "examples", "conventions") and isinstance(value, dict) and data[key]:
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        if "instructions" in changes and "instructions_file" not in changes:
            data["instructions_file"] = None  # the text no longer comes from the file
        if "instructions_file" in changes and "instructions" not in changes:
            data.pop("instructions")  # re-read from the new file
        base = self._source.parent if self._source else None
        copy = _validate(data, "with_()", base_dir=base)
        copy._source = self._source
        return copy

    # ----------------------------------------------------------------- files

    def to_dict(self) -> dict[str, Any]:
        """The YAML-ready mapping: every setting in a stable order; instructions last."""
        data = self.model_dump(mode="json", by_alias=True)
        window = data["schema"].get("window_days")
        if isinstance(window, float) and window.is_integer():
            data["schema"]["window_days"] = int(window)  # write 7, not 7.0
        if data.get("conventions") is None:
            data.pop("conventions", None)  # variants without conventions keep their YAML and hash
        _drop_defaults(data)  # older variants keep their YAML and hash
        if self.instructions_file:
            del data["instructions"]
        else:
            del data["instructions_file"]
        return data

    def dump(self) -> str:
        """The variant as YAML text (loads back to an equal variant)."""
        return dump_yaml(self.to_dict())

    def save(self, path: str | Path | None = None) -> Path:
        """Write the YAML to ``path`` (default: the file it came from, else ``prompts/<name>.yaml``)."""
        target = Path(path) if path is not None else (self._source or prompts_dir() / f"{self.name}.yaml")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        if self.instructions_file and not _instructions_reachable(self, target.parent):
            data.pop("instructions_file")
            data["instructions"] = self.instructions  # keep the file self-contained
        target.write_text(dump_yaml(data), encoding="utf-8")
        return target

    @property
    def variant_hash(self) -> str:
        """sha256 of the canonical JSON of every setting that reaches the request (instructions as text)."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"instructions_file"})
        if data.get("conventions") is None:
            data.pop("conventions", None)
        _drop_defaults(data)
        return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def schema_summary(self) -> str:
        """The schema settings in a few words, e.g. ``written in last 7 days, lines``."""
        custom = getattr(self.schema_, "summary", None)
        return custom() if callable(custom) else _schema_summary(self.schema_)

    def summary(self) -> str:
        """One line: model, mode, schema and examples settings."""
        return f"{self.model}, {self.output_mode}, schema: {self.schema_summary()}; examples: {self.examples.summary()}"


#: settings added after variants were first saved, and their defaults: left out of the YAML and the hash
_LATER_DEFAULTS: dict[str, Any] = {
    "repair_on": "errors",
    "text_query": "accept",
    "timeout_s": None,
    "max_attempts": None,
    "price": None,
    "extra_body": {},
    "current_query": "json",
}


def _drop_defaults(data: dict[str, Any]) -> None:
    for key, default in _LATER_DEFAULTS.items():
        if key in data and data[key] == default:
            del data[key]


def _inside(folder: Path, ref: str) -> Path | None:
    """``folder / ref`` with symlinks resolved, if it stays inside ``folder`` (else ``None``)."""
    try:
        root = folder.resolve()
        path = (root / ref).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) else None


def _escapes(folders: list[Path], ref: str) -> bool:
    """True when ``ref`` exists under one of ``folders`` but resolves (a symlink) outside it."""
    return any((f / ref).exists() and _inside(f, ref) is None for f in folders)


def _instructions_reachable(variant: PromptVariant, folder: Path) -> bool:
    """True when the copy will find its instructions file on any machine with the same project."""
    ref = variant.instructions_file or ""
    root = project_root()  # not the shipped fallback of prompts_dir(): a colleague may not have it
    for path in (folder / ref, *([root / "prompts" / ref] if root is not None else [])):
        if path.is_file() and path.read_text(encoding="utf-8") == variant.instructions:
            return True
    return False


def _schema_summary(settings: SchemaSettings) -> str:
    data = settings.model_dump()
    parts = []
    if data.get("window_days") is not None:
        parts.append(f"written in last {data['window_days']:g} days")
    if data.get("relevance") not in (None, "none"):
        parts.append(f"{data['relevance']} relevance")
    if data.get("max_columns") is not None:
        parts.append(f"<= {data['max_columns']} columns")
    if data.get("token_budget") is not None:
        parts.append(f"<= {data['token_budget']} tokens")
    parts.append(str(data.get("format", "lines")))
    return ", ".join(parts) if len(parts) > 1 else f"all columns, {parts[0]}"


# --------------------------------------------------------------------------- loading


def _validate(data: Any, source: str, *, base_dir: Path | None = None, node: Any = None) -> PromptVariant:
    try:
        return PromptVariant.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise config_error(exc, PromptVariant, source, node) from None


def available_variants() -> list[str]:
    """Names of the variants in ``prompts/``."""
    folder = prompts_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def resolve_variant_path(path_or_name: str | Path) -> Path:
    """``compact`` means ``prompts/compact.yaml``; anything with a slash or ``.yaml`` is a path."""
    text = str(path_or_name)
    if isinstance(path_or_name, Path) or "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        return Path(text).expanduser()
    return prompts_dir() / f"{text}.yaml"


def load_variant(path_or_name: str | Path | PromptVariant) -> PromptVariant:
    """Load a variant by name (``prompts/<name>.yaml``) or path; a ``PromptVariant`` passes through.

    Raises:
        ConfigError: missing file, YAML syntax error (with line), unknown key (with the closest
            known key), or a bad value (with the allowed values).
    """
    if isinstance(path_or_name, PromptVariant):
        return path_or_name
    path = resolve_variant_path(path_or_name)
    if not path.exists():
        known = available_variants()
        fix = f"available variants: {', '.join(known)}" if known else "give a path to a .yaml file"
        raise ConfigError(f"prompt variant not found: {path_or_name} ({display_path(path)})", fix)
    data, node = read_yaml(path, "prompt variant")
    source = display_path(path)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a prompt variant must be a YAML mapping of settings", "see prompts/naive.yaml"
        )
    data = {"name": path.stem, **data}
    variant = _validate(data, source, base_dir=path.parent, node=node)
    variant._source = path.resolve()
    return variant


def variant_from_yaml(text: str, source: str = "<text>", base_dir: Path | None = None) -> PromptVariant:
    """Parse a variant from YAML text (e.g. edited in a widget)."""
    from workbench.core.yamlio import parse_yaml

    data, node = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a prompt variant must be a YAML mapping of settings", "see prompts/naive.yaml"
        )
    return _validate(data, source, base_dir=base_dir, node=node)
