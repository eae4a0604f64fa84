"""`pubreview up`, the README's first command, seen through the Prefect UI in a real browser."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from pubreview.settings import PROJECT_ROOT
from tests.support.browser import SHOTS, chromium, require_chromium
from tests.support.prefect_stack import BIN, free_port, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.prefect]


def up_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for `pubreview up`: free ports, and a HOME and TMPDIR to watch."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "PUBREVIEW_")) and k not in ("HOME", "TMPDIR")
    }
    for folder in ("home", "tmp"):
        (tmp_path / folder).mkdir()
    return {
        **env,
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "PUBREVIEW_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
        "PUBREVIEW_SITE_PORT": str(free_port()),
        "PUBREVIEW_WEB_PORT": str(free_port()),
    }


def pubreview(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(BIN / "pubreview"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, f"pubreview {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def recorded_pids(data: Path) -> dict[str, int]:
    return {f.stem: json.loads(f.read_text())["pid"] for f in sorted((data / "run").glob("*.pid"))}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # a zombie has no command line


def suspended_runs(api_url: str) -> list[dict]:
    r = httpx.post(
        f"{api_url}/flow_runs/filter",
        json={"flow_runs": {"state": {"name": {"any_": ["Suspended"]}}}},
        timeout=10,
    )
    return r.json() if r.status_code == 200 else []


def test_up_shows_runs_waiting_for_prereview_in_the_ui(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect

    env = up_env(tmp_path)
    data, api_url = tmp_path / "data", env["PREFECT_API_URL"]
    ui_url = api_url.removesuffix("/api")
    try:
        first = json.loads(pubreview(env, "up", "--detach", "--json").stdout)
        assert first["prefect_ui"] == ui_url
        assert set(first["started"]) == {"prefect-server", "worker", "site", "web"}
        assert len(first["submitted"]) == 3
        pids = recorded_pids(data)
        # The UI talks to the API on the port we chose, not Prefect's default.
        assert httpx.get(f"{ui_url}/ui-settings", timeout=5).json()["api_url"] == api_url

        runs = wait_until(
            lambda: len(r := suspended_runs(api_url)) == 3 and r, 120, "3 suspended review runs"
        )
        run = next(r for r in runs if r["parameters"]["publication_id"] == 2)
        title = run["name"]
        assert title.startswith("#2 ")

        with chromium(
            tmp_path / "chromium-profile", viewport={"width": 1400, "height": 900}
        ) as browser:
            page = browser.new_page()
            page.goto(f"{ui_url}/runs")
            search = page.get_by_placeholder("Search by flow run name")
            search.locator("visible=true").first.fill(title.removeprefix("#2 ")[:6])
            page.get_by_text(title).first.click()
            expect(page).to_have_url(f"{ui_url}/runs/flow-run/{run['id']}")
            header = page.locator("body")
            expect(header).to_contain_text(title)
            expect(page.get_by_text("Suspended").first).to_be_visible()
            expect(page.get_by_role("button", name="Resume")).to_be_visible()
            expect(header).to_contain_text("now waits on prereview:r1", timeout=20_000)
            page.screenshot(path=str(SHOTS / "prefect-ui-run-suspended.png"))
            page.get_by_text("Artifacts", exact=True).click()
            expect(header).to_contain_text("publication-2-history")
            page.screenshot(path=str(SHOTS / "prefect-ui-run-artifacts.png"))

        # A second start reuses everything: nothing started, nothing submitted twice.
        again = json.loads(pubreview(env, "up", "--detach", "--json").stdout)
        assert again["started"] == [] and again["submitted"] == []
        assert recorded_pids(data) == pids
    finally:
        down = json.loads(pubreview(env, "down", "--json").stdout)
    assert set(down["stopped"]) == {"prefect-server", "worker", "site", "web"}
    assert not any(alive(pid) for pid in pids.values())
    assert not list((data / "run").glob("*.pid"))
    # Nothing written outside the data folder: not ~/.prefect, not $TMPDIR.
    assert list((tmp_path / "home").iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_down_ends_a_foreground_up_and_everything_it_started(tmp_path: Path) -> None:
    env = up_env(tmp_path)
    data = tmp_path / "data"
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115 - the child writes it
    up = subprocess.Popen(
        [str(BIN / "pubreview"), "up", "--no-samples"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: "Running." in (tmp_path / "up.log").read_text(), 300, "up to run")
        guide = (tmp_path / "up.log").read_text()
        # The guide says where to go and how to log in, one sample login per role.
        assert "Office web app" in guide and "wang.fang" in guide and "Demo-" in guide
        pids = recorded_pids(data)
        assert {"prefect-server", "worker", "site", "web", "up"} <= set(pids)
        down = json.loads(pubreview(env, "down", "--json").stdout)
        assert set(down["stopped"]) == {"prefect-server", "worker", "site", "web"}
        assert up.wait(30) == 0
        assert not any(alive(pid) for pid in pids.values())
        assert not list((data / "run").glob("*.pid"))
    finally:
        if up.poll() is None:
            os.killpg(up.pid, 9)
        log.close()
