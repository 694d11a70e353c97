"""The experiment log: every run, variant and trial, append-only, in one DuckDB file.

Why DuckDB: it is already the data's engine (one dependency, one SQL dialect);
the log is a single file under the project's ``runs/`` folder that can be
copied or shared; trials are rows you can analyse with SQL or pandas
(``RunStore.sql``) without an export step; and every insert is an ACID
commit written to the write-ahead log, so a run killed mid-way (even by
SIGKILL) keeps every trial recorded before the kill and nothing half-written.

Rules:

- **Append-only.** Rows are inserted, never updated or deleted. A trial's key
  is ``(run_id, variant, question_id, trial)``; recording an answered key is
  ignored (the first answer stands), which makes resuming safe: ask
  ``finished_keys`` and run only the rest. A trial whose call failed in
  transport (outcome ``error``) is not finished: a resume asks again and its
  new record (in ``trial_retries``) supersedes the error; ``trials_latest`` is
  the latest record of each trial, what every reader reads. A run's status is
  its latest row in ``run_events`` (``created``, ``resumed``, ``finished``,
  ``failed``, ``cancelled``).
- **Each trial is committed as it is recorded**, under a lock (one writer
  thread at a time within the process).
- The schema changes only through numbered migrations (``migrations.py``).

Limits: DuckDB allows **one writer process per file**. A store keeps its
connection open once it has written (about 1 ms per trial instead of about
20 ms for open-write-close), so while an eval writes, another process
(a second eval, ``workbench runs``) cannot open the file and gets a clear
error instead; reads from a store that has not written open and close the
file each time, so a notebook does not hold the lock. Close a writing store
(``close()`` or ``with RunStore() as store:``) when done.
"""

from __future__ import annotations

from workbench.store.reader import LogReader
from workbench.store.records import RESULT_ROW_CAP, TRIAL_FIELDS, Run, RunSummary, cap_result
from workbench.store.writer import LogWriter

__all__ = ["RESULT_ROW_CAP", "TRIAL_FIELDS", "Run", "RunStore", "RunSummary", "cap_result"]


class RunStore(LogWriter, LogReader):
    """The append-only experiment log in a DuckDB file (default ``workbench.core.paths.runs_path()``).

    Example:
        >>> with RunStore(tmp / "runs.duckdb") as store:  # doctest: +SKIP
        ...     run_id = store.create_run(name="baseline", trials_per_question=5)
        ...     store.add_variant(run_id, "v1", hash="ab12", text="name: v1", model="offline")
        ...     store.record_trial(run_id, variant="v1", question_id="q001", trial=0, correct=True)
        ...     store.finish_run(run_id)
    """
