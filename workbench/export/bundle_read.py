"""Reading a bundle safely: members streamed under a size cap, every JSON shape checked before use.

A bundle is untrusted data from elsewhere: a member that unpacks to more than
``MAX_UNPACKED_BYTES`` (in total) is refused while it is read, without trusting the sizes the
zip declares, and a manifest or run record of the wrong shape is a one-line ``BundleError``
naming the field, never a traceback.
"""

from __future__ import annotations

import zipfile
from typing import Any

from workbench.core.errors import ConfigError

#: the most bytes a bundle may unpack to, all members together (opening a 50 MB bundle took
#: 170 MB of memory; the old 2 GiB cap let a 1.9 MB file take 3.8 GB).
MAX_UNPACKED_BYTES = 64 * 1024**2
_CHUNK = 1024 * 1024


class BundleError(ConfigError):
    """A bundle that cannot be opened: not one, from a newer format, edited, too big or malformed."""


def read_members(zf: zipfile.ZipFile, names: list[str], where: str) -> dict[str, bytes]:
    """The members ``names`` (those present), read in chunks; refused once the total passes the cap."""
    present = set(zf.namelist())
    declared = sum(i.file_size for i in zf.infolist() if i.filename in names)
    if declared > MAX_UNPACKED_BYTES:
        raise _too_big(where)
    total = 0
    data: dict[str, bytes] = {}
    for name in names:
        if name not in present:
            continue
        parts = []
        with zf.open(name) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if total > MAX_UNPACKED_BYTES:
                    raise _too_big(where)
                parts.append(chunk)
        data[name] = b"".join(parts)
    return data


def _too_big(where: str) -> BundleError:
    return BundleError(
        f"{where} unpacks to more than {MAX_UNPACKED_BYTES // 1024**2} MiB, the most a bundle may hold",
        "bundle fewer runs at a time (a zip bomb, or not a bundle)",
    )


def check_manifest(manifest: dict[str, Any], where: str) -> None:
    """``runs`` is a list of entries naming their record; ``sha256`` maps member names to digests."""
    digests = manifest["sha256"]
    if not isinstance(digests, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in digests.items()
    ):
        raise BundleError(
            f"{where}: bundle.json sha256 must map member names to digests", "re-export the bundle"
        )
    runs = manifest["runs"]
    if not isinstance(runs, list):
        raise BundleError(f"{where}: bundle.json runs must be a list", "re-export the bundle")
    for i, entry in enumerate(runs):
        if not isinstance(entry, dict) or not isinstance(entry.get("record"), str):
            raise BundleError(f"{where}: bundle.json runs[{i}] must name its record", "re-export the bundle")
        if entry["record"] not in digests:
            raise BundleError(
                f"{where}: runs[{i}] record {entry['record']!r} has no hash", "re-export the bundle"
            )


_TEXT = (str, type(None))
_SUMMARY = {
    "run_id": str, "created_at": str, "updated_at": str, "status": str, "trials_per_question": int,
    "name": _TEXT, "question_set_name": _TEXT, "question_set_hash": _TEXT, "question_set_path": _TEXT,
    "dataset_identity": _TEXT, "dataset_path": _TEXT, "n_questions": (int, type(None)),
    "settings": (dict, type(None)), "variants": (list, type(None)),
}  # fmt: skip
_VARIANT = {
    "variant": str,
    "variant_hash": _TEXT,
    "variant_text": _TEXT,
    "model": _TEXT,
    "params": (dict, type(None)),
}
_QUESTION = {"question_id": str, "question": str, "gold": (dict, type(None)), "accept": (list, type(None)),
             "tags": (list, type(None))}  # fmt: skip
_TRIAL = {"variant": str, "question_id": str, "trial": int, "correct": (bool, type(None))}


def check_record(record: Any, where: str) -> None:
    """A run record has the shape ``export_bundle`` writes: ``BundleError`` names the first wrong field."""
    if not isinstance(record, dict):
        raise _shape(where, "the run record", "an object")
    summary = record.get("summary")
    if not isinstance(summary, dict):
        raise _shape(where, "summary", "an object")
    _fields(summary, _SUMMARY, where, "summary")
    if isinstance(summary["trials_per_question"], bool) or summary["trials_per_question"] < 1:
        raise _shape(where, "summary.trials_per_question", "a whole number >= 1")
    for key, spec in (("variants", _VARIANT), ("questions", _QUESTION), ("trials", _TRIAL)):
        items = record.get(key)
        if not isinstance(items, list):
            raise _shape(where, key, "a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _shape(where, f"{key}[{i}]", "an object")
            _fields(item, spec, where, f"{key}[{i}]")


def _fields(obj: dict[str, Any], spec: dict[str, Any], where: str, path: str) -> None:
    for key, types in spec.items():
        required = not isinstance(types, tuple) or type(None) not in types
        if key not in obj:
            if required:
                raise _shape(where, f"{path}.{key}", "present")
            continue
        value = obj[key]
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            names = types if isinstance(types, tuple) else (types,)
            shown = " or ".join("null" if t is type(None) else t.__name__ for t in names)
            raise _shape(where, f"{path}.{key}", f"{shown}, not {type(value).__name__}")


def _shape(where: str, field: str, expected: str) -> BundleError:
    return BundleError(f"{where}: {field} must be {expected}", "re-export the bundle")


def utf8_text(raw: bytes, name: str, where: str) -> str:
    """A bundle member as text; a member that is not UTF-8 is a one-line ``BundleError``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{where}: {name} is not UTF-8 text", "re-export the bundle") from None


def variant_hashes(run: Any, where: str) -> tuple[list[str | None], list[str]]:
    """The hash to record for each of ``run``'s variants, recomputed from its text, so a bundle cannot
    pair a run with a variant it did not use; and the variants whose recorded hash is dropped.

    A recorded hash that differs from its text's is a one-line ``BundleError``. A text that cannot be
    checked (missing, not a variant this workbench reads, or naming an instructions file, which a
    bundle never reads) records no hash: ``compare`` then pairs it by name only.
    """
    hashes: list[str | None] = []
    dropped: list[str] = []
    for v in run.variants:
        recorded, computed = v.get("variant_hash"), _text_hash(v.get("variant_text"), where)
        if recorded is not None and computed is not None and recorded != computed:
            raise BundleError(
                f"{where}: run {run.run_id} records variant {v['variant']!r} with hash {recorded[:12]}, "
                f"but its text hashes to {computed[:12]} (edited or forged)",
                "re-export the bundle from the log that ran it",
            )
        if recorded is not None and computed is None:
            dropped.append(str(v["variant"]))
        hashes.append(computed)
    return hashes, dropped


def _text_hash(text: Any, where: str) -> str | None:
    """``variant_hash`` of a variant's YAML text; ``None`` when the text cannot be checked."""
    from workbench.core.yamlio import parse_yaml
    from workbench.prompt.variant import variant_from_yaml

    if not isinstance(text, str) or not text.strip():
        return None
    try:
        data, _ = parse_yaml(text, where)
        if not isinstance(data, dict) or "instructions_file" in data:
            return None
        return variant_from_yaml(text, where).variant_hash
    except ConfigError:
        return None
