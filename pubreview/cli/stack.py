"""`pubreview up` (the whole embedded stack, with sample data) and `pubreview down`."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from models import Person
from pubreview import db, migrate
from pubreview.cli.output import add_json_flag, emit
from pubreview.devstack import demo
from pubreview.devstack.stack import Stack
from pubreview.orchestration.after_commit import after_commit
from pubreview.publishing import local_now
from pubreview.review.submission import get
from pubreview.site import build_site


def register(sub: argparse._SubParsersAction) -> None:
    """Add `up` and `down`."""
    p = sub.add_parser("up", help="start Prefect server + UI, worker and site; load sample data")
    p.add_argument("--detach", action="store_true", help="return once everything runs")
    p.add_argument("--no-samples", action="store_true", help="do not submit sample drafts")
    add_json_flag(p)
    p.set_defaults(handler=_up)
    p = sub.add_parser("down", help="stop what `pubreview up` started, and nothing else")
    add_json_flag(p)
    p.set_defaults(handler=_down)


def _up(args: argparse.Namespace) -> int:
    stack = Stack()

    def say(text: str) -> None:
        # With --json, progress goes to stderr and stdout holds one JSON document.
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    say(f"pubreview: data in {stack.settings.data_dir}")
    stack.settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(stack.settings.database_url)
    with db.transaction() as session:
        if demo.ensure_org(session):
            say(f"  loaded the sample organisation ({demo.SAMPLE_ORG.name})")
    with db.transaction() as session:
        build_site(session, stack.settings.data_dir / "site")
    failed = True
    try:
        for service in stack.services():
            stack.start(service, say)
        new_ids = []
        if not args.no_samples:
            with db.transaction() as session:
                new_ids = demo.submit_samples(session)
            for pub_id in new_ids:
                _announce(pub_id)
        if args.json:
            emit(
                args,
                {
                    "prefect_ui": stack.ui_url,
                    "site": stack.site_url,
                    "web": stack.web_url,
                    "started": stack.started,
                    "submitted": new_ids,
                    "logins": [
                        {"role": role, "username": username, "password": password}
                        for role, username, password in demo.sample_logins()
                    ],
                },
                "",
            )
        else:
            _print_guide(stack, new_ids)
        failed = False
        if args.detach:
            return 0
        say("\nRunning. Ctrl-C (or `pubreview down`) stops what this command started.")
        signal.signal(signal.SIGTERM, _interrupt)
        stack.record_foreground(sys.argv)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        say("\nstopping…")
    finally:
        # stack.started includes a service interrupted while it was still starting.
        if (failed or not args.detach) and stack.started:
            for name in stack.stop(stack.started):
                say(f"  stopped {name}")
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM stops the stack like Ctrl-C does."""
    raise KeyboardInterrupt


def _announce(pub_id: int) -> None:
    with db.transaction() as session:
        submitter = session.get(Person, get(session, pub_id).submitter_id).username
    after_commit("publication.submitted", pub_id, actor=submitter, resume=False)


def _print_guide(stack: Stack, new_ids: list[int]) -> None:
    print(f"""
Office web app {stack.web_url}   (log in; everyone works here, on a phone too)
Prefect UI     {stack.ui_url}   (runs waiting for review show as Suspended)
Published site {stack.site_url}

Sample logins (sample organisation only, config/sample-passwords.yaml):""")
    for role, username, password in demo.sample_logins():
        print(f"  {username:<11} {password:<14} {role}")
    print(f"""
Messages go to a local outbox: .venv/bin/pubreview outbox --to wang.fang
Each message carries a personal link that opens its review page without logging in.

From a terminal (the operator's tool; entries record the system account that ran it):
  where things stand   .venv/bin/pubreview status
  decide a step        .venv/bin/pubreview decide ID approve --as wang.fang --attest-no-secrets
  the ledger           .venv/bin/pubreview history ID ; .venv/bin/pubreview ledger verify
  annual report        .venv/bin/pubreview report {local_now().year} --format national \\
                         --out {stack.settings.data_dir / "report"}
  stop everything      .venv/bin/pubreview down""")
    if new_ids:
        print(f"\nSubmitted sample items {', '.join(map(str, new_ids))}: each now waits on 初审.")


def _down(args: argparse.Namespace) -> int:
    stopped = Stack().stop()
    emit(
        args,
        {"stopped": stopped},
        "stopped " + ", ".join(stopped) if stopped else "nothing of ours was running",
    )
    return 0
