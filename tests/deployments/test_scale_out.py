"""Scale-out as the README says it: PostgreSQL for the ledger and for Prefect's server, the
deployments of deployments/prefect.yaml on a process work pool, two `prefect worker`s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments import serve
from tests.conftest import _prepare, create_pg_database, drop_pg_database
from tests.support import work_pool
from tests.support.work_pool import PoolStack

pytestmark = [pytest.mark.postgres, pytest.mark.prefect]
# Five items give both workers runs (a run per resume: about twenty) and every script of the mix
# (approved, returned once and resubmitted, rejected) at least once; benchmarks/scale.py drives
# larger numbers.
REVIEWS = 5


@pytest.fixture
def pool_stack(tmp_path: Path) -> Iterator[PoolStack]:
    """A Prefect server on PostgreSQL, the `pubreview` work pool and two workers, over a
    PostgreSQL ledger."""
    import psycopg

    ledger_url = create_pg_database()
    server_db = create_pg_database()
    stack = None
    try:
        with psycopg.connect(server_db, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # Prefect's server needs it
        _prepare(ledger_url)
        asyncpg_url = "postgresql+asyncpg://" + server_db.split("://", 1)[1]
        stack = PoolStack(tmp_path, ledger_url, server_db_url=asyncpg_url, workers=2)
        yield stack.start()
    finally:
        if stack is not None:
            stack.stop()
        drop_pg_database(ledger_url)
        drop_pg_database(server_db)


def test_reviews_through_two_pool_workers(pool_stack: PoolStack) -> None:
    deployments = pool_stack.api("POST", "/deployments/filter", {})
    # Every deployment of prefect.yaml, the scheduled ones included, on the work pool.
    assert {d["name"]: d["work_pool_name"] for d in deployments} == {
        spec["name"]: "pubreview" for spec in serve.declarations()
    }
    # Submitted at once, each decided as soon as its run waits, eight people at a time.
    result = work_pool.run_driver(pool_stack, REVIEWS, "mixed", timeout_s=1800)
    plans = result["plans"]
    assert len(plans) == REVIEWS
    # Every decision was taken on a suspended run; a resume lost to an overloaded server is
    # caught up by the `reconcile` deployment (the driver log lists any), so it is no failure.
    resubmissions = sum(s == "return-once" for s in plans.values())
    decisions = sum(len(work_pool.expected_decisions(s)) for s in plans.values())
    assert result["actions"] == decisions + resubmissions

    # Each stage decided exactly once, as scripted.
    work_pool.assert_decided_as_scripted(pool_stack.env["PUBREVIEW_DATABASE_URL"], plans)
    # All complete: each item has one review run, completed.
    completed = work_pool.completed_runs(pool_stack.api)
    assert all(completed[pub_id] == 1 for pub_id in plans), completed
    verified = pool_stack.cli_json("ledger", "verify")
    assert verified["ok"], verified
    # Both workers ran flow runs.
    for n in (1, 2):
        log = (pool_stack.logs / f"worker-{n}.log").read_text(errors="replace")
        assert f"Worker 'worker-{n}' submitting flow run" in log, f"worker-{n} ran nothing"
