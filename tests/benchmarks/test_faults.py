"""The fault campaign, short: a few items through the real stack while its parts are killed.

The same code as `benchmarks/faults.py` (which runs it at 100 items and 100 kills), cut down
to what the suite can afford: after SIGKILLs of the worker, its flow runs, the Prefect server,
the web app and a deciding command, and reconcile, no decision is lost or recorded twice,
every item is published once and the ledger verifies.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.faults import campaign, parser


def test_kills_during_a_stream_of_decisions_lose_nothing_and_repeat_nothing(
    tmp_path: Path,
) -> None:
    args = parser().parse_args(
        [
            *("--items", "3", "--kills", "5", "--backend", "sqlite", "--deciders", "2"),
            *("--web-share", "0.6", "--submit-every", "0.5", "--gap-min", "0.5"),
            *("--gap-max", "2.0", "--decide-after", "15", "--reconcile-every", "15"),
            *("--recover-timeout", "300", "--max-minutes", "10", "--seed", "17"),
        ]
    )
    args.cluster = None  # SQLite: no PostgreSQL cluster of the campaign's own
    figures = campaign(args, tmp_path)
    assert figures["kills_total"] >= 3, figures["kills"]
    assert figures["decisions_in_ledger"] == 3 * 3
    assert figures["lost"] == figures["duplicated"] == figures["stuck"] == 0, figures
    assert figures["orphan_publications"] == figures["orphan_revisions"] == 0
    assert figures["published_twice"] == figures["sent_twice"] == 0
    assert figures["unclear"] == [] and figures["not_injected"] == []
    assert figures["verify_exit"] == 0, figures["verify_out"]
