"""Evaluation over conversation chains: each turn a follow-up of the one before, judged on its result.

Two contexts per turn (``contexts``):

- ``own`` (what production sees): the current query is the model's own previous valid answer in
  this trial (a turn without a valid query leaves it where it was);
- ``gold``: the current query is the previous turn's gold, which isolates one turn's skill.

Every turn is one record in the experiment log (question id ``<chain>.<turn>``; the gold context
under the variant name ``<variant>+gold``), so an interrupted run resumes at the turn: recorded
turns are read back (their spec becomes the current query) instead of asked again. Metrics
(``chain_metrics``): turn accuracy, accuracy per turn position, chain success (every turn right),
pass^k over whole chains with a bootstrap interval over chains, and error propagation (own-context
turns that are wrong while the same turn with the gold previous query is right).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.conversation.session import Conversation
from workbench.core import format as fmt
from workbench.evaluation.conversations import Chain, ConversationSet
from workbench.evaluation.execution import Executions, SharedDataset
from workbench.evaluation.metrics import wilson_interval
from workbench.evaluation.trial import TrialJudge
from workbench.spec.matching import classify

__all__ = [
    "CONTEXTS",
    "ChainEval",
    "chain_eval_from_run",
    "chain_metrics",
    "chain_rows",
    "evaluate_conversations",
]

CONTEXTS = ("own", "gold")
GOLD_SUFFIX = "+gold"


class ChainInterrupted(KeyboardInterrupt):
    """An interrupted chain eval: the turns finished so far are in the log under ``run_id``."""

    def __init__(self, run_id: str | None) -> None:
        super().__init__(run_id)
        self.run_id = run_id


@dataclass
class ChainEval:
    """A finished chain eval: per variant and context, the turn records of every (chain, trial)."""

    run_id: str | None
    name: str
    trials: int
    contexts: tuple[str, ...]
    variants: list[str]
    #: (variant, context) -> chain id -> trial -> turn records (in order)
    records: dict[tuple[str, str], dict[str, dict[int, list[dict[str, Any]]]]] = field(default_factory=dict)

    def metrics(self, variant: str, context: str = "own", k: int | None = None) -> dict[str, Any]:
        own = self.records.get((variant, context), {})
        gold = self.records.get((variant, "gold")) if context == "own" else None
        return chain_metrics(own, k or self.trials, gold)

    def to_dict(self, k: int | None = None) -> dict[str, Any]:
        """DESIGN.md's ``eval --conversations --json``; the gold context under ``gold_context``."""
        out = []
        for v in self.variants:
            entry: dict[str, Any] = {"name": v}
            for context in self.contexts:
                part = {
                    "metrics": self.metrics(v, context, k),
                    "results": _results(self.records.get((v, context), {})),
                }
                if context == self.contexts[0]:
                    entry.update(part)
                    entry["context"] = context
                else:
                    entry[f"{context}_context"] = part
            out.append(entry)
        return {"run_id": self.run_id, "conversations": self.name, "trials": self.trials, "variants": out}


def _pct(x: float | None) -> str:
    return fmt.pct(x, missing="-")


def _ci(m: dict[str, Any], key: str) -> str:
    """``55.6% [25.0, 80.0]``: the figure and its interval, as the question tables print them."""
    pair = m.get(f"{key}_ci")
    return f"{_pct(m.get(key))} {fmt.ci(pair)}" if pair and pair[0] is not None else _pct(m.get(key))


def chain_rows(result: ChainEval, k: int | None = None) -> list[list[str]]:
    """The chain metrics as text rows (header first), for the CLI table and the report."""
    header = ["variant", "context", "turn accuracy [95%]", "by turn", "chain success [95%]",
              f"chain pass^{k or result.trials} [95%]", "error propagation"]  # fmt: skip
    rows = [header]
    for v in result.variants:
        for context in result.contexts:
            m = result.metrics(v, context, k)
            by_turn = " ".join(_pct(x) for x in m["turn_accuracy_by_position"].values())
            prop = "-"
            if "error_propagation" in m:
                prop = f"{_pct(m['error_propagation'])} ({m['propagated_turns']}/{m['wrong_followups']})"
            rows.append([v, context, _ci(m, "turn_accuracy"), by_turn, _ci(m, "chain_success"),
                         _ci(m, "chain_pass_k"), prop])  # fmt: skip
    return rows


def chain_eval_from_run(run: Any) -> ChainEval | None:
    """The chain eval a logged run holds (``eval --conversations``), or ``None`` for a question-set run."""
    if (run.summary.settings or {}).get("kind") != "conversations":
        return None
    recorded = _recorded_from(run)
    variants = [v for v in run.variant_names if not v.endswith(GOLD_SUFFIX)]
    contexts = tuple((run.summary.settings or {}).get("contexts") or CONTEXTS)
    trials = int(run.summary.trials_per_question or 1)
    result = ChainEval(
        run.run_id, run.summary.question_set_name or "conversations", trials, contexts, variants
    )
    order = [q["question_id"] for q in run.questions]
    for (variant, qid, trial), record in sorted(recorded.items(), key=lambda kv: order.index(kv[0][1])):
        name, context = (
            (variant[: -len(GOLD_SUFFIX)], "gold") if variant.endswith(GOLD_SUFFIX) else (variant, "own")
        )
        chain = qid.rsplit(".", 1)[0]
        result.records.setdefault((name, context), {}).setdefault(chain, {}).setdefault(trial, []).append(
            record
        )
    return result


def _results(records: dict[str, dict[int, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    keys = ("question", "correct", "valid", "outcome", "spec", "findings", "current", "diff")
    return [
        {
            "id": cid,
            "trials": [
                {
                    "correct": all(t["correct"] for t in turns),
                    "turns": [{k: t.get(k) for k in keys} for t in turns],
                }
                for _, turns in sorted(by_trial.items())
            ],
        }
        for cid, by_trial in records.items()
    ]


# --------------------------------------------------------------------------- metrics


def _bootstrap(values: list[float], n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    if not values:
        return (0.0, 1.0)
    arr = np.asarray(values, dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(arr), size=(n_boot, len(arr)))
    lo, hi = np.quantile(arr[idx].mean(axis=1), [0.025, 0.975])
    return (float(lo), float(hi))


def chain_metrics(
    records: dict[str, dict[int, list[dict[str, Any]]]],
    k: int,
    gold: dict[str, dict[int, list[dict[str, Any]]]] | None = None,
) -> dict[str, Any]:
    """Turn accuracy, per-position accuracy, chain success, chain pass^k (with 95% intervals) and error propagation.

    ``gold`` (the same chains asked with the gold previous query) gives error propagation: the
    share of wrong own-context turns after the first that are right in the gold context.
    """
    turns = [t for by_trial in records.values() for ts in by_trial.values() for t in ts]
    chains = [ts for by_trial in records.values() for ts in by_trial.values()]
    right = sum(bool(t["correct"]) for t in turns)
    success = sum(all(t["correct"] for t in ts) for ts in chains)
    positions: dict[int, list[bool]] = {}
    for ts in chains:
        for n, t in enumerate(ts, 1):
            positions.setdefault(n, []).append(bool(t["correct"]))
    per_chain = []
    for by_trial in records.values():
        n = len(by_trial)
        c = sum(all(t["correct"] for t in ts) for ts in by_trial.values())
        per_chain.append(math.comb(c, k) / math.comb(n, k) if n >= k else float("nan"))
    valid = [p for p in per_chain if not math.isnan(p)]
    out: dict[str, Any] = {
        "turn_accuracy": right / len(turns) if turns else None,
        "turn_accuracy_ci": list(wilson_interval(right, len(turns))),
        "turn_accuracy_by_position": {str(n): sum(v) / len(v) for n, v in sorted(positions.items())},
        "chain_success": success / len(chains) if chains else None,
        "chain_success_ci": list(wilson_interval(success, len(chains))),
        "chain_pass_k": sum(valid) / len(valid) if valid else None,
        "chain_pass_k_ci": list(_bootstrap(valid)),
        "k": k,
        "n_conversations": len(records),
        "n_turns": len(turns),
    }
    if gold is not None:
        out.update(_propagation(records, gold))
    return out


def _propagation(
    own: dict[str, dict[int, list[dict[str, Any]]]], gold: dict[str, dict[int, list[dict[str, Any]]]]
) -> dict[str, Any]:
    wrong = propagated = 0
    for cid, by_trial in own.items():
        for trial, turns in by_trial.items():
            ref = gold.get(cid, {}).get(trial)
            if ref is None:
                continue
            for n in range(1, len(turns)):
                if turns[n]["correct"]:
                    continue
                wrong += 1
                if ref[n]["correct"] and not all(t["correct"] for t in turns[:n]):
                    propagated += 1
    return {
        "error_propagation": propagated / wrong if wrong else 0.0,
        "propagated_turns": propagated,
        "wrong_followups": wrong,
    }


# --------------------------------------------------------------------------- running


class _Runner:
    """Asks the turns of one (variant, context, chain, trial), recording each and reusing recorded ones."""

    def __init__(self, judge: TrialJudge, store: Any, run_id: str | None, recorded: dict, cache: Any) -> None:
        self.judge, self.store, self.run_id, self.recorded, self.cache = judge, store, run_id, recorded, cache
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def chain(self, prompt: Any, context: str, chain: Chain, trial: int) -> list[dict[str, Any]]:
        variant = prompt.variant.name + (GOLD_SUFFIX if context == "gold" else "")
        # the same Conversation the CLI's chat uses; compile only: the run's executions run the queries
        talk = Conversation(prompt, None, execute=False, trial=trial, cache=self.cache)
        out: list[dict[str, Any]] = []
        current = None
        for n, turn in enumerate(chain.turns):
            if self.stop.is_set():
                raise ChainInterrupted(self.run_id)
            if context == "gold":
                current = chain.turns[n - 1].gold if n else None
            record = self.recorded.get((variant, turn.id, trial)) or self._ask(
                talk, variant, turn, trial, current
            )
            out.append(record)
            if context == "own" and record.get("valid_spec"):
                current = record["spec"]
        return out

    def _ask(self, talk: Conversation, variant: str, turn: Any, trial: int, current: Any) -> dict[str, Any]:
        asked = talk.ask(turn.question, current=current)
        answer, _ = self.judge.answer(talk.prompt, turn, list(asked.answer.attempts))
        correct, matched = self.judge.correctness(turn, answer)
        final = answer.final
        valid = final.validation is not None and final.validation.spec is not None
        outcome = classify(error=final.call.error, valid=valid, semantic_valid=final.ok, correct=correct)
        record = {
            "question": turn.question,
            "correct": bool(correct),
            "valid": bool(final.ok),
            "valid_spec": bool(final.ok),
            "outcome": outcome,
            "spec": answer.spec,
            "findings": [f.code for f in answer.findings],
            "current": current,
            "diff": asked.diff.lines() if asked.diff is not None else None,
            "matched": matched,
            "tokens_in": answer.tokens_in,
            "tokens_out": answer.tokens_out,
            "latency_ms": answer.latency_ms,
            "cost_usd": answer.cost_usd,
        }
        if self.store is not None and self.run_id is not None:
            with self.lock:
                self.store.record_trial(
                    self.run_id,
                    variant=variant,
                    question_id=turn.id,
                    trial=trial,
                    spec=answer.spec,
                    findings=[f.to_dict() for f in answer.findings],
                    sql=answer.sql,
                    correct=bool(correct),
                    outcome=outcome,
                    valid=valid,
                    semantic_valid=bool(final.ok),
                    repaired=answer.repaired,
                    tokens_in=answer.tokens_in,
                    tokens_out=answer.tokens_out,
                    latency_ms=answer.latency_ms,
                    cost_usd=answer.cost_usd,
                    cache_hit=answer.cache_hit,
                    error=final.call.error,
                    extra={
                        "kind": "conversation",
                        "current": current,
                        "question": turn.question,
                        "change": asked.diff.lines() if asked.diff is not None else None,
                    },
                )
        return record


def _recorded(store: Any, run_id: str) -> dict[tuple[str, str, int], dict[str, Any]]:
    """The turns a run already holds, as turn records (their spec becomes the next current query)."""
    return _recorded_from(store.load_run(run_id))


def _recorded_from(run: Any) -> dict[tuple[str, str, int], dict[str, Any]]:
    out = {}
    for t in run.trials:
        extra = t.get("extra") or {}
        out[(t["variant"], t["question_id"], int(t["trial"]))] = {
            "question": extra.get("question"),
            "correct": bool(t["correct"]),
            "valid": bool(t["semantic_valid"]),
            "valid_spec": bool(t["semantic_valid"]),
            "outcome": t["outcome"],
            "spec": t["spec"],
            "findings": [f.get("code") for f in t.get("findings") or []],
            "current": extra.get("current"),
            "diff": extra.get("change"),
        }
    return out


def evaluate_conversations(
    conversations: ConversationSet,
    prompts: list[Any],
    *,
    dataset: Any,
    trials: int = 1,
    contexts: tuple[str, ...] = CONTEXTS,
    store: Any = None,
    run_id: str | None = None,
    cache: Any = True,
    concurrency: int = 4,
    name: str | None = None,
) -> ChainEval:
    """Ask every chain ``trials`` times per variant and context; record each turn; return the records.

    ``run_id`` resumes a run of the log: turns it holds are not asked again.
    """
    shared = SharedDataset(dataset)
    judge = TrialJudge(Executions(shared), now=prompts[0].schema.now_epoch)
    recorded: dict = {}
    if store is not None:
        if run_id is None:
            run_id = store.create_run(
                name=name, questions=conversations.as_question_set(), dataset_identity=getattr(dataset, "identity", None),
                dataset_path=getattr(dataset, "path", None), trials_per_question=trials,
                settings={"kind": "conversations", "contexts": list(contexts)},
            )  # fmt: skip
        else:
            recorded = _recorded(store, run_id)
            store.resume_run(run_id)
        for p in prompts:
            for context in contexts:
                store.add_variant(
                    run_id, p.variant.name + (GOLD_SUFFIX if context == "gold" else ""),
                    hash=p.variant.variant_hash, text=p.variant.dump(), model=p.variant.model,
                    params={"context": context},
                )  # fmt: skip
    runner = _Runner(judge, store, run_id, recorded, cache)
    jobs = [(p, ctx, c, t) for p in prompts for ctx in contexts for c in conversations for t in range(trials)]
    result = ChainEval(run_id, conversations.name, trials, tuple(contexts), [p.variant.name for p in prompts])
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        done = list(pool.map(lambda job: runner.chain(*job), jobs))
    except KeyboardInterrupt:  # Ctrl-C: finish no new turn; what is recorded stays, resumable at the turn
        runner.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise ChainInterrupted(run_id) from None
    finally:
        pool.shutdown(wait=True)
        shared.close()
    for (p, ctx, c, t), turns in zip(jobs, done, strict=True):
        result.records.setdefault((p.variant.name, ctx), {}).setdefault(c.id, {})[t] = turns
    if store is not None and run_id is not None:
        store.finish_run(run_id)
    return result
