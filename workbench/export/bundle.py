"""Experiment bundles: runs from the experiment log as one file a colleague can open elsewhere.

A bundle (``.wbundle``) is a zip archive, so it stays one file while its parts stay
readable with any unzip tool, and the repetitive trial JSON compresses about tenfold:

```
bundle.json                      manifest: format, version, runs, and the sha256 of every member
runs/<run_id>.json               the run's record: summary, variants, questions, every trial
                                 (spec, findings, SQL, capped result, metrics fields, outcome)
variants/<name>-<hash12>.yaml    each variant as it ran (YAML, instructions inline)
questions/<name>-<hash>.yaml     each question set as it ran (DESIGN.md's question-set YAML)
```

``load_bundle`` needs no key, no model and no dataset: it checks the format version and
every member's hash and gives back the runs as ``runs.Run`` objects, which the widgets
(``Dashboard.show``), ``EvalRun.from_run`` and ``report.render_report`` read like runs
from the local log. ``import_bundle`` copies the runs into a local experiment log
(``workbench open FILE --import``): the log gives each imported run a new id and keeps the
original id and time in its settings (``imported_from``), so importing twice is a no-op.

A bundle is data: nothing in it chooses where requests go, which environment variables or
files are read, or which dataset is opened. Import recomputes each variant's hash from its text
(``bundle_read.variant_hashes``: a mismatch is refused). Imported runs keep their variant texts
and dataset path for display only; ``eval --resume`` of an imported run runs the local ``--prompt``
files on the local ``--data``, checked against the recorded variant hashes and dataset identity
(a missing one is a mismatch).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.export.bundle_read import (
    MAX_UNPACKED_BYTES,
    BundleError,
    check_manifest,
    check_record,
    read_members,
    utf8_text,
    variant_hashes,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "MAX_UNPACKED_BYTES",
    "Bundle",
    "ImportedRun",
    "export_bundle",
    "import_bundle",
    "load_bundle",
]

BUNDLE_FORMAT = "query-workbench/experiment-bundle"
BUNDLE_VERSION = 1
MANIFEST = "bundle.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same content gives the same members
_TRIAL_TIMES = ("started_at", "finished_at", "recorded_at")


@dataclass(frozen=True)
class ImportedRun:
    """A bundle's run in a local log (``imported`` False: there already; ``unchecked``: hashes not kept)."""

    original_id: str
    run_id: str
    imported: bool
    unchecked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bundle:
    """An opened bundle: its runs (``runs.Run``), variant texts and question sets."""

    manifest: dict[str, Any]
    runs: list[Any]
    variants: dict[str, str] = field(default_factory=dict)  # member name -> YAML text
    question_sets: dict[str, Any] = field(default_factory=dict)  # member name -> QuestionSet
    path: Path | None = None

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.runs]

    def run(self, run_id: str) -> Any:
        """A run by id or unique prefix."""
        found = [r for r in self.runs if r.run_id == run_id] or [
            r for r in self.runs if r.run_id.startswith(run_id)
        ]
        if len(found) != 1:
            raise ConfigError(
                f"the bundle has {'no' if not found else 'more than one'} run {run_id!r}",
                f"use one of {', '.join(self.run_ids)}",
            )
        return found[0]

    def eval_runs(self) -> list[Any]:
        """The runs as ``eval_run.EvalRun`` (metrics, comparisons, DESIGN.md's eval JSON)."""
        from workbench.evaluation.run import EvalRun

        return [EvalRun.from_run(r) for r in self.runs]

    def to_dict(self) -> dict[str, Any]:
        """``workbench open --json``: the manifest and each run's eval JSON."""
        return {
            "bundle": {k: v for k, v in self.manifest.items() if k != "sha256"},
            "runs": [r.to_dict() for r in self.eval_runs()],
        }


# --------------------------------------------------------------------------- export


def export_bundle(run_ids: Sequence[str], out_path: str | Path, *, store: Any = None) -> Path:
    """Write the runs ``run_ids`` (ids or unique prefixes) of ``store`` (default: the local log) to one file."""
    from workbench.store.runs import RunStore

    if not run_ids:
        raise ConfigError("no run to bundle", "give at least one --run RUN (see `workbench runs`)")
    log = store if isinstance(store, RunStore) else RunStore(store)
    if not log.path.exists():
        raise ConfigError(f"no experiment log at {log.path}", "run `workbench eval` first, or pass --store")
    runs = [log.load_run(ref) for ref in dict.fromkeys(run_ids)]
    members: dict[str, bytes] = {}
    entries = []
    for run in runs:
        s = run.summary
        qs_member = (
            f"questions/{_safe(s.question_set_name or 'questions')}-{s.question_set_hash or run.run_id}.yaml"
        )
        if run.questions:
            members.setdefault(qs_member, _question_set(run).to_yaml().encode("utf-8"))
        variant_members = {}
        for v in run.variants:
            name = f"variants/{_safe(v['variant'])}-{(v.get('variant_hash') or run.run_id)[:12]}.yaml"
            members.setdefault(name, (v.get("variant_text") or "").encode("utf-8"))
            variant_members[v["variant"]] = name
        run_member = f"runs/{run.run_id}.json"
        members[run_member] = _dumps(_run_record(run))
        entries.append(
            {
                "run_id": run.run_id,
                "name": s.name,
                "created_at": s.created_at.isoformat(),
                "status": s.status,
                "variants": variant_members,
                "questions": qs_member if run.questions else None,
                "n_trials": len(run.trials),
                "record": run_member,
            }
        )
    manifest = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "workbench_version": _version(),
        "runs": entries,
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _write(zf, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))
        for name, data in sorted(members.items()):
            _write(zf, name, data)
    return target


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "_"


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _run_record(run: Any) -> dict[str, Any]:
    summary = run.summary.to_dict()
    return {"summary": summary, "variants": run.variants, "questions": run.questions, "trials": run.trials}


def _question_set(run: Any) -> Any:
    from workbench.evaluation.questions import Question, QuestionSet

    questions = tuple(
        Question(
            id=q["question_id"],
            question=q["question"],
            gold=q["gold"] or {},
            accept=list(q.get("accept") or []),
            tags=tuple(q.get("tags") or ()),
        )
        for q in run.questions
    )
    return QuestionSet(name=run.summary.question_set_name or "questions", questions=questions)


def _version() -> str:
    from workbench.export.artifact import workbench_version

    return workbench_version()


# --------------------------------------------------------------------------- load


def load_bundle(path: str | Path) -> Bundle:
    """Open a bundle: check its format version and every member's hash, decode the runs."""
    from workbench.core.yamlio import parse_yaml
    from workbench.evaluation.questions import QuestionSet
    from workbench.store.runs import Run, RunSummary

    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise BundleError(
            f"bundle not found: {where}", "export one with `workbench export --run RUN --out FILE.wbundle`"
        )
    try:
        with zipfile.ZipFile(p) as zf:
            manifest = _manifest(zf, where)
            check_manifest(manifest, where)
            data = read_members(zf, list(manifest["sha256"]), where)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise BundleError(
            f"{where} is not an experiment bundle (not a readable zip file: {exc})", "give a .wbundle file"
        ) from None
    for name, digest in manifest["sha256"].items():
        if name not in data:
            raise BundleError(f"{where} is missing {name!r}", "re-export the bundle")
        if hashlib.sha256(data[name]).hexdigest() != digest:
            raise BundleError(
                f"{where}: bundle was edited or corrupted ({name} does not match its hash)",
                "re-export the bundle",
            )
    runs = [_decode_run(entry, data, where, Run, RunSummary) for entry in manifest["runs"]]
    variants = {n: utf8_text(b, n, where) for n, b in data.items() if n.startswith("variants/")}
    question_sets = {}
    for name, raw in data.items():
        if name.startswith("questions/"):
            try:
                parsed, _doc = parse_yaml(utf8_text(raw, name, where), f"{where}: {name}")
                question_sets[name] = QuestionSet.from_dict(parsed)
            except BundleError:
                raise
            except ConfigError as exc:
                raise BundleError(exc.problem, "re-export the bundle") from None
    return Bundle(manifest=manifest, runs=runs, variants=variants, question_sets=question_sets, path=p)


def _decode_run(
    entry: dict[str, Any], data: dict[str, bytes], where: str, run_cls: Any, summary_cls: Any
) -> Any:
    """One run of the bundle, its shape checked and its metrics computed once (so a bad value fails here)."""
    from workbench.evaluation.run import EvalRun

    try:
        record = json.loads(data[entry["record"]])
    except ValueError as exc:
        raise BundleError(f"{where}: {entry['record']} is not JSON ({exc})", "re-export the bundle") from None
    check_record(record, where)
    try:
        run = _run_from_record(record, run_cls, summary_cls)
        EvalRun.from_run(run)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleError(
            f"{where}: run {entry.get('run_id')!r} cannot be read ({type(exc).__name__}: {exc})",
            "re-export the bundle",
        ) from None
    return run


def _manifest(zf: zipfile.ZipFile, where: str) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BundleError(
            f"{where} is not an experiment bundle (no {MANIFEST})", "give a .wbundle file"
        ) from None
    except ValueError as exc:
        raise BundleError(f"{where}: {MANIFEST} is not JSON ({exc})", "re-export the bundle") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{where} is not an experiment bundle", "give a .wbundle file")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BundleError(f"{where} has an invalid format_version {version!r}", "re-export the bundle")
    if version > BUNDLE_VERSION:
        raise BundleError(
            f"{where} has bundle format version {version}, newer than this workbench reads ({BUNDLE_VERSION})",
            "upgrade query-workbench",
        )
    for key in ("runs", "sha256"):
        if key not in manifest:
            raise BundleError(f"{where}: {MANIFEST} is missing field {key!r}", "re-export the bundle")
    return manifest


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _run_from_record(record: dict[str, Any], run_cls: Any, summary_cls: Any) -> Any:
    s = record["summary"]
    known = {f.name for f in fields(summary_cls)}
    summary = summary_cls(
        **{
            **{k: v for k, v in s.items() if k in known},
            "created_at": _aware(s["created_at"]),
            "updated_at": _aware(s["updated_at"]),
            "variants": tuple(s.get("variants") or ()),
            "settings": dict(s.get("settings") or {}),
        }
    )
    variants = [{**v, "added_at": _aware(v.get("added_at"))} for v in record["variants"]]
    trials = [{**t, **{k: _aware(t.get(k)) for k in _TRIAL_TIMES}} for t in record["trials"]]
    return run_cls(summary=summary, variants=variants, questions=list(record["questions"]), trials=trials)


# --------------------------------------------------------------------------- import


def import_bundle(bundle: Bundle | str | Path, store: Any = None) -> list[ImportedRun]:
    """Copy a bundle's runs into the experiment log ``store`` (default: the local log); skips runs already there."""
    from workbench.store.runs import RunStore

    b = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
    hashes = [variant_hashes(run, str(b.path or "bundle")) for run in b.runs]  # all checked before any write
    log = store if isinstance(store, RunStore) else RunStore(store)
    try:
        return [_import_run(run, log, b.path, h) for run, h in zip(b.runs, hashes, strict=True)]
    finally:
        if log is not store:
            log.close()


def _import_run(run: Any, log: Any, source: Path | None, hashes: tuple[list[Any], list[str]]) -> ImportedRun:
    """One run into ``log``, unless it is there already (under its own id, or imported before)."""
    from workbench.store.runs import TRIAL_FIELDS

    if log.path.exists():
        for local in log.list_runs():
            if run.run_id in (local.run_id, (local.settings.get("imported_from") or {}).get("run_id")):
                return ImportedRun(run.run_id, local.run_id, False)
    s = run.summary
    settings = dict(s.settings or {})
    settings["imported_from"] = {
        "run_id": run.run_id,
        "created_at": s.created_at.isoformat(),
        "bundle": source.name if source else None,
    }
    new_id = log.create_run(
        name=s.name,
        questions=_question_set(run) if run.questions else None,
        question_set_name=s.question_set_name,
        question_set_hash=s.question_set_hash,
        question_set_path=s.question_set_path,
        dataset_identity=s.dataset_identity,
        dataset_path=s.dataset_path,
        trials_per_question=s.trials_per_question,
        settings=settings,
    )
    for v, variant_hash in zip(run.variants, hashes[0], strict=True):
        log.add_variant(
            new_id,
            v["variant"],
            hash=variant_hash,
            text=v.get("variant_text"),
            model=v.get("model"),
            params=v.get("params"),
            recall=v["column_recall"] if isinstance(v.get("column_recall"), dict) else None,
        )
    for t in run.trials:
        log.record_trial(new_id, {k: t.get(k) for k in ("variant", "question_id", "trial", *TRIAL_FIELDS)})
    if s.status in ("finished", "failed", "cancelled"):
        log.finish_run(new_id, s.status)
    return ImportedRun(run.run_id, new_id, True, tuple(hashes[1]))
