"""Findings: validation results as data, shared by the CLI JSON, the widgets and evaluation.

A finding never raises. Validation collects every problem it sees, so a user
(or a repair prompt) can fix them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def run_rules(
    rules: Iterable[tuple[str, Callable[..., Iterable[Finding]]]],
    *args: Any,
    failure: Callable[[str, Exception], Finding],
) -> list[Finding]:
    """Every finding of ``rules`` (``(name, rule)`` pairs) called with ``args``; never raises.

    A rule that raises is a bug in the checker, not in what it checks: it becomes the one finding
    ``failure(name, exc)`` returns, and the other rules still run (the validators report it as an
    error, the critic as an info).
    """
    findings: list[Finding] = []
    for name, rule in rules:
        try:
            findings.extend(rule(*args))
        except Exception as exc:  # a checker bug must not take the caller down
            findings.append(failure(name, exc))
    return findings


def validator_failure(name: str, exc: Exception) -> Finding:
    """How a validator's own bug is reported: an error, so nothing half-checked runs."""
    return error("validator_error", f"internal error in {name}: {exc!r}", "")
