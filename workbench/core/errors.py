"""Errors meant for people: one line that names the problem and the fix."""

from __future__ import annotations


class WorkbenchError(Exception):
    """A user-facing error. The CLI prints ``str(err)`` on one line and exits 2; widgets show it."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} ({fix})" if fix else problem)


class SpecError(WorkbenchError):
    """A query specification could not be parsed (not JSON, not an object, wrong shape)."""


class DatasetError(WorkbenchError):
    """A dataset is missing, unreadable, or not shaped like events."""


class ConfigError(WorkbenchError):
    """A prompt variant, example set, question set or artifact file is invalid."""
