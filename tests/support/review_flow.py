"""One publication taken through the review flow on a real stack, and what the ledger then says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from models import LedgerEntry, LedgerKind
from pubreview import db
from tests.support.prefect_stack import PrefectStack


def submit(
    stack: PrefectStack,
    title: str,
    user: str = "zhang.wei",
    unit: str = "zonghe",
    *,
    body: str | None = None,
    category: str = "工作动态",
    channels: tuple[str, ...] = ("网站", "微博"),
    chains: Path | None = None,
    grade: str | None = None,
) -> int:
    """Submit through the CLI (a 工作动态 for 网站 and 微博, 一般, unless told); its publication id.

    `chains` is a chains file for the submitting command only: the worker follows the chain
    the ledger recorded at submission.
    """
    args = ["submit", "--as", user, "--unit", unit, "--title", title]
    args += ["--body", body or f"{title}的正文。", "--category", category]
    for channel in channels:
        args += ["--channel", channel]
    if grade is not None:
        args += ["--grade", grade]
    if chains is not None:
        stack.env["PUBREVIEW_CHAINS"] = str(chains)
    try:
        return int(stack.cli(*args).stdout)
    finally:
        if chains is not None:
            del stack.env["PUBREVIEW_CHAINS"]


def entries_of(stack: PrefectStack, pub_id: int) -> list[LedgerEntry]:
    """The item's ledger entries, oldest first."""
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.publication_id == pub_id).order_by(LedgerEntry.id)
        ).all()
    engine.dispose()
    return list(rows)


def decisions(stack: PrefectStack, pub_id: int) -> Counter:
    """How many decisions the ledger holds per (revision, stage)."""
    return Counter(
        (e.revision, e.stage) for e in entries_of(stack, pub_id) if e.kind == LedgerKind.DECIDED
    )


def verify(stack: PrefectStack) -> None:
    """`ledger verify` on the stack's ledger passes."""
    result = stack.cli_json("ledger", "verify")
    assert result["ok"], result


def decide_at(
    stack: PrefectStack, pub_id: int, waiting: str, user: str, *extra: str, outcome: str = "approve"
) -> None:
    """Once the run waits on `waiting` (step:rN), decide it as `user` through the CLI."""
    stack.wait_paused(pub_id, waiting)
    stack.cli("decide", str(pub_id), outcome, "--as", user, *extra)


def approve_through(stack: PrefectStack, pub_id: int, revision: int = 1) -> None:
    """Approve each step as the run reaches it, through to the completed run."""
    decide_at(stack, pub_id, f"prereview:r{revision}", "li.na", "--attest-no-secrets")
    decide_at(stack, pub_id, f"signoff:r{revision}", "zeng.xiang")
    decide_at(
        stack,
        pub_id,
        f"publication:r{revision}",
        "zhou.min",
        "--url",
        "微博=https://weibo.example/post/1",
    )
    stack.wait_completed(pub_id)
