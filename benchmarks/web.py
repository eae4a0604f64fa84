"""Load the review pages with concurrent clients, against a bare endpoint of the same framework.

Run: .venv/bin/python benchmarks/web.py [--clients 50] [--seconds 30] [--items 20]
     [--database-url URL]

Seeds a fresh SQLite ledger (or the given empty, migrated database) with items waiting at each
stage, some resubmitted after a return (so their pages carry a diff and a longer history); starts
`pubreview web` as its own process, and beside it a FastAPI app whose one route returns a
constant page of the same size, under the same uvicorn; then, in one run, keeps N clients
busy on each for the given time: first the bare page, then the review pages (each client
cycling through every item's personal link). Reports requests per second and latency
percentiles. The load generator is a minimal keep-alive HTTP/1.1 client on asyncio streams,
so that as little as possible of the machine's CPU goes to the client rather than the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.submission import AttachmentFile, Draft, resubmit, submit
from pubreview.review.workflow import Outcome
from pubreview.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
BODY = """为进一步做好机构编制信息公开工作，第{n}号通知如下：

1. 各单位要**高度重视**，按照《条例》要求及时公开。
2. 经科室负责人初审、分管领导审签后交中心发布。

| 项目 | 数量 |
| --- | --- |
| 公开信息 | {n} |

详见[政务公开专栏](https://www.example.gov.cn/xxgk/)。
"""
# Who decides each stage of a 综合科 item in the sample organisation.
REVIEWER = {"prereview": "li.na", "signoff": "zeng.xiang", "publication": "zhou.min"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(engine, items: int) -> list[tuple[int, str, int]]:
    """Items spread over the three stages, every third one returned and resubmitted."""
    waiting = []
    for n in range(items):
        with db.transaction(engine) as session:
            draft = Draft(
                f"关于第{n}号事项的通知",
                BODY.format(n=n),
                "工作动态",
                ["网站", "微博"],
                "zonghe",
                "zhang.wei",
                [AttachmentFile(f"附件{n}.txt", f"附件 {n}".encode())],
            )
            pub_id = submit(session, draft).id
        revision = 1
        if n % 3 == 0:
            with db.transaction(engine) as session:
                decide(
                    session, DecisionRequest(pub_id, "li.na", Outcome.RETURN, comment="请补充数据")
                )
                resubmit(
                    session,
                    pub_id,
                    "zhang.wei",
                    title=None,
                    body=BODY.format(n=n) + "\n补充：已核实。\n",
                    attachments=None,
                )
            revision = 2
        stage = ("prereview", "signoff", "publication")[n % 3]
        with db.transaction(engine) as session:
            if stage != "prereview":
                decide(session, DecisionRequest(pub_id, "wang.fang", Outcome.APPROVE, attest=True))
            if stage == "publication":
                decide(session, DecisionRequest(pub_id, "zeng.xiang", Outcome.APPROVE))
        waiting.append((pub_id, stage, revision))
    return waiting


def serve_bare(port: int, size: int) -> None:
    """The baseline: a FastAPI route returning a constant HTML page, under uvicorn."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    page = "<!DOCTYPE html><html><body><p>" + "审" * max(0, (size - 50) // 3) + "</p></body></html>"
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/bare", response_class=HTMLResponse)
    def bare() -> HTMLResponse:
        return HTMLResponse(page)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _one_client(host: str, port: int, paths: list[str], offset: int, stop: float, out):
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            out.append((time.perf_counter() - start, status, length))
    finally:
        writer.close()


async def _load(url: str, paths: list[str], clients: int, seconds: float) -> list:
    parts = urlsplit(url)
    results: list = []
    stop = time.perf_counter() + seconds
    await asyncio.gather(
        *(_one_client(parts.hostname, parts.port, paths, c, stop, results) for c in range(clients))
    )
    return results


def measure(name: str, url: str, paths: list[str], clients: int, seconds: float) -> dict:
    """Keep `clients` connections busy for `seconds`; requests per second and latencies."""
    began = time.perf_counter()
    results = asyncio.run(_load(url, paths, clients, seconds))
    elapsed = time.perf_counter() - began
    latencies = sorted(r[0] for r in results)
    bad = sum(1 for r in results if r[1] != 200)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    row = {
        "name": name,
        "requests": len(results),
        "errors": bad,
        "rps": len(results) / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "bytes": sum(r[2] for r in results) // max(1, len(results)),
    }
    print(
        f"{name:<14} {row['requests']:>7} req  {row['rps']:>8.1f} req/s  "
        f"p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  "
        f"p99 {row['p99_ms']:>7.1f} ms  {row['bytes']:>6} B/page  errors {bad}"
    )
    return row


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--database-url", help="an empty, migrated database (default: SQLite)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--bare-size", type=int, default=10_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.bare_size)
        return

    with tempfile.TemporaryDirectory(prefix="pubreview-web-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'ledger.db'}"
        web_port, bare_port = free_port(), free_port()
        os.environ.update(
            PUBREVIEW_DATABASE_URL=url,
            PUBREVIEW_DATA_DIR=str(Path(tmp) / "data"),
            PUBREVIEW_WEB_URL=f"http://127.0.0.1:{web_port}/",
            PUBREVIEW_WEB_SECRET="benchmark-secret",
            PREFECT_API_URL="http://127.0.0.1:9/api",  # nothing here talks to Prefect
        )
        from pubreview.web.links import review_link

        migrate.upgrade(url)
        engine = db.make_engine(url)
        with db.transaction(engine) as session:
            load_org(session, PROJECT_ROOT / "config" / "sample-org.yaml")
        started = time.perf_counter()
        waiting = seed(engine, args.items)
        engine.dispose()
        print(f"seeded {args.items} items in {time.perf_counter() - started:.1f} s ({url})")
        paths = [
            urlsplit(review_link(REVIEWER[stage], pub, stage, rev)).path
            for pub, stage, rev in waiting
        ]

        import httpx

        web = subprocess.Popen(
            [str(BIN / "pubreview"), "web", "--port", str(web_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=PROJECT_ROOT,
        )
        web_url = f"http://127.0.0.1:{web_port}"
        try:
            _wait_for(f"{web_url}/healthz", web)
            sample = httpx.get(web_url + paths[0])
            assert sample.status_code == 200 and 'name="csrf"' in sample.text, sample.text[:500]
            size = len(sample.content)
            bare = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--serve-bare",
                    str(bare_port),
                    "--bare-size",
                    str(size),
                ],
                cwd=PROJECT_ROOT,
            )
            bare_url = f"http://127.0.0.1:{bare_port}"
            try:
                _wait_for(f"{bare_url}/bare", bare)
                print(
                    f"{args.clients} clients, {args.seconds:.0f} s each, "
                    f"{os.cpu_count()} CPUs shared by server and load generator"
                )
                base = measure("bare FastAPI", bare_url, ["/bare"], args.clients, args.seconds)
                review = measure("review page", web_url, paths, args.clients, args.seconds)
                print(
                    f"review page: {review['rps'] / base['rps']:.1%} of the bare endpoint's "
                    f"throughput; p95 {review['p95_ms'] / base['p95_ms']:.1f}x"
                )
            finally:
                bare.terminate()
                bare.wait(10)
        finally:
            web.terminate()
            web.wait(10)


if __name__ == "__main__":
    main()
