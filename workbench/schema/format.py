"""How a schema is written into a prompt, and read back out of one.

Three formats, each a pure function of the columns and a ``SchemaFormat``:

- ``lines``: ``name (type) : description [values: a | b]`` (or ``[e.g.: a | b]``), one per line;
- ``json``: a JSON array with one object per line;
- ``ddl``: ``CREATE TABLE events ( "name" TYPE, -- description [values: a | b] );``.

``parse_schema_block`` reads any of them back (the formats round-trip), so a
model that only sees the request body (the offline model) can recover the
columns it was given, and tests can check that nothing is lost in rendering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from workbench.schema.columns import ColumnInfo

FormatName = Literal["lines", "json", "ddl"]
FORMATS: tuple[str, ...] = ("lines", "json", "ddl")

_SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}
_FROM_SQL = {v: k for k, v in _SQL_TYPES.items()}


@dataclass(frozen=True)
class SchemaFormat:
    """What each column line shows.

    Args:
        format: ``lines``, ``json`` or ``ddl``.
        types: show the column type (DDL always does).
        descriptions: show the description.
        domains: show the full value list of low-cardinality columns (``ColumnInfo.values``).
        samples: show a few sample values for columns without a shown domain.
        domain_max: largest domain listed in full.
        sample_count: how many sample values to show.
    """

    format: FormatName = "lines"
    types: bool = True
    descriptions: bool = True
    domains: bool = True
    samples: bool = True
    domain_max: int = 25
    sample_count: int = 3


@dataclass(frozen=True)
class ParsedColumn:
    """A column as read back from a schema block."""

    name: str
    type: str | None = None
    description: str | None = None
    values: tuple[Any, ...] | None = None
    examples: tuple[Any, ...] | None = None


def _shown_values(col: ColumnInfo, fmt: SchemaFormat) -> tuple[str, list[Any]] | None:
    if fmt.domains and col.values is not None and 0 < len(col.values) <= fmt.domain_max:
        return "values", list(col.values)
    if fmt.samples and col.sample_values and col.type != "timestamp":
        return "e.g.", list(col.sample_values[: fmt.sample_count])
    return None


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if any(ch in text for ch in "|[]\n") or text != text.strip() or text == "":
        return json.dumps(text)
    return text


def _bracket(col: ColumnInfo, fmt: SchemaFormat) -> str:
    shown = _shown_values(col, fmt)
    if shown is None:
        return ""
    kind, vals = shown
    return f" [{kind}: {' | '.join(_value_text(v) for v in vals)}]"


def format_column(col: ColumnInfo, fmt: SchemaFormat = SchemaFormat()) -> str:
    """One column's line in the chosen format (no trailing newline)."""
    if fmt.format == "json":
        obj: dict[str, Any] = {"name": col.name}
        if fmt.types:
            obj["type"] = col.type
        if fmt.descriptions and col.description:
            obj["description"] = col.description
        shown = _shown_values(col, fmt)
        if shown:
            obj["values" if shown[0] == "values" else "examples"] = shown[1]
        return json.dumps(obj, default=str)
    if fmt.format == "ddl":
        comment = col.description if fmt.descriptions and col.description else ""
        comment = (comment + _bracket(col, fmt)).strip()
        line = f"  {json.dumps(col.name)} {_SQL_TYPES.get(col.type, 'VARCHAR')},"
        return f"{line} -- {comment}" if comment else line
    line = col.name
    if fmt.types:
        line += f" ({col.type})"
    if fmt.descriptions and col.description:
        line += f" : {col.description}"
    return line + _bracket(col, fmt)


def format_schema(
    columns: Iterable[ColumnInfo], fmt: SchemaFormat = SchemaFormat(), table: str = "events"
) -> str:
    """The schema block for ``columns``: what goes under ``## Columns`` in the prompt."""
    lines = [format_column(c, fmt) for c in columns]
    if fmt.format == "json":
        return "[\n" + ",\n".join(lines) + "\n]"
    if fmt.format == "ddl":
        return f"CREATE TABLE {table} (\n" + "\n".join(lines) + "\n);"
    return "\n".join(lines)


# --------------------------------------------------------------------------- parsing

_LINE_RE = re.compile(
    r"^(?P<name>\"(?:[^\"\\]|\\.)*\"|\S+)"
    r"(?: \((?P<type>[a-z]+)\))?"
    r"(?: : (?P<desc>.*?))?"
    r"(?: \[(?P<kind>values|e\.g\.): (?P<vals>.*)\])?$"
)
_DDL_RE = re.compile(r"^\s*(?P<name>\"(?:[^\"\\]|\\.)*\"|\S+)\s+(?P<type>[A-Z]+),?\s*(?:--\s*(?P<rest>.*))?$")
_BRACKET_RE = re.compile(r"^(?P<desc>.*?)\s*\[(?P<kind>values|e\.g\.): (?P<vals>.*)\]$")


_VALUE_RE = re.compile(r'"(?:[^"\\]|\\.)*"(?= \| |$)|.*?(?= \| |$)')


def _split_values(text: str) -> list[str]:
    """Split ``a | "b | c" | d``: JSON-quoted values may contain the separator."""
    out, pos = [], 0
    while pos <= len(text):
        m = _VALUE_RE.match(text, pos)
        out.append(m.group(0).strip())
        pos = m.end() + 3
    return out


def _typed(raw: str, col_type: str | None) -> Any:
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    if col_type == "boolean" and raw in ("true", "false"):
        return raw == "true"
    if col_type == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if col_type == "float":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def _with_values(
    name: str, col_type: str | None, desc: str | None, kind: str | None, vals: str | None
) -> ParsedColumn:
    parsed = tuple(_typed(v, col_type) for v in _split_values(vals)) if vals is not None else None
    return ParsedColumn(
        name=name,
        type=col_type,
        description=desc or None,
        values=parsed if kind == "values" else None,
        examples=parsed if kind == "e.g." else None,
    )


def _name(token: str) -> str:
    return json.loads(token) if token.startswith('"') else token


def _parse_lines(lines: Sequence[str]) -> list[ParsedColumn]:
    out = []
    for line in lines:
        m = _LINE_RE.match(line.strip())
        if m:
            out.append(_with_values(_name(m["name"]), m["type"], m["desc"], m["kind"], m["vals"]))
    return out


def _parse_json(text: str) -> list[ParsedColumn]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []
    out = []
    for obj in data if isinstance(data, list) else []:
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            continue
        values = obj.get("values")
        examples = obj.get("examples")
        out.append(
            ParsedColumn(
                name=obj["name"],
                type=obj.get("type"),
                description=obj.get("description"),
                values=tuple(values) if isinstance(values, list) else None,
                examples=tuple(examples) if isinstance(examples, list) else None,
            )
        )
    return out


def _parse_ddl(lines: Sequence[str]) -> list[ParsedColumn]:
    out = []
    for line in lines[1:]:
        if line.strip().startswith(")"):
            break
        m = _DDL_RE.match(line)
        if not m:
            continue
        col_type = _FROM_SQL.get(m["type"])
        rest = (m["rest"] or "").strip()
        b = _BRACKET_RE.match(rest)
        if b:
            out.append(_with_values(_name(m["name"]), col_type, b["desc"], b["kind"], b["vals"]))
        else:
            out.append(ParsedColumn(name=_name(m["name"]), type=col_type, description=rest or None))
    return out


def detect_format(text: str) -> FormatName:
    head = text.lstrip()
    if head.upper().startswith("CREATE TABLE"):
        return "ddl"
    if head.startswith("["):
        return "json"
    return "lines"


def parse_schema_block(text: str) -> list[ParsedColumn]:
    """Read the columns back from a schema block in any of the three formats."""
    fmt = detect_format(text)
    if fmt == "json":
        return _parse_json(text.strip())
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if fmt == "ddl":
        return _parse_ddl(lines)
    return _parse_lines(lines)
