"""Columns from any common schema layout a system prompt may use.

The workbench's own three formats (``lines``, ``json``, ``ddl`` under ``## Columns``) are read
by ``schema.format.parse_schema_block``. Other tools write schemas their own way; this reads
the common ones anywhere in the system text: Markdown tables (a header with a name column),
``CREATE TABLE`` DDL with any SQL types, JSON arrays of column objects, and plain
``name type`` lines under any heading (``duration_ms float``, ``- duration_ms (float): ...``,
``duration_ms: float - ...``). Each reader is linear in the text; none raises.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workbench.schema.format import ParsedColumn, parse_schema_block

#: SQL and everyday type words -> the workbench's column types
TYPES = {
    **dict.fromkeys(("string", "str", "text", "varchar", "char", "keyword", "uuid", "enum", "nvarchar",
                     "character", "lowcardinality(string)"), "string"),
    **dict.fromkeys(("int", "integer", "bigint", "smallint", "tinyint", "int64", "int32", "int16", "long",
                     "uint64", "uint32", "hugeint", "ubigint"), "integer"),
    **dict.fromkeys(("float", "double", "real", "decimal", "numeric", "float64", "float32", "number",
                     "double precision"), "float"),
    **dict.fromkeys(("bool", "boolean"), "boolean"),
    **dict.fromkeys(("timestamp", "datetime", "date", "time", "timestamptz", "datetime64"), "timestamp"),
}  # fmt: skip
_NAME = r"[`\"']?(?P<name>[A-Za-z_@][\w.:@/\-]{0,119})[`\"']?"
_TYPE = r"(?P<type>[A-Za-z][\w()]*(?:\s+precision)?)(?:\(\d+(?:,\s*\d+)?\))?"
_PLAIN = re.compile(
    rf"^\s*(?:[-*+•]\s+|\d{{1,3}}[.)]\s+)?{_NAME}\s*(?::\s*|\s+|\s*\(\s*){_TYPE}\)?"
    r"(?:\s*(?:[:,;]|--?|—|–|#)\s*(?P<desc>.*))?\s*$"
)
_DDL_START = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TABLE\b[^(]*\(", re.I)
_DDL_COLUMN = re.compile(
    rf"^\s*{_NAME}\s+{_TYPE}[^,\-]*?(?:\bCOMMENT\s+'(?P<comment>(?:[^']|'')*)')?\s*,?\s*(?:--\s*(?P<desc>.*))?$",
    re.I,
)
_NAME_HEADERS = ("name", "column", "column name", "field", "attribute", "key")
_TYPE_HEADERS = ("type", "data type", "datatype", "kind")
_DESC_HEADERS = ("description", "desc", "meaning", "notes", "comment", "doc", "documentation")
_VALUE_HEADERS = ("values", "allowed values", "examples", "example values", "enum")


def _type(word: str | None) -> str | None:
    return TYPES.get((word or "").strip().lower())


def _values(raw: Any) -> tuple[Any, ...] | None:
    if isinstance(raw, list):
        return tuple(raw) or None
    if isinstance(raw, str) and raw.strip():
        return tuple(v.strip().strip("`'\"") for v in re.split(r"\s*[|,;]\s*", raw) if v.strip())
    return None


def markdown_tables(text: str) -> list[ParsedColumn]:
    """Rows of Markdown tables whose header names a column field (``| name | type | description |``)."""
    out: list[ParsedColumn] = []
    lines = text.splitlines()
    for i in range(len(lines) - 1):
        if not lines[i].lstrip().startswith("|") or not re.match(r"^\s*\|?\s*:?-{2,}", lines[i + 1]):
            continue
        header = [h.strip().strip("*`").lower() for h in lines[i].strip().strip("|").split("|")]
        where = {
            role: next((k for k, h in enumerate(header) if h in names), None)
            for role, names in (("name", _NAME_HEADERS), ("type", _TYPE_HEADERS), ("desc", _DESC_HEADERS),
                                ("values", _VALUE_HEADERS))
        }  # fmt: skip
        if where["name"] is None:
            continue
        for row in lines[i + 2 :]:
            if not row.lstrip().startswith("|"):
                break
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            cell = {role: cells[k] if k is not None and k < len(cells) else "" for role, k in where.items()}
            name = cell["name"].strip("`*\"' ")
            if name:
                out.append(
                    ParsedColumn(name, _type(cell["type"]), cell["desc"] or None, _values(cell["values"]))
                )
    return out


def ddl(text: str) -> list[ParsedColumn]:
    """Columns of ``CREATE TABLE`` statements (any SQL types; ``COMMENT '...'`` or ``-- ...`` as description)."""
    out: list[ParsedColumn] = []
    for start in _DDL_START.finditer(text):
        for line in text[start.end() :].splitlines():
            if line.strip().startswith(")"):
                break
            for part in [line] if "--" in line else line.split(","):
                m = _DDL_COLUMN.match(part)
                if m and m["name"].upper() not in (
                    "PRIMARY",
                    "CONSTRAINT",
                    "UNIQUE",
                    "KEY",
                    "INDEX",
                    "FOREIGN",
                ):
                    desc = (m["comment"] or "").replace("''", "'") or m["desc"]
                    out.append(
                        ParsedColumn(m["name"], _type(m["type"]) or "string", (desc or "").strip() or None)
                    )
    return out


def json_arrays(text: str) -> list[ParsedColumn]:
    """JSON arrays of column objects (``name``/``column``/``field``, ``type``, ``description``, ``values``)."""
    out: list[ParsedColumn] = []
    decoder = json.JSONDecoder()
    pos = text.find("[")
    while pos != -1:
        try:
            data, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos = text.find("[", pos + 1)
            continue
        for obj in data if isinstance(data, list) else []:
            if not isinstance(obj, dict):
                continue
            name = next(
                (obj[k] for k in ("name", "column", "field", "column_name") if isinstance(obj.get(k), str)),
                None,
            )
            if name:
                kind = obj.get("type") or obj.get("data_type") or obj.get("datatype")
                desc = next(
                    (
                        obj[k]
                        for k in ("description", "desc", "doc", "comment")
                        if isinstance(obj.get(k), str)
                    ),
                    None,
                )
                values = _values(obj.get("values") or obj.get("enum"))
                out.append(ParsedColumn(name, _type(str(kind)) if kind else None, desc, values))
        pos = text.find("[", end)
    return out


def plain_lines(text: str) -> list[ParsedColumn]:
    """``name type`` lines (optionally bulleted, with a description after ``:``/``-``/``,``) anywhere."""
    out = []
    for line in text.splitlines():
        m = _PLAIN.match(line)
        if m and _type(m["type"]):
            out.append(ParsedColumn(m["name"], _type(m["type"]), (m["desc"] or "").strip() or None))
    return out


def find_columns(text: str) -> list[ParsedColumn]:
    """The columns of the first layout that finds at least two (tables, DDL, JSON, then plain lines)."""
    for reader in (markdown_tables, ddl, json_arrays, plain_lines):
        found = reader(text)
        if len(found) >= 2:
            return list({c.name: c for c in found}.values())
    return []


_IDENT = re.compile(r"^[A-Za-z_@][\w.:@/\-]*$")


def read_columns(section: str, system: str = "") -> list[ParsedColumn]:
    """The prompt's columns: its ``## Columns`` section in a workbench format, else any common layout.

    ``section`` is the ``## Columns`` body (may be empty), ``system`` the rest of the system text.
    """
    if section.strip() and not re.search(r"^\s*\|", section, re.M):
        own = parse_schema_block(section)
        if own and all(_IDENT.match(c.name) for c in own):
            return own
    return find_columns(f"{section}\n{system}")
