"""A real `pubreview web` on a SQLite file, for a whole browser-test module (one per module).

The sample organisation is loaded and the named people get a password. Prefect is an address
nothing answers on: the app records and moves on, as it does when Prefect is down. The test
process gets the same environment (database, data folder, lists), so what it writes or signs
is what the served app reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_ORG
from tests.support.accounts import set_password
from tests.support.prefect_stack import BIN, free_port, wait_until

PASSWORD = "Rb7-secure-pw"


@dataclass(frozen=True)
class ServedOffice:
    """The served app's address, its ledger and the folder it writes in."""

    base: str  # ends with "/"
    engine: Engine
    home: Path
    password: str = PASSWORD


@contextmanager
def served_office(
    home: Path, people: tuple[str, ...], env: dict[str, str] | None = None
) -> Iterator[ServedOffice]:
    """Start `pubreview web` over a fresh ledger in `home`; stopped (and waited for) on exit."""
    url = f"sqlite:///{home / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        for username in people:
            set_password(session, username, PASSWORD)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    environment = {
        "PUBREVIEW_DATABASE_URL": url,
        "PUBREVIEW_DATA_DIR": str(home / "data"),
        "PUBREVIEW_WEB_URL": base,
        "PREFECT_API_URL": "http://127.0.0.1:9/api",  # nothing answers: never someone's server
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **(env or {}),
    }
    log = open(home / "web.log", "ab")  # noqa: SIM115 - kept open for the process
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        patch.delenv("PUBREVIEW_WEB_SECRET", raising=False)
        process = subprocess.Popen(
            [str(BIN / "pubreview"), "web", "--port", str(port)],
            env=dict(os.environ),
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(lambda: _answers(base, process), 60, "pubreview web to answer")
            yield ServedOffice(base, engine, home)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            log.close()
            engine.dispose()
            db.engine_for.cache_clear()


def _answers(base: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"pubreview web exited with {process.returncode}")
    try:
        return httpx.get(f"{base}healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def logged_in(context, office: ServedOffice, username: str, path: str = "/"):
    """A new page of this browser context, logged in as `username` through the login form."""
    context.clear_cookies()
    page = context.new_page()
    page.goto(f"{office.base}login?next={path}")
    page.fill("#username", username)
    page.fill("#password", office.password)
    page.click("button[type=submit]")
    assert "/login" not in page.url, page.content()
    return page
