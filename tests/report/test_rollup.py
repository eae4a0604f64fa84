"""The management annex and the live-ledger figures: items reviewed, returned, retracted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db, publishing
from pubreview.publishing.retraction import retract
from pubreview.report import rollup
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.submission import Draft, resubmit, submit
from pubreview.review.workflow import Outcome


def _through(session, pub_id: int, *, pre: str = "li.na") -> None:
    decide(session, DecisionRequest(pub_id, pre, Outcome.APPROVE, attest=True))
    decide(session, DecisionRequest(pub_id, "zeng.xiang", Outcome.APPROVE))
    decide(
        session,
        DecisionRequest(pub_id, "zhou.min", Outcome.APPROVE, urls={"微博": "https://weibo.com/1"}),
    )


def test_annex_and_retractions_from_real_reviews(engine: Engine) -> None:
    with db.transaction(engine) as session:
        first = submit(
            session,
            Draft(
                "机构改革政策解读", "正文。", "政务公开", ["网站", "微博"], "zonghe", "zhang.wei"
            ),
        ).id
        decide(session, DecisionRequest(first, "li.na", Outcome.RETURN, comment="请补充政策依据"))
        resubmit(
            session, first, "zhang.wei", title=None, body="正文，含政策依据。", attachments=None
        )
        _through(session, first)
        second = submit(
            session, Draft("业务培训会", "正文。", "业务工作", ["网站"], "yewu", "liu.yang")
        ).id
        decide(session, DecisionRequest(second, "chen.jing", Outcome.APPROVE, attest=True))
        decide(session, DecisionRequest(second, "zeng.xiang", Outcome.APPROVE))
        decide(session, DecisionRequest(second, "zhou.min", Outcome.APPROVE))
        retract(session, second, "zhou.min", "含未脱敏的内部电话", confidentiality=True)
    year = publishing.local_now().year
    with db.transaction(engine) as session:
        figures = rollup.year_figures(session, year)
        annex = rollup.management_annex(session, year)
        assert rollup.year_figures(session, year - 1).total == 0
    assert figures.total == 2  # a retracted item was still published this year
    assert figures.by_channel == {"网站": 2, "微博": 1} and figures.multi_channel == 1
    assert (figures.retractions, figures.leak_incidents) == (1, 1)
    assert annex.by_unit == [("yewu", "业务科", 1), ("zonghe", "综合科", 1)]
    assert (annex.reviewed, annex.returned, annex.returned_rate) == (2, 1, 50.0)
    timing = {s.stage: s for s in annex.stages}
    assert [timing[s].decisions for s in ("prereview", "signoff", "publication")] == [3, 2, 2]
    assert all(0 <= s.median_hours <= s.p90_hours < 1 for s in annex.stages)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([5.0], 0.9, 5.0), ([1.0, 2.0], 0.5, 1.5), ([float(v) for v in range(1, 11)], 0.9, 9.1)],
)
def test_percentile_interpolates(values: list[float], fraction: float, expected: float) -> None:
    assert rollup.percentile(values, fraction) == pytest.approx(expected)
