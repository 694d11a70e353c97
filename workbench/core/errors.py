"""Errors meant for people: one line that names the problem and the fix."""

from __future__ import annotations

#: the most characters an error's problem (and, separately, its fix) shows: a message quoting a huge
#: input (a 4 MB YAML value, a long question) stays one readable line.
MESSAGE_LIMIT = 400


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit:,} more characters]"


class WorkbenchError(Exception):
    """A user-facing error. The CLI prints ``str(err)`` on one line and exits 2; widgets show it.

    Both parts are clipped to ``MESSAGE_LIMIT`` characters.
    """

    def __init__(self, problem: str, fix: str | None = None) -> None:
        problem = clip(str(problem))
        fix = clip(str(fix)) if fix is not None else None
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} ({fix})" if fix else problem)


class SpecError(WorkbenchError):
    """A query specification could not be parsed (not JSON, not an object, wrong shape)."""


class DatasetError(WorkbenchError):
    """A dataset is missing, unreadable, or not shaped like events."""


class ConfigError(WorkbenchError):
    """A prompt variant, example set, question set or artifact file is invalid."""
