"""Evaluation: every question x variant x trial through the real pipeline, measured and logged, resumable.

``evaluate()`` runs in phases so that model calls really overlap:

1. **render** every (question, variant) prompt once (trials reuse it; every trial of a sampled
   variant, trial 0 included, gets a seed derived from (variant seed, question, trial),
   ``pipeline.policy.with_trial_seed``);
2. **call** the model for every (question, variant, trial) not yet in the log, through
   ``runner.run_calls`` with bounded concurrency, retries and the response cache; each
   answer is handed to a small thread pool the moment it arrives, which judges it
   (``pipeline.judge``: parse with the output mode, validate);
3. **repair**: for variants with ``repair: true``, one more batch of calls for the
   attempts that ``pipeline.policy``;
4. **execute** each accepted spec read-only (the pool again, overlapping the calls), on one
   shared read-only connection, each distinct query once per run (``eval_exec``): a
   question's gold and accepted alternatives run once, not once per trial;
5. **judge correctness**: ``matching.results_match`` against the gold or any accepted
   alternative (ordered only when that spec orders), the outcome class and the
   structural diff against the gold;
6. **record** the trial in the experiment log the moment it is complete (its own commit),
   so a run killed halfway keeps what it finished, and ``evaluate(run_id=...)`` does only
   the rest: the unrecorded trials and those whose call failed in transport (outcome
   ``error``), whose new record supersedes the error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.yamlio import dump_yaml
from workbench.evaluation.orchestrator import Orchestrator
from workbench.evaluation.questions import QuestionSet, ensure_question_set
from workbench.evaluation.run import EvalRun, VariantRun, recall_dict
from workbench.evaluation.trial_log import TrialCallback
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

__all__ = ["EvalInterrupted", "EvalRun", "check_resumable", "evaluate", "is_imported", "variant_text"]


class EvalInterrupted(KeyboardInterrupt):
    """Ctrl-C during an eval: the finished trials are in the log; resume with ``run_id``."""

    def __init__(self, run_id: str | None, finished: int, total: int) -> None:
        super().__init__(f"eval {run_id} interrupted after {finished} of {total} trials")
        self.run_id, self.finished, self.total = run_id, finished, total


def variant_text(prompt_or_variant: Any) -> str:
    """The full variant as YAML, instructions inline (loads back with ``variant_from_yaml``)."""
    v = getattr(prompt_or_variant, "variant", prompt_or_variant)
    data = v.to_dict()
    data.pop("instructions_file", None)
    data["instructions"] = v.instructions
    return dump_yaml(data)


def _params(prompt: Prompt) -> dict[str, Any]:
    v = prompt.variant
    keys = ("output_mode", "temperature", "top_p", "max_tokens", "seed", "repair", "base_url")
    params = {key: getattr(v, key) for key in keys}
    for key in (
        "text_query",
        "timeout_s",
        "max_attempts",
        "extra_body",
        "price",
    ):  # set only when not default
        value = getattr(v, key, None)
        if value not in (None, {}, "accept"):
            params[key] = value.model_dump() if hasattr(value, "model_dump") else value
    return params


# --------------------------------------------------------------------------- evaluate


def _ensure_dataset(dataset: Any) -> Any:
    if (
        dataset is not None
        and callable(getattr(dataset, "connect", None))
        and callable(getattr(dataset, "schema", None))
    ):
        return dataset
    from workbench.dataset.source import open_dataset

    return open_dataset(dataset)


def _ensure_store(store: RunStore | str | Path | bool | None) -> tuple[RunStore | None, bool]:
    if store is None or store is False:
        return None, False
    if isinstance(store, RunStore):
        return store, False
    return RunStore(None if store is True else store), True


def _ensure_prompts(prompts: Sequence[Any], dataset: Any) -> list[Prompt]:
    out = []
    identity = getattr(dataset, "identity", None)
    for p in prompts:
        prompt = p if isinstance(p, Prompt) else Prompt.load(p, dataset)
        if identity and prompt.schema.identity and prompt.schema.identity != identity:
            raise ConfigError(
                f"prompt {prompt.variant.name!r} is bound to dataset {prompt.schema.identity}, not {identity}",
                "load the prompt with the dataset you evaluate on",
            )
        out.append(prompt)
    names = [p.variant.name for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"two variants are named {dupes[0]!r}", "give each variant its own name: key")
    return out


def evaluate(
    question_set: QuestionSet | str | Path | None,
    prompts: Sequence[Prompt | str | Path] | None,
    *,
    dataset: Any = None,
    trials: int | None = None,
    concurrency: int = 8,
    cache: Any = None,
    store: RunStore | str | Path | bool | None = True,
    run_id: str | None = None,
    progress: Any = False,
    on_trial: TrialCallback | None = None,
    backend: Any = None,
    name: str | None = None,
    settings: dict[str, Any] | None = None,
    timeout_s: float | None = None,
    max_attempts: int | None = None,
    workers: int = 3,
) -> EvalRun:
    """Run every question of ``question_set`` through every prompt variant, ``trials`` times.

    Args:
        question_set: a ``QuestionSet`` or a path to one (``None`` on resume: the run's own).
        prompts: bound ``Prompt`` objects, or variant names/paths bound to ``dataset``
            (``None`` on resume: the variants recorded with the run).
        dataset: where queries run (a ``Dataset``, a path, or ``None`` for the embedded one).
        trials: trials per question (default 1; on resume the run's own).
        concurrency: model calls in flight at once.
        cache: the response cache (``ResponseCache``, a path, ``True`` for the default file, ``None``).
        store: the experiment log (``RunStore``, a path, ``True`` = the default log, ``None`` = keep
            nothing; a log opened here is closed at the end).
        run_id: resume this run: only its missing trials are run.
        progress: ``True`` for a progress bar over model calls, or ``fn(done, total, result)``.
        on_trial: called with each trial record once it is recorded.
        backend: send every request here instead of each variant's own backend (tests, a proxy).
        name, settings: a label and extra settings recorded with a new run.
        timeout_s, max_attempts: per HTTP attempt and per call (default: each variant's, the
            environment's, else 60 s and 4; see ``llm.backends.call_settings``).
        workers: threads that judge, execute and record while calls are in flight.

    Raises:
        ConfigError: bad input (no questions, trials < 1, a resumed run that does not match).
        EvalInterrupted: Ctrl-C; finished trials are kept, resume with ``run_id``.
    """
    if trials is not None and trials < 1:
        raise ConfigError(f"trials must be at least 1, got {trials}", "use 1 or more trials per question")
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, got {concurrency}", "use 1 or more")
    dataset = _ensure_dataset(dataset)
    log, owned = _ensure_store(store)
    try:
        return _evaluate(
            question_set, prompts, dataset=dataset, trials=trials, concurrency=concurrency, cache=cache, store=log,
            run_id=run_id, progress=progress, on_trial=on_trial, backend=backend, name=name,
            settings=settings, timeout_s=timeout_s, max_attempts=max_attempts, workers=workers,
        )  # fmt: skip
    finally:
        if owned and log is not None:
            log.close()


def _evaluate(question_set: Any, prompts: Any, *, dataset: Any, trials: int | None, store: RunStore | None,
              run_id: str | None, backend: Any, name: str | None, settings: dict[str, Any] | None,
              **options: Any) -> EvalRun:  # fmt: skip
    from workbench.prompt.variant import variant_from_yaml

    recorded = None
    if run_id is not None:
        if store is None:
            raise ConfigError("resuming a run needs the experiment log", "pass store=True or a RunStore")
        recorded = store.load_run(run_id, trials=False)
        run_id = recorded.run_id
    qs = _questions(question_set, recorded)
    if recorded is not None:
        trials = _resume_trials(recorded, trials)
        check_resumable(recorded, bool(prompts))
        _check_dataset(recorded, dataset)
        if not prompts:
            prompts = [Prompt(variant_from_yaml(v["variant_text"] or "", f"run {run_id}"), dataset.schema())
                       for v in recorded.variants]  # fmt: skip
    trials = trials or 1
    if not prompts:
        raise ConfigError("no prompt variant to evaluate", "give at least one --prompt")
    bound = _ensure_prompts(prompts, dataset)
    if recorded is not None:
        _check_variants(recorded, bound)
    from workbench.llm.backends import backend_for

    backends = [backend or backend_for(p.variant, timeout_s=options["timeout_s"],
                                       max_attempts=options["max_attempts"]) for p in bound]  # fmt: skip
    done: set[tuple[str, str, int]] = set()
    recalls = {p.variant.name: _recall(p, qs) for p in bound}
    if store is not None and recorded is None:
        cached = options["cache"] is not None and options["cache"] is not False
        run_settings = {"concurrency": options["concurrency"], "cache": cached,
                        "timeout_s": options["timeout_s"], "max_attempts": options["max_attempts"],
                        **(settings or {})}  # fmt: skip
        run_id = store.create_run(
            name=name, questions=qs, dataset_identity=getattr(dataset, "identity", None),
            dataset_path=getattr(dataset, "path", None), trials_per_question=trials, settings=run_settings,
        )  # fmt: skip
    total = len(qs) * trials * len(bound)
    orch: Orchestrator | None = None
    try:  # from here on the run is in the log: an interrupt or a failure must say so there
        if store is not None:
            _add_variants(store, run_id, bound, recalls)
            if recorded is not None:
                done = store.resume_run(run_id)
        orch = Orchestrator(prompts=bound, questions=qs, trials=trials, dataset=dataset, store=store,
                             run_id=run_id, backends=backends, **options)  # fmt: skip
        wall0 = time.perf_counter()
        todo = orch.todo(done)
        orch.prefetch_golds(todo)
        orch.first_calls(todo)
        orch.drain()
        orch.repair_calls()
        orch.drain()
    except KeyboardInterrupt:  # Ctrl-C, the runner's Interrupted, or the dashboard's Cancel
        if orch is not None:
            orch.close(cancel=False)  # answers that arrived are still judged and recorded
        if store is not None and run_id is not None:
            store.finish_run(run_id, "cancelled", "interrupted")
        raise EvalInterrupted(run_id, len(done) + (orch.finished if orch else 0), total) from None
    except BaseException as exc:
        if orch is not None:
            orch.close(cancel=True)
        if store is not None and run_id is not None:
            with contextlib.suppress(Exception):
                store.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}"[:500])
        raise
    orch.close(cancel=False)
    if store is not None and run_id is not None:
        store.finish_run(run_id)
    orch.timings["wall_s"] = time.perf_counter() - wall0
    orch.timings["executed_queries"] = orch.executions.executed
    orch.timings["shared_queries"] = orch.executions.shared
    return _result(orch, qs, bound, dataset, store, run_id, trials, recalls)


def _add_variants(store: RunStore, run_id: str | None, bound: list[Prompt], recalls: dict[str, Any]) -> None:
    for p in bound:
        store.add_variant(run_id, p.variant.name, hash=p.variant.variant_hash, text=variant_text(p),
                          model=p.variant.model, params=_params(p),
                          recall=recall_dict(recalls[p.variant.name]))  # fmt: skip


def _questions(question_set: Any, recorded: Any) -> QuestionSet:
    if question_set is None:
        if recorded is None:
            raise ConfigError("no question set to evaluate", "give --questions FILE")
        items = [
            {"id": q["question_id"], "question": q["question"], "gold": q["gold"], "accept": q["accept"] or [],
             "tags": q["tags"] or []}
            for q in recorded.questions
        ]  # fmt: skip
        return QuestionSet.from_dict(
            {"name": recorded.summary.question_set_name or "questions", "questions": items}
        )
    qs = ensure_question_set(question_set)
    if recorded is not None and recorded.summary.question_set_hash not in (None, qs.hash):
        raise ConfigError(
            f"the questions differ from the ones run {recorded.run_id} started with",
            "resume with the same question file and --limit, or start a new run",
        )
    return qs


def _resume_trials(recorded: Any, trials: int | None) -> int:
    have = recorded.summary.trials_per_question
    if trials is not None and trials != have:
        raise ConfigError(f"run {recorded.run_id} has {have} trials per question, not {trials}",
                          f"resume with --trials {have}, or start a new run")  # fmt: skip
    return have


def is_imported(recorded: Any) -> bool:
    """True for a run copied from a bundle: its variants and dataset path are data, never settings."""
    return bool((recorded.summary.settings or {}).get("imported_from"))


def check_resumable(recorded: Any, have_prompts: bool, have_data: bool = True) -> None:
    """Refuse to resume an imported run from its own variant texts or dataset path (they would choose
    the endpoint, the API key variable and the files read): it resumes with local files only."""
    if is_imported(recorded) and not (have_prompts and have_data):
        names = " ".join(f"--prompt {n}" for n in recorded.variant_names)
        raise ConfigError(
            f"run {recorded.run_id} was imported from a bundle: it resumes only with your own prompt "
            "files and dataset",
            f"add {names} --data PATH (your local copies of its variants and dataset)",
        )


def _check_dataset(recorded: Any, dataset: Any) -> None:
    was, now = recorded.summary.dataset_identity, getattr(dataset, "identity", None)
    if (was and now and was != now) or (is_imported(recorded) and (not was or was != now)):
        raise ConfigError(f"run {recorded.run_id} ran on dataset {was}, this one is {now}",
                          "resume with --data PATH of that same dataset")  # fmt: skip


def _check_variants(recorded: Any, bound: list[Prompt]) -> None:
    """The resumed variants are the recorded ones: same names, same content (an imported run's
    missing hash is a mismatch, never a skipped check)."""
    names = [p.variant.name for p in bound]
    if sorted(names) != sorted(recorded.variant_names):
        raise ConfigError(f"run {recorded.run_id} has variants {recorded.variant_names}, not {names}",
                          "resume with the same prompts, or start a new run")  # fmt: skip
    hashes = {v["variant"]: v.get("variant_hash") for v in recorded.variants}
    strict = is_imported(recorded)
    for p in bound:
        was = hashes.get(p.variant.name)
        if (was or strict) and was != p.variant.variant_hash:
            raise ConfigError(
                f"variant {p.variant.name!r} differs from the one run {recorded.run_id} ran "
                f"({(was or 'no hash')[:12]} != {p.variant.variant_hash[:12]})",
                "resume with the same prompt file (and --model), or start a new run",
            )


def _recall(prompt: Prompt, qs: QuestionSet) -> Any:
    """Column recall of the prompt's schema settings on the questions' gold columns."""
    from workbench.schema.recall import column_recall

    items = [(q.question, q.gold_columns) for q in qs]
    return column_recall(prompt.schema, prompt.variant.schema_, items, encoding=prompt.encoding)


def _result(orch: Orchestrator, qs: QuestionSet, prompts: list[Prompt], dataset: Any, store: RunStore | None,
            run_id: str | None, trials: int, recalls: dict[str, Any]) -> EvalRun:  # fmt: skip
    if store is not None and run_id is not None:
        store.reopen()  # let go of DuckDB's memory of the run's inserts before reading the run back
        run = EvalRun.from_log(store, run_id)  # per trial only what the metrics read
    else:
        by_variant: dict[str, list[dict[str, Any]]] = {p.variant.name: [] for p in prompts}
        for r in orch.records:
            by_variant[r["variant"]].append(r)
        run = EvalRun(
            run_id=None,
            variants=[VariantRun(p.variant.name, by_variant[p.variant.name], p.variant.variant_hash,
                                 p.variant.model, _params(p), variant_text(p), k=trials) for p in prompts],
            questions=[{"id": q.id, "question": q.question, "tags": list(q.tags)} for q in qs],
            trials_per_question=trials, k=trials,
            question_set={"name": qs.name, "hash": qs.hash, "path": str(qs.path) if qs.path else None},
            dataset={"identity": getattr(dataset, "identity", None), "path": str(getattr(dataset, "path", ""))},
            created_at=datetime.now(UTC).isoformat(),
        )  # fmt: skip
    order = [p.variant.name for p in prompts]  # the first prompt given is the baseline
    run.variants.sort(key=lambda v: order.index(v.name) if v.name in order else len(order))
    for prompt in prompts:
        run.variant(prompt.variant.name).recall = recalls[prompt.variant.name]
    run.timings = dict(orch.timings)
    return run
