"""Findings: validation results as data, shared by the CLI JSON, the widgets and evaluation.

A finding never raises. Validation collects every problem it sees, so a user
(or a repair prompt) can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One validation result.

    Args:
        severity: ``error`` blocks execution, ``warning`` and ``info`` do not.
        code: stable machine-readable code, e.g. ``unknown_column``.
        message: one human sentence naming the problem.
        path: JSON-pointer-like path into the spec, e.g. ``filters[0].value``; ``""`` for the whole spec.
        suggestion: the fix, when one is known (e.g. ``use 'android'``).
    """

    severity: Severity
    code: str
    message: str
    path: str = ""
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            severity=data["severity"],
            code=data["code"],
            message=data["message"],
            path=data.get("path", ""),
            suggestion=data.get("suggestion"),
        )

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        fix = f" Suggestion: {self.suggestion}" if self.suggestion else ""
        return f"{self.severity}{where}: {self.message}{fix}"


def error(code: str, message: str, path: str = "", suggestion: str | None = None) -> Finding:
    return Finding("error", code, message, path, suggestion)


def warning(code: str, message: str, path: str = "", suggestion: str | None = None) -> Finding:
    return Finding("warning", code, message, path, suggestion)


def info(code: str, message: str, path: str = "", suggestion: str | None = None) -> Finding:
    return Finding("info", code, message, path, suggestion)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def to_dicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]
