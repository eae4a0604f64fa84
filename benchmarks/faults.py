"""The fault campaign and the soak: the whole chain under SIGKILL, a locked ledger and a dead SMTP.

Campaign (default). A real stack on a fresh ledger (SQLite, or `--backend postgresql`): a Prefect
server, a `pubreview worker` and `pubreview web`, each its own process group. A submitter adds
`--items` items one after another; `--deciders` threads take every item through 初审 → 审签 →
中心发布, each decision through the web app (an HTTP POST from a signed-in person) or as the
`pubreview decide` command, at random. Meanwhile a killer sends SIGKILL, at random moments, to
one of:

  worker      the worker and every flow-run process it started (its process group)
  flow-run    one flow-run process only (a child of the worker), the worker lives on
  server      the Prefect server (restarted on the same port)
  web         the web app (restarted); decisions in flight are lost to the client, not to the ledger
  writer      a `pubreview decide` started for the purpose, killed 0.05–1.5 s in: before, during
              or after its write transaction (its database connection dies with it); on
              PostgreSQL also `pg_terminate_backend` of the ledger's other connections

and, where the outside boundary allows it, injects:

  locked      SQLite: another process holds the write lock (BEGIN IMMEDIATE) for longer than
              the writers' busy timeout, so the ledger refuses writes for a while
  smtp-dead   the Apprise configuration points the leader at an SMTP server that refuses
              connections, for a stretch of the run (messages fail and are recorded as failed)
  pg-restart  PostgreSQL: the database server itself restarted, at random a clean `fast`
              shutdown or an `immediate` one (a crash: committed work must come back from the
              WAL): every connection of every process drops and must be reopened (the engines
              ping before use). By default (`--pg-cluster private`) the ledger lives on a
              cluster of the campaign's own (initdb in a temporary folder, its own port, fsync
              on) and that is what restarts; `--pg-cluster shared` puts it on
              PUBREVIEW_TEST_PG_URL's server and restarts that with `pg_ctlcluster` (never on a
              server others use); either is never left stopped.

A decision whose answer never arrived (the web or the command was killed) is tried again later;
only a decision the client was told was recorded counts as acknowledged. When the faults stop,
every component is brought back, `pubreview reconcile --stale-after 0` runs until every item's
run has completed (or `--recover-timeout`), and then the ledger is checked:

  lost        acknowledged decisions with no `decided` entry (must be 0)
  duplicated  more than one `decided` entry for an item's step and revision (must be 0)
  stuck       items not published or without their 网站 `published` entry after reconcile
              (must be 0); a published item whose run crashed after its last side effect is
              shown beside it (nothing is left for a run to do, so reconcile leaves it)
  orphans     publications without their `submitted` entry, revisions without their entry
  untold      deliveries that failed and never went out later; published items whose
              submitter was never sent the "published" message (both must be 0)
  twice       side effects done twice: `published` entries per item and channel, messages sent
              (ledger) per delivery, identical messages in the outbox per person
  verify      `pubreview ledger verify` exit status (must be 0)

The baseline, from the same run: the same items and decisions as bare ledger writes (no Prefect,
no web, no faults), and the decision stream's own throughput without kills is the soak's.

Soak (`--soak-minutes T`): no kills; `--deciders` web users decide (初审, 审签 and the center's
中心发布, which publishes), `--submitters` web users submit and `--readers` web users read the
item pages and their queue, through `pubreview web` for T minutes, each at a steady pace
(`--decide-every`, `--submit-every`, `--read-every` seconds between one person's requests); prints
the counts and the rate of each, p50/p95 latency per request kind, errors that are not clear
refusals (5xx, dropped connections: must be 0), each process's resident memory (its process
group) at the start and the end, and `ledger verify` at the end.

    .venv/bin/python benchmarks/faults.py [--items 100] [--kills 100] [--backend sqlite]
    .venv/bin/python benchmarks/faults.py --soak-minutes 10 [--deciders 6] [--submitters 2]
        [--readers 2] [--backend postgresql]

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import Column, Integer, MetaData, String, Table, func, make_url, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from benchmarks.common import DECIDERS, bare_chain, fresh_ledger, pct, prepared  # noqa: E402
from models import LedgerEntry, LedgerKind, Publication, Revision, Status  # noqa: E402
from models.base import as_utc, utcnow  # noqa: E402
from pubreview import db  # noqa: E402
from pubreview.accounts import passwords, sessions  # noqa: E402
from pubreview.accounts.org import person  # noqa: E402
from pubreview.review.submission import Draft, submit  # noqa: E402
from tests.support import factories  # noqa: E402
from tests.support.pg_cluster import PrivateCluster  # noqa: E402
from tests.support.prefect_stack import BIN, PrefectStack, free_port, wait_until  # noqa: E402

SAMPLE_APPRISE = ROOT / "config" / "apprise-sample.yaml"
STEPS = ("prereview", "signoff", "publication")
COOKIE = "pubreview_session"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# PostgreSQL's view of its connections, to end the ledger's (as a database restart would).
_activity = Table("pg_stat_activity", MetaData(), Column("pid", Integer), Column("datname", String))
TARGETS = ("worker", "flow-run", "server", "web", "writer", "locked", "smtp-dead", "pg-restart")


def draft(i: int, submitter: str = "zhang.wei") -> Draft:
    """An ordinary item for the 网站 channel."""
    return factories.draft(
        title=f"故障演练信息 {i}",
        body=f"第 {i} 条信息的正文：经科室负责人初审、分管领导审签后交中心发布。",
        submitter=submitter,
    )


def ledger(args: argparse.Namespace, tmp: Path, name: str) -> str:
    """A migrated ledger with the sample organisation: on SQLite, on the shared PostgreSQL, or
    on the campaign's own cluster (`args.cluster`)."""
    cluster: PrivateCluster | None = getattr(args, "cluster", None)
    if args.backend == "sqlite" or cluster is None:
        return fresh_ledger(tmp, name, args.backend)
    return prepared(cluster.create_database())


def baseline(args: argparse.Namespace, n: int, tmp: Path) -> float:
    """Submit and decide n items as bare ledger writes; seconds per decision."""
    return bare_chain(ledger(args, tmp, "baseline"), n, draft) / (3 * n)


def signed_in(engine, usernames: list[str]) -> dict[str, tuple[str, str]]:
    """A live web session per person, opened as the login form does: (cookie, form token)."""
    out = {}
    with db.transaction(engine) as session:
        for username in usernames:
            who = person(session, username)
            passwords.account_of(session, who)
            started = sessions.start(session, who.id, ip="127.0.0.1")
            out[username] = (started.session_id, started.row.csrf_token)
    return out


def rss_kb(pid: int) -> int:
    """Resident memory of a process group (the process and everything it started), in KB."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pid:  # field 5 of stat: the process group
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Stack(PrefectStack):
    """The Prefect stack plus the web app, each restartable after a SIGKILL."""

    def kill(self, what: str) -> None:
        """SIGKILL one component's process group."""
        proc = {"worker": self.worker, "server": self.server, "web": self.web}[what]
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def restart_server(self) -> None:
        """Start the server again; if it had to move port, the worker and web follow it."""
        port = self.port
        self.start_server()
        if self.port != port:
            self.kill("worker")
            self.start_worker()
            self.kill("web")
            self.restart_web()

    def restart_web(self) -> None:
        """Start the web app again on its port."""
        self.start_web()

    def web_answers(self) -> bool:
        """Whether the web app answers its health check."""
        try:
            return httpx.get(f"{self.env['PUBREVIEW_WEB_URL']}healthz", timeout=2).is_success
        except httpx.HTTPError:
            return False


class Record:
    """What the drivers and the killer saw, shared between threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: set[tuple[int, str]] = set()  # (item, step): the client was told "recorded"
        self.tries: Counter[str] = Counter()  # accepted, refused, unknown, unclear (per channel)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.unclear: list[str] = []  # answers that were neither a result nor a clear refusal
        self.kills: Counter[str] = Counter()
        self.pg_restarts: Counter[str] = Counter()  # PostgreSQL restarts by shutdown mode
        self.recover_s: dict[str, list[float]] = defaultdict(list)
        self.busy: set[int] = set()  # items a thread is deciding right now
        self.broken: list[str] = []  # faults the campaign could not inject (its own errors)
        self.refusals: list[str] = []  # why a write was refused while the ledger was down

    def note(self, kind: str, key: str, seconds: float | None = None) -> None:
        """Count one outcome (and its latency)."""
        with self.lock:
            self.tries[key] += 1
            if seconds is not None:
                self.latency[kind].append(seconds)


class Campaign:
    """The running stack, its ledger and the threads that load and break it."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.url = ledger(args, tmp, "ledger")
        self.engine = db.make_engine(self.url)
        self.apprise = tmp / "apprise.yaml"
        self.apprise.write_text(SAMPLE_APPRISE.read_text(encoding="utf-8"), encoding="utf-8")
        self.stack = Stack(tmp / "stack", self.url)
        port = free_port()
        self.stack.env.update(
            PUBREVIEW_APPRISE_CONFIG=str(self.apprise),
            PUBREVIEW_NOTIFY_BACKOFF_S="0.2",
            PUBREVIEW_SQLITE_BUSY_TIMEOUT_S=str(args.busy_timeout),
            PUBREVIEW_WEB_PORT=str(port),
            PUBREVIEW_WEB_URL=f"http://127.0.0.1:{port}/",
        )
        self.record = Record()
        self.stop = threading.Event()
        self.rng = random.Random(args.seed)
        self.items: list[int] = []
        self.cookies = signed_in(self.engine, list(DECIDERS.values()) + ["zhang.wei"])

    # --- the ledger as the drivers read it ---

    def decidable(self, ready_only: bool = True) -> list[tuple[int, str, int]]:
        """(item, step, revision) of the items in review a person would decide now.

        As people do: once they were told (a delivery for the step is in the ledger, from the
        previous decision's hand-off or the review run), or, when nobody has been told yet (the
        run was killed, Prefect is down), once the step has waited `--decide-after` seconds: a
        reviewer with the item open decides regardless. While the database restarts, asks
        again until it answers (a minute at most), as a reviewer reloads the page.
        """
        for _ in range(119):
            try:
                return self._decidable(ready_only)
            except OperationalError:
                time.sleep(0.5)
        return self._decidable(ready_only)

    def _decidable(self, ready_only: bool) -> list[tuple[int, str, int]]:
        with db.snapshot(self.engine) as session:
            rows = session.execute(
                select(
                    Publication.id,
                    Publication.stage,
                    Publication.current_revision,
                    Publication.waiting_since,
                ).where(Publication.status == Status.IN_REVIEW)
            ).all()
            told = set(
                session.execute(
                    select(
                        LedgerEntry.publication_id, LedgerEntry.stage, LedgerEntry.revision
                    ).where(LedgerEntry.kind.in_([LedgerKind.NOTIFIED, LedgerKind.STAGE_OPENED]))
                ).all()
            )
        patience = timedelta(seconds=self.args.decide_after)
        now = utcnow()
        return [
            (pub, stage.value, rev)
            for pub, stage, rev, since in rows
            if not ready_only or (pub, stage.value, rev) in told or as_utc(since) + patience <= now
        ]

    def claim(self) -> tuple[int, str, int] | None:
        """An item nobody is deciding right now, marked as taken."""
        open_items = self.decidable()
        self.rng.shuffle(open_items)
        with self.record.lock:
            for pub, stage, rev in open_items:
                if pub not in self.record.busy:
                    self.record.busy.add(pub)
                    return pub, stage, rev
        return None

    def release(self, pub: int) -> None:
        """The item is free for the next decision."""
        with self.record.lock:
            self.record.busy.discard(pub)

    # --- one decision, two ways ---

    def decide_web(self, client: httpx.Client, pub: int, stage: str, rev: int) -> str:
        """POST the decision as the signed-in decider; the outcome as the client sees it."""
        user = DECIDERS[stage]
        cookie, csrf = self.cookies[user]
        form = {"csrf": csrf, "stage": stage, "revision": str(rev), "outcome": "approve"}
        form |= {"comment": "同意"} | ({"attest": "yes"} if stage == "prereview" else {})
        started = time.perf_counter()
        try:
            r = client.post(
                f"{self.stack.env['PUBREVIEW_WEB_URL']}items/{pub}/decide",
                data=form,
                cookies={COOKIE: cookie},
                timeout=30,
            )
        except httpx.HTTPError:
            self.record.note("web", "web unknown")
            return "unknown"
        took = time.perf_counter() - started
        if r.status_code == 200:
            self.record.note("web decide", "web accepted", took)
            return "accepted"
        # 503: the ledger was locked or down; the page says so and that nothing was written.
        if r.status_code in (400, 403, 404, 409) or (r.status_code == 503 and "台帐" in r.text):
            self.record.note("web decide", "web refused", took)
            return "refused"
        with self.record.lock:
            self.record.unclear.append(f"web {r.status_code} on #{pub} {stage}")
        self.record.note("web decide", "web unclear", took)
        return "unclear"

    def decide_cli(self, pub: int, stage: str, rev: int, kill_after: float | None = None) -> str:
        """`pubreview decide` as a process (killed after `kill_after` s if given)."""
        argv = [str(BIN / "pubreview"), "decide", str(pub), "approve", "--as", DECIDERS[stage]]
        argv += ["--stage", stage, "--revision", str(rev), "--comment", "同意"]
        argv += ["--attest-no-secrets"] if stage == "prereview" else []
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            env=self.stack.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        if kill_after is not None:
            time.sleep(kill_after)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            _out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return "unknown"
        took = time.perf_counter() - started
        if proc.returncode == 0:
            self.record.note("cli decide", "cli accepted", took)
            return "accepted"
        if proc.returncode < 0:
            return "killed"
        if (
            proc.returncode == 1
            and err.startswith("pubreview: error:")
            and len(err.splitlines()) == 1
        ):
            self.record.note("cli decide", "cli refused", took)
            return "refused"
        with self.record.lock:
            self.record.unclear.append(f"cli exit {proc.returncode} on #{pub}: {err[-300:]}")
        self.record.note("cli decide", "cli unclear", took)
        return "unclear"

    # --- the threads ---

    def submitter(self) -> None:
        """Add the items one after another, each handed to Prefect as the command line does."""
        from pubreview.orchestration.after_commit import after_commit

        for i in range(self.args.items):
            if self.stop.is_set():
                return
            os.environ.update(self.stack.env)  # the server may have moved port
            pub_id = self.submit_retrying(i)
            with self.record.lock:
                self.items.append(pub_id)
            try:
                after_commit("publication.submitted", pub_id, actor="zhang.wei", resume=False)
            except Exception as exc:  # noqa: BLE001 - the hand-off must never lose the item
                with self.record.lock:
                    self.record.unclear.append(f"hand-off of #{pub_id}: {exc!r}")
            time.sleep(self.args.submit_every)

    def submit_retrying(self, i: int) -> int:
        """Submit item i; a refusal because the ledger was down (restarted) is tried again."""
        for _ in range(120):
            try:
                with db.transaction(self.engine) as session:
                    return submit(session, draft(i)).id
            except OperationalError as exc:
                with self.record.lock:
                    self.record.tries["submit refused (ledger down)"] += 1
                    self.record.refusals.append(str(exc.orig or exc).splitlines()[0])
                time.sleep(0.5)
        raise AssertionError(f"item {i} could not be submitted for a minute")

    def decider(self, seed: int) -> None:
        """Decide whatever is open, by web or command, until every item is published."""
        rng = random.Random(seed)
        client = httpx.Client()
        try:
            while not self.stop.is_set():
                taken = self.claim()
                if taken is None:
                    time.sleep(0.2)
                    continue
                pub, stage, rev = taken
                try:
                    if rng.random() < self.args.web_share:
                        outcome = self.decide_web(client, pub, stage, rev)
                    else:
                        outcome = self.decide_cli(pub, stage, rev)
                    if outcome == "accepted":
                        with self.record.lock:
                            self.record.acked.add((pub, stage))
                    elif outcome in ("unknown", "unclear", "refused"):
                        time.sleep(0.5)  # the web restarting, the ledger locked: try later
                finally:
                    self.release(pub)
        finally:
            client.close()

    def hold_lock(self, seconds: float) -> None:
        """SQLite: hold the write lock from outside the application for `seconds`."""
        path = self.url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            time.sleep(seconds)
            holder.execute("ROLLBACK")
        finally:
            holder.close()

    def terminate_connections(self) -> int:
        """PostgreSQL: end every other connection to the ledger database (as a restart would)."""
        with db.transaction(self.engine) as session:
            return len(
                session.execute(
                    select(func.pg_terminate_backend(_activity.c.pid)).where(
                        _activity.c.datname == func.current_database(),
                        _activity.c.pid != func.pg_backend_pid(),
                    )
                ).all()
            )

    def restart_postgresql(self) -> str:
        """Restart the PostgreSQL cluster the ledger is on and wait until it answers again;
        the kind of restart (`fast` or `immediate`)."""
        cluster: PrivateCluster | None = getattr(self.args, "cluster", None)
        if cluster is not None:
            mode = self.rng.choice(("fast", "immediate"))
            try:
                cluster.restart(mode)
            finally:
                if not cluster.running():  # never left stopped
                    cluster.start()
            wait_until(self.ledger_answers, 60, "PostgreSQL after its restart")
            return mode
        port = str(make_url(self.url).port or 5432)
        listed = subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
        ).stdout.split("\n")
        version, name = next(line.split()[:2] for line in listed if line.split()[2:3] == [port])
        try:
            subprocess.run(
                ["pg_ctlcluster", version, name, "restart", "-m", "fast"],
                capture_output=True,
                check=True,
                timeout=60,
            )
        finally:
            # Never left stopped: a restart that failed half-way is started again.
            subprocess.run(["pg_ctlcluster", version, name, "start"], capture_output=True)
        wait_until(self.ledger_answers, 60, "PostgreSQL after its restart")
        return "fast"

    def ledger_answers(self) -> bool:
        """Whether the ledger database takes a query."""
        try:
            with db.snapshot(self.engine) as session:
                session.execute(select(1))
            return True
        except OperationalError:
            return False

    def smtp_dead(self, seconds: float) -> None:
        """Point the leader's messages at an SMTP server that refuses, for `seconds`."""
        dead = free_port()
        live = SAMPLE_APPRISE.read_text(encoding="utf-8")
        broken = live.replace(
            "  - pubreview://zeng.xiang:\n",
            f"  - mailto://pubreview:pw@127.0.0.1:{dead}"
            "?to=zeng.xiang@example.org&from=pubreview@example.org:\n",
        )
        assert broken != live
        self.apprise.write_text(broken, encoding="utf-8")
        time.sleep(seconds)
        self.apprise.write_text(live, encoding="utf-8")

    def one_kill(self, target: str) -> None:
        """Break one thing now and bring it back; the time it took to come back is recorded."""
        s = self.stack
        started = time.perf_counter()
        if target == "worker":
            s.kill("worker")
            s.start_worker()
        elif target == "flow-run":
            runs = children(s.worker.pid) if s.worker else []
            if not runs:
                target = "worker"  # nothing running right now: the worker itself
                s.kill("worker")
                s.start_worker()
            else:
                os.kill(self.rng.choice(runs), signal.SIGKILL)
        elif target == "server":
            s.kill("server")
            time.sleep(self.rng.uniform(0, 2))
            s.restart_server()
        elif target == "web":
            s.kill("web")
            s.restart_web()
        elif target == "writer":
            taken = self.claim()
            if taken is None:
                return
            try:
                if self.args.backend == "postgresql" and self.rng.random() < 0.5:
                    self.terminate_connections()
                outcome = self.decide_cli(*taken, kill_after=self.rng.uniform(0.05, 1.5))
                if outcome == "accepted":
                    with self.record.lock:
                        self.record.acked.add(taken[:2])
            finally:
                self.release(taken[0])
        elif target == "locked":
            if self.args.backend != "sqlite":
                return
            self.hold_lock(self.args.busy_timeout + 1.5)
        elif target == "smtp-dead":
            self.smtp_dead(self.rng.uniform(5, 15))
        elif target == "pg-restart":
            if self.args.backend != "postgresql":
                return
            mode = self.restart_postgresql()
            with self.record.lock:
                self.record.pg_restarts[mode] += 1
        with self.record.lock:
            self.record.kills[target] += 1
            self.record.recover_s[target].append(time.perf_counter() - started)

    def reconciler(self) -> None:
        """`pubreview reconcile` every `--reconcile-every` s, as its scheduled deployment does."""
        while not self.stop.wait(self.args.reconcile_every):
            self.stack.cli("reconcile", "--stale-after", "30", check=False)

    def killer(self) -> None:
        """Break things at random moments until `--kills` faults have been injected."""
        weights = fault_weights(self.args)
        names, odds = list(weights), list(weights.values())
        while not self.stop.is_set() and sum(self.record.kills.values()) < self.args.kills:
            time.sleep(self.rng.uniform(self.args.gap_min, self.args.gap_max))
            target = self.rng.choices(names, odds)[0]
            try:
                self.one_kill(target)
            except AssertionError as exc:  # a component that would not come back in time
                with self.record.lock:
                    self.record.unclear.append(f"{target} did not recover: {exc}")
            except Exception as exc:  # noqa: BLE001 - the campaign's own tool failed: say so
                with self.record.lock:
                    self.record.broken.append(f"injecting {target}: {exc!r}")


def fault_weights(args: argparse.Namespace) -> dict[str, float]:
    """How often each fault is picked: the defaults, or `--faults name:weight,…`."""
    weights: dict[str, float] = {
        "worker": 3,
        "flow-run": 3,
        "server": 2,
        "web": 3,
        "writer": 4,
        "locked": 1 if args.backend == "sqlite" else 0,
        "smtp-dead": 1,
        "pg-restart": 2 if args.backend == "postgresql" else 0,
    }
    if args.faults:
        weights = dict.fromkeys(weights, 0.0)
        for part in args.faults.split(","):
            name, _, weight = part.partition(":")
            if name not in weights:
                raise SystemExit(f"--faults: no fault named {name!r} (one of {', '.join(TARGETS)})")
            weights[name] = float(weight or 1)
    return weights


def reconcile_until_done(c: Campaign, timeout: float) -> tuple[float, list[int]]:
    """Reconcile until every item is published and its run completed; (seconds, stuck ids)."""
    started = time.perf_counter()
    deadline = started + timeout
    stuck = list(c.items)
    while time.perf_counter() < deadline:
        c.stack.cli("reconcile", "--stale-after", "0", check=False)
        stuck = stuck_items(c)
        if not stuck:
            break
        time.sleep(10)
    return time.perf_counter() - started, stuck


def stuck_items(c: Campaign) -> list[int]:
    """Items not published, or without their 网站 entry (the site page is the run's work)."""
    with db.snapshot(c.engine) as session:
        published = set(
            session.scalars(select(Publication.id).where(Publication.status == Status.PUBLISHED))
        )
        on_site = set(
            session.scalars(
                select(LedgerEntry.publication_id).where(LedgerEntry.kind == LedgerKind.PUBLISHED)
            )
        )
    return [p for p in c.items if not (p in published and p in on_site)]


def runs_not_completed(c: Campaign) -> int:
    """Published items none of whose runs completed (one crashed after its last side effect:
    nothing is left for a run to do, so reconcile leaves it; shown, not counted as stuck)."""
    try:
        runs = c.stack.all_review_runs()
    except httpx.HTTPError:
        return -1
    completed = {
        r["parameters"].get("publication_id")
        for r in runs
        if (r["state"] or {}).get("type") == "COMPLETED"
    }
    return sum(1 for p in c.items if p not in completed)


def audit(c: Campaign) -> dict[str, int]:
    """Lost, duplicated and orphaned records, and side effects done twice."""
    with db.snapshot(c.engine) as session:
        entries = session.execute(
            select(
                LedgerEntry.kind,
                LedgerEntry.publication_id,
                LedgerEntry.stage,
                LedgerEntry.revision,
                LedgerEntry.outcome,
                LedgerEntry.payload,
            )
        ).all()
        pubs = set(session.scalars(select(Publication.id)))
        revisions = session.execute(select(Revision.publication_id, Revision.number)).all()
    decided = Counter(
        (e.publication_id, e.stage, e.revision) for e in entries if e.kind == LedgerKind.DECIDED
    )
    decided_steps = {(p, s) for p, s, _ in decided}
    submitted = {
        (e.publication_id, e.revision)
        for e in entries
        if e.kind in (LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED)
    }
    published = Counter(
        (e.publication_id, (e.payload or {}).get("channel"))
        for e in entries
        if e.kind == LedgerKind.PUBLISHED
    )
    sent = Counter(
        (e.payload or {}).get("delivery")
        for e in entries
        if e.kind == LedgerKind.NOTIFIED and e.outcome == "sent"
    )
    failed = sum(1 for e in entries if e.kind == LedgerKind.NOTIFIED and e.outcome == "failed")
    failed_keys = {
        (e.payload or {}).get("delivery")
        for e in entries
        if e.kind == LedgerKind.NOTIFIED and e.outcome == "failed"
    }
    announced = {
        e.publication_id
        for e in entries
        if e.kind == LedgerKind.NOTIFIED
        and e.outcome == "sent"
        and (e.payload or {}).get("event") == "published"
    }
    with db.snapshot(c.engine) as session:
        published_items = set(
            session.scalars(select(Publication.id).where(Publication.status == Status.PUBLISHED))
        )
    from pubreview.notify.outbox import read_outbox

    os.environ["PUBREVIEW_DATA_DIR"] = c.stack.env["PUBREVIEW_DATA_DIR"]
    outbox = Counter((m.to, m.title, m.body) for m in read_outbox())
    return {
        "decisions_in_ledger": sum(decided.values()),
        "lost": sum(1 for step in c.record.acked if step not in decided_steps),
        "duplicated": sum(n - 1 for n in decided.values() if n > 1),
        "orphan_publications": len(pubs - {p for p, _ in submitted}),
        "orphan_revisions": sum(1 for r in revisions if tuple(r) not in submitted),
        "published_twice": sum(n - 1 for n in published.values() if n > 1),
        "sent_twice": sum(n - 1 for d, n in sent.items() if d and n > 1),
        "outbox_twice": sum(n - 1 for n in outbox.values() if n > 1),
        "deliveries_failed": failed,
        "deliveries_never_sent": sum(1 for k in failed_keys if k and k not in sent),
        "published_not_announced": len(published_items - announced),
    }


def campaign(args: argparse.Namespace, tmp: Path) -> dict:
    """The fault campaign; returns its figures (the process environment as it found it)."""
    saved = dict(os.environ)
    try:
        return _campaign(args, tmp)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _campaign(args: argparse.Namespace, tmp: Path) -> dict:
    per_decision_s = baseline(args, args.items, tmp)
    c = Campaign(args, tmp)
    print(f"starting Prefect server, worker and web in {tmp} …", flush=True)
    c.stack.start()
    c.stack.start_web()
    threads = [threading.Thread(target=c.submitter, daemon=True)]
    threads += [
        threading.Thread(target=c.decider, args=(args.seed + n,), daemon=True)
        for n in range(args.deciders)
    ]
    killer = threading.Thread(target=c.killer, daemon=True)
    reconciler = threading.Thread(target=c.reconciler, daemon=True)
    started = time.perf_counter()
    try:
        for t in [*threads, killer, reconciler]:
            t.start()

        def all_decided() -> bool:
            with c.record.lock:
                done = len(c.items) == args.items and not c.record.busy
            # The stream also lasts until every fault is injected: a fast stream of a few
            # items would otherwise end before its faults, and test nothing.
            return done and not c.decidable(ready_only=False) and not killer.is_alive()

        wait_until(
            all_decided,
            args.max_minutes * 60,
            "every item decided and every fault injected",
            every=1,
        )
        c.stop.set()
        for t in [*threads, killer, reconciler]:
            t.join(300)
        stream_s = time.perf_counter() - started
        # Everything back up before reconciling (a kill in the last moment may have left one down).
        if c.stack.server.poll() is not None:
            c.stack.restart_server()
        if c.stack.worker.poll() is not None:
            c.stack.start_worker()
        if not c.stack.web_answers():
            c.stack.restart_web()
        recover_s, stuck = reconcile_until_done(c, args.recover_timeout)
        crashed_after_publishing = runs_not_completed(c)
        verify = c.stack.cli("ledger", "verify", check=False)
        figures = audit(c)
    finally:
        c.stop.set()
        c.stack.stop()
        c.engine.dispose()
    r = c.record
    decisions = sum(n for k, n in r.tries.items() if k.endswith("accepted"))
    return {
        "items": args.items,
        "backend": args.backend,
        "kills": dict(r.kills),
        "kills_total": sum(r.kills.values()),
        "pg_restarts": dict(r.pg_restarts),
        "decisions_acknowledged": len(r.acked),
        "answers": dict(r.tries),
        "unclear": r.unclear,
        "not_injected": r.broken,
        "refused_while_down": Counter(r.refusals).most_common(5),
        "stuck": len(stuck),
        "stuck_ids": stuck,
        "runs_crashed_after_publishing": crashed_after_publishing,
        "verify_exit": verify.returncode,
        "verify_out": (verify.stdout + verify.stderr).strip().splitlines()[-3:],
        "recover_after_faults_s": round(recover_s, 1),
        "recover_by_target_s": {
            t: round(statistics.median(v), 1) for t, v in r.recover_s.items() if v
        },
        "stream_s": round(stream_s, 1),
        "decisions_per_min": round(decisions / stream_s * 60, 1),
        "decide_p95_s": {k: round(pct(v, 0.95), 3) for k, v in r.latency.items()},
        "baseline_decision_ms": round(per_decision_s * 1000, 1),
        "baseline_decisions_per_min": round(60 / per_decision_s, 0),
        **figures,
    }


def print_campaign(f: dict) -> None:
    """The campaign's table."""
    print(f"\nfault campaign: {f['items']} items on {f['backend']}, {f['stream_s']} s of faults")
    print("| figure | value | must be |\n|---|---|---|")
    rows = [
        ("items", f["items"], ""),
        ("faults injected", f["kills_total"], ""),
        *((f"  {t}", f["kills"].get(t, 0), "") for t in TARGETS),
        ("decisions acknowledged to the client", f["decisions_acknowledged"], ""),
        ("decisions in the ledger", f["decisions_in_ledger"], f"{3 * f['items']}"),
        ("lost (acknowledged, not in the ledger)", f["lost"], "0"),
        ("duplicated (two entries for one step)", f["duplicated"], "0"),
        ("stuck after reconcile", f["stuck"], "0"),
        (
            "published items whose run crashed after its work",
            f["runs_crashed_after_publishing"],
            "",
        ),
        (
            "orphan publications / revisions",
            (f"{f['orphan_publications']} / {f['orphan_revisions']}"),
            "0 / 0",
        ),
        ("published twice (item, channel)", f["published_twice"], "0"),
        ("message sent twice (ledger, per delivery)", f["sent_twice"], "0"),
        ("identical message twice in the outbox", f["outbox_twice"], "0 (at-least-once)"),
        ("failed delivery attempts recorded", f["deliveries_failed"], ""),
        ("deliveries that failed and were never sent after", f["deliveries_never_sent"], "0"),
        ("published items whose submitter was never told", f["published_not_announced"], "0"),
        ("answers neither a result nor a clear refusal", len(f["unclear"]), "0"),
        ("`ledger verify` exit", f["verify_exit"], "0"),
        ("time to recover after the faults (reconcile)", f"{f['recover_after_faults_s']} s", ""),
    ]
    for name, value, must in rows:
        print(f"| {name} | {value} | {must} |")
    if f["pg_restarts"]:
        print(f"\nPostgreSQL restarts by shutdown mode: {f['pg_restarts']}")
    print("\ntime for a component to come back after its kill (median):")
    for target, seconds in f["recover_by_target_s"].items():
        print(f"  {target:10} {seconds:6.1f} s")
    print(f"\nanswers: {f['answers']}")
    for line in f["unclear"][:10]:
        print(f"  unclear: {line}")
    for line in f["not_injected"][:10]:
        print(f"  not injected: {line}")
    for reason, n in f["refused_while_down"]:
        print(f"  submission refused while the ledger was down (tried again) ×{n}: {reason}")
    print(
        f"\nthroughput under faults: {f['decisions_per_min']} decisions/min; "
        f"baseline (bare ledger writes, same items, no faults): {f['baseline_decision_ms']} ms "
        f"per decision = {f['baseline_decisions_per_min']:.0f} decisions/min"
    )
    print(f"decision latency p95 by channel: {f['decide_p95_s']}")


def soak(args: argparse.Namespace, tmp: Path) -> dict:
    """Web deciders, submitters and readers for T minutes at a steady pace, no faults."""
    per_decision_s = baseline(args, 20, tmp)
    args.kills = 0
    c = Campaign(args, tmp)
    c.stack.start()
    c.stack.start_web()
    web = c.stack.env["PUBREVIEW_WEB_URL"]
    procs = {"server": c.stack.server, "worker": c.stack.worker, "web": c.stack.web}
    memory_start = {name: rss_kb(p.pid) for name, p in procs.items()}
    end = time.monotonic() + args.soak_minutes * 60
    lock = threading.Lock()

    def failed(kind: str, answer: object) -> None:
        with lock:
            c.record.unclear.append(f"{kind}: {getattr(answer, 'status_code', answer)!r}")

    def submitter(n: int) -> None:
        client = httpx.Client()
        cookie, csrf = c.cookies["zhang.wei"]
        i = 0
        while time.monotonic() < end:
            i += 1
            fields = {"title": f"压力测试 {n}-{i}", "body": "正文。", "category": "工作动态"}
            fields |= {"channels": "网站", "unit": "zonghe", "disclosure": "active"}
            fields |= {"disclosure_reason": "", "csrf": csrf, "action": "submit"}
            t0 = time.perf_counter()
            try:
                r = client.post(
                    f"{web}submit",
                    data=fields,
                    files=[("attachments", ("说明.txt", "会议说明。".encode()))],
                    cookies={COOKIE: cookie},
                    timeout=60,
                )
            except httpx.HTTPError as exc:
                failed("submit", exc)
            else:
                if r.status_code == 303:
                    c.record.note("web submit", "submitted", time.perf_counter() - t0)
                    found = re.search(r"/items/(\d+)", r.headers.get("location", ""))
                    if found:  # the readers look at new items too
                        with c.record.lock:
                            c.items.append(int(found.group(1)))
                else:
                    failed("submit", r)
            time.sleep(args.submit_every)
        client.close()

    def decider(seed: int) -> None:
        client = httpx.Client()
        while time.monotonic() < end:
            taken = c.claim()
            if taken is None:
                time.sleep(0.2)
                continue
            try:
                if c.decide_web(client, *taken) == "accepted":
                    with c.record.lock:
                        c.record.acked.add(taken[:2])
                        if taken[1] == "publication":  # 中心发布: the item goes on the site
                            c.record.tries["published"] += 1
            finally:
                c.release(taken[0])
            time.sleep(args.decide_every)
        client.close()

    def reader(n: int) -> None:
        """A submitter looking at one of the items, then a section head at their queue."""
        rng = random.Random(args.seed + 100 + n)
        client = httpx.Client()
        while time.monotonic() < end:
            with c.record.lock:
                pub = rng.choice(c.items) if c.items else None
            for user, path in (("zhang.wei", f"items/{pub}"), ("li.na", "queue")):
                if pub is None:
                    break
                t0 = time.perf_counter()
                try:
                    r = client.get(f"{web}{path}", cookies={COOKIE: c.cookies[user][0]}, timeout=60)
                except httpx.HTTPError as exc:
                    failed(f"GET /{path}", exc)
                    continue
                if r.status_code == 200:
                    c.record.note("web read", "read", time.perf_counter() - t0)
                else:
                    failed(f"GET /{path}", r)
            time.sleep(args.read_every)
        client.close()

    # Some items to begin with, so the deciders and readers have work from the first second.
    for i in range(10):
        with db.transaction(c.engine) as session:
            c.items.append(submit(session, draft(10_000 + i)).id)
    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(args.submitters)]
    threads += [threading.Thread(target=decider, args=(n,)) for n in range(args.deciders)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(args.readers)]
    load_start = os.getloadavg()
    started = time.perf_counter()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - started
        load_end = os.getloadavg()
        memory_end = {name: rss_kb(p.pid) for name, p in procs.items()}
        verify = c.stack.cli("ledger", "verify", check=False)
    finally:
        c.stack.stop()
        c.engine.dispose()
    r = c.record
    per_min = 60 / took
    lat = r.latency
    return {
        "backend": args.backend,
        "minutes": round(took / 60, 1),
        "deciders": args.deciders,
        "submitters": args.submitters,
        "readers": args.readers,
        "decisions": r.tries["web accepted"],
        "published": r.tries["published"],
        "submissions": r.tries["submitted"],
        "reads": r.tries["read"],
        "decisions_per_min": round(r.tries["web accepted"] * per_min, 1),
        "published_per_min": round(r.tries["published"] * per_min, 1),
        "submissions_per_min": round(r.tries["submitted"] * per_min, 1),
        "reads_per_min": round(r.tries["read"] * per_min, 1),
        "p50_s": {k: round(statistics.median(v or [0]), 3) for k, v in lat.items()},
        "p95_s": {k: round(pct(v, 0.95), 3) for k, v in lat.items()},
        "refused": r.tries["web refused"],
        "errors_not_clear_refusals": len(r.unclear),
        "unclear": r.unclear[:10],
        "memory_start_mb": {k: round(v / 1024) for k, v in memory_start.items()},
        "memory_end_mb": {k: round(v / 1024) for k, v in memory_end.items()},
        "load_average_start_end": [round(load_start[0], 2), round(load_end[0], 2)],
        "verify_exit": verify.returncode,
        "verify_out": (verify.stdout + verify.stderr).strip().splitlines()[-2:],
        "baseline_decision_ms": round(per_decision_s * 1000, 1),
    }


def print_soak(f: dict) -> None:
    """The soak's table."""
    print(
        f"\nsoak: {f['deciders']} web deciders, {f['submitters']} web submitters, "
        f"{f['readers']} web readers, {f['minutes']} min on {f['backend']}"
    )
    print("| figure | count | per min | p50 / p95 |\n|---|---|---|---|")
    for name, kind, count in (
        ("decision POST (初审, 审签, 中心发布)", "web decide", "decisions"),
        ("of which 中心发布 (published)", None, "published"),
        ("submit POST (one attachment, screened)", "web submit", "submissions"),
        ("read GET (an item page, a queue)", "web read", "reads"),
    ):
        latency = f"{f['p50_s'][kind]} s / {f['p95_s'][kind]} s" if kind in f["p50_s"] else ""
        print(f"| {name} | {f[count]} | {f[count + '_per_min']} | {latency} |")
    print("\n| figure | value |\n|---|---|")
    print(f"| clear refusals (someone else decided first) | {f['refused']} |")
    print(f"| errors that are not clear refusals (must be 0) | {f['errors_not_clear_refusals']} |")
    for name in f["memory_start_mb"]:
        print(
            f"| memory of {name} (MB, start → end) | "
            f"{f['memory_start_mb'][name]} → {f['memory_end_mb'][name]} |"
        )
    start, end = f["load_average_start_end"]
    print(f"| load average (1 min), start → end | {start} → {end} |")
    print(f"| `ledger verify` exit | {f['verify_exit']} ({' '.join(f['verify_out'])}) |")
    print(
        f"\nbaseline: a bare ledger decision (no web, no Prefect) takes "
        f"{f['baseline_decision_ms']} ms = {60000 / f['baseline_decision_ms']:.0f} decisions/min"
    )
    for line in f["unclear"]:
        print(f"  not a clear refusal: {line}")


def parser() -> argparse.ArgumentParser:
    """The campaign's and the soak's options (the suite's short campaign takes them too)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100, help="items through the chain (default 100)")
    p.add_argument("--kills", type=int, default=100, help="faults to inject (default 100)")
    p.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--deciders", type=int, default=3, help="deciding threads / web users")
    p.add_argument("--submitters", type=int, default=2, help="soak: submitting web users")
    p.add_argument("--web-share", type=float, default=0.7, help="decisions made on the web")
    p.add_argument("--readers", type=int, default=2, help="soak: reading web users")
    p.add_argument("--submit-every", type=float, default=0.5, help="seconds between submissions")
    p.add_argument("--decide-every", type=float, default=0.0, help="soak: seconds between votes")
    p.add_argument("--read-every", type=float, default=1.0, help="soak: seconds between reads")
    p.add_argument(
        "--faults",
        default="",
        help="which faults and how often, e.g. pg-restart:4,writer:2,web:1 (default: all)",
    )
    p.add_argument("--gap-min", type=float, default=0.5, help="least seconds between faults")
    p.add_argument("--gap-max", type=float, default=4.0, help="most seconds between faults")
    p.add_argument("--busy-timeout", type=float, default=5.0, help="SQLite writers' busy timeout")
    p.add_argument("--decide-after", type=float, default=20, help="decide a step not yet opened")
    p.add_argument("--reconcile-every", type=float, default=20, help="seconds between reconciles")
    p.add_argument("--recover-timeout", type=float, default=600, help="seconds to reconcile")
    p.add_argument("--max-minutes", type=float, default=90, help="give up on the stream after")
    p.add_argument("--soak-minutes", type=float, default=0, help="run the soak instead")
    p.add_argument(
        "--pg-cluster",
        choices=["private", "shared"],
        default="private",
        help="PostgreSQL: a cluster of the run's own (default), or PUBREVIEW_TEST_PG_URL's",
    )
    p.add_argument("--seed", type=int, default=17)
    return p


def main() -> None:
    """Parse the options, run the campaign or the soak, print the table and one JSON line."""
    args = parser().parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pubreview-faults-"))
    args.cluster = None
    if args.backend == "postgresql" and args.pg_cluster == "private":
        args.cluster = PrivateCluster(durable=True).start()
        print(f"private PostgreSQL cluster on port {args.cluster.port} in {args.cluster.base}")
    try:
        if args.soak_minutes:
            figures = soak(args, tmp)
            print_soak(figures)
            print(json.dumps({"benchmark": "soak", **figures}, ensure_ascii=False))
        else:
            figures = campaign(args, tmp)
            print_campaign(figures)
            print(json.dumps({"benchmark": "faults", **figures}, ensure_ascii=False))
    finally:
        if args.cluster is not None:
            args.cluster.destroy()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
