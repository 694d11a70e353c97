"""``Answer``: everything about one question: the attempts, the accepted spec, its SQL and result, the cost.

Built by ``pipeline.ask.finish`` (the workbench, which executes) and by ``workbench.runtime``
(which compiles only). Light at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.findings import Finding
from workbench.pipeline.judge import Attempt
from workbench.spec.readback import readback

if TYPE_CHECKING:
    from workbench.prompt.rendered import RenderedPrompt

__all__ = ["Answer"]


@dataclass(frozen=True)
class Answer:
    """Everything about one question: the attempts, the accepted spec, its SQL and result, and the cost."""

    question: str
    variant: str
    model: str
    attempts: tuple[Attempt, ...]
    #: the executed result (a ``sql.execute.QueryResult``), set by the workbench; the runtime never executes
    result: Any = None
    sql: str | None = None
    execution_findings: tuple[Finding, ...] = ()
    rendered: RenderedPrompt | None = field(default=None, compare=False, repr=False)

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def valid(self) -> bool:
        return self.final.ok

    @property
    def spec(self) -> dict[str, Any] | None:
        """The query the model gave (normalized when it parsed), or ``None`` when it gave none."""
        final = self.final
        if final.validation is not None and final.validation.spec is not None:
            return final.validation.spec.to_dict()
        return final.parsed.spec

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.final.findings + self.execution_findings

    @property
    def message(self) -> str | None:
        """The model's own text (its explanation when it declined)."""
        return self.final.parsed.text

    @property
    def repaired(self) -> bool:
        return len(self.attempts) > 1 and self.final.ok

    @property
    def tokens_in(self) -> int:
        return sum(a.call.prompt_tokens or 0 for a in self.attempts)

    @property
    def tokens_out(self) -> int:
        return sum(a.call.completion_tokens or 0 for a in self.attempts)

    @property
    def cached_tokens(self) -> int:
        return sum(a.call.cached_tokens or 0 for a in self.attempts)

    @property
    def latency_ms(self) -> float:
        """Time of the attempts that answered (time lost to retries is ``retry_ms``)."""
        return sum(a.call.latency_ms for a in self.attempts)

    @property
    def retry_ms(self) -> float:
        """Time lost to failed HTTP attempts and backoff before the answering ones."""
        return sum(getattr(a.call, "retry_ms", 0.0) for a in self.attempts)

    @property
    def http_attempts(self) -> int:
        """HTTP attempts over all model calls (a cache hit makes none)."""
        return sum(a.call.attempts for a in self.attempts)

    @property
    def tokens_estimated(self) -> bool:
        """Some token count is a tiktoken estimate: the server reported no usage."""
        return any(a.call.usage_estimated for a in self.attempts)

    @property
    def cost_usd(self) -> float | None:
        # a call that got no answer was not billed; an answered one without a price is unknown, never $0
        costs = [a.call.cost_usd for a in self.attempts if a.call.response is not None]
        return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]

    @property
    def cache_hit(self) -> bool:
        return all(a.call.cache_hit for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """DESIGN.md's ``ask --json``: the ``query`` JSON plus question, spec, model, tokens, latency, cost."""
        result = self.result.to_dict() if self.result is not None else {}
        out: dict[str, Any] = {
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.findings],
            "sql": self.sql,
            "columns": result.get("columns", []),
            "rows": result.get("rows", []),
            "question": self.question,
            "spec": self.spec,
            "model": self.model,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency_ms": round(self.latency_ms, 3),
            "cost_usd": self.cost_usd,
            "variant": self.variant,
            "message": self.message,
            "cache_hit": self.cache_hit,
            "repaired": self.repaired,
            "attempts": len(self.attempts),
            "http_attempts": self.http_attempts,
            "retry_ms": round(self.retry_ms, 3),
            "tokens_estimated": self.tokens_estimated,
        }
        if result.get("series") is not None:
            out["series"] = result["series"]
        out["readback"] = readback(self.spec) if self.valid and self.spec else None
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)
