"""A real Prefect server and a real `pubreview worker`, started as processes for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from pubreview.devstack.stack import server_command
from pubreview.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.3) -> Any:
    """Poll until `predicate` returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def rest_api(
    api_url: str, *, attempts: int = 20, timeout: float = 10
) -> Callable[[str, str, dict | None], Any]:
    """A caller of the Prefect REST API at `api_url` (method, path, JSON body → JSON answer)
    that retries the 503 a busy SQLite-backed server answers, every half second."""

    def call(method: str, path: str, body: dict | None = None) -> Any:
        for _ in range(attempts):
            r = httpx.request(method, f"{api_url}{path}", json=body, timeout=timeout)
            if r.status_code != 503:
                r.raise_for_status()
                return r.json() if r.content else None
            time.sleep(0.5)
        r.raise_for_status()

    return call


class PrefectStack:
    """`prefect server start` plus `pubreview worker`, bound to one ledger database."""

    def __init__(self, home: Path, database_url: str, server_db_url: str | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home / "prefect"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_LOCAL_STORAGE_PATH": str(home / "prefect" / "storage"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PUBREVIEW_DATA_DIR": str(home / "data"),
            "PUBREVIEW_DATABASE_URL": database_url,
            "PUBREVIEW_RECONCILE_INTERVAL_S": "0",
            # Scheduled releases a few seconds out are scheduled as runs, as hours-out ones are.
            "PUBREVIEW_RELEASE_SLACK_S": "5",
        }
        if server_db_url:
            self.env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = server_db_url
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.logs = home / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process
        return subprocess.Popen(
            argv,
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> PrefectStack:
        """Start the server, wait for it, then start the worker and wait for its deployments."""
        try:
            self.start_server()
            self.start_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def start_server(self) -> None:
        """Start `prefect server start` on a free port and wait until it answers."""
        for _attempt in range(3):
            self.server = self._spawn(
                "server",
                server_command(self.port),
            )
            # A new server migrates its database first: 20 s alone, more on a busy machine.
            wait_until(
                lambda: self._healthy() or self.server.poll() is not None,
                300,
                "the Prefect server to answer",
                every=0.5,
            )
            if self.server.poll() is None:
                return
            # Another process took the port between our probe and the server's bind.
            self._use_port(free_port())
        raise AssertionError(f"the Prefect server did not start; see {self.logs / 'server.log'}")

    def _use_port(self, port: int) -> None:
        self.port = port
        self.api_url = f"http://127.0.0.1:{port}/api"
        self.env.update(PREFECT_API_URL=self.api_url, PREFECT_SERVER_API_PORT=str(port))

    def start_worker(self) -> None:
        """Start (or restart) `pubreview worker` and wait until it serves its deployments."""
        self.worker = self._spawn("worker", [str(BIN / "pubreview"), "worker"])
        wait_until(self._deployment_ready, 180, "the worker to register its deployments")
        # The runner needs a poll or two after registering before it picks runs up.
        time.sleep(2)

    def crash_worker_mid_run(self, publication_id: int, *decide: str) -> None:
        """SIGKILL the worker while this item's run is active, restart it, reconcile.

        With `decide` (the arguments of a `pubreview decide`), the decision is taken here and the
        worker killed as soon as the run moves: the step worker's move takes under a second, often
        over before the command has returned. A move already over is killed after, as it may be.
        """
        before = {r["id"]: (r["state"] or {}).get("id") for r in self.run_of(publication_id)}
        command = None
        if decide:
            command = subprocess.Popen(
                [str(BIN / "pubreview"), "decide", *decide], env=self.env, cwd=PROJECT_ROOT
            )

        def active_or_moved() -> bool:
            runs = self.run_of(publication_id)
            if any((r["state"] or {}).get("type") in ("RUNNING", "PENDING") for r in runs):
                return True
            moved = any((r["state"] or {}).get("id") != before.get(r["id"]) for r in runs)
            return command is not None and command.poll() is not None and moved

        wait_until(active_or_moved, 60, "the run to be active", every=0.02)
        self.kill_worker()
        if command is not None:
            assert command.wait(120) == 0, decide
        self.start_worker()
        self.cli("reconcile", "--stale-after", "0")

    def kill_worker(self) -> None:
        """SIGKILL the worker and every process it started (its flow runs)."""
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(10)

    def start_web(self) -> str:
        """Start `pubreview web` (the office web app, with the real hand-off to Prefect).

        Returns its address; links in messages the worker sends point at it, so set it
        before `start()` with `web_port` if messages are to carry it.
        """
        port = int(self.env.setdefault("PUBREVIEW_WEB_PORT", str(free_port())))
        url = self.env.setdefault("PUBREVIEW_WEB_URL", f"http://127.0.0.1:{port}/")
        self.web = self._spawn("web", [str(BIN / "pubreview"), "web", "--port", str(port)])

        def answers() -> bool:
            try:
                return httpx.get(f"{url}healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 60, "the web app to answer")
        return url

    def stop(self) -> None:
        """Stop everything this stack started."""
        if self.web and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(20)
        self.kill_worker()
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, method: str, path: str, body: dict | None = None) -> Any:
        """Call the Prefect REST API, retrying the 503 SQLite answers under load."""
        return rest_api(self.api_url)(method, path, body)

    def _deployment_ready(self) -> bool:
        try:
            self.api("GET", "/deployments/name/review-publication/review-publication")
            return True
        except httpx.HTTPError:
            return False

    def all_review_runs(self) -> list[dict]:
        """Every run of the review deployment."""
        dep = self.api("GET", "/deployments/name/review-publication/review-publication")
        return self.api(
            "POST",
            "/flow_runs/filter",
            {"deployments": {"id": {"any_": [dep["id"]]}}, "limit": 200},
        )

    def run_of(self, publication_id: int) -> list[dict]:
        """Review runs of one publication (by parameter, tags or not)."""
        return [
            r
            for r in self.all_review_runs()
            if r["parameters"].get("publication_id") == publication_id
        ]

    def wait_paused(self, publication_id: int, key_prefix: str, timeout: float = 90) -> dict:
        """Wait until a run of this publication is suspended on a pause key with this prefix."""

        def paused() -> dict | None:
            for run in self.run_of(publication_id):
                state = run["state"] or {}
                key = (state.get("state_details") or {}).get("pause_key") or ""
                if state.get("type") == "PAUSED" and key.startswith(f"{key_prefix}:"):
                    return run
            return None

        return wait_until(paused, timeout, f"publication {publication_id} to wait on {key_prefix}")

    def wait_completed(self, publication_id: int, timeout: float = 90) -> dict:
        """Wait until a run of this publication completed."""

        def done() -> dict | None:
            return next(
                (
                    r
                    for r in self.run_of(publication_id)
                    if (r["state"] or {}).get("type") == "COMPLETED"
                ),
                None,
            )

        return wait_until(done, timeout, f"publication {publication_id}'s run to complete")

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the `pubreview` command with this stack's environment."""
        proc = subprocess.run(
            [str(BIN / "pubreview"), *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pubreview {' '.join(args)} exited {proc.returncode}:\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def cli_json(self, *args: str) -> Any:
        """Run a command with --json and parse its output."""
        return json.loads(self.cli(*args, "--json").stdout)
