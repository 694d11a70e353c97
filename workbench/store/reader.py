"""Reading the log: runs, their summaries and trials, and what a resume still has to do."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from workbench.core.errors import ConfigError
from workbench.store.connection import LogConnection
from workbench.store.records import (
    KEYS_SQL,
    STATUS,
    TRIALS_BATCH,
    Run,
    RunSummary,
    aware,
    dicts,
    latest_sql,
    loads,
    ordered_keys,
    page_sql,
    trial_batches,
    trial_dicts,
)  # fmt: skip


class LogReader(LogConnection):
    """Lists, resolves and loads runs; never writes."""

    def finished_keys(self, run_id: str, variant: str | None = None) -> set[tuple[str, str, int]]:
        """``(variant, question_id, trial)`` of every answered trial of a run (an errored trial, whose
        latest record is a transport failure, is not finished: a resume retries it)."""
        where, params = "t.run_id = ?", [run_id]
        if variant is not None:
            where, params = where + " AND t.variant = ?", [run_id, variant]
        query = f"SELECT variant, question_id, trial, outcome FROM ({latest_sql('*', where)})"
        with self._reading() as conn:
            rows = conn.execute(query, params * 2).fetchall()
        return {(v, q, int(t)) for v, q, t, outcome in rows if outcome != "error"}

    _SUMMARY_SQL = f"""
        SELECT r.run_id, r.name, r.created_at, e.event AS status, e.at AS updated_at, r.question_set_name,
               r.question_set_hash, r.question_set_path, r.n_questions, r.dataset_identity, r.dataset_path,
               r.trials_per_question,
               (SELECT list(v.variant ORDER BY v.added_at, v.variant) FROM run_variants v
                 WHERE v.run_id = r.run_id) AS variants,
               (SELECT count(*) FROM trials t WHERE t.run_id = r.run_id) AS n_trials,
               coalesce(c.n_correct, 0) AS n_correct,
               r.settings,
               coalesce(c.n_errors, 0) AS n_errors
        FROM runs r
        JOIN (SELECT run_id, arg_max(event, seq) AS event, max(event_at) AS at FROM run_events GROUP BY run_id) e
          USING (run_id)
        LEFT JOIN (SELECT run_id, count(*) FILTER (correct) AS n_correct,
                          count(*) FILTER (outcome = 'error') AS n_errors
                   FROM ({latest_sql("run_id, correct, outcome", "true")}) GROUP BY run_id) c
          USING (run_id)
    """

    def _summaries(self, conn: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[RunSummary]:
        rows = dicts(conn, f"{self._SUMMARY_SQL} {where}", params)
        for d in rows:
            d.update(
                status=STATUS.get(d["status"], d["status"]),
                created_at=aware(d["created_at"]),
                updated_at=aware(d["updated_at"]),
                variants=tuple(d["variants"] or ()),
                settings=loads(d["settings"]) or {},
            )
        return [RunSummary(**d) for d in rows]

    def list_runs(self) -> list[RunSummary]:
        """Every run, newest first."""
        with self._reading() as conn:
            return self._summaries(conn, "ORDER BY r.created_at DESC, r.run_id DESC", [])

    def resolve_run_id(self, ref: str) -> str:
        """A full run id from an id or a unique prefix of one."""
        with self._reading() as conn:
            rows = conn.execute("SELECT run_id FROM runs WHERE starts_with(run_id, ?)", [ref]).fetchall()
        ids = [r[0] for r in rows]
        if ref in ids:
            return ref
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise ConfigError(f"no run {ref!r} in {self.path}", "list runs with `workbench runs`")
        raise ConfigError(
            f"run id {ref!r} is ambiguous ({len(ids)} runs start with it)", "give more of the id"
        )

    def load_run(self, run_id: str, *, trials: bool = True) -> Run:
        """A run with its variants, questions and trials (JSON fields decoded; times UTC-aware).

        ``trials=False`` leaves the trials out (``Run.trials`` is empty): for what needs the run's
        settings, variants and questions only; ``trial_batches`` streams them.
        """
        run_id = self.resolve_run_id(run_id)
        with self._reading() as conn:
            (summary,) = self._summaries(conn, "WHERE r.run_id = ?", [run_id])
            where = [run_id]
            variants = dicts(
                conn, "SELECT * FROM run_variants WHERE run_id = ? ORDER BY added_at, variant", where
            )
            questions = dicts(conn, "SELECT * FROM run_questions WHERE run_id = ? ORDER BY position", where)
            query = "SELECT * FROM trials_latest WHERE run_id = ? ORDER BY variant, question_id, trial"
            rows = trial_dicts(conn, query, where) if trials else []
        for v in variants:
            v["params"] = loads(v["params"]) or {}
            v["column_recall"] = loads(v.get("column_recall"))
            v["added_at"] = aware(v["added_at"])
        for q in questions:
            for key in ("gold", "accept", "tags"):
                q[key] = loads(q[key])
        return Run(summary=summary, variants=variants, questions=questions, trials=rows)

    def trial_batches(
        self, run_id: str, variant: str, *, columns: Sequence[str] | None = None, question_order: bool = True
    ) -> Iterator[list[dict[str, Any]]]:
        """One variant's trials (as ``load_run`` gives them, or only ``columns`` of them) in batches of
        ``TRIALS_BATCH``, in the run's question order then by trial (``question_order=False``: by
        question id, then trial, as ``load_run``): what a report writes question by question without
        holding the run's trials. Read it to the end or close it: the log is held meanwhile.

        DuckDB's memory stays that of a batch: the keys are read and ordered first, then each batch's
        rows are read unordered (sorting whole rows would hold all of them in DuckDB at once, as the
        view's window over whole rows does: about 10 MB per 1,000 trials) and put in order here.
        """
        rows_sql = page_sql(columns)
        with self._reading() as conn:
            keys = [(q, int(t)) for q, t in conn.execute(KEYS_SQL, [run_id, variant] * 2).fetchall()]
            positions = None
            if question_order:
                query = "SELECT question_id, min(position) FROM run_questions WHERE run_id = ? GROUP BY question_id"
                positions = dict(conn.execute(query, [run_id]).fetchall())
            keys = ordered_keys(keys, positions)
            for start in range(0, len(keys), TRIALS_BATCH):
                page = keys[start : start + TRIALS_BATCH]
                ids = sorted({q for q, _ in page})
                found = {(t["question_id"], int(t["trial"])): t
                         for batch in trial_batches(conn, rows_sql, [run_id, variant, ids] * 2) for t in batch}  # fmt: skip
                yield [found[key] for key in page if key in found]

    def latest_run_for_variant(self, variant: str, variant_hash: str | None = None) -> RunSummary | None:
        """The newest run that has a variant of this name (and this hash, when given)."""
        query = "SELECT run_id FROM run_variants WHERE variant = ?"
        params: list[Any] = [variant]
        if variant_hash is not None:
            query += " AND variant_hash = ?"
            params.append(variant_hash)
        with self._reading() as conn:
            found = self._summaries(
                conn, f"WHERE r.run_id IN ({query}) ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1", params
            )
        return found[0] if found else None
