"""The experiment log fails in one line: damaged files, a full disk, a reader holding it briefly."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.store import connection
from workbench.store.runs import RunStore


@pytest.fixture(scope="module")
def real_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("log") / "runs.duckdb"
    with RunStore(path) as store:
        run_id = store.create_run(name="b", trials_per_question=1)
        store.add_variant(run_id, "v1", hash="ab", text="name: v1\n", model="offline")
        for i in range(50):
            store.record_trial(run_id, variant="v1", question_id=f"q{i:03}", trial=0, correct=True)
        store.finish_run(run_id)
    return path, run_id


def _damaged(src: Path, dest: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3]
    elif how == "truncated-late":
        data = data[: len(data) * 2 // 3]
    else:  # a block of zeros in the middle (a torn write)
        mid = len(data) // 2
        data[mid : mid + 65536] = bytes(65536)
    dest.write_bytes(bytes(data))
    return dest


@pytest.mark.parametrize("how", ["truncated", "truncated-late", "zeroed"])
def test_every_verb_that_opens_a_damaged_log_fails_in_one_line(
    real_log: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    src, run_id = real_log
    bundle = tmp_path / "good.wbundle"
    assert main(["export", "--run", run_id, "--out", str(bundle), "--store", str(src)]) == 0
    verbs = [
        ["runs"],
        ["runs", "--json"],
        ["runs", "show", run_id],
        ["compare", run_id, run_id],
        ["export", "--run", run_id, "--out", str(tmp_path / "b.wbundle")],
        ["report", run_id, "--out", str(tmp_path / "r.html")],
        ["open", str(bundle), "--import"],
    ]
    capsys.readouterr()
    for argv in verbs:
        bad = _damaged(src, tmp_path / f"runs-{how}.duckdb", how)
        try:
            code = main([*argv, "--store", str(bad)])
        except SystemExit as exc:  # argparse usage errors are not what this test is about
            pytest.fail(f"{argv}: usage error {exc}")
        err = capsys.readouterr().err
        if code == 0:
            continue  # the damage missed what this verb reads: fine, as long as nothing crashed
        assert code == 2, (argv, err)
        assert err.count("\n") == 1 and err.startswith("workbench: error:"), (argv, err)
        assert "Traceback" not in err


class _FullDisk:
    """A connection whose writes fail like DuckDB's on a full disk (ENOSPC on the WAL)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, fail_on: str) -> None:
        self._conn = conn
        self._fail_on = fail_on

    def execute(self, query: str, *args):
        if self._fail_on in query:
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "runs.duckdb.wal": '
                "No space left on device"
            )
        return self._conn.execute(query, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


@pytest.mark.parametrize("fail_on", ["COMMIT", "INSERT INTO trials"])
def test_a_full_disk_is_reported_as_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()  # created and migrated while the disk had room
    real_connect = duckdb.connect
    monkeypatch.setattr(
        connection.duckdb, "connect", lambda *a, **k: _FullDisk(real_connect(*a, **k), fail_on)
    )
    with RunStore(path) as store, pytest.raises(WorkbenchError, match="is full") as info:
        run_id = store.create_run(name="b", trials_per_question=1)
        store.record_trial(run_id, variant="v1", question_id="q1", trial=0, correct=True)
    assert "no transaction is active" not in str(info.value)


def test_a_real_full_disk_is_reported_as_a_full_disk(tmp_path: Path) -> None:
    """On a 600 KB tmpfs (needs root; skipped elsewhere) the log fills up for real."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        with RunStore(mount / "runs.duckdb") as store, pytest.raises(WorkbenchError, match="is full"):
            run_id = store.create_run(name="b", trials_per_question=1)
            for i in range(2000):
                store.record_trial(run_id, variant="v1", question_id=f"q{i}", trial=0, raw_output="x" * 2000)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
    "time.sleep(float(sys.argv[2])); c.close(); print('closed', flush=True); time.sleep(30)"
)


def test_a_reader_holding_the_log_briefly_does_not_stop_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), "0.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with RunStore(path) as store:  # the reader lets go within LOCK_WAIT_SECONDS: no "in use"
            assert store.create_run(name="b", trials_per_question=1)
    finally:
        holder.kill()
        holder.wait()


def test_the_log_is_copied_whole_by_the_fixture(real_log: tuple[Path, str], tmp_path: Path) -> None:
    """The damage tests start from a readable log (else they would prove nothing)."""
    copy = shutil.copy(real_log[0], tmp_path / "copy.duckdb")
    assert [s.run_id for s in RunStore(copy).list_runs()] == [real_log[1]]


def test_a_full_disk_while_writing_a_report_or_bundle_is_one_line(
    real_log: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import errno

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    src, run_id = real_log
    monkeypatch.setattr(Path, "write_text", full)
    monkeypatch.setattr(Path, "write_bytes", full)
    assert main(["report", run_id, "--out", str(tmp_path / "r.html"), "--store", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: the disk is full") and err.count("\n") == 1
    missing = tmp_path / "file-not-folder"
    missing.touch()
    assert main(["export", "--run", run_id, "--out", str(missing / "b.wbundle"), "--store", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_a_reader_waits_only_briefly_for_a_running_eval(tmp_path: Path) -> None:
    """An eval holds the log for its whole run: a polling reader says "in use" quickly instead of freezing."""
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        start = time.monotonic()
        with pytest.raises(WorkbenchError, match="in use by another process"):
            RunStore(path).list_runs()
        assert connection.READ_LOCK_WAIT_SECONDS / 2 <= time.monotonic() - start < 2.0
    finally:
        holder.kill()
        holder.wait()
