"""A crafted bundle is data: it never chooses the endpoint, the key variable, the files read or the dataset.

The bundle is built with the real export of a real (offline) eval run, then its run JSON is edited
the way an attacker would and its member hashes re-signed, so it opens as a valid bundle.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from workbench.cli import main
from workbench.core.errors import ConfigError
from workbench.evaluation.evaluate import evaluate
from workbench.evaluation.questions import load_question_set
from workbench.export.bundle import MANIFEST, export_bundle, import_bundle
from workbench.export.bundle_read import BundleError
from workbench.prompt.render import Prompt
from workbench.prompt.variant import load_variant, variant_from_yaml
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
PROMPT = REPO / "prompts" / "honeycomb.yaml"
SECRET = "sk-dummy-secret-0123456789"
FILE_SECRET = "file-secret-9876543210"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def capture():
    """A loopback server that records every request it gets (a crafted bundle's exfiltration target)."""
    seen: list[tuple[str, dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.path, dict(self.headers), body))
            self.send_response(500)
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_file = outside / "secret.txt"
    secret_file.write_text(FILE_SECRET)
    csv = outside / "people.csv"
    csv.write_text("timestamp,user.email\n2024-01-01 00:00:00,alice@example.com\n")
    monkeypatch.setenv("WB_DUMMY_API_KEY", SECRET)
    return {"file": secret_file, "csv": csv}


def _origin_run(tmp_path: Path, small_dataset) -> tuple[Path, str]:
    """A real offline eval run (2 questions, 1 trial) in its own log."""
    qs = load_question_set(REPO / "questions" / "core.yaml")
    qs = qs.select(ids=qs.ids[:2])
    log = tmp_path / "origin" / "runs.duckdb"
    with RunStore(log) as store:
        result = evaluate(
            qs, [Prompt.load(PROMPT, small_dataset)], dataset=small_dataset, store=store, cache=None
        )
    return log, result.run_id


def _crafted(path: Path, edit) -> Path:
    """Edit every run record of a bundle with ``edit(record)`` and re-sign the member hashes."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members.pop(MANIFEST))
    for name in list(members):
        if name.startswith("runs/"):
            record = json.loads(members[name])
            edit(record)
            members[name] = json.dumps(record).encode()
    manifest["sha256"] = {n: hashlib.sha256(b).hexdigest() for n, b in members.items()}
    out = path.with_name("crafted.wbundle")
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _hostile_variant(base_url: str, name: str = "honeycomb", **extra: object) -> str:
    data = {"name": name, "model": "gpt-4.1-mini", "base_url": base_url, "api_key_env": "WB_DUMMY_API_KEY",
            "instructions": "Answer.", **extra}  # fmt: skip
    return yaml.safe_dump(data)


def _import(tmp_path: Path, small_dataset, edit) -> str:
    log, run_id = _origin_run(tmp_path, small_dataset)
    bundle = _crafted(export_bundle([run_id], tmp_path / "share.wbundle", store=log), edit)
    (imported,) = import_bundle(bundle)  # into the local log (the test's home)
    return imported.run_id


def _no_leak(seen: list, *secrets: str) -> None:
    assert seen == [], f"{len(seen)} request(s) reached the crafted endpoint"


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and err.count("\n") == 1, err
    return err


def test_resume_of_a_crafted_run_refuses_without_local_prompts(
    tmp_path, small_dataset, small_dataset_path, capture, secrets, capsys
) -> None:
    url, seen = capture

    def edit(record: dict) -> None:
        record["summary"].update(dataset_identity=None, dataset_path=str(secrets["csv"]))
        record["trials"] = record["trials"][:1]  # leave work for the resume
        for v in record["variants"]:
            v.update(variant_hash=None, variant_text=_hostile_variant(url))

    run_id = _import(tmp_path, small_dataset, edit)
    assert main(["eval", "--resume", run_id, "--no-cache"]) == 2
    err = _one_line_error(capsys)
    assert "imported from a bundle" in err and "--prompt honeycomb" in err
    # the recorded dataset path is never opened: --data is required, and a null identity is a mismatch
    assert main(["eval", "--resume", run_id, "--no-cache", "--prompt", str(PROMPT)]) == 2
    assert "--data PATH" in _one_line_error(capsys)
    other = tmp_path / "other.duckdb"
    other.write_bytes(small_dataset_path.read_bytes())  # the same rows, another file: another identity
    code = main(["eval", "--resume", run_id, "--no-cache", "--prompt", str(PROMPT), "--data", str(other)])
    err = _one_line_error(capsys)
    assert code == 2 and "ran on dataset None" in err and "alice" not in err
    # even the very dataset it ran on: a null identity is a mismatch, never a skipped check
    code = main(
        ["eval", "--resume", run_id, "--no-cache", "--prompt", str(PROMPT), "--data", str(small_dataset_path)]
    )
    assert code == 2 and "ran on dataset None" in _one_line_error(capsys)
    _no_leak(seen)


def test_a_null_variant_hash_is_a_mismatch(
    tmp_path, small_dataset, small_dataset_path, capture, capsys
) -> None:
    url, seen = capture

    def edit(record: dict) -> None:
        record["trials"] = record["trials"][:1]
        for v in record["variants"]:
            v.update(variant_hash=None, variant_text=_hostile_variant(url))

    run_id = _import(tmp_path, small_dataset, edit)
    code = main(
        ["eval", "--resume", run_id, "--no-cache", "--prompt", str(PROMPT), "--data", str(small_dataset_path)]
    )
    assert code == 2 and "differs from the one" in _one_line_error(capsys)
    _no_leak(seen)


def test_resume_runs_the_local_prompt_and_data_never_the_bundles(
    tmp_path, small_dataset, small_dataset_path, capture, secrets, capsys
) -> None:
    """The recorded dataset path points at a secret: the resume reads only the local prompt and data."""
    _, seen = capture

    def edit(record: dict) -> None:
        record["summary"].update(dataset_path=str(secrets["csv"]))
        record["trials"] = record["trials"][:1]

    run_id = _import(tmp_path, small_dataset, edit)
    code = main(
        ["eval", "--resume", run_id, "--no-cache", "--prompt", str(PROMPT), "--data", str(small_dataset_path)]
    )
    out = capsys.readouterr().out
    assert code == 0 and "2/2 trials" in out
    _no_leak(seen)
    run = RunStore().load_run(run_id)
    assert len(run.trials) == 2  # the missing trial ran, with the local (offline) variant


def test_a_variant_hash_forged_to_match_a_local_variant_is_refused_at_import(
    tmp_path, small_dataset, capture, capsys
) -> None:
    """A hostile text under the hash of the local variant would let compare and resume pair the run with it."""
    url, seen = capture
    local = load_variant(PROMPT)

    def edit(record: dict) -> None:
        for v in record["variants"]:
            v.update(variant_hash=local.variant_hash, variant_text=_hostile_variant(url))

    log, run_id = _origin_run(tmp_path, small_dataset)
    bundle = _crafted(export_bundle([run_id], tmp_path / "share.wbundle", store=log), edit)
    with pytest.raises(
        BundleError, match=r"records variant 'honeycomb' with hash \w+, but its text hashes to"
    ) as info:
        import_bundle(bundle)
    assert "\n" not in str(info.value)
    assert not RunStore().path.exists() or RunStore().list_runs() == []  # refused before any write
    assert main(["open", str(bundle), "--import"]) == 2
    assert "edited or forged" in _one_line_error(capsys)
    _no_leak(seen)


def test_import_records_the_hash_of_the_variant_text(tmp_path, small_dataset, capture) -> None:
    """Honest hashes are kept; a null hash gets its text's; a text that cannot be checked keeps none."""
    url, _ = capture
    local = load_variant(PROMPT)
    log, run_id = _origin_run(tmp_path, small_dataset)
    (honest,) = import_bundle(export_bundle([run_id], tmp_path / "share.wbundle", store=log))
    assert honest.unchecked == ()
    assert RunStore().load_run(honest.run_id).variants[0]["variant_hash"] == local.variant_hash

    hostile = _hostile_variant(url)
    cases = [  # (variant text, recorded hash, hash the import keeps, variants whose hash is not kept)
        (hostile, None, variant_from_yaml(hostile).variant_hash, ()),
        (
            "name: honeycomb\ninstructions_file: ../../outside/secret.txt\n",
            local.variant_hash,
            None,
            ("honeycomb",),
        ),
        ("- not a variant\n", local.variant_hash, None, ("honeycomb",)),
    ]
    for i, (text, recorded, expected, unchecked) in enumerate(cases):

        def edit(record: dict, i: int = i, text: str = text, recorded: str | None = recorded) -> None:
            record["summary"]["run_id"] += f"-{i}"  # another run each time
            for v in record["variants"]:
                v.update(variant_hash=recorded, variant_text=text)

        bundle = _crafted(export_bundle([run_id], tmp_path / "share.wbundle", store=log), edit)
        (imported,) = import_bundle(bundle)
        assert imported.imported and imported.unchecked == unchecked
        assert RunStore().load_run(imported.run_id).variants[0]["variant_hash"] == expected


@pytest.mark.parametrize("name", ["HOME", "PATH", "AWS_SECRET_ACCESS_KEY_ID", "my_api_key", "X"])
def test_api_key_env_must_name_a_key(name: str) -> None:
    with pytest.raises(ConfigError, match="does not name an API key variable") as info:
        variant_from_yaml(f"name: x\napi_key_env: {name}\ninstructions: hi\n")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "TEAM_KEY", "MY_LLM_TOKEN"])
def test_key_like_names_are_accepted(name: str) -> None:
    assert variant_from_yaml(f"name: x\napi_key_env: {name}\ninstructions: hi\n").api_key_env == name


def test_instructions_file_stays_inside_the_variant_and_prompts_folders(tmp_path: Path, secrets) -> None:
    folder = tmp_path / "variants"
    folder.mkdir()
    (folder / "ok.md").write_text("Be brief.")
    (folder / "link.md").symlink_to(secrets["file"])
    relative = Path("..") / "outside" / "secret.txt"
    for ref in (str(secrets["file"]), "/etc/hostname", str(relative), "link.md"):
        (folder / "v.yaml").write_text(f"instructions_file: {ref}\n")
        with pytest.raises(ConfigError, match="outside the variant's folder") as info:
            load_variant(folder / "v.yaml")
        assert FILE_SECRET not in str(info.value) and "\n" not in str(info.value)
        with pytest.raises(ConfigError):  # text with no folder of its own: the prompts folder only
            variant_from_yaml(f"name: x\ninstructions_file: {ref}\n", base_dir=None)
    (folder / "v.yaml").write_text("instructions_file: ok.md\n")
    assert load_variant(folder / "v.yaml").instructions == "Be brief."
