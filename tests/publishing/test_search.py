"""Searching published items on a real ledger: every filter, the office's dates, and paging."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from pubreview import db
from pubreview.publishing import local_now
from pubreview.publishing.search import Query, search
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


def _published(engine: Engine, title: str, **draft) -> int:
    pub = submitted(engine, title=title, **draft)
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    decided(engine, pub, "zeng.xiang", Outcome.APPROVE)
    decided(engine, pub, "zhou.min", Outcome.APPROVE)
    return pub


def _ids(engine: Engine, query: Query, page_size: int = 20) -> tuple[list[int], int, int]:
    with db.transaction(engine) as session:
        found = search(session, query, page_size=page_size)
    return [f.id for f in found.items], found.total, found.pages


def test_filters_dates_and_pages(engine: Engine) -> None:
    pubs = [_published(engine, f"第{i}期工作简报") for i in range(5)]
    odd = _published(engine, "100%_特殊标题", category="政务公开")
    pending = submitted(engine, title="第9期工作简报")
    newest_first = [odd, *reversed(pubs)]
    assert _ids(engine, Query()) == (newest_first, 6, 1)
    assert _ids(engine, Query(title="工作简报"))[1] == 5 and pending not in _ids(engine, Query())[0]
    assert _ids(engine, Query(title="100%_"))[0] == [odd]  # LIKE wildcards are literal
    assert _ids(engine, Query(title="%"))[0] == [odd]
    assert _ids(engine, Query(category="政务公开"))[0] == [odd]
    assert _ids(engine, Query(unit="yewu"))[1] == 0
    assert _ids(engine, Query(channel="网站"))[1] == 6
    assert _ids(engine, Query(channel="微博"))[1] == 0
    today = local_now().date()
    assert _ids(engine, Query(published_from=today, published_to=today))[1] == 6
    assert _ids(engine, Query(published_from=today + timedelta(days=1)))[1] == 0
    assert _ids(engine, Query(published_to=today - timedelta(days=1)))[1] == 0
    assert _ids(engine, Query(page=1), page_size=4) == (newest_first[:4], 6, 2)
    assert _ids(engine, Query(page=2), page_size=4) == (newest_first[4:], 6, 2)
    assert _ids(engine, Query(page=9), page_size=4)[0] == newest_first[4:]  # past the end: last
