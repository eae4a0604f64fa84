"""One publication taken through the review flow on a real stack, and what the ledger then says."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from models import LedgerEntry, LedgerKind
from pubreview import db
from tests.support.prefect_stack import PrefectStack


def submit(stack: PrefectStack, title: str, user: str = "zhang.wei", unit: str = "zonghe") -> int:
    """Submit a 工作动态 for 网站 and 微博 through the CLI; its publication id."""
    return int(
        stack.cli(
            "submit",
            "--as",
            user,
            "--unit",
            unit,
            "--title",
            title,
            "--body",
            f"{title}的正文。",
            "--category",
            "工作动态",
            "--channel",
            "网站",
            "--channel",
            "微博",
        ).stdout
    )


def decisions(stack: PrefectStack, pub_id: int) -> Counter:
    """How many decisions the ledger holds per (revision, stage)."""
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        rows = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id == pub_id, LedgerEntry.kind == LedgerKind.DECIDED
            )
        )
        counted = Counter((e.revision, e.stage) for e in rows)
    engine.dispose()
    return counted


def verify(stack: PrefectStack) -> None:
    """`ledger verify` on the stack's ledger passes."""
    result = stack.cli_json("ledger", "verify")
    assert result["ok"], result


def approve_through(stack: PrefectStack, pub_id: int, revision: int = 1) -> None:
    """Approve each step as the run reaches it, through to the completed run."""
    stack.wait_paused(pub_id, f"prereview:r{revision}")
    stack.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    stack.wait_paused(pub_id, f"signoff:r{revision}")
    stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang")
    stack.wait_paused(pub_id, f"publication:r{revision}")
    stack.cli(
        "decide",
        str(pub_id),
        "approve",
        "--as",
        "zhou.min",
        "--url",
        "微博=https://weibo.example/post/1",
    )
    stack.wait_completed(pub_id)
