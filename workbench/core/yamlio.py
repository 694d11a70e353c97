"""YAML files people edit: loading with one-line errors that name the file, key and line; the one YAML writer.

Shared by prompt variants (``variant.py``) and example sets (``examples.py``).
A pydantic ``ValidationError`` becomes a ``ConfigError`` such as
``prompts/x.yaml: output_mode: 'tools' is not one of tool_call, json_schema,
plain_json (fix the value)``; an unknown key suggests the closest known one.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from workbench.core.errors import ConfigError


def display_path(path: str | Path) -> str:
    """``path`` relative to the current directory when it is under it (shorter error messages)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: several times faster


class YamlDoc:
    """The text of a parsed YAML file; its node tree (for line numbers) is built only when asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._node: yaml.Node | None = None
        self._composed = False

    @property
    def node(self) -> yaml.Node | None:
        if not self._composed:
            self._node = yaml.compose(self.text, Loader=_Loader)
            self._composed = True
        return self._node


def read_yaml(path: Path, what: str) -> tuple[Any, YamlDoc]:
    """Parse a YAML file; returns the data and the document (for line numbers in later errors)."""
    shown = display_path(path)
    if not path.exists():
        raise ConfigError(f"{what} not found: {shown}", "check the path or name")
    if path.is_dir():
        raise ConfigError(f"{what} is a directory, not a file: {shown}", "give a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text", "save the file as UTF-8") from None
    return parse_yaml(text, shown)


#: the most nodes a YAML document may hold once its aliases are expanded: far above any real variant,
#: question set or bundle member, far below an alias bomb (nine levels of nine aliases: 387 million).
MAX_EXPANDED_NODES = 100_000


def _expanded_nodes(root: yaml.Node | None, limit: int) -> int:
    """How many nodes ``root`` stands for with every alias expanded; stops counting past ``limit``."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(node)] = total
        return total

    return size(root) if root is not None else 0


def _refuse_alias_bombs(text: str, source: str) -> None:
    """Refuse a document whose aliases (``*name``) expand past ``MAX_EXPANDED_NODES`` (fast: no expansion)."""
    if "&" not in text or "*" not in text:  # no anchor or no alias: nothing can expand
        return
    try:
        root = yaml.compose(text, Loader=_Loader)  # an alias is the anchored node object itself: no copy
    except RecursionError:
        root = None
        count = MAX_EXPANDED_NODES + 1
    else:
        count = _expanded_nodes(root, MAX_EXPANDED_NODES)
    if count > MAX_EXPANDED_NODES:
        raise ConfigError(
            f"{source}: YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values",
            "write the values out instead of repeating anchors (*alias) of anchors",
        )


def parse_yaml(text: str, source: str) -> tuple[Any, YamlDoc]:
    """Parse YAML text (``source`` names it in errors); refuses alias bombs before building anything."""
    try:
        _refuse_alias_bombs(text, source)
        data = yaml.load(text, Loader=_Loader)  # a safe loader: SafeLoader or CSafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{source}: YAML syntax error{where}: {problem}", "fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: YAML error: {exc}", "fix the YAML syntax") from None
    return data, YamlDoc(text)


def line_of(node: yaml.Node | YamlDoc | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node found along ``loc`` (keys and list indexes)."""
    if isinstance(node, YamlDoc):
        node = node.node
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else best
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return best
        best = node.start_mark.line + 1
    return best


def closest(word: str, options: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return match[0] if match else None


def unknown_key_error(source: str, path: str, key: str, known: Sequence[str]) -> ConfigError:
    where = f"{path}." if path else ""
    guess = closest(key, known)
    fix = f"did you mean {guess!r}?" if guess else f"known keys: {', '.join(known)}"
    return ConfigError(f"{source}: {where}{key}: unknown key", fix)


# --------------------------------------------------------------------------- pydantic errors


def _field_keys(model: type[BaseModel]) -> dict[str, str]:
    """Map YAML key (alias or name) -> attribute name."""
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _literal_values(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]
    return []


def _resolve(model: type[BaseModel], loc: Sequence[Any]) -> tuple[list[str | int], type[BaseModel], Any]:
    """Walk a pydantic error location: the YAML key path, the innermost model and the field annotation.

    A key that is not a field of the current model is the unknown key itself; parts after a
    non-model field are union branch tags that pydantic inserts (``str``, ``literal['a']``...).
    """
    path: list[str | int] = []
    current: type[BaseModel] | None = model
    owner: type[BaseModel] = model
    annotation: Any = None
    for part in loc:
        if isinstance(part, int):
            path.append(part)
        elif current is None:
            continue
        elif part in _field_keys(current):
            owner = current
            annotation = current.model_fields[_field_keys(current)[part]].annotation
            path.append(part)
            current = _inner_model(annotation)
        else:
            owner, annotation = current, None
            path.append(part)
            current = None
    return path, owner, annotation


def _path_text(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def config_error(
    exc: ValidationError, model: type[BaseModel], source: str, node: yaml.Node | YamlDoc | None = None
) -> ConfigError:
    """The first validation error as one ``ConfigError`` line: file, key path, problem, fix."""
    err = exc.errors(include_url=False)[0]
    path, owner, annotation = _resolve(model, err["loc"])
    line = line_of(node, path) if node is not None and path else None
    where = f"{source}{f' line {line}' if line else ''}"
    key = _path_text(path)
    value = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        parent, name = _path_text(path[:-1]), str(path[-1]) if path else "?"
        return unknown_key_error(where, parent, name, list(_field_keys(owner)))
    if not path:
        return ConfigError(f"{where}: {err['msg'].removeprefix('Value error, ')}", "fix the file")
    if kind == "missing":
        return ConfigError(f"{where}: {key}: missing", "add it")
    allowed = _literal_values(annotation)
    if kind in ("literal_error", "enum") or (allowed and not isinstance(value, dict | list)):
        names = ", ".join("null" if v is None else str(v) for v in allowed)
        return ConfigError(f"{where}: {key}: {value!r} is not one of {names}", "fix the value")
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = "" if kind.startswith("value_error") else f", got {value!r}"
    return ConfigError(f"{where}: {key}: {msg[0].lower() + msg[1:]}{got}", "fix the value")


# --------------------------------------------------------------------------- dumping


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, ``|`` blocks for multi-line text, lists indented under keys."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any, *, width: int = 100, flow: Callable[[Any], bool] | None = None) -> str:
    """The one YAML writer: block style, insertion order, ``|`` blocks for multi-line text.

    ``flow(value)``, when given, picks the dicts and lists written on one line in flow style
    (a question set writes each gold spec as ``{calculations: [...], ...}``).
    """
    return yaml.dump(
        data, Dumper=_dumper(flow), sort_keys=False, allow_unicode=True, width=width, default_flow_style=False
    )


@functools.cache
def _dumper(flow: Callable[[Any], bool] | None) -> type[yaml.SafeDumper]:
    if flow is None:
        return _Dumper

    class FlowDumper(_Dumper):
        pass

    def mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow(data))

    def sequence(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow(data))

    FlowDumper.add_representer(dict, mapping)
    FlowDumper.add_representer(list, sequence)
    return FlowDumper


def scalar(value: Any) -> str:
    """One YAML scalar on one line (plain when safe, quoted otherwise)."""
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=10_000, default_flow_style=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()
