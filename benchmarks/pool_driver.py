"""benchmarks/scale.py's driver process: submit N items, wait until every review run is
suspended on 初审, measure the processes and memory the stack holds while they wait, then decide
every step as soon as its run waits; print the figures as one JSON line.

It drives the stack with the tests' scripted decisions (tests/support/work_pool.py) and runs
in a process of its own, started by `run`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support import work_pool
from tests.support.prefect_stack import wait_until


def descendants(roots: list[int]) -> list[int]:
    """The given pids and every process below them (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes, in MB."""
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kb += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
    return total_kb / 1024


def run(stack: work_pool.PoolStack, n: int, script: str, timeout_s: float = 3600) -> dict:
    """Drive n reviews through `stack` from this module's process; its figures."""
    watch = [stack.server.pid, *(w.pid for w in stack.workers)]
    return work_pool.run_driver(
        stack,
        n,
        script,
        timeout_s,
        module="benchmarks.pool_driver",
        extra=["--watch", ",".join(map(str, watch))],
    )


def main() -> None:
    """Submit, wait until all wait on 初审 and measure, decide everything; print JSON."""
    parser = work_pool.driver_arguments(main.__doc__)
    parser.add_argument("--watch", default="", help="pids whose process tree to measure")
    args = parser.parse_args()
    api, engine = work_pool.connect()
    start = time.perf_counter()
    plans = work_pool.scripted(args, engine)
    work_pool.say(f"submitted {args.n}")
    wait_until(
        lambda: (
            sum(k.startswith("prereview:r1:") for k in work_pool.paused(api).values()) == args.n
        ),
        3600,
        f"{args.n} runs suspended on 初审",
        every=1,
    )
    suspend_s = time.perf_counter() - start
    watch = [int(p) for p in args.watch.split(",") if p]
    # A suspended run's process exits a moment after the API says Suspended: let them go.
    deadline = time.monotonic() + 60
    while len(held := descendants(watch)) > len(watch) and time.monotonic() < deadline:
        time.sleep(1)
    memory = rss_mb(held)
    work_pool.say(
        f"all {args.n} suspended after {suspend_s:.1f} s: {len(held)} processes, {memory:.0f} MB"
    )
    outcome = work_pool.drive(
        api, engine, plans, threads=args.threads, timeout_s=3600, progress=work_pool.say
    )
    figures = work_pool.finish(api, plans, outcome)
    print(json.dumps({**figures, "suspend_s": suspend_s, "processes": len(held), "rss_mb": memory}))


if __name__ == "__main__":
    main()
