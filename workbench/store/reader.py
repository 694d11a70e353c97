"""Reading the log: runs, their summaries and trials, and what a resume still has to do."""

from __future__ import annotations

from typing import Any

import duckdb

from workbench.core.errors import ConfigError
from workbench.store.connection import LogConnection
from workbench.store.records import STATUS, Run, RunSummary, aware, dicts, loads, trial_dicts


class LogReader(LogConnection):
    """Lists, resolves and loads runs; never writes."""

    def finished_keys(self, run_id: str, variant: str | None = None) -> set[tuple[str, str, int]]:
        """``(variant, question_id, trial)`` of every answered trial of a run (an errored trial, whose
        latest record is a transport failure, is not finished: a resume retries it)."""
        query = (
            "SELECT variant, question_id, trial FROM trials_latest "
            "WHERE run_id = ? AND outcome IS DISTINCT FROM 'error'"
        )
        params: list[Any] = [run_id]
        if variant is not None:
            query += " AND variant = ?"
            params.append(variant)
        with self._reading() as conn:
            return {(v, q, int(t)) for v, q, t in conn.execute(query, params).fetchall()}

    _SUMMARY_SQL = """
        SELECT r.run_id, r.name, r.created_at, e.event AS status, e.at AS updated_at, r.question_set_name,
               r.question_set_hash, r.question_set_path, r.n_questions, r.dataset_identity, r.dataset_path,
               r.trials_per_question,
               (SELECT list(v.variant ORDER BY v.added_at, v.variant) FROM run_variants v
                 WHERE v.run_id = r.run_id) AS variants,
               (SELECT count(*) FROM trials t WHERE t.run_id = r.run_id) AS n_trials,
               (SELECT count(*) FROM trials_latest t WHERE t.run_id = r.run_id AND t.correct) AS n_correct,
               r.settings,
               (SELECT count(*) FROM trials_latest t WHERE t.run_id = r.run_id AND t.outcome = 'error')
                 AS n_errors
        FROM runs r
        JOIN (SELECT run_id, arg_max(event, seq) AS event, max(event_at) AS at FROM run_events GROUP BY run_id) e
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

    def load_run(self, run_id: str) -> Run:
        """A run with its variants, questions and trials (JSON fields decoded; times UTC-aware)."""
        run_id = self.resolve_run_id(run_id)
        with self._reading() as conn:
            (summary,) = self._summaries(conn, "WHERE r.run_id = ?", [run_id])
            where = [run_id]
            variants = dicts(
                conn, "SELECT * FROM run_variants WHERE run_id = ? ORDER BY added_at, variant", where
            )
            questions = dicts(conn, "SELECT * FROM run_questions WHERE run_id = ? ORDER BY position", where)
            trials = trial_dicts(
                conn,
                "SELECT * FROM trials_latest WHERE run_id = ? ORDER BY variant, question_id, trial",
                where,
            )
        for v in variants:
            v["params"] = loads(v["params"]) or {}
            v["column_recall"] = loads(v.get("column_recall"))
            v["added_at"] = aware(v["added_at"])
        for q in questions:
            for key in ("gold", "accept", "tags"):
                q[key] = loads(q[key])
        for t in trials:
            for key in ("started_at", "finished_at", "recorded_at"):
                t[key] = aware(t[key])
        return Run(summary=summary, variants=variants, questions=questions, trials=trials)

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
