"""``workbench.runtime``: a tuned prompt in a production service, from its exported artifact.

Example::

    from workbench.runtime import Assistant

    assistant = Assistant.from_artifact("compact.artifact.json")   # verified: version, fields, hash
    request = assistant.render("slow endpoints for android users yesterday")  # {"messages", "tools"}
    answer = assistant.ask("slow endpoints for android users yesterday", dialect="postgres")
    if answer.valid:
        rows = my_engine.execute(answer.sql)        # the caller runs the SQL on its own engine
    else:
        print(answer.findings)                       # why there is no query

The runtime is the workbench's own light core, not a copy of it: rendering
(``render.Prompt`` over the artifact's schema snapshot and usable examples), the model
call through the ``openai`` client (``runner``: retries with backoff, no cache), parsing
with the output mode, validation, the judge-and-repair policy (``pipeline.policy``, the same
object the workbench and evaluation drive) and compilation (``compile_spec``). So a request is
exactly the one the workbench renders for that question, and an answer is judged by
the same rules.

It imports neither pandas, duckdb, ipywidgets nor Jupyter, at import or when used
(``tests/test_runtime.py`` runs it in a subprocess with those imports blocked). The
``embedding`` relevance setting needs a local sentence-embedding model, as in the
workbench.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.findings import error
from workbench.core.question import checked_question
from workbench.export.artifact import ArtifactError, load_artifact, verify_artifact, workbench_version
from workbench.llm.backends import Backend, backend_for, call_settings
from workbench.llm.runner import Job, call, run_calls
from workbench.pipeline.answer import Answer
from workbench.pipeline.judge import Attempt
from workbench.pipeline.policy import RepairPolicy, adrive, drive, with_trial_seed
from workbench.prompt.examples import Example, ExampleSet
from workbench.prompt.render import Prompt
from workbench.prompt.variant import PromptVariant
from workbench.schema.columns import Schema
from workbench.sql.compiler import DIALECTS, CompiledQuery, compile_spec

if TYPE_CHECKING:
    from workbench.llm.client import ModelCall
    from workbench.pipeline.policy import Steps
    from workbench.prompt.rendered import RenderedPrompt

__all__ = ["ArtifactError", "Assistant", "RuntimeAnswer"]


@dataclass(frozen=True)
class RuntimeAnswer(Answer):
    """``pipeline.Answer`` without execution: the spec, its findings, and the SQL for ``dialect``.

    ``sql`` (and ``compiled.series_sql`` for a spec with a granularity) is for the caller's
    engine; ``spec`` is ``None`` and ``valid`` False when the model gave no usable query
    (the findings say why).
    """

    dialect: str = "duckdb"
    compiled: CompiledQuery | None = None

    @property
    def series_sql(self) -> str | None:
        return None if self.compiled is None else self.compiled.series_sql

    def to_dict(self) -> dict[str, Any]:
        """``ask --json`` without the result rows, plus ``dialect``, ``series_sql`` and result ``columns``.

        ``readback`` (the spec in one line of plain English, ``None`` without a valid spec) and the
        critic's warnings among ``findings`` are kept from ``Answer.to_dict``.
        """
        out = super().to_dict()
        out.pop("rows", None)
        out["columns"] = list(self.compiled.columns) if self.compiled is not None else []
        out["dialect"] = self.dialect
        out["series_sql"] = self.series_sql
        return out


@dataclass(frozen=True)
class _Turn:
    """One question's state before its first model call (shared by ``ask`` and ``aask``)."""

    prompt: Prompt
    rendered: RenderedPrompt
    backend: Backend
    timeout_s: float
    max_attempts: int
    steps: Steps


class Assistant:
    """An exported prompt variant, ready to render requests and answer questions.

    Args:
        artifact: the artifact as a parsed dict (``from_artifact`` reads a file).
        source: what to call the artifact in error messages.

    Raises:
        ArtifactError: a newer format version, a missing field, a content-hash mismatch, or an
            artifact this workbench version would render differently from the one that exported it.
    """

    def __init__(
        self, artifact: dict[str, Any], *, source: str = "artifact", _verified: bool = False
    ) -> None:
        data = artifact if _verified else verify_artifact(artifact, source)
        self.artifact = data
        self.source = source
        try:
            variant = PromptVariant.model_validate(data["variant"]["settings"])
            schema = Schema.from_dict(data["schema"])
            examples = data["examples"]
            example_set = None
            if examples.get("set") is not None:
                items = tuple(Example(e["question"], e["query"]) for e in examples["examples"])
                example_set = ExampleSet(name=examples["set"], examples=items)
        except (ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            raise ArtifactError(
                f"{source}: the artifact's variant, schema or examples cannot be read: {exc}",
                "re-export it with this workbench version",
            ) from None
        self.variant: PromptVariant = variant
        self.schema: Schema = schema
        self._prompt: Prompt = Prompt(variant, schema, example_set)
        #: how answers are judged and repaired: the workbench's own policy
        self.policy: RepairPolicy = RepairPolicy.for_variant(variant, schema)
        self._default_backend: Backend | None = None
        self._bound_cache: tuple[tuple[datetime, str], Prompt, RepairPolicy] | None = None
        self._check_rendering()

    @classmethod
    def from_artifact(cls, path: str | Path) -> Assistant:
        """Load and verify an artifact file (see ``workbench.export.artifact``)."""
        return cls(load_artifact(path), source=str(path), _verified=True)

    # ----------------------------------------------------------------- facts

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def model(self) -> str:
        return self.variant.model

    @property
    def content_hash(self) -> str:
        return self.artifact["content_hash"]

    @property
    def eval(self) -> dict[str, Any] | None:
        """The summary of the latest eval run of this variant at export time (accuracy, pass^k, cost, latency)."""
        return self.artifact.get("eval")

    def __repr__(self) -> str:
        return (
            f"<Assistant {self.name!r} ({self.model}, {self.variant.output_mode}) {self.content_hash[:19]}>"
        )

    # ----------------------------------------------------------------- requests

    def render(self, question: str, current: Any = None) -> dict[str, Any]:
        """``{"messages", "tools"}`` exactly as the workbench renders them for ``question``.

        In ``json_schema`` mode ``tools`` is ``None`` and ``response_format`` is included.
        ``current``: the query a follow-up question changes (a spec dict), shown to the model.
        """
        r = self._prompt.render(question, current)
        out: dict[str, Any] = {"messages": r.messages, "tools": copy.deepcopy(r.tools)}
        if r.response_format is not None:
            out["response_format"] = copy.deepcopy(r.response_format)
        return out

    def request(self, question: str, current: Any = None) -> dict[str, Any]:
        """The whole chat.completions body for ``question`` (model, messages, tools, parameters)."""
        return copy.deepcopy(self._prompt.render(question, current).body)

    # ----------------------------------------------------------------- answers

    def ask(
        self,
        question: str,
        *,
        dialect: str = "duckdb",
        client: Any = None,
        timeout_s: float | None = None,
        max_attempts: int | None = None,
        current: Any = None,
        now: datetime | float | None = None,
        table: str | None = None,
    ) -> RuntimeAnswer:
        """Ask the model, judge its answer like the workbench does, and compile the accepted spec.

        Args:
            question: the user's question (not empty, at most ``MAX_QUESTION_CHARS`` characters).
            dialect: SQL dialect of ``sql``: duckdb, clickhouse, bigquery, postgres or trino.
            now: the current time, which relative times ("last hour") resolve against: a datetime
                (naive = UTC) or epoch seconds. Default: the ``now`` of the dataset the prompt was
                exported from (reproduces the eval; a live service passes ``datetime.now(UTC)``).
            table: the table the SQL reads (default: the exported dataset's, usually ``events``).
            client: an ``openai.OpenAI`` client (its base URL and key are used) or a
                ``workbench.llm.backends.Backend``; default: the variant's endpoint (``OPENAI_API_KEY`` /
                ``OPENAI_BASE_URL`` or the variant's ``base_url``; the in-process model for ``offline``).
            timeout_s: per HTTP attempt (default: the variant's, ``WORKBENCH_TIMEOUT_S``, else 60 s).
            max_attempts: attempts per model call (retries with backoff on 429/5xx/timeouts; default:
                the variant's, ``WORKBENCH_MAX_ATTEMPTS``, else 4).
            current: the query this question follows up on (the previous answer's ``spec``): shown
                to the model; the answer is judged as a follow-up (a dropped filter is a warning).
        """
        turn = self._turn(question, dialect, client, timeout_s, max_attempts, current, now, table)

        def send(body: dict[str, Any]) -> ModelCall:
            return call(body, backend=turn.backend, timeout_s=turn.timeout_s, max_attempts=turn.max_attempts)

        return self._finish(turn.rendered, drive(turn.steps, send), dialect, turn.prompt.schema)

    async def aask(
        self,
        question: str,
        *,
        dialect: str = "duckdb",
        client: Any = None,
        timeout_s: float | None = None,
        max_attempts: int | None = None,
        current: Any = None,
        now: datetime | float | None = None,
        table: str | None = None,
    ) -> RuntimeAnswer:
        """``ask`` for async services: the calls run on the caller's event loop."""
        turn = self._turn(question, dialect, client, timeout_s, max_attempts, current, now, table)

        async def send(body: dict[str, Any]) -> ModelCall:
            calls = run_calls(
                [Job(body, turn.backend)],
                concurrency=1,
                timeout_s=turn.timeout_s,
                max_attempts=turn.max_attempts,
            )
            async with contextlib.aclosing(calls) as results:
                async for result in results:
                    return result.call
            raise RuntimeError("the runner returned no result")  # pragma: no cover

        attempts = await adrive(turn.steps, send)
        return self._finish(turn.rendered, attempts, dialect, turn.prompt.schema)

    def _turn(
        self,
        question: str,
        dialect: str,
        client: Any,
        timeout_s: float | None,
        max_attempts: int | None,
        current: Any,
        now: datetime | float | None,
        table: str | None,
    ) -> _Turn:
        """What ``ask`` and ``aask`` share before the first call: checked input, call settings, the
        bound prompt and policy, the backend, the rendered request and the policy's steps."""
        self._check_dialect(dialect)
        checked_question(question)
        timeout_s, max_attempts = call_settings(self.variant, timeout_s, max_attempts)
        prompt, policy = self._bound(now, table, current)
        rendered = prompt.render(question, current)
        steps = policy.steps(with_trial_seed(rendered.body, 0, question), question)
        return _Turn(prompt, rendered, self._backend(client, timeout_s), timeout_s, max_attempts, steps)

    def _bound(
        self, now: datetime | float | None, table: str | None, current: Any = None
    ) -> tuple[Prompt, RepairPolicy]:
        """The prompt and policy for this clock and table (the exported ones when both are None); with
        ``current`` the policy judges the answer as a follow-up of it."""
        prompt, policy = self._bound_clock(now, table)
        if current is not None:
            policy = RepairPolicy.for_variant(self.variant, prompt.schema, current=current)
        return prompt, policy

    def _bound_clock(self, now: datetime | float | None, table: str | None) -> tuple[Prompt, RepairPolicy]:
        if now is None and table is None:
            return self._prompt, self.policy
        schema = dataclasses.replace(
            self.schema,
            now=self.schema.now if now is None else _as_utc(now),
            table=self.schema.table if table is None else _checked_table(table),
        )
        key = (schema.now, schema.table)
        if self._bound_cache is None or self._bound_cache[0] != key:
            prompt = Prompt(self.variant, schema, self._prompt.example_set)
            self._bound_cache = (key, prompt, RepairPolicy.for_variant(self.variant, schema))
        return self._bound_cache[1], self._bound_cache[2]

    def _finish(
        self, rendered: RenderedPrompt, attempts: tuple[Attempt, ...], dialect: str, schema: Schema
    ) -> RuntimeAnswer:
        final = attempts[-1]
        compiled = None
        extra = ()
        if final.ok and final.validation is not None:
            try:
                compiled = compile_spec(final.validation.spec, schema, dialect=dialect)
            except WorkbenchError as exc:  # an op the dialect cannot express
                extra = (error("compile_failed", str(exc), suggestion="use another dialect, or rephrase"),)
        return RuntimeAnswer(
            question=rendered.question,
            variant=self.variant.name,
            model=self.variant.model,
            attempts=tuple(attempts),
            sql=compiled.sql if compiled is not None else None,
            execution_findings=extra,
            rendered=rendered,
            dialect=dialect,
            compiled=compiled,
        )

    # ----------------------------------------------------------------- internals

    @staticmethod
    def _check_dialect(dialect: str) -> None:
        if dialect not in DIALECTS:
            raise ConfigError(f"unknown SQL dialect {dialect!r}", f"use one of: {', '.join(DIALECTS)}")

    def _backend(self, client: Any, timeout_s: float) -> Backend:
        if isinstance(client, Backend):
            return client
        if client is None:
            if self._default_backend is None or self._default_backend.timeout_s != timeout_s:
                self._default_backend = backend_for(self.variant, timeout_s=timeout_s)
            return self._default_backend
        base_url = getattr(client, "base_url", None)
        if base_url is None or not hasattr(client, "chat"):
            raise ConfigError(
                f"client must be an openai client or a workbench Backend, got {type(client).__name__}",
                "pass openai.OpenAI(...) or leave client out",
            )
        key = getattr(client, "api_key", None)
        return Backend("client", base_url=str(base_url).rstrip("/"), api_key=key, timeout_s=timeout_s)

    def _check_rendering(self) -> None:
        """Refuse an artifact that this workbench version would render differently from the exporting one."""
        probe = self._prompt.render("?")
        request = {k: v for k, v in probe.body.items() if k != "messages"}
        differs = [
            what
            for what, same in (
                ("system message", probe.system == self.artifact["prompt"]["system"]),
                ("request (tools, response format or parameters)", request == self.artifact["request"]),
            )
            if not same
        ]
        if differs:
            raise ArtifactError(
                f"{self.source}: this workbench ({workbench_version()}) renders the artifact's "
                f"{differs[0]} differently from the one that exported it "
                f"({self.artifact.get('workbench_version', 'unknown')})",
                "run the exporting version, or re-export the prompt with this one",
            )


_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _as_utc(now: Any) -> datetime:
    """``now`` as an aware UTC datetime: a datetime (naive = UTC) or epoch seconds."""
    if isinstance(now, datetime):
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if isinstance(now, int | float) and not isinstance(now, bool):
        try:
            return datetime.fromtimestamp(now, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise ConfigError(f"now must be a datetime or epoch seconds, got {now!r}", "pass datetime.now(UTC)")


def _checked_table(table: Any) -> str:
    if not isinstance(table, str) or not _TABLE.fullmatch(table):
        raise ConfigError(
            f"table must be a plain table name (letters, digits and _), got {table!r}",
            "pass the name of the table the SQL should read",
        )
    return table
