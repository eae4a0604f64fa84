"""Reminders on a request's deadline: which requests, whom, and each notice only once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from models import LedgerEntry, LedgerKind, Role, RoleGrant
from pubreview import db, migrate, settings
from pubreview.accounts.org import load_org
from pubreview.notify import reminders
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.outbox import read_outbox
from pubreview.requests import calendar, correction, extension
from pubreview.requests.calendar import CalendarGap
from tests.conftest import SAMPLE_ORG
from tests.support.notify import SmtpServer, apprise_yaml, email_of
from tests.support.requests import HANDLER, SIGNER, answer, receive

CAL = calendar.WorkCalendar()
ONCE = RetryPolicy(attempts=1, backoff_s=0)
D0 = date(2026, 10, 12)  # a Monday after 国庆
TODAY = CAL.add(D0, 18)  # a request received on D0 has 2 working days left


def office_morning(on: date, hour: int = 9) -> datetime:
    """`hour` o'clock on `on` in Asia/Shanghai, as UTC."""
    return datetime(on.year, on.month, on.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A SQLite ledger with the sample organisation; the outbox under tmp_path."""
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in ("PUBREVIEW_QUIET_HOURS", "PUBREVIEW_REMINDER_DAYS", "PUBREVIEW_APPRISE_YAML"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PUBREVIEW_APPRISE_CONFIG", raising=False)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    yield engine
    engine.dispose()


def _due(engine: Engine, today: date = TODAY, within: int = 3) -> list[tuple[int, str, int]]:
    with db.transaction(engine) as s:
        found, problems = reminders.due_requests(s, today=today, within=within, cal=CAL)
    assert problems == []
    return [(d.request_id, d.kind, d.days_left, *(p.username for p in d.recipients)) for d in found]


def test_which_requests_call_for_a_notice_and_whom_it_reaches(engine: Engine) -> None:
    soon = receive(engine, D0)
    later = receive(engine, CAL.add(D0, 10))
    late = receive(engine, D0 - timedelta(days=40))
    answered = receive(engine, D0 - timedelta(days=40))
    answer(engine, answered, "三（一）", D0)
    paused = receive(engine, D0)
    with db.transaction(engine) as s:
        correction.ask(s, paused, actor=HANDLER, asked_on=D0, what="请明确所需信息的名称")
    # Overdue first (the earliest deadline), to the head; the one due soon to its handler.
    assert _due(engine) == [(late, "overdue", -22, SIGNER), (soon, "upcoming", 2, HANDLER)]
    assert later not in {row[0] for row in _due(engine)}
    assert _due(engine, within=1) == [(late, "overdue", -22, SIGNER)]
    assert _due(engine, today=CAL.add(D0, 20))[1] == (soon, "due_today", 0, HANDLER)


def test_each_notice_goes_out_once_and_is_in_the_ledger(engine: Engine) -> None:
    soon = receive(engine, D0, applicant_name="王小明", applicant_contact="13800000000")
    late = receive(engine, D0 - timedelta(days=40))
    first = reminders.send_reminders(engine, now=office_morning(TODAY), policy=ONCE, cal=CAL)
    assert first.skipped is None and first.problems == [] and first.sent == 2
    assert [(r["申请"], r["提醒"], r["收件人"], r["结果"]) for r in first.rows()] == [
        (f"第 {late} 号", "已逾期，报负责人", SIGNER, "已发送"),
        (f"第 {soon} 号", "期限将至", HANDLER, "已发送"),
    ]
    (to_handler,) = read_outbox(HANDLER)
    assert f"第 {soon} 号" in to_handler.title and "还剩 2 个工作日" in to_handler.title
    assert "期限计算：收到" in to_handler.body and "王小明" not in to_handler.body
    assert "13800000000" not in to_handler.body + to_handler.title
    (to_head,) = read_outbox(SIGNER)
    assert "逾期未答复" in to_head.title and "已逾期 22 个工作日" in to_head.body

    # Again the same day, and the next day: nothing new (the upcoming one was told already).
    again = reminders.send_reminders(engine, now=office_morning(TODAY, 15), policy=ONCE, cal=CAL)
    assert again.sent == 0 and {r["结果"] for r in again.rows()} == {"此前已发送"}
    next_day = CAL.add(TODAY, 1)
    assert reminders.send_reminders(engine, now=office_morning(next_day), cal=CAL).sent == 0
    assert len(read_outbox(HANDLER)) == len(read_outbox(SIGNER)) == 1

    with db.transaction(engine) as s:
        sent = s.scalars(
            select(LedgerEntry).where(
                LedgerEntry.kind == LedgerKind.NOTIFIED, LedgerEntry.outcome != "claimed"
            )
        ).all()
    assert sorted((e.payload["request_id"], e.payload["event"], e.outcome) for e in sent) == sorted(
        [(late, "request_overdue", "sent"), (soon, "request_upcoming", "sent")]
    )
    assert all(
        e.dedupe_key.startswith(f"reminded:request:{e.payload['request_id']}:") for e in sent
    )
    assert all(e.publication_id is None for e in sent)

    # The last day is a notice of its own; an extension moves the deadline: a new reminder.
    last_day = CAL.add(D0, 20)
    assert reminders.send_reminders(engine, now=office_morning(last_day), cal=CAL).sent == 1
    with db.transaction(engine) as s:
        extension.extend(
            s,
            soon,
            actor=HANDLER,
            days=5,
            approved_by=SIGNER,
            notified_on=TODAY,
            reason="需要调取档案",
            cal=CAL,
        )
    assert reminders.send_reminders(engine, now=office_morning(CAL.add(D0, 23)), cal=CAL).sent == 1
    assert len(read_outbox(HANDLER)) == 3


def test_nothing_at_night_or_on_a_day_off(engine: Engine) -> None:
    receive(engine, D0)
    night = reminders.send_reminders(engine, now=office_morning(TODAY, 22), cal=CAL)
    assert night.sent == 0 and "免打扰" in (night.skipped or "")
    saturday = date(2026, 11, 7)
    assert not CAL.is_working(saturday)
    off = reminders.send_reminders(engine, now=office_morning(saturday), cal=CAL)
    assert off.sent == 0 and "不是工作日" in (off.skipped or "")
    assert read_outbox(HANDLER) == []


def test_the_quiet_hours_and_days_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBREVIEW_QUIET_HOURS", "22-7")
    current = settings.load()
    assert [h for h in range(24) if current.quiet(h)] == [0, 1, 2, 3, 4, 5, 6, 22, 23]
    monkeypatch.setenv("PUBREVIEW_QUIET_HOURS", "")
    assert not any(settings.load().quiet(h) for h in range(24))
    monkeypatch.setenv("PUBREVIEW_QUIET_HOURS", "evening")
    with pytest.raises(ValueError, match="20-8"):
        settings.load()


def test_a_deadline_into_an_undescribed_year_says_what_to_add() -> None:
    with pytest.raises(CalendarGap) as refused:
        CAL.add(date(2026, 12, 14), 20)
    text = str(refused.value)
    assert "2027年" in text and "config/workdays.yaml" in text
    for line in ("holidays:", "workdays:", "described_years: [2027]", "{date: 2027-01-01"):
        assert line in text
    # What the message tells the office to write is accepted by the file's reader.
    example = "\n".join(
        ln
        for ln in text.splitlines()
        if ln.startswith(("holidays", "workdays", "described", "  -"))
    )
    described = calendar.parse(example)
    assert described.add(date(2026, 12, 14), 20) > date(2027, 1, 1)


def test_by_mail_through_a_real_smtp_server(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = SmtpServer().start()
    try:
        monkeypatch.setenv("PUBREVIEW_APPRISE_YAML", apprise_yaml(smtp.port))
        soon = receive(engine, D0)
        late = receive(engine, D0 - timedelta(days=40))
        assert reminders.send_reminders(engine, now=office_morning(TODAY, 22), cal=CAL).sent == 0
        assert smtp.mails() == []  # nothing at night
        run = reminders.send_reminders(engine, now=office_morning(TODAY), policy=ONCE, cal=CAL)
        again = reminders.send_reminders(engine, now=office_morning(TODAY), policy=ONCE, cal=CAL)
        assert (run.sent, again.sent) == (2, 0)
        (handler,) = smtp.to(email_of(HANDLER))
        assert f"第 {soon} 号" in handler.subject and "答复期限将至" in handler.subject
        (head,) = smtp.to(email_of(SIGNER))
        assert f"第 {late} 号" in head.subject and "逾期未答复" in head.subject
        assert "已逾期 22 个工作日" in head.text and "已逾期 22 个工作日" in head.html
        assert len(smtp.mails()) == 2
    finally:
        smtp.stop()


def test_an_overdue_with_nobody_to_tell_is_a_problem_not_silence(engine: Engine) -> None:
    late = receive(engine, D0 - timedelta(days=40))
    with db.transaction(engine) as s:
        s.execute(delete(RoleGrant).where(RoleGrant.role == Role.LEADER))
        found, problems = reminders.due_requests(s, today=TODAY, within=3, cal=CAL)
    assert found == []
    assert problems == [f"第 {late} 号申请已逾期 22 个工作日，但组织中没有负责人（分管领导）可通知"]
