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
from pubreview.review.submission import get
from pubreview.site import build_site
from pubreview.web.links import queue_link


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
Prefect UI     {stack.ui_url}   (runs waiting for review show as Suspended)
Published site {stack.site_url}
Review pages   {stack.web_url}  (every message carries a personal link:
               .venv/bin/pubreview outbox --to li.na   shows li.na's messages)
Annual report  .venv/bin/pubreview report 2026 --init-supplement  (once; fill it in)
               .venv/bin/pubreview report 2026 --format national --out data/report

Act as each role (sample organisation in config/sample-org.yaml):
  where things stand   .venv/bin/pubreview status
  submitter  zhang.wei .venv/bin/pubreview submit --as zhang.wei --unit zonghe --title 标题 \\
                         --body 正文 --category 工作动态 --channel 网站
  初审 li.na           .venv/bin/pubreview decide ID approve --as li.na --attest-no-secrets
  审签 zeng.xiang      .venv/bin/pubreview decide ID approve --as zeng.xiang
  中心发布 zhou.min    .venv/bin/pubreview decide ID approve --as zhou.min
  return / reject      .venv/bin/pubreview decide ID return --as li.na --comment 原因
  after a return       .venv/bin/pubreview resubmit ID --as zhang.wei --body 修改后的正文
  the ledger           .venv/bin/pubreview history ID ; .venv/bin/pubreview ledger verify
  stop everything      .venv/bin/pubreview down""")
    print("\nEach reviewer's queue (personal links, open in a browser):")
    for username in ("li.na", "zeng.xiang", "zhou.min"):
        print(f"  {username:<11} {queue_link(username)}")
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
