"""A four-step chain (初审 → 保密审查 → 审签 → 中心发布) through a real Prefect server and worker.

The worker is started without PUBREVIEW_CHAINS: it follows the chain the ledger recorded at
submission, which is the point — only the submitting command reads the chains file.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from models import LedgerEntry, LedgerKind
from pubreview import db
from tests.chains.conftest import FIXTURES, SAMPLE_CHAINS
from tests.support.prefect_stack import PrefectStack

pytestmark = pytest.mark.prefect


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_secrecy_chain_end_to_end(stack: PrefectStack) -> None:
    stack.cli("org", "load", str(FIXTURES / "org.yaml"))
    stack.env["PUBREVIEW_CHAINS"] = str(SAMPLE_CHAINS)
    try:
        pub_id = int(
            stack.cli(
                "submit",
                "--as",
                "zhang.wei",
                "--unit",
                "zonghe",
                "--title",
                "关于公开政务信息的说明",
                "--body",
                "说明的正文。",
                "--category",
                "政务公开",
                "--channel",
                "网站",
            ).stdout
        )
    finally:
        del stack.env["PUBREVIEW_CHAINS"]
    stack.wait_paused(pub_id, "prereview:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    stack.wait_paused(pub_id, "secrecy:r1")
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an"]
    refused = stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang", check=False)
    assert refused.returncode == 1 and "保密审查不由您决定" in refused.stderr
    stack.cli("decide", str(pub_id), "approve", "--as", "bao.an")
    stack.wait_paused(pub_id, "signoff:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang")
    stack.wait_paused(pub_id, "publication:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "zhou.min")
    stack.wait_completed(pub_id)

    assert stack.cli_json("status", str(pub_id))["status"] == "published"
    shown = stack.cli_json("chain", "show", str(pub_id))
    assert shown["chain"] == "secrecy"
    assert [s["id"] for s in shown["steps"]] == ["prereview", "secrecy", "signoff", "publication"]
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.publication_id == pub_id)
        ).all()
    engine.dispose()
    assert Counter(e.stage for e in entries if e.kind == LedgerKind.DECIDED) == {
        "prereview": 1,
        "secrecy": 1,
        "signoff": 1,
        "publication": 1,
    }
    # The run waited on the 保密审查, and whoever it told of it is its reviewer.
    opened = [e.stage for e in entries if e.kind == LedgerKind.STAGE_OPENED]
    assert opened == ["prereview", "secrecy", "signoff", "publication"]
    told = {
        e.payload["recipient"]
        for e in entries
        if e.kind == LedgerKind.NOTIFIED and e.stage == "secrecy"
    }
    assert told <= {"bao.an"}
    assert stack.cli_json("ledger", "verify")["ok"]


COUNTERSIGN_CHAINS = """\
default: web
chains:
  web:
    steps:
      - {id: prereview, label: 初审, role: section_head}
      - id: huiqian
        label: 部门会签
        role: section_head
        group: {members: [chen.jing, sun.li, bao.an], rule: 2}
      - {id: signoff, label: 审签, role: leader}
      - {id: publication, label: 中心发布, role: center, unit: office}
"""


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_two_of_three_countersign_end_to_end(stack: PrefectStack, tmp_path) -> None:
    stack.cli("org", "load", str(FIXTURES / "org.yaml"))
    chains = tmp_path / "chains.yaml"
    chains.write_text(COUNTERSIGN_CHAINS, encoding="utf-8")
    stack.env["PUBREVIEW_CHAINS"] = str(chains)
    try:
        pub_id = int(
            stack.cli(
                "submit",
                "--as",
                "zhang.wei",
                "--unit",
                "zonghe",
                "--title",
                "关于联合发文的说明",
                "--body",
                "须三个部门会签。",
                "--category",
                "工作动态",
                "--channel",
                "网站",
            ).stdout
        )
    finally:
        del stack.env["PUBREVIEW_CHAINS"]
    stack.wait_paused(pub_id, "prereview:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    waiting = stack.wait_paused(pub_id, "huiqian:r1")
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an", "chen.jing", "sun.li"]
    first = stack.cli_json("decide", str(pub_id), "approve", "--as", "chen.jing")
    assert (first["next_stage"], first["event"]) == (
        "huiqian",
        "publication.huiqian.member_approved",
    )
    # One member's decision resumes nothing: the same run waits on the same pause.
    still = stack.wait_paused(pub_id, "huiqian:r1")
    assert still["id"] == waiting["id"]
    assert (
        still["state"]["state_details"]["pause_key"]
        == waiting["state"]["state_details"]["pause_key"]
    )
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an", "sun.li"]
    stack.cli("decide", str(pub_id), "approve", "--as", "sun.li")
    stack.wait_paused(pub_id, "signoff:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang")
    stack.wait_paused(pub_id, "publication:r1")
    stack.cli("decide", str(pub_id), "approve", "--as", "zhou.min")
    stack.wait_completed(pub_id)

    assert len(stack.run_of(pub_id)) == 1
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.publication_id == pub_id)
        ).all()
    engine.dispose()
    members = [
        (e.actor, (e.payload.get("countersign") or {}).get("settles"))
        for e in entries
        if e.kind == LedgerKind.DECIDED and e.stage == "huiqian"
    ]
    assert members == [("chen.jing", None), ("sun.li", "approve")]
    opened = [e.stage for e in entries if e.kind == LedgerKind.STAGE_OPENED]
    assert opened == ["prereview", "huiqian", "signoff", "publication"]
    told = {
        e.payload["recipient"]
        for e in entries
        if e.kind == LedgerKind.NOTIFIED and e.stage == "huiqian"
    }
    assert told <= {"bao.an", "chen.jing", "sun.li"}
    assert stack.cli_json("ledger", "verify")["ok"]
