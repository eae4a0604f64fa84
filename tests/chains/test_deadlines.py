"""A step's deadline in working days: its deciders are reminded before it and on the day, those
above it are told once it has passed; each notice once, none on a day off or in quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import clock, db
from pubreview.chains import deadlines
from pubreview.chains.definitions import Step
from pubreview.chains.validation import read
from pubreview.notify import step_reminders
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.outbox import read_outbox
from pubreview.requests.calendar import WorkCalendar
from tests.chains.conftest import SAMPLE_CHAINS
from tests.support.factories import decided, submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ONCE = RetryPolicy(attempts=1, backoff_s=0)
SAMPLE_APPRISE = Path(__file__).resolve().parents[2] / "config" / "apprise-sample.yaml"


@pytest.fixture(autouse=True)
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages go to a local outbox under tmp_path; no quiet hours beyond the default."""
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "PUBREVIEW_QUIET_HOURS",
        "PUBREVIEW_STEP_REMINDER_DAYS",
        "PUBREVIEW_APPRISE_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    # The sample routing, plus the 保密办's and the legal office's reviewers.
    extra = "".join(f"  - pubreview://{u}:\n      - tag: {u}\n" for u in ("bao.an", "fa.lv"))
    monkeypatch.setenv("PUBREVIEW_APPRISE_YAML", SAMPLE_APPRISE.read_text(encoding="utf-8") + extra)


def at_secrecy(engine: Engine) -> tuple[int, date]:
    """A 政务公开 item past 初审, waiting on the 保密办's 保密审查 (3 working days)."""
    pub = submitted(engine, category="政务公开")
    decided(engine, pub, "li.na", attest=True)
    with db.transaction(engine) as session:
        arrived = clock.local(session.get(Publication, pub).waiting_since).date()
    return pub, arrived


def chain_set_step(step_id: str) -> Step:
    """A step of the sample chains file."""
    return read(SAMPLE_CHAINS).chains["secrecy"].step(step_id)


def calendar_from(arrived: date) -> WorkCalendar:
    """Weekdays worked in the years around `arrived`, the first Saturday after it a 调休 day."""
    saturday = arrived + timedelta(days=(5 - arrived.weekday()) % 7 or 7)
    years = frozenset({arrived.year, arrived.year + 1})
    return WorkCalendar(overrides={saturday: (True, "调休")}, described_years=years)


def morning(on: date, hour: int = 9) -> datetime:
    """`hour` o'clock office time (Asia/Shanghai) on `on`, as UTC."""
    return datetime(on.year, on.month, on.day, hour, tzinfo=UTC) - timedelta(hours=8)


def test_the_deadline_counts_working_days_and_reminds_the_deciders(chain_engine: Engine) -> None:
    pub, arrived = at_secrecy(chain_engine)
    cal = calendar_from(arrived)
    due = cal.add(arrived, 3)
    with db.transaction(chain_engine) as session:
        (found,), problems = deadlines.open_deadlines(session, today=arrived, cal=cal)
    assert problems == []
    assert (found.publication_id, found.step, found.label, found.due_on) == (
        pub,
        "secrecy",
        "保密审查",
        due,
    )
    # Working days on the office calendar: a 调休 Saturday counts, the Sunday after it does not.
    saturday = next(d for d in cal.overrides)
    step = chain_set_step("secrecy")
    assert deadlines.due_on(cal, step, saturday - timedelta(days=1)) == cal.add(saturday, 2)
    assert cal.add(saturday, 2) == saturday + timedelta(days=3)
    assert deadlines.due_on(cal, replace(step, deadline_days=1), saturday - timedelta(days=1)) == (
        saturday
    )
    assert [p.username for p in found.deciders] == ["bao.an"]

    # The day it arrived, its decider was just told of the step: no reminder yet, however near.
    assert (
        step_reminders.send_step_reminders(
            chain_engine, now=morning(arrived), within=5, policy=ONCE, cal=cal
        ).notices
        == []
    )

    one_left = cal.add(arrived, 2)
    first = step_reminders.send_step_reminders(
        chain_engine, now=morning(one_left), policy=ONCE, cal=cal
    )
    assert first.skipped is None and first.problems == [] and first.sent == 1
    assert [(r["信息"], r["环节"], r["提醒"], r["收件人"]) for r in first.rows()] == [
        (f"第 {pub} 号", "保密审查", "期限将至", "bao.an")
    ]
    (told,) = read_outbox("bao.an")
    assert "审核期限将至" in told.title and "还剩 1 个工作日" in told.title
    assert f"期限 {due.isoformat()}" in told.body

    # The same day again, and the next morning before the deadline: nothing new.
    again = step_reminders.send_step_reminders(
        chain_engine, now=morning(one_left, 15), policy=ONCE, cal=cal
    )
    assert again.sent == 0 and {r["结果"] for r in again.rows()} == {"此前已发送"}
    # On the day: a reminder of its own.
    assert step_reminders.send_step_reminders(chain_engine, now=morning(due), cal=cal).sent == 1
    assert "今日审核到期" in read_outbox("bao.an")[-1].title

    # Past it: the submitting unit's leader hears, once; the decider is not told again.
    late = cal.add(due, 1)
    past = step_reminders.send_step_reminders(chain_engine, now=morning(late), cal=cal)
    assert [(r["提醒"], r["收件人"], r["结果"]) for r in past.rows()] == [
        ("已逾期，报上级", "zeng.xiang", "已发送")
    ]
    (escalated,) = read_outbox("zeng.xiang")
    assert "审核已逾期" in escalated.title and "鲍安（bao.an）" in escalated.body
    assert step_reminders.send_step_reminders(chain_engine, now=morning(late), cal=cal).sent == 0
    assert len(read_outbox("bao.an")) == 2

    with db.transaction(chain_engine) as session:
        sent = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.kind == LedgerKind.NOTIFIED,
                LedgerEntry.payload["event"].as_string().startswith("step_"),
                LedgerEntry.outcome == "sent",
            )
        ).all()
    assert sorted((e.payload["event"], e.stage, e.payload["recipient"]) for e in sent) == [
        ("step_due_today", "secrecy", "bao.an"),
        ("step_overdue", "secrecy", "zeng.xiang"),
        ("step_upcoming", "secrecy", "bao.an"),
    ]
    assert all(e.publication_id == pub and e.payload["due_on"] == due.isoformat() for e in sent)

    # Decided: the step is no longer waiting, so nothing more about it.
    decided(chain_engine, pub, "bao.an")
    with db.transaction(chain_engine) as session:
        assert deadlines.open_deadlines(session, today=late, cal=cal) == ([], [])


def test_nothing_goes_out_on_a_day_off_or_in_the_quiet_hours(
    chain_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, arrived = at_secrecy(chain_engine)
    cal = calendar_from(arrived)
    sunday = arrived + timedelta(days=(6 - arrived.weekday()) % 7 or 7)
    off = step_reminders.send_step_reminders(chain_engine, now=morning(sunday), cal=cal)
    assert off.sent == 0 and "不是工作日" in off.skipped
    quiet = step_reminders.send_step_reminders(
        chain_engine, now=morning(cal.add(arrived, 2), 21), cal=cal
    )
    assert quiet.sent == 0 and "免打扰" in quiet.skipped
    assert read_outbox("bao.an") == []


def test_an_overdue_leader_step_goes_to_the_administrators(
    chain_engine: Engine, chains_env: Path
) -> None:
    # 审签 with a deadline: its own deciders are the unit's leaders, so the admin is told.
    chains_env.write_text(
        "chains:\n  default:\n    steps:\n"
        "      - {id: prereview, label: 初审, role: section_head}\n"
        "      - {id: signoff, label: 审签, role: leader, deadline_days: 2}\n"
        "      - {id: publication, label: 中心发布, role: center, unit: office}\n",
        encoding="utf-8",
    )
    pub = submitted(chain_engine)
    decided(chain_engine, pub, "li.na", attest=True)
    with db.transaction(chain_engine) as session:
        arrived = clock.local(session.get(Publication, pub).waiting_since).date()
    cal = calendar_from(arrived)
    late = cal.add(arrived, 3)
    run = step_reminders.send_step_reminders(chain_engine, now=morning(late), cal=cal)
    assert [(r["环节"], r["收件人"]) for r in run.rows()] == [("审签", "wu.gang")]
    (told,) = read_outbox("wu.gang")
    assert f"admin/reassign/{pub}" in told.body and "曾翔（zeng.xiang）" in told.body


def test_escalate_to_names_who_hears_of_an_overdue_step(
    chain_engine: Engine, chains_env: Path
) -> None:
    # 初审 overdue goes to the 保密办's head the step names, not to the unit's 分管领导.
    chains_env.write_text(
        "chains:\n  default:\n    steps:\n"
        "      - id: prereview\n        label: 初审\n        role: section_head\n"
        "        deadline_days: 1\n        escalate_to: {role: section_head, unit: baomi}\n"
        "      - {id: signoff, label: 审签, role: leader}\n"
        "      - {id: publication, label: 中心发布, role: center, unit: office}\n",
        encoding="utf-8",
    )
    pub = submitted(chain_engine)
    with db.transaction(chain_engine) as session:
        arrived = clock.local(session.get(Publication, pub).waiting_since).date()
    cal = calendar_from(arrived)
    run = step_reminders.send_step_reminders(
        chain_engine, now=morning(cal.add(arrived, 2)), cal=cal
    )
    assert [(r["环节"], r["提醒"], r["收件人"]) for r in run.rows()] == [
        ("初审", "已逾期，报上级", "bao.an")
    ]
    assert read_outbox("zeng.xiang") == []
