"""`pubreview worker` (serve the deployments) and `pubreview reconcile`."""

from __future__ import annotations

import argparse

from pubreview import orchestration, settings
from pubreview.cli.output import add_json_flag, emit


def register(sub: argparse._SubParsersAction) -> None:
    """Add the orchestration commands."""
    p = sub.add_parser("worker", help="serve the review deployments from this process")
    p.set_defaults(handler=_worker, serves_others=True)
    p = sub.add_parser(
        "reconcile", help="restart or resume review runs where Prefect and the ledger disagree"
    )
    p.add_argument(
        "--stale-after",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="a run Running/Pending this long with no progress counts as dead",
    )
    add_json_flag(p)
    p.set_defaults(handler=_reconcile)


def _worker(args: argparse.Namespace) -> int:
    settings.pin_prefect_environment(settings.load())
    from deployments.serve import main

    main()
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    actions = orchestration.reconcile_pass(args.stale_after)
    emit(
        args,
        [a.__dict__ for a in actions],
        "\n".join(
            f"#{a.publication_id}: {a.action} {a.flow_run_id or ''} ({a.detail})" for a in actions
        )
        or "nothing to reconcile",
    )
    return 0
