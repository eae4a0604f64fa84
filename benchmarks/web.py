"""20 logged-in people on a running `pubreview web`: decision POSTs and page GETs, against bare.

Run: .venv/bin/python benchmarks/web.py [--users 20] [--items 5] [--seconds 10] [--workers 1]
     [--no-hand-off]

Seeds a fresh SQLite ledger (the embedded default) with an organisation of N units, each with
a section head and a submitter, and 2 × --items items per unit waiting for the head's 初审; opens a
real server-side login session for every head, every submitter and (once per person) the
center's editor (the session module, as the login form does after the password); starts
`pubreview web` (uvicorn, its own process) and beside it a bare FastAPI app under the same
uvicorn settings. The bare app renders, for each page, the same template with the same data
and headers: it captures what the real routes rendered once at its start (through the real app,
in its own process), then serves only the render — no session, no database. Its /bare route
renders the one-line message template (the earlier baseline). Then, in one run, with keep-alive
connections per person:

  1. bare      every person GETs /bare for --seconds; then cycles the bare copies of the five
               pages below for --seconds ("bare same");
  2. pages     every person cycles /queue, /items/{id}, /account (as the head), /my (as the
               submitter) and /center (as the center) for --seconds, then the same without
               /queue for --seconds ("no queue");
  3. posts     every person POSTs the decision (同意) on each of their first --items items, at
               once: the resume is handed to Prefect after the response, not awaited
               (PREFECT_API_URL points nowhere, as in the CLI tests);
  4. mixed     every person works through the rest of their queue as in a browser: GET /queue,
               GET /items/{id}, POST the decision, GET /account.

Prints p50/p95 per route and phase, the ratio of each page's p95 to its bare copy's (the
target, ≤ 3×) and to /bare's, and ends with one JSON line. The load generator is a minimal
HTTP/1.1 client on asyncio streams so that little of the two CPUs goes to the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import yaml

from pubreview import db, migrate
from pubreview.accounts import login, passwords, sessions
from pubreview.accounts.org import load_org, person
from pubreview.review.submission import Draft, screen, submit
from pubreview.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
BODY = """为进一步做好机构编制信息公开工作，第{n}号通知如下：

1. 各单位要**高度重视**，按照《条例》要求及时公开。
2. 经科室负责人初审、分管领导审签后交中心发布。

详见[政务公开专栏](https://www.example.gov.cn/xxgk/)。
"""
COOKIE = "pubreview_session"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def write_org(path: Path, users: int) -> None:
    """N 科室, each with a head (h01…) and a submitter (s01…), one leader, the center."""
    units = [{"code": f"k{i:02d}", "name": f"第{i}科", "kind": "section"} for i in range(users)]
    units.append({"code": "center", "name": "网上名称管理中心", "kind": "center"})
    people = []
    for i in range(users):
        for prefix, role, title in (("h", "section_head", "科长"), ("s", "submitter", "科员")):
            people.append(
                {
                    "username": f"{prefix}{i:02d}",
                    "name": f"第{i}科{title}",
                    "email": f"{prefix}{i:02d}@example.gov.cn",
                    "roles": [{"unit": f"k{i:02d}", "role": role}],
                }
            )
    people.append(
        {
            "username": "leader",
            "name": "分管领导",
            "email": "leader@example.gov.cn",
            "roles": [{"unit": f"k{i:02d}", "role": "leader"} for i in range(users)],
        }
    )
    people.append(
        {
            "username": "center",
            "name": "中心编辑",
            "email": "center@example.gov.cn",
            "roles": [{"unit": "center", "role": "center"}],
        }
    )
    path.write_text(yaml.safe_dump({"units": units, "people": people}, allow_unicode=True))


def apprise_yaml(org_file: Path) -> str:
    """Every person of the organisation routed to the local outbox (as the sample's file does)."""
    people = yaml.safe_load(org_file.read_text())["people"]
    urls = []
    for who in people:
        tags = [who["username"]] + sorted(
            {f"role:{r['role']}" for r in who["roles"]}
            | {f"unit:{r['unit']}" for r in who["roles"]}
        )
        urls.append({f"pubreview://{who['username']}": [{"tag": ", ".join(tags)}]})
    return yaml.safe_dump({"version": 1, "urls": urls})


def seed(engine, users: int, items: int) -> dict[int, list[int]]:
    """Each unit's items waiting for 初审, submitted as the CLI does (screened first)."""
    waiting: dict[int, list[int]] = defaultdict(list)
    for n in range(items):
        for i in range(users):
            draft = Draft(
                f"关于第{i}科第{n}号事项的通知",
                BODY.format(n=n),
                "工作动态",
                ["网站"],
                f"k{i:02d}",
                f"s{i:02d}",
            )
            screened = screen(draft.title, draft.body, [])
            with db.transaction(engine) as session:
                waiting[i].append(submit(session, draft, screened=screened).id)
    return waiting


def log_in(engine, users: int, prefix: str = "h") -> list[tuple[str, str]]:
    """A live session per person, opened as the login form does: (cookie value, form token).

    `prefix` "h": the heads; "s": the submitters; "center": the center's editor, once per head.
    """
    out = []
    with db.transaction(engine) as session:
        for i in range(users):
            who = person(session, prefix if prefix == "center" else f"{prefix}{i:02d}")
            passwords.account_of(session, who)
            started = sessions.start(session, who.id, ip=HOST)
            login.record_login(session, who, ip=HOST)
            out.append((started.session_id, started.row.csrf_token))
    return out


# The pages a person opens (route name, whose session, path); "{item}" is one of their items.
PAGES = [
    ("GET /queue", "head", "/queue"),
    ("GET /items/{id}", "head", "/items/{item}"),
    ("GET /account", "head", "/account"),
    ("GET /my", "submitter", "/my"),
    ("GET /center", "center", "/center"),
]


def serve_bare(port: int, cookies_file: Path) -> None:
    """The baseline: FastAPI rendering each page's template with that page's data, nothing else.

    What each real route rendered (template and context) is captured once here, at start, by
    calling the real app in this process; the bare routes then only render it, with the same
    headers and uvicorn setup. /bare renders the one-line message template.
    """
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    from fastapi.testclient import TestClient

    from pubreview.web import common
    from pubreview.web.app import create_app

    sessions_of = json.loads(cookies_file.read_text())
    captured: dict[str, tuple[str, dict]] = {}
    render, name = common.render, [""]

    def capture(template: str, **context: object) -> str:
        captured[name[0]] = (template, context)
        return render(template, **context)

    common.render = capture
    client = TestClient(create_app(after_commit=lambda *_a, **_k: "not handed off"))
    for route, whose, path in PAGES:
        name[0] = route
        client.cookies.set(COOKIE, sessions_of[whose])
        answer = client.get(path.format(item=sessions_of["item"]), follow_redirects=False)
        if answer.status_code != 200 or route not in captured:
            raise SystemExit(f"bare copy of {route}: {answer.status_code}")
    common.render = render

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/bare", response_class=HTMLResponse)
    def bare() -> HTMLResponse:
        return common.message(200, "基准页面", "本页面不读数据库，只渲染与系统页面相同的模板。")

    def copy(route: str):
        template, context = captured[route]

        def bare_page() -> HTMLResponse:
            return HTMLResponse(render(template, **context), 200, headers=common.SECURITY_HEADERS)

        return bare_page

    for route, _whose, path in PAGES:
        app.get("/bare" + path.replace("{item}", "item"), response_class=HTMLResponse)(copy(route))
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def serve_without_hand_off(port: int) -> None:
    """The web app with nothing after commit (no event, resume or notification): attribution."""
    import uvicorn

    from pubreview.web.app import create_app

    app = create_app(after_commit=lambda *_args, **_kw: "not handed off (benchmark)")
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


class Client:
    """One keep-alive HTTP/1.1 connection carrying one person's session cookie."""

    def __init__(self, port: int, cookie: str | None) -> None:
        self.port, self.cookie = port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        """Send one request and read the whole answer; once more on a fresh connection if the
        server had closed an idle one (uvicorn's keep-alive timeout)."""
        reused = self.writer is not None
        try:
            return await self._request(method, path, form)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            self.close()
            self.writer = None
            return await self._request(method, path, form)

    async def _request(self, method: str, path: str, form: dict | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.cookie:
            head.append(f"Cookie: {COOKIE}={self.cookie}")
        if form is not None:
            head += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw.split(b" ", 2)[1])
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in raw.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        """Close the connection."""
        if self.writer is not None:
            self.writer.close()


class Timings:
    """Latencies per route name, and the answers that were not what a person expects."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    async def timed(self, name: str, call, expect: int = 200) -> bytes:
        """Run one request, record its latency under `name`."""
        start = time.perf_counter()
        status, body = await call
        self.ms[name].append((time.perf_counter() - start) * 1000)
        if status != expect:
            self.errors[name] += 1
        return body


async def _bare_phase(port: int, users: int, seconds: float, t: Timings) -> None:
    stop = time.perf_counter() + seconds

    async def one() -> None:
        client = Client(port, None)
        try:
            while time.perf_counter() < stop:
                await t.timed("bare", client.request("GET", "/bare"))
        finally:
            client.close()

    await asyncio.gather(*(one() for _ in range(users)))


async def _bare_pages_phase(port: int, users: int, seconds: float, t: Timings) -> None:
    stop = time.perf_counter() + seconds

    async def one() -> None:
        client = Client(port, None)
        try:
            while time.perf_counter() < stop:
                for route, _whose, path in PAGES:
                    bare = "/bare" + path.replace("{item}", "item")
                    await t.timed(route, client.request("GET", bare))
        finally:
            client.close()

    await asyncio.gather(*(one() for _ in range(users)))


async def _pages_phase(
    port, people, waiting, seconds: float, t: Timings, queue: bool = True
) -> None:
    """Each person cycles the pages, each page with its own role's session."""
    stop = time.perf_counter() + seconds

    async def one(i: int, cookies: dict[str, str]) -> None:
        clients, n = {whose: Client(port, cookie) for whose, cookie in cookies.items()}, 0
        try:
            while time.perf_counter() < stop:
                item = waiting[i][n % len(waiting[i])]
                n += 1
                for route, whose, path in PAGES:
                    if queue or route != "GET /queue":
                        request = clients[whose].request("GET", path.format(item=item))
                        await t.timed(route, request)
        finally:
            for client in clients.values():
                client.close()

    await asyncio.gather(*(one(i, cookies) for i, cookies in enumerate(people)))


def _decision_form(csrf: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "stage": "prereview",
        "revision": "1",
        "outcome": "approve",
        "attest": "yes",
        "comment": "同意",
    }


async def _posts_phase(port, people, waiting, t: Timings) -> None:
    async def one(i: int, cookie: str, csrf: str) -> None:
        client = Client(port, cookie)
        try:
            for item in waiting[i]:
                await t.timed(
                    "POST decision",
                    client.request("POST", f"/items/{item}/decide", _decision_form(csrf)),
                )
        finally:
            client.close()

    await asyncio.gather(*(one(i, cookie, csrf) for i, (cookie, csrf) in enumerate(people)))


async def _decisions_phase(port, people, waiting, t: Timings) -> None:
    async def one(i: int, cookie: str, csrf: str) -> None:
        client = Client(port, cookie)
        try:
            for item in waiting[i]:
                await t.timed("GET /queue", client.request("GET", "/queue"))
                page = await t.timed("GET /items/{id}", client.request("GET", f"/items/{item}"))
                found = _CSRF.search(page.decode())
                form = _decision_form(found.group(1) if found else csrf)
                await t.timed(
                    "POST decision",
                    client.request("POST", f"/items/{item}/decide", form),
                )
                await t.timed("GET /account", client.request("GET", "/account"))
        finally:
            client.close()

    await asyncio.gather(*(one(i, cookie, csrf) for i, (cookie, csrf) in enumerate(people)))


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of a list of milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def report(phase: str, t: Timings, seconds: float) -> dict[str, dict]:
    """Print one line per route of a phase; its figures."""
    rows = {}
    for name, values in t.ms.items():
        row = {
            "n": len(values),
            "p50_ms": round(pct(values, 0.50), 1),
            "p95_ms": round(pct(values, 0.95), 1),
            "errors": t.errors.get(name, 0),
        }
        rows[name] = row
        print(
            f"{phase:<10} {name:<16} {row['n']:>6} req  {len(values) / seconds:>7.1f} req/s  "
            f"p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  errors {row['errors']}"
        )
    return rows


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def _run(phase, coro) -> float:
    began = time.perf_counter()
    asyncio.run(coro)
    return time.perf_counter() - began


def hand_off_notify_cpu(items: list[int]) -> dict[str, float]:
    """CPU of the hand-off's notification pass per decided item (this process, after the run):
    with the routing built afresh each time (as before it was kept) and with it kept."""
    from pubreview.notify import config
    from pubreview.notify.dispatch import notify_publication

    rebuilt, kept = [], []
    for item in items:
        config._checked.cache_clear()
        started = time.process_time()
        notify_publication(item)  # every message already sent: the pass reads and routes only
        rebuilt.append((time.process_time() - started) * 1000)
        started = time.process_time()
        notify_publication(item)
        kept.append((time.process_time() - started) * 1000)
    return {
        "rebuilt_p50_ms": round(pct(rebuilt, 0.5), 1),
        "kept_p50_ms": round(pct(kept, 0.5), 1),
        "rebuilt_p95_ms": round(pct(rebuilt, 0.95), 1),
        "kept_p95_ms": round(pct(kept, 0.95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--items", type=int, default=5, help="items per person per phase")
    parser.add_argument("--seconds", type=float, default=10, help="length of phases 1 and 2")
    parser.add_argument(
        "--no-hand-off",
        action="store_true",
        help="serve the same app with nothing after commit, to see what the hand-off costs",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="web processes (`pubreview web --workers`)"
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-web", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, Path(os.environ["PUBREVIEW_BENCH_SESSIONS"]))
        return
    if args.serve_web:
        serve_without_hand_off(args.serve_web)
        return

    with tempfile.TemporaryDirectory(prefix="pubreview-web-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        web_port, bare_port = free_port(), free_port()
        os.environ.update(
            PUBREVIEW_DATABASE_URL=url,
            PUBREVIEW_DATA_DIR=str(Path(tmp) / "data"),
            PUBREVIEW_WEB_URL=f"http://{HOST}:{web_port}/",
            PUBREVIEW_WEB_SECRET="benchmark-secret",
            PREFECT_API_URL="http://127.0.0.1:9/api",  # the resume is handed off, not awaited
        )
        migrate.upgrade(url)
        engine = db.make_engine(url)
        org_file = Path(tmp) / "org.yaml"
        write_org(org_file, args.users)
        with db.transaction(engine) as session:
            load_org(session, org_file)
        os.environ["PUBREVIEW_APPRISE_YAML"] = apprise_yaml(org_file)
        started = time.perf_counter()
        waiting = seed(engine, args.users, 2 * args.items)
        people = log_in(engine, args.users)
        roles = [
            {"head": h, "submitter": s, "center": c}
            for (h, _), (s, _), (c, _) in zip(
                people,
                log_in(engine, args.users, "s"),
                log_in(engine, args.users, "center"),
                strict=True,
            )
        ]
        # The bare copies are captured with sessions of their own (the same three roles).
        bare_sessions = Path(tmp) / "bare-sessions.json"
        (h, _), (s, _), (c, _) = (log_in(engine, 1, p)[0] for p in ("h", "s", "center"))
        bare_sessions.write_text(
            json.dumps({"head": h, "submitter": s, "center": c, "item": waiting[0][0]})
        )
        os.environ["PUBREVIEW_BENCH_SESSIONS"] = str(bare_sessions)
        engine.dispose()
        print(
            f"{'without' if args.no_hand_off else 'with'} the after-commit hand-off, "
            f"{args.workers} web process(es); "
            f"seeded {2 * args.users * args.items} items for {args.users} people in "
            f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs shared by the servers "
            "and the load generator"
        )
        env = {**os.environ}
        command = [
            str(BIN / "pubreview"),
            "web",
            "--port",
            str(web_port),
            "--workers",
            str(args.workers),
        ]
        if args.no_hand_off:
            command = [sys.executable, __file__, "--serve-web", str(web_port)]
        web = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=PROJECT_ROOT,
            env=env,
        )
        bare = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port)], cwd=PROJECT_ROOT, env=env
        )
        try:
            _wait_for(f"http://{HOST}:{web_port}/healthz", web)
            _wait_for(f"http://{HOST}:{bare_port}/bare", bare)
            base = Timings()
            _run("bare", _bare_phase(bare_port, args.users, args.seconds, base))
            bare_rows = report("bare", base, args.seconds)
            same = Timings()
            _run("bare same", _bare_pages_phase(bare_port, args.users, args.seconds, same))
            same_rows = report("bare same", same, args.seconds)
            pages = Timings()
            _run("pages", _pages_phase(web_port, roles, waiting, args.seconds, pages))
            page_rows = report("pages", pages, args.seconds)
            # The same without /queue, whose cost grows with the office's open items: what the
            # other pages cost when no queue page holds the process's CPU.
            alone = Timings()
            _run("pages", _pages_phase(web_port, roles, waiting, args.seconds, alone, False))
            alone_rows = report("no queue", alone, args.seconds)
            first = {i: items[: args.items] for i, items in waiting.items()}
            rest = {i: items[args.items :] for i, items in waiting.items()}
            posts = Timings()
            took_posts = _run("posts", _posts_phase(web_port, people, first, posts))
            post_rows = report("posts", posts, took_posts)
            mixed = Timings()
            took = _run("decisions", _decisions_phase(web_port, people, rest, mixed))
            mixed_rows = report("mixed", mixed, took)
        finally:
            for proc in (web, bare):
                proc.terminate()
                proc.wait(10)
        notify_cpu = hand_off_notify_cpu([i for items in first.values() for i in items][:20])

    bare_p95 = bare_rows["bare"]["p95_ms"]
    ratios = {
        name: round(row["p95_ms"] / same_rows[name]["p95_ms"], 2) for name, row in page_rows.items()
    }
    ratios_p50 = {
        name: round(row["p50_ms"] / same_rows[name]["p50_ms"], 2) for name, row in page_rows.items()
    }
    ratios_message = {name: round(row["p95_ms"] / bare_p95, 2) for name, row in page_rows.items()}
    ratios_alone = {name: round(row["p95_ms"] / bare_p95, 2) for name, row in alone_rows.items()}
    for name, ratio in ratios.items():
        print(
            f"{name}: p95 {ratio:.1f}x its bare copy's, p50 {ratios_p50[name]:.1f}x (target ≤ 3x); "
            f"{ratios_message[name]:.1f}x /bare's"
            + (f", {ratios_alone[name]:.1f}x without /queue" if name in ratios_alone else "")
        )
    decision, during = post_rows["POST decision"], mixed_rows["POST decision"]
    print(
        f"decision POST, 20 people deciding at once: p50 {decision['p50_ms']:.1f} ms, "
        f"p95 {decision['p95_ms']:.1f} ms (target p95 ≤ 100 ms), {decision['n']} decisions "
        f"in {took_posts:.1f} s ({decision['n'] / took_posts * 60:.0f}/min); while also opening "
        f"pages: p50 {during['p50_ms']:.1f} ms, p95 {during['p95_ms']:.1f} ms"
    )
    print(
        f"hand-off notification pass, CPU per decided item: p50 {notify_cpu['rebuilt_p50_ms']:.1f} "
        f"ms with the Apprise routing built afresh (before), {notify_cpu['kept_p50_ms']:.1f} ms "
        f"with it kept (p95 {notify_cpu['rebuilt_p95_ms']:.1f} / {notify_cpu['kept_p95_ms']:.1f})"
    )
    errors = sum(
        r["errors"]
        for rows in (bare_rows, same_rows, page_rows, alone_rows, post_rows, mixed_rows)
        for r in rows.values()
    )
    print(
        json.dumps(
            {
                "benchmark": "web",
                "ratio": max(ratios.values()),
                "users": args.users,
                "hand_off": not args.no_hand_off,
                "workers": args.workers,
                "decision_post_p50_ms": decision["p50_ms"],
                "decision_post_p95_ms": decision["p95_ms"],
                "decisions": decision["n"] + during["n"],
                "decision_post_mixed_p50_ms": during["p50_ms"],
                "decision_post_mixed_p95_ms": during["p95_ms"],
                "bare_p50_ms": bare_rows["bare"]["p50_ms"],
                "bare_p95_ms": bare_p95,
                "bare_pages": same_rows,
                "pages": page_rows,
                "pages_while_deciding": {
                    k: v for k, v in mixed_rows.items() if k != "POST decision"
                },
                "pages_without_queue": alone_rows,
                "ratios": ratios,
                "ratios_p50": ratios_p50,
                "ratios_to_message": ratios_message,
                "ratios_without_queue_to_message": ratios_alone,
                "hand_off_notify_cpu": notify_cpu,
                "errors": errors,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
