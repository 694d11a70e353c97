"""Render a prompt variant for one question: the exact request, and what each part of it costs.

Layout (ARCHITECTURE.md, "Rendered prompt layout"; the offline model parses it)::

    system:  <instructions + output-mode sentence>

             Table: events. Current time (now): 2026-11-20T12:00:00Z = epoch 1795176000.

             ## Conventions             (the variant's ``conventions:`` block, when it has one)
             ## Columns                 (when the schema does not depend on the question)
             ## Examples                (when the examples do not depend on the question)
    user:    ## Columns / ## Examples   (the question-dependent ones)

             ## Current query          (a follow-up's current query, when one is given)
             ## Question
             <question>

The system message never holds anything question-dependent, so it (with the
tool definitions) is the prefix a provider can cache across questions. It is
built once per ``Prompt`` and reused; only question-dependent parts are
recomputed per question.

Token sections add up exactly to ``tokens.count_request(body).total``:
``instructions`` (instruction text, mode sentence and the table/clock line),
``conventions`` (the team's conventions block), ``schema``, ``examples``, ``current_query``
(a follow-up's current query), ``question`` (each block's own text), ``tools`` (tool
definitions or response format) and ``format`` (message framing, headings and
separators: the remainder).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, Protocol

from workbench.core import tokens
from workbench.core.errors import ConfigError
from workbench.core.findings import Finding
from workbench.core.text import maskable
from workbench.llm.modes import get_mode
from workbench.prompt.bodies import BodyCache
from workbench.prompt.conventions import render_conventions
from workbench.prompt.example_selection import SelectedExample, format_examples, select_examples
from workbench.prompt.examples import ExampleSet, load_example_set, validate_examples
from workbench.prompt.rendered import (
    CACHE_MIN_TOKENS,
    CACHE_STEP_TOKENS,
    FOLLOWUP_SECTIONS,
    SECTIONS,
    RenderedPrompt,
)
from workbench.prompt.variant import PromptVariant, load_variant
from workbench.schema.columns import Schema
from workbench.schema.compress import CompressedSchema, compress
from workbench.schema.relevance import SCHEMA_CACHE
from workbench.spec.query import parse_spec, query_json_schema
from workbench.spec.readback import readback

#: the first line of the ``## Current query`` section: what a follow-up asks of the model
CURRENT_QUERY_LEAD = (
    "The question changes this query: keep every part of it that the question does not change."
)


#: memory each ``Prompt`` spends on remembered renders of single questions, estimated by
#: ``render_bytes``; a ``RenderedPrompt`` is shared by every caller that asks for the same question:
#: copy its body to change it. 8 MB holds about 320 ``compact`` renders (an eval of a few hundred
#: questions renders each once, for its plan and its calls). When it is full, a new render is not kept
#: (the ones kept stay): a plan and then its eval scan the questions in the same order, so the eval
#: reuses as many of the plan's renders as fit (dropping the oldest instead would make it reuse none)
#: and renders the rest again during the calls, cheaply: their compressions are still remembered
#: (``schema.compressed.RESULTS_BYTES``) and their text's tokens are counted by distinct line.
RENDER_CACHE_BYTES = 8 * 1024 * 1024
#: bytes a render holds per character of its question-specific text (the user message), measured
#: with tracemalloc on ``compact`` (about 23 KB for 6.7k characters: messages, body, sections, examples)
RENDER_BYTES_PER_CHAR = 3.5
#: bytes a render holds whatever its text (the objects themselves)
RENDER_BYTES_FIXED = 1024


class HasSchema(Protocol):
    """An opened dataset (``dataset.source.Dataset``): anything with a ``schema()``."""

    def schema(self) -> Schema: ...


__all__ = ["CACHE_MIN_TOKENS", "CACHE_STEP_TOKENS", "SECTIONS", "HasSchema", "Prompt", "RenderedPrompt"]


@dataclass(frozen=True)
class _Stable:
    """The question-independent part of every request, computed once per ``Prompt``."""

    system: str
    system_tokens: int  # the system message with its framing
    instruction_tokens: int
    conventions_tokens: int
    compressed: CompressedSchema | None  # None = depends on the question
    schema_tokens: int
    selected: tuple[SelectedExample, ...] | None  # None = depends on the question
    examples_tokens: int
    mode_fields: dict[str, Any]
    tools_tokens: int


class Prompt:
    """A prompt variant bound to a dataset's schema and its example set.

    Example:
        >>> p = Prompt.load("compact", open_dataset())  # doctest: +SKIP
        >>> r = p.render("slow endpoints for android users yesterday")  # doctest: +SKIP
        >>> r.sections, r.total_tokens, r.stable_prefix_tokens  # doctest: +SKIP
    """

    def __init__(
        self, variant: PromptVariant | str | Path, schema: Schema, example_set: ExampleSet | None = None
    ) -> None:
        self.variant = load_variant(variant)
        self.schema = schema
        if example_set is None and self.variant.examples.set is not None:
            base = self.variant.source.parent if self.variant.source else None
            example_set = load_example_set(self.variant.examples.set, base)
        self.example_set = example_set
        self.invalid_examples: dict[int, list[Finding]] = (
            _validated(example_set, schema) if example_set is not None else {}
        )
        self.encoding = tokens.encoding_name_for_model(self.variant.model)
        self._mask_values = _value_words(schema)
        self._lock = threading.Lock()
        self._stable_cache: _Stable | None = None
        self._renders: dict[str, tuple[RenderedPrompt, int]] = {}
        self._render_bytes = 0
        self._bodies = BodyCache()

    @classmethod
    def load(cls, variant_path_or_name: PromptVariant | str | Path, dataset: Schema | HasSchema) -> Prompt:
        """Load a variant (name or path) and bind it to a ``Schema`` or an opened dataset's schema.

        To open a dataset by path (or the generated telemetry) first, use the workbench's
        ``pipeline.ask.bind_prompt``.
        """
        variant = load_variant(variant_path_or_name)  # a bad variant fails before any dataset work
        return cls(variant, _schema_of(dataset))

    def with_(self, **changes: Any) -> Prompt:
        """The same binding with a changed variant (``PromptVariant.with_``); the example set is reused when unchanged."""
        variant = self.variant.with_(**changes)
        same_set = variant.examples.set == self.variant.examples.set
        return Prompt(variant, self.schema, self.example_set if same_set else None)

    @property
    def usable_examples(self) -> int:
        return 0 if self.example_set is None else len(self.example_set) - len(self.invalid_examples)

    # ----------------------------------------------------------------- rendering

    def _examples_settings(self):
        settings = self.variant.examples
        if self.example_set is not None and settings.set is None:
            settings = settings.model_copy(update={"set": self.example_set.name})
        return settings

    def _select(self, question: str | None) -> tuple[SelectedExample, ...]:
        if self.example_set is None:
            return ()
        return tuple(
            select_examples(
                self.example_set,
                self._examples_settings(),
                question,
                encoding=self.encoding,
                exclude=self.invalid_examples,
                mask_values=self._mask_values,
            )
        )

    def _stable(self) -> _Stable:
        with self._lock:
            if self._stable_cache is None:
                self._stable_cache = self._build_stable()
            return self._stable_cache

    def _build_stable(self) -> _Stable:
        v, enc = self.variant, self.encoding
        mode = get_mode(v.output_mode)
        instructions = v.instructions.strip()
        suffix = mode.instructions_suffix().strip()
        if suffix:
            instructions += "\n\n" + suffix
        now = self.schema.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        table_line = f"Table: {self.schema.table}. Current time (now): {now} = epoch {self.schema.now_epoch}."
        parts = [instructions, table_line]
        conventions = render_conventions(v.conventions)
        if conventions:
            parts.append("## Conventions\n" + conventions)
        compressed = None
        schema_tokens = 0
        if not v.schema_.depends_on_question:
            compressed = compress(self.schema, v.schema_, None, encoding=enc)
            schema_tokens = compressed.tokens
            parts.append("## Columns\n" + compressed.text)
        selected = None
        examples_tokens = 0
        if not self._examples_settings().depends_on_question or self.example_set is None:
            selected = self._select(None)
            block = format_examples(selected)
            if block:
                examples_tokens = tokens.count_tokens(block, enc)
                parts.append("## Examples\n" + block)
        system = "\n\n".join(parts)
        empty = tokens.count_messages([], enc)
        mode_fields = mode.request_fields(query_json_schema())
        tools_tokens = tokens.count_request({"model": v.model, "messages": [], **mode_fields}).total - empty
        return _Stable(
            system=system,
            system_tokens=tokens.count_messages([{"role": "system", "content": system}], enc) - empty,
            instruction_tokens=tokens.count_tokens(instructions, enc) + tokens.count_tokens(table_line, enc),
            conventions_tokens=tokens.count_tokens(conventions, enc) if conventions else 0,
            compressed=compressed,
            schema_tokens=schema_tokens,
            selected=selected,
            examples_tokens=examples_tokens,
            mode_fields=mode_fields,
            tools_tokens=tools_tokens,
        )

    def render(self, question: str, current: Any = None) -> RenderedPrompt:
        """The exact request for ``question``, with token sections, stable prefix and examples chosen.

        ``current``: the query the question follows up on (a spec, dict or JSON text), shown in a
        ``## Current query`` section before the question as the variant's ``current_query`` says.
        A single question's render is remembered (up to ``RENDER_CACHE_BYTES`` per ``Prompt``) and
        shared with every later caller: copy its ``body`` before changing it.
        """
        question = question.strip()
        if current is not None:
            return self._render(question, current)
        with self._lock:  # a question renders once per binding: a plan and its eval share the work
            hit = self._renders.get(question)
            if hit is not None:
                return hit[0]
        rendered = self._render(question, None)
        self._remember(question, rendered)
        return rendered

    def request_body(self, question: str) -> dict[str, Any]:
        """``render(question).body``, from a remembered render or body when there is one (do not change it)."""
        question = question.strip()
        with self._lock:
            hit = self._renders.get(question)
        if hit is not None:
            return hit[0].body
        body = self._bodies.get(question)
        return body if body is not None else self.render(question).body

    def _remember(self, question: str, rendered: RenderedPrompt) -> None:
        size = render_bytes(rendered)
        with self._lock:
            kept = question in self._renders or self._render_bytes + size <= RENDER_CACHE_BYTES
            if question not in self._renders and kept:
                self._renders[question] = (rendered, size)
                self._render_bytes += size
        if not kept:  # past the renders' budget: the body alone, compressed, is what an eval's calls need
            self._bodies.put(question, rendered.body)

    def _render(self, question: str, current: Any) -> RenderedPrompt:
        v, enc = self.variant, self.encoding
        st = self._stable()
        user_parts: list[str] = []
        compressed, schema_tokens = st.compressed, st.schema_tokens
        if compressed is None:
            compressed = compress(self.schema, v.schema_, question, encoding=enc)
            schema_tokens = compressed.tokens
            user_parts.append("## Columns\n" + compressed.text)
        selected, examples_tokens = st.selected, st.examples_tokens
        if selected is None:
            selected = self._select(question)
            block = format_examples(selected)
            if block:
                examples_tokens = tokens.count_tokens(block, enc)
                user_parts.append("## Examples\n" + block)
        current_text = self.current_query_text(current)
        if current_text:
            user_parts.append("## Current query\n" + current_text)
        user_parts.append("## Question\n" + question)
        user = {"role": "user", "content": "\n\n".join(user_parts)}
        messages = [{"role": "system", "content": st.system}, user]
        body: dict[str, Any] = {
            "model": v.model,
            "messages": messages,
            **st.mode_fields,
            "temperature": v.temperature,
        }
        for key in ("top_p", "max_tokens", "seed"):
            if getattr(v, key) is not None:
                body[key] = getattr(v, key)
        body.update(v.extra_body)  # server parameters: checked to never name a key set above
        total = st.tools_tokens + st.system_tokens + tokens.count_messages([user], enc)
        sections = {
            "instructions": st.instruction_tokens,
            "conventions": st.conventions_tokens,
            "schema": schema_tokens,
            "examples": examples_tokens,
            "question": tokens.count_tokens(question, enc),
            "tools": st.tools_tokens,
        }
        if current_text:  # only follow-ups have the section (single questions keep their sections)
            sections["current_query"] = tokens.count_tokens(current_text, enc)
            sections = {k: sections[k] for k in FOLLOWUP_SECTIONS if k in sections}
        sections["format"] = total - sum(sections.values())
        return RenderedPrompt(
            question=question,
            variant=v.name,
            model=v.model,
            messages=messages,
            tools=st.mode_fields.get("tools"),
            tool_choice=st.mode_fields.get("tool_choice"),
            response_format=st.mode_fields.get("response_format"),
            body=body,
            sections=sections,
            total_tokens=total,
            stable_prefix_tokens=st.tools_tokens + st.system_tokens,
            encoding=enc,
            selected_examples=selected,
            compressed=compressed,
            invalid_examples=self.invalid_examples,
            price=None if v.price is None else (v.price.input, v.price.cached_input, v.price.output),
        )

    def current_query_text(self, current: Any) -> str | None:
        """The ``## Current query`` section's text for ``current`` (``None``: no section)."""
        if current is None or self.variant.current_query == "none":
            return None
        spec = parse_spec(current)
        if self.variant.current_query == "readback":
            return f"{CURRENT_QUERY_LEAD}\n{readback(spec, self.schema.now_epoch)}"
        return f"{CURRENT_QUERY_LEAD}\n{json.dumps(spec.to_dict(), separators=(',', ':'))}"

    @property
    def stable_prefix_tokens(self) -> int:
        st = self._stable()
        return st.tools_tokens + st.system_tokens

    def __repr__(self) -> str:
        return f"<Prompt {self.variant.name!r}: {self.variant.summary()}; {len(self.schema)} columns>"

    def _repr_html_(self) -> str:
        from workbench.prompt.html import prompt_html

        return prompt_html(self)


def render_bytes(rendered: RenderedPrompt) -> int:
    """Estimated memory a remembered render holds (its own text; the system prompt is shared)."""
    user = sum(len(m["content"]) for m in rendered.messages if m.get("role") != "system")
    return RENDER_BYTES_FIXED + int(user * RENDER_BYTES_PER_CHAR)


def _validated(example_set: ExampleSet, schema: Schema) -> dict[int, list[Finding]]:
    """``validate_examples``, remembered per schema object (weakly) and example-set content."""
    store = SCHEMA_CACHE.slot(schema)
    key = f"invalid_examples:{example_set.content_hash}"
    if key not in store:
        store[key] = validate_examples(example_set, schema)
    return {i: list(fs) for i, fs in store[key].items()}


def _value_words(schema: Schema) -> frozenset[str]:
    """Low-cardinality string values (``android``, ``stripe``): masked when questions are compared."""
    return frozenset(
        value.lower()
        for col in schema.columns
        for value in col.values or ()
        if isinstance(value, str) and maskable(value)
    )


def _schema_of(dataset: Schema | HasSchema) -> Schema:
    if isinstance(dataset, Schema):
        return dataset
    if hasattr(dataset, "schema") and callable(dataset.schema):
        return dataset.schema()
    raise ConfigError(
        f"a prompt binds to a Schema or an opened dataset, not {type(dataset).__name__}",
        "open it first: workbench.dataset.source.open_dataset(path), or use pipeline.ask.bind_prompt",
    )
