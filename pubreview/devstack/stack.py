"""The embedded stack on one machine: a Prefect server with its UI, a worker, the site server.

`pubreview up` starts what is not running yet (a second start reuses what exists) and records
each process it started in data/run/; `pubreview down` stops exactly those and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx

from pubreview import settings as settings_mod
from pubreview.errors import PubreviewError

BIN = Path(sys.executable).parent


# The pid file of a `pubreview up` running in the foreground.
FOREGROUND = "up"
SERVER = "prefect-server"  # stopped last: the others talk to it while they stop


@dataclass(frozen=True)
class Service:
    """A long-running process of the stack."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    ready_timeout_s: float


def server_command(port: int) -> list[str]:
    """The Prefect server on this machine only, on `port` (the stack's, and the tests' stacks')."""
    return [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def wait_until(predicate: Callable[[], object], timeout_s: float, every_s: float = 0.5) -> bool:
    """Poll `predicate` until it is truthy or `timeout_s` passes; say which."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return bool(predicate())


def answers(url: str) -> bool:
    """Whether an HTTP GET on `url` answers 2xx/3xx."""
    try:
        return httpx.get(url, timeout=2).status_code < 400
    except httpx.HTTPError:
        return False


class StackError(PubreviewError):
    """A service of the stack did not start."""


class Stack:
    """Start, find and stop the stack's processes, keeping pid files in data/run/."""

    def __init__(self, settings: settings_mod.Settings | None = None) -> None:
        self.settings = settings or settings_mod.load()
        settings_mod.pin_prefect_environment(self.settings)
        self.run_dir = self.settings.data_dir / "run"
        self.log_dir = self.settings.data_dir / "logs"
        self.api_url = os.environ["PREFECT_API_URL"]
        self.prefect_port = int(self.api_url.split(":")[-1].split("/")[0])
        # The UI must call the API on the port we start the server on, whatever else is set.
        os.environ["PREFECT_SERVER_API_PORT"] = str(self.prefect_port)
        self.site_port = self.settings.site_port
        self.web_port = self.settings.web_port
        # Messages sent by the worker carry links to the web app we start here: the children
        # get the address these settings give (by default, this web port's).
        os.environ.setdefault("PUBREVIEW_WEB_URL", self.settings.web_url)
        # Prefect's runner keeps per-run storage under $TMPDIR: keep that in the data folder.
        self.tmp_dir = self.settings.data_dir / "tmp"
        # Names of the services this Stack started, as soon as each process exists.
        self.started: list[str] = []
        self._starting_since = datetime.now(UTC)

    @property
    def ui_url(self) -> str:
        """Where the Prefect UI answers."""
        return self.api_url.removesuffix("/api")

    @property
    def web_url(self) -> str:
        """Where reviewers open their personal links (review pages, queues)."""
        return self.settings.web_url

    @property
    def site_url(self) -> str:
        """Where the published site answers."""
        return f"http://127.0.0.1:{self.site_port}/"

    def services(self) -> list[Service]:
        """Every service, in start order."""
        pubreview = str(BIN / "pubreview")
        return [
            Service(
                SERVER,
                server_command(self.prefect_port),
                lambda: answers(f"{self.api_url}/health"),
                180,
            ),
            Service("worker", [pubreview, "worker"], self._deployment_ready, 120),
            Service(
                "site",
                [pubreview, "site", "serve", "--port", str(self.site_port)],
                lambda: answers(self.site_url),
                30,
            ),
            Service(
                "web",
                [pubreview, "web", "--port", str(self.web_port)],
                lambda: answers(f"{self.web_url}healthz"),
                60,
            ),
        ]

    def _deployment_ready(self) -> bool:
        """The worker has (re)registered its deployments since we started it.

        A deployment left in Prefect's database by an earlier start exists at once; only an
        update after this start says the new worker serves it.
        """
        try:
            r = httpx.get(
                f"{self.api_url}/deployments/name/review-publication/review-publication", timeout=2
            )
            updated = datetime.fromisoformat(r.json()["updated"]) if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return False
        return updated is not None and updated >= self._starting_since

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        """The recorded pid of a service we started, if that process still runs it."""
        try:
            record = json.loads(self._pid_file(name).read_text())
            pid, argv = int(record["pid"]), list(record["argv"])
            os.kill(pid, 0)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # A pid file outliving its process (a reboot, a kill -9) may name someone else's
        # process now: only a process running the command line we started counts as ours.
        return pid if _runs(pid, argv) else None

    def start(self, service: Service, echo: Callable[[str], None]) -> bool:
        """Start one service unless it already runs; return True if this call started it."""
        if self.pid(service.name) is not None or (service.name == SERVER and service.ready()):
            echo(f"  {service.name}: already running, reused")
            return False
        self._starting_since = datetime.now(UTC)
        for folder in (self.run_dir, self.log_dir, self.tmp_dir):
            folder.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service.name}.log", "ab")  # noqa: SIM115 - owned by child
        proc = subprocess.Popen(
            service.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=settings_mod.PROJECT_ROOT,
            env={**os.environ, "TMPDIR": str(self.tmp_dir)},
        )
        self._pid_file(service.name).write_text(json.dumps({"pid": proc.pid, "argv": service.argv}))
        self.started.append(service.name)
        echo(f"  {service.name}: starting (pid {proc.pid}, log {self.log_dir / service.name}.log)")
        if not wait_until(lambda: proc.poll() is None and service.ready(), service.ready_timeout_s):
            raise StackError(
                f"{service.name} did not become ready in {service.ready_timeout_s:.0f} s; "
                f"see {self.log_dir / service.name}.log"
            )
        return True

    def record_foreground(self, argv: list[str]) -> None:
        """Remember the foreground `pubreview up`, so `pubreview down` ends it too."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._pid_file(FOREGROUND).write_text(json.dumps({"pid": os.getpid(), "argv": argv}))

    def stop(self, names: list[str] | None = None, *, grace_s: float = 8.0) -> list[str]:
        """Stop the services we recorded (all, or `names`); return what stopped.

        Every service is asked to stop at once and given one shared grace period before it
        is killed: stopping them one after another, each with its own wait, took minutes.
        """
        targets: dict[str, int] = {}
        for service in reversed(self.services()):
            if names is not None and service.name not in names:
                continue
            pid = self.pid(service.name)
            if pid is not None:
                targets[service.name] = pid
        foreground = self.pid(FOREGROUND) if names is None else None
        if foreground is not None and foreground != os.getpid():
            # The foreground `up` stops what it started when told; it is not a group leader.
            with contextlib.suppress(ProcessLookupError):
                os.kill(foreground, signal.SIGTERM)
        # Two waves: what talks to the Prefect server first, then the server. A worker told to
        # stop tells the server about its runs; with the server already gone it retries until
        # killed, which made `down` take the whole grace period.
        deadline = time.monotonic() + grace_s
        server = {n: p for n, p in targets.items() if n == SERVER}
        clients = {n: p for n, p in targets.items() if n != SERVER}
        for wave, extra in ((clients, [foreground] if foreground else []), (server, [])):
            for pid in wave.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
            waiting = [*wave.values(), *extra]
            left = max(deadline - time.monotonic(), 1.0)
            if not wait_until(partial(_all_gone, waiting), left, 0.1):
                for pid in wave.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                wait_until(partial(_all_gone, list(wave.values())), 5, 0.1)
        for name in targets if names is not None else [*targets, FOREGROUND]:
            self._pid_file(name).unlink(missing_ok=True)
        return list(targets)


def _runs(pid: int, argv: list[str]) -> bool:
    """Whether process `pid` runs this command line (where /proc cannot tell, assume so)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return not Path("/proc/self").exists()
    # A script's interpreter may come first: the command line ends with our argv.
    return cmdline[-len(argv) :] == [os.fsencode(a) for a in argv]


def _all_gone(pids: list[int]) -> bool:
    return not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child of ours still "exists"; reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        pass
    # Someone else's zombie (a foreground `up` whose parent has not reaped it yet) has ended.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
