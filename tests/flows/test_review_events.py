"""Events tell the story: one publication's history read back through Prefect's events API."""

from __future__ import annotations

import pytest

from tests.support.prefect_stack import PrefectStack, wait_until
from tests.support.review_flow import approve_through, decide_at, submit

STORY = [
    ("publication.submitted", "zhang.wei"),
    ("publication.prereview.approved", "li.na"),
    ("publication.signoff.returned", "zeng.xiang"),
    ("publication.resubmitted", "zhang.wei"),
    ("publication.prereview.approved", "li.na"),
    ("publication.signed_off", "zeng.xiang"),
    ("publication.published", "zhou.min"),
    ("publication.adopted", "zhou.min"),
    ("publication.retracted", "zhou.min"),
]


def events_of(stack: PrefectStack, pub_id: int) -> list[dict]:
    """The events whose resource is this publication, oldest first, as the UI's feed has them."""
    page = stack.api(
        "POST",
        "/events/filter",
        {
            "filter": {"resource": {"id": [f"pubreview.publication.{pub_id}"]}, "order": "ASC"},
            "limit": 50,
        },
    )
    return page["events"]


# The events come from Prefect's server whichever database holds the ledger; the ledger's side
# on PostgreSQL is walked by the flow tests beside this one.
@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_one_publication_history_as_events(stack: PrefectStack) -> None:
    pub_id = submit(stack, "关于政务公开事件流的测试信息")
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    decide_at(
        stack, pub_id, "signoff:r1", "zeng.xiang", "--comment", "数据需核实", outcome="return"
    )
    stack.wait_paused(pub_id, "returned:r1")
    stack.cli("resubmit", str(pub_id), "--as", "zhang.wei", "--body", "核实后的正文。")
    approve_through(stack, pub_id, revision=2)
    stack.cli(
        "adopt", str(pub_id), "--level", "provincial", "--outlet", "湖南日报", "--as", "zhou.min"
    )
    stack.cli("retract", str(pub_id), "--as", "zhou.min", "--reason", "内容已过时")
    # The same retraction again records nothing, so it tells Prefect nothing either.
    stack.cli("retract", str(pub_id), "--as", "zhou.min", "--reason", "内容已过时")

    events = wait_until(
        lambda: (e := events_of(stack, pub_id)) and len(e) >= len(STORY) and e,
        60,
        f"{len(STORY)} events about publication {pub_id}",
        every=1,
    )
    assert [e["event"] for e in events] == [name for name, _ in STORY]
    occurred = [e["occurred"] for e in events]
    assert occurred == sorted(occurred)
    for event, (_, actor) in zip(events, STORY, strict=True):
        assert event["resource"]["prefect.resource.name"] == "关于政务公开事件流的测试信息"
        related = {r["prefect.resource.role"]: r["prefect.resource.id"] for r in event["related"]}
        assert related == {"unit": "pubreview.unit.zonghe", "actor": f"pubreview.person.{actor}"}
        assert event["payload"]["publication_id"] == pub_id
    returned = events[2]["payload"]
    assert returned["status"] == "returned" and returned["comment"] == "数据需核实"
    assert returned["decided_stage"] == "signoff" and returned["outcome"] == "return"
    assert events[6]["payload"]["status"] == "published"
    assert events[7]["payload"]["outlet"] == "湖南日报"
    assert events[8]["payload"]["status"] == "retracted"
