"""A full disk, for real: the ledger, the site and a backup on a small tmpfs that is filled up.

Each command says so in one line (磁盘空间已满), leaves nothing partial behind (the site as it
was, no half backup, no ledger entry) and works again once space returns. On PostgreSQL the
ledger's database lives in a tablespace on the tmpfs, in a cluster of the module's own (the
shared server's disk is not ours to fill).
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import LedgerEntry, Publication
from pubreview import db, migrate
from tests.conftest import _copy_sqlite, skip_or_fail
from tests.support.accounts import form_token
from tests.support.factories import submitted
from tests.support.pg_cluster import PrivateCluster, bin_dir
from tests.support.site import publish_through_chain
from tests.support.web import AfterCommitRecorder, office_client

SUBMIT = [
    "submit", "--as", "zhang.wei", "--unit", "zonghe", "--category", "工作动态",
    "--channel", "网站", "--title", "磁盘满时的报送", "--body", "正文",
]  # fmt: skip
WEB_FIELDS = {
    "title": "磁盘满时的网上报送",
    "body": "正文。",
    "category": "工作动态",
    "channels": "网站",
    "unit": "zonghe",
    "disclosure": "active",
    "disclosure_reason": "",
}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs, unmounted afterwards (mounting needs root, as on the test machine)."""
    where = tmp_path / "disk"
    mount_tmpfs(where, "6m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def mount_tmpfs(where: Path, size: str) -> None:
    """Mount a tmpfs of `size` on `where` (root only), or skip saying why."""
    where.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")


def fill(disk: Path) -> Path:
    """Take every free byte of the disk; the filler file, to delete when space is to return."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, bytes(size)):
                    pass
    finally:
        os.close(fd)
    return filler


def pubreview(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as a separate process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pubreview.cli", *args], env=env, capture_output=True, text=True
    )


def entries(engine) -> int:
    with db.snapshot(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))


def test_a_full_disk_is_one_line_leaves_nothing_partial_and_passes(
    disk: Path, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubreview.cli.parser import main  # noqa: F401 - the package imports cleanly first
    from tests.conftest import SAMPLE_ORG, load_org

    ledger = disk / "pubreview.db"
    _copy_sqlite(_sqlite_template, ledger)
    url = f"sqlite:///{ledger}"
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        load_org(s, SAMPLE_ORG)
    publish_through_chain(engine, "通知", "正文" * 4000)
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": url, "PUBREVIEW_DATA_DIR": str(disk / "data")}
    site = disk / "site"
    assert pubreview("site", "build", "--out", str(site), env=env).returncode == 0
    before_site = sorted(p.relative_to(site) for p in site.rglob("*"))
    web = office_client(
        engine,
        url,
        disk / "data",
        monkeypatch,
        base="http://testserver",
        people=("zhang.wei",),
        password="Rb7-secure-pw",
        recorder=AfterCommitRecorder(),
        logged_in_as="zhang.wei",
    )
    client = web.__enter__()
    token = form_token(client.get("/submit").text)
    before = entries(engine)  # the login's own entries included
    filler = fill(disk)

    refused = {
        "site build": pubreview("site", "build", "--out", str(site), env=env),
        "submit": pubreview(*SUBMIT, env=env),
        "backup": pubreview("backup", str(disk / "backup"), "--site", str(site), env=env),
    }
    for what, done in refused.items():
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1, (what, done.stderr)
        assert len(lines) == 1 and "磁盘空间已满" in lines[0], (what, done.stderr)
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before_site
    assert not (disk / "backup").exists()
    assert sorted(p.name for p in disk.iterdir() if p.name.startswith(".")) == []
    upload = client.post(
        "/submit",
        data={**WEB_FIELDS, "csrf": token, "action": "submit"},
        files=[("attachments", ("说明.txt", "会议说明。".encode() * 4000))],
        follow_redirects=False,
    )
    assert upload.status_code == 507 and "服务器磁盘空间已满" in upload.text, upload.text[:500]
    assert entries(engine) == before

    filler.unlink()
    assert pubreview(*SUBMIT, env=env).returncode == 0
    assert entries(engine) > before
    assert pubreview("site", "build", "--out", str(site), env=env).returncode == 0
    done = pubreview("backup", str(disk / "backup"), "--site", str(site), env=env)
    assert done.returncode == 0, done.stderr
    assert pubreview("ledger", "verify", env=env).returncode == 0
    upload = client.post(
        "/submit",
        data={**WEB_FIELDS, "csrf": token, "action": "submit"},
        files=[("attachments", ("说明.txt", "会议说明。".encode()))],
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text[:500]
    web.__exit__(None, None, None)
    engine.dispose()


@pytest.fixture(scope="module")
def pg_small_disk() -> Iterator[tuple[PrivateCluster, Path]]:
    """A private PostgreSQL cluster with a tablespace `small` on a 40 MB tmpfs (the WAL and
    the cluster's own files stay on the ordinary disk, as a full data volume leaves them)."""
    if bin_dir() is None:
        skip_or_fail("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    cluster = PrivateCluster()
    disk = cluster.base / "disk"
    try:
        mount_tmpfs(disk, "40m")
        cluster.start()
        cluster.create_tablespace("small", disk)
        yield cluster, disk
    finally:
        cluster.stop()
        subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)
        cluster.destroy()


def _incompressible(chars: int, seed: int) -> str:
    """Chinese text that does not compress, so writing it needs new pages, not spare room."""
    rng = random.Random(seed)
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(chars))


def _state(engine) -> tuple[int, list[tuple]]:
    """Ledger entries and every item's row, to show a refused write changed nothing."""
    with db.snapshot(engine) as s:
        rows = s.execute(
            select(Publication.id, Publication.stage, Publication.status).order_by(Publication.id)
        ).all()
        return s.scalar(select(func.count()).select_from(LedgerEntry)), [tuple(r) for r in rows]


def test_postgresql_on_a_full_disk_refuses_in_one_line_and_works_again(
    pg_small_disk: tuple[PrivateCluster, Path], tmp_path: Path
) -> None:
    from tests.conftest import SAMPLE_ORG, load_org

    cluster, disk = pg_small_disk
    url = cluster.create_database(tablespace="small")
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        load_org(s, SAMPLE_ORG)
    pub = submitted(engine)
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": url, "PUBREVIEW_DATA_DIR": str(tmp_path)}
    body = tmp_path / "body.md"
    body.write_text(_incompressible(100_000, 1), encoding="utf-8")  # 300 KB
    submit_cmd = [*SUBMIT[:-2], "--body-file", str(body)]
    decide_cmd = ["decide", str(pub), "approve", "--as", "li.na", "--stage", "prereview",
                  "--revision", "1", "--attest-no-secrets",
                  "--comment", _incompressible(20_000, 2)]  # fmt: skip
    before = _state(engine)
    filler = fill(disk)

    for what, argv in (("submit", submit_cmd), ("decide", decide_cmd)):
        done = pubreview(*argv, env=env)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1, (what, done.stdout, done.stderr)
        assert len(lines) == 1 and "磁盘空间已满" in lines[0], (what, done.stderr)
        assert "Traceback" not in done.stderr
    assert _state(engine) == before  # nothing partial: no entry, no row, no moved step

    filler.unlink()
    for what, argv in (("submit", submit_cmd), ("decide", decide_cmd)):
        done = pubreview(*argv, env=env)
        assert done.returncode == 0, (what, done.stderr)
    entries_after, rows_after = _state(engine)
    assert entries_after > before[0] and len(rows_after) == len(before[1]) + 1
    verified = pubreview("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    engine.dispose()
