"""A PostgreSQL cluster of our own: initdb under a temporary folder, its own port and socket
folder, trust authentication. For what must not touch the shared server: restarting it (the
fault campaign) or filling its disk (the full-disk test).

The Debian binaries (`/usr/lib/postgresql/<version>/bin`) are used directly, not
`pg_ctlcluster`, so the cluster is nobody's but its creator's. PostgreSQL refuses to run as
root: as root the server runs as the `postgres` account (`runuser`), which owns the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

SERVER_ACCOUNT = "postgres"


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are (the newest Debian version first, then the PATH)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """One PostgreSQL cluster in a folder of its own, started and stopped by its owner."""

    def __init__(self, base: Path | None = None, *, durable: bool = False) -> None:
        found = bin_dir()
        if found is None:
            raise FileNotFoundError("initdb not found (install postgresql, e.g. postgresql-15)")
        self.bin = found
        self.base = base or Path(tempfile.mkdtemp(prefix="pubreview-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "server.log"
        self.port = _free_port()
        # Durable: fsync on, so an immediate (crash) restart keeps every committed transaction.
        self.durable = durable
        self._as_server = os.geteuid() == 0
        self.base.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self._as_server:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            for path in (self.base, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)

    # --- the server ---

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self._as_server:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr.strip()}\n{tail}")
        return done

    def _options(self) -> str:
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.sockets),
            "max_connections": 200,
            "shared_buffers": "32MB",
            "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
        }
        return " ".join(f"-c {k}={v}" for k, v in settings.items())

    def start(self) -> PrivateCluster:
        """initdb on first use, then start the server and wait until it accepts connections."""
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-w", "-t", "60", "start")  # fmt: skip
        return self

    def restart(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: a clean shutdown; `immediate`: as a crash) and start it."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-w", "-t", "60", "start")  # fmt: skip

    def running(self) -> bool:
        """Whether the server is up (pg_ctl status)."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "status", timeout=30)
        except RuntimeError:
            return False
        return True

    def stop(self) -> None:
        """Stop the server if it runs (fast shutdown)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # --- its databases ---

    def url(self, database: str = "postgres") -> str:
        """The address of one of its databases (TCP on 127.0.0.1, user postgres)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE …)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def create_database(self, tablespace: str | None = None) -> str:
        """A new, empty database (in `tablespace` if given): its URL."""
        name = f"pubreview_{uuid.uuid4().hex[:12]}"
        where = f' TABLESPACE "{tablespace}"' if tablespace else ""
        self.admin(f'CREATE DATABASE "{name}"{where}')
        return self.url(name)

    def create_tablespace(self, name: str, location: Path) -> None:
        """A tablespace in `location` (an empty folder, made the server account's)."""
        if self._as_server:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(location, account.pw_uid, account.pw_gid)
        self.admin(f"CREATE TABLESPACE \"{name}\" LOCATION '{location}'")
