"""Session engines for the differential tests: embedded ClickHouse (chdb) and a throwaway PostgreSQL.

PostgreSQL comes from the machine's binaries (Debian's ``postgresql`` package: ``initdb`` and
``pg_ctl`` under ``/usr/lib/postgresql/*/bin`` or on PATH), started once per session on a
Unix socket in a temp folder (as the ``postgres`` user when the tests run as root), and
stopped at the end. Nothing is downloaded.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (Debian keeps them off PATH)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if dirs and (Path(dirs[-1]) / "initdb").exists():
        return Path(dirs[-1])
    found = shutil.which("initdb")
    return Path(found).parent if found and (Path(found).parent / "pg_ctl").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """A PostgreSQL cluster in ``folder`` on a Unix socket; ``dsn`` reaches it as user ``wb``."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        # not under pytest's temp root: it is private to the user running the tests
        folder = Path(tempfile.mkdtemp(prefix="wb-pg-"))
        self.bindir, self.folder, self.port = bindir, folder, _free_port()
        self.data = folder / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(folder, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "wb", "--auth=trust", "--no-sync")
        options = f"-p {self.port} -k {folder} -c listen_addresses='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        self.dsn = f"postgresql://wb@/postgres?host={folder}&port={self.port}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bindir / tool), *args], check=True, capture_output=True)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
