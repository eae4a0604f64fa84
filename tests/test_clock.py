"""Times people read are in the office's time zone; the ledger keeps UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pubreview.clock import local_time
from pubreview.review.status import format_history


def test_office_time_by_default_and_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    monkeypatch.delenv("PUBREVIEW_TIMEZONE", raising=False)
    assert local_time(moment) == "2027-01-01 01:30"
    assert local_time("2026-12-31T17:30:00+00:00", seconds=True) == "2027-01-01 01:30:00"
    # SQLite hands back naive datetimes: they are UTC.
    assert local_time(datetime(2026, 12, 31, 17, 30)) == "2027-01-01 01:30"
    monkeypatch.setenv("PUBREVIEW_TIMEZONE", "Europe/Berlin")
    assert local_time(moment) == "2026-12-31 18:30"


def test_history_text_is_in_office_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBREVIEW_TIMEZONE", raising=False)
    row = {
        "id": 1,
        "at": "2026-06-01T00:00:00+00:00",
        "kind": "submitted",
        "stage": "prereview",
        "outcome": None,
        "revision": 1,
        "actor": "zhang.wei",
        "comment": None,
    }
    assert "2026-06-01 08:00:00 submitted" in format_history([row])
