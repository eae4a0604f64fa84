"""The fault campaign, short: a few items through the real stack while its parts are killed.

The same code as `benchmarks/faults.py` (which runs it at 100 items and 100 kills), cut down
to what the suite can afford: after SIGKILLs of the worker, its flow runs, the Prefect server,
the web app and a deciding command, and reconcile, no decision is lost or recorded twice,
every item is published once and the ledger verifies.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.faults import campaign


def test_kills_during_a_stream_of_decisions_lose_nothing_and_repeat_nothing(
    tmp_path: Path,
) -> None:
    args = argparse.Namespace(
        items=3,
        kills=5,
        backend="sqlite",
        deciders=2,
        web_share=0.6,
        submit_every=0.5,
        gap_min=0.5,
        gap_max=2.0,
        busy_timeout=5.0,
        decide_after=15,
        reconcile_every=15,
        recover_timeout=300,
        max_minutes=10,
        seed=17,
    )
    figures = campaign(args, tmp_path)
    assert figures["kills_total"] >= 3, figures["kills"]
    assert figures["decisions_in_ledger"] == 3 * 3
    assert figures["lost"] == figures["duplicated"] == figures["stuck"] == 0, figures
    assert figures["orphan_publications"] == figures["orphan_revisions"] == 0
    assert figures["published_twice"] == figures["sent_twice"] == 0
    assert figures["unclear"] == [] and figures["not_injected"] == []
    assert figures["verify_exit"] == 0, figures["verify_out"]
