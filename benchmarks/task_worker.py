"""Prefect's warm task worker against a fresh interpreter per step: what the next step could cost.

Every resume of a suspended review run is today a new `python -m prefect.engine` process. Prefect 3
also runs background tasks (`task.delay()`) in a long-lived task worker
(`prefect.task_worker.serve`), which shows each task run in the UI. This measures both on one real
Prefect server, in the same run:

- warm: a task worker serving one trivial task; N `.delay()` calls one after another, then K at the
  same moment; the time from `.delay()` to the result, and the worker's CPU per task;
- cold (the baseline): a trivial flow run in a new interpreter against the same server, which is
  the least a resumed run costs before any of our work.

Ends with one JSON line.

    .venv/bin/python benchmarks/task_worker.py [--n 40] [--concurrent 20] [--cold 5] [--limit 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.prefect_stack import PrefectStack, wait_until  # noqa: E402

COLD_FLOW = """
from prefect import flow

@flow(name="bench-cold-step", persist_result=False)
def step() -> int:
    return 1

step()
"""


def open_step(i: int) -> int:
    """Stands for a step's work in the run: trivial, so the figures are Prefect's own cost."""
    return i


def _task():  # noqa: ANN202 - a Prefect task object
    from prefect import task

    return task(name="bench-open-step", persist_result=True)(open_step)


def serve(limit: int | None) -> None:
    """The task worker process: serve the one task until killed, `limit` at a time."""
    from prefect.task_worker import serve as serve_tasks

    serve_tasks(_task(), limit=limit)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _locked(stack: PrefectStack) -> int:
    """How many requests the server has answered "database is locked" so far."""
    log = stack.logs / "server.log"
    return log.read_text(errors="replace").count("database is locked") if log.exists() else 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]) or None)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="tasks one after another")
    parser.add_argument("--concurrent", type=int, default=20, help="tasks at the same moment")
    parser.add_argument("--cold", type=int, default=5, help="fresh-interpreter flow runs")
    parser.add_argument(
        "--limit", type=int, default=10, help="task worker concurrency (Prefect: 10; 0: none)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pubreview-taskworker-"))
    stack = PrefectStack(tmp, f"sqlite:///{tmp / 'unused.db'}")
    print(f"starting a Prefect server in {tmp} …", flush=True)
    # Count the server's "database is locked" answers (503s its clients retry after a backoff).
    stack.env["PREFECT_SERVER_LOG_RETRYABLE_ERRORS"] = "true"
    stack.start_server()
    os.environ.update(stack.env)
    worker = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(args.limit)],
        env=stack.env,
        stdout=open(stack.logs / "task-worker.log", "ab"),  # noqa: SIM115 - kept for the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        step = _task()
        # The first call waits for the worker to start and subscribe.
        wait_until(lambda: step.delay(0).result(timeout=30) == 0, 120, "the task worker")
        cpu0 = cpu_seconds(worker.pid)
        sequential: list[float] = []
        for i in range(args.n):
            t0 = time.perf_counter()
            assert step.delay(i).result(timeout=60) == i
            sequential.append(time.perf_counter() - t0)
        cpu_seq = (cpu_seconds(worker.pid) - cpu0) / args.n

        def one(i: int) -> float:
            t0 = time.perf_counter()
            assert step.delay(i).result(timeout=120) == i
            return time.perf_counter() - t0

        locked0 = _locked(stack)
        cpu1 = cpu_seconds(worker.pid)
        t_burst = time.perf_counter()
        with ThreadPoolExecutor(args.concurrent) as pool:
            burst = list(pool.map(one, range(args.concurrent)))
        burst_wall = time.perf_counter() - t_burst
        burst_cpu = cpu_seconds(worker.pid) - cpu1
        burst_locked = _locked(stack) - locked0

        cold: list[float] = []
        cold_cpu: list[float] = []
        for _ in range(args.cold):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", COLD_FLOW], env=stack.env, check=True, capture_output=True
            )
            cold.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cold_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    finally:
        worker.kill()
        worker.wait()
        stack.stop()

    cold_p50 = pct(cold, 0.5)
    warm_p50 = pct(sequential, 0.5)
    print(f"\n== one step, {args.n} one after another")
    print(
        f"  warm task worker   p50 {warm_p50 * 1000:7.0f} ms"
        f"  p95 {pct(sequential, 0.95) * 1000:7.0f} ms"
        f"  worker CPU {cpu_seq * 1000:5.0f} ms/task"
    )
    print(
        f"  fresh interpreter  p50 {cold_p50 * 1000:7.0f} ms  p95 {pct(cold, 0.95) * 1000:7.0f} ms"
        f"  CPU {pct(cold_cpu, 0.5) * 1000:5.0f} ms/run   (baseline, n={args.cold})"
    )
    print(f"  ratio (cold / warm, p50)  {cold_p50 / warm_p50:.1f}x")
    print(f"\n== {args.concurrent} steps at the same moment on the warm worker")
    print(
        f"  p50 {pct(burst, 0.5) * 1000:.0f} ms  p95 {pct(burst, 0.95) * 1000:.0f} ms"
        f"  all done in {burst_wall:.2f} s"
    )
    print(
        f"  task worker limit {args.limit or 'none'}; worker CPU in the burst {burst_cpu:.2f} s"
        f" ({burst_cpu / burst_wall * 100:.0f} % of one core); server answered"
        f" 'database is locked' {burst_locked} times"
    )
    print(
        json.dumps(
            {
                "benchmark": "task_worker",
                "warm_p50_s": round(warm_p50, 4),
                "warm_p95_s": round(pct(sequential, 0.95), 4),
                "warm_cpu_s_per_task": round(cpu_seq, 4),
                "burst": args.concurrent,
                "burst_p95_s": round(pct(burst, 0.95), 4),
                "burst_wall_s": round(burst_wall, 3),
                "burst_worker_cpu_s": round(burst_cpu, 3),
                "burst_db_locked": burst_locked,
                "limit": args.limit,
                "cold_p50_s": round(cold_p50, 3),
                "cold_cpu_s": round(pct(cold_cpu, 0.5), 3),
                "ratio": round(cold_p50 / warm_p50, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
