"""Bundles are untrusted data: malformed shapes and zip bombs give one line, never a traceback or GBs."""

from __future__ import annotations

import copy
import hashlib
import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from _run_records import record_run

from workbench.cli import main
from workbench.export.bundle import MAX_UNPACKED_BYTES, BundleError, export_bundle, load_bundle


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, dict, dict[str, bytes]]:
    store = tmp_path / "origin" / "runs.duckdb"
    path = export_bundle([record_run(store)], tmp_path / "exp.wbundle", store=store)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return path, json.loads(members.pop("bundle.json")), members


def _build(out: Path, manifest: dict, members: dict[str, bytes], level: int = 6) -> Path:
    """A bundle whose hashes match its (edited) members, as a careful forger would write it."""
    manifest = copy.deepcopy(manifest)
    if isinstance(manifest.get("sha256"), dict):
        manifest["sha256"] = {n: hashlib.sha256(b).hexdigest() for n, b in members.items()}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("bundle.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _set(path: list, value):
    def edit(obj):
        for key in path[:-1]:
            obj = obj[key]
        if value is KeyError:
            del obj[path[-1]]
        else:
            obj[path[-1]] = value

    return edit


MANIFEST_EDITS = {
    "runs is text": _set(["runs"], "x"),
    "a run entry is text": _set(["runs", 0], "x"),
    "a run entry names no record": _set(["runs", 0, "record"], KeyError),
    "sha256 is a list": _set(["sha256"], ["a"]),
}
RECORD_EDITS = {
    "the record is a list": lambda r: [1],
    "summary is text": _set(["summary"], "x"),
    "created_at is missing": _set(["summary", "created_at"], KeyError),
    "created_at is not a time": _set(["summary", "created_at"], "yesterday"),
    "trials_per_question is text": _set(["summary", "trials_per_question"], "x"),
    "trials_per_question is 0": _set(["summary", "trials_per_question"], 0),
    "questions is text": _set(["questions"], "x"),
    "a question is a number": _set(["questions", 0], 1),
    "variant params are text": _set(["variants", 0, "params"], "x"),
    "a trial number is text": _set(["trials", 0, "trial"], "x"),
    "trials is an object": _set(["trials"], {"a": 1}),
}


def _edited(bundle, tmp_path: Path, case: str) -> Path:
    _path, manifest, members = bundle
    manifest, members = copy.deepcopy(manifest), dict(members)
    if case in MANIFEST_EDITS:
        MANIFEST_EDITS[case](manifest)
    else:
        name = next(n for n in members if n.startswith("runs/"))
        record = json.loads(members[name])
        record = RECORD_EDITS[case](record) or record
        members[name] = json.dumps(record).encode()
    return _build(tmp_path / "bad.wbundle", manifest, members)


@pytest.mark.parametrize("case", [*MANIFEST_EDITS, *RECORD_EDITS])
def test_malformed_bundles_fail_in_one_line(bundle, tmp_path: Path, capsys, case: str) -> None:
    bad = _edited(bundle, tmp_path, case)
    for argv in (
        ["open", str(bad)],
        ["open", str(bad), "--json"],
        ["open", str(bad), "--import", "--store", str(tmp_path / "local.duckdb")],
        ["report", str(bad), "--out", str(tmp_path / "r.html")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("workbench: error:") and err.count("\n") == 1, (argv, err)


def test_bad_member_text_fails_in_one_line(bundle, tmp_path: Path) -> None:
    _path, manifest, members = bundle
    with pytest.raises(BundleError, match="not UTF-8"):
        load_bundle(_build(tmp_path / "a.wbundle", manifest, {**members, "variants/x.yaml": b"\xff\xfe"}))
    with pytest.raises(BundleError, match="YAML syntax error"):
        load_bundle(_build(tmp_path / "b.wbundle", manifest, {**members, "questions/x.yaml": b"a: [1"}))


def test_a_zip_bomb_is_refused_without_unpacking_it(bundle, tmp_path: Path) -> None:
    """A small file that unpacks past the cap is refused from what it declares, in little memory."""
    _path, manifest, members = bundle
    name = next(n for n in members if n.startswith("runs/"))
    padded = members[name][:-1] + b" " * (MAX_UNPACKED_BYTES + 1024) + b"}"
    bomb = _build(tmp_path / "bomb.wbundle", manifest, {**members, name: padded}, level=9)
    assert bomb.stat().st_size < MAX_UNPACKED_BYTES // 200
    tracemalloc.start()
    try:
        with pytest.raises(BundleError, match="unpacks to more than 64 MiB"):
            load_bundle(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2


def test_members_are_capped_as_they_are_read_not_as_declared(bundle, tmp_path: Path, monkeypatch) -> None:
    """The cap holds while reading: a member bigger than the rest of the budget stops the read."""
    from workbench.export import bundle_read

    path, _manifest, _members = bundle
    assert load_bundle(path).runs
    monkeypatch.setattr(bundle_read, "MAX_UNPACKED_BYTES", 2000)
    with pytest.raises(BundleError, match="unpacks to more than"):
        load_bundle(path)
