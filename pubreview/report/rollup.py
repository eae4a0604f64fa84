"""The year's figures from the ledger, counted by the database (GROUP BY), not in Python.

Counting rules (stated in the report too):
- An item belongs to the year of its first `published` entry's `published_at` (office time).
- The total and the by-category figures count each item once; the by-channel figures count an
  item once per channel it went out on, so they add up to more than the total when items
  went out on several channels.
- Adoptions are counted for the year's items (the seed's "其中…采用"), since an adoption says
  which item was picked up; imported adoptions carry no date of their own.
- Retractions and leak incidents (retractions with a confidentiality reason) are counted in
  the year the retraction was recorded.
- The year's items are found in one pass over the published entries and kept, for the rest of
  the session, in a temporary table; every other figure then reads only the year's entries
  through the (kind, publication_id) index instead of scanning the ledger again.
- The management annex's stage times are the one thing computed in Python: the database
  pairs each decision with the entry that opened its stage (a window function), and the
  median and 90th percentile are taken over those durations, since SQLite has no percentile.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    case,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Stage, Unit
from models.base import as_utc
from pubreview.ledger import checkpoints
from pubreview.ledger.checkpoints import Checkpoint
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing import catalog as catalog_mod


@dataclass(frozen=True)
class YearFigures:
    """Everything the report states that the ledger holds."""

    year: int
    total: int
    by_category: dict[str, int]
    by_channel: dict[str, int]
    multi_channel: int  # items that went out on more than one channel
    with_full_text: int  # items with an electronic full text (a URL on at least one channel)
    adopted_central: int
    adopted_provincial: int
    retractions: int
    leak_incidents: int
    # With a catalog whose channels have categories of their own (or none): each such
    # channel's items by category; empty when every channel shares the catalog's categories.
    by_channel_category: dict[str, dict[str, int]] = field(default_factory=dict)
    uncategorised: int = 0  # items with no category (allowed on channels that have none)

    @property
    def full_text_rate(self) -> float:
        """Share of the year's items with an electronic full text, 0–100 (100 when none)."""
        return 100.0 if self.total == 0 else 100.0 * self.with_full_text / self.total


@dataclass(frozen=True)
class StageTiming:
    """How long items waited at one stage, over the decisions taken in the year."""

    stage: str
    decisions: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class ManagementAnnex:
    """Beyond the statutory figures: how the review procedure itself performed."""

    year: int
    by_unit: list[tuple[str, str, int]]  # (code, name, items published)
    reviewed: int  # published items that went through pubreview's review (not imported)
    returned: int  # of those, items returned for revision at least once
    stages: list[StageTiming] = field(default_factory=list)
    # The last signed ledger checkpoint made before the year ended (None: none was signed).
    checkpoint: Checkpoint | None = None

    @property
    def returned_rate(self) -> float | None:
        """Share of reviewed items returned at least once, 0–100; None when none reviewed."""
        return None if self.reviewed == 0 else 100.0 * self.returned / self.reviewed


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The office's calendar year as a half-open UTC interval."""
    start = datetime(year, 1, 1, tzinfo=OFFICE_TIMEZONE)
    end = datetime(year + 1, 1, 1, tzinfo=OFFICE_TIMEZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def _in_year(column, year: int):
    start, end = year_bounds(year)
    return and_(column >= start, column < end)


def items_of_year(year: int) -> Select:
    """SELECT the ids of the items whose first publication falls in `year`."""
    published_at = LedgerEntry.payload["published_at"].as_string()
    first = (
        select(LedgerEntry.publication_id.label("pid"), func.min(published_at).label("first_at"))
        .where(LedgerEntry.kind == LedgerKind.PUBLISHED)
        .group_by(LedgerEntry.publication_id)
        .subquery("first_published")
    )
    # published_at is ISO 8601 in office time, so its first four characters are the year.
    return select(first.c.pid).where(func.substr(first.c.first_at, 1, 4) == f"{year:04d}")


# The year's item ids, one row each (a temporary table: it lives with the connection only).
YEAR_ITEMS = Table(
    "report_year_items",
    MetaData(),
    Column("pid", Integer, primary_key=True, autoincrement=False),
    prefixes=["TEMPORARY"],
)


def year_items(session: Session, year: int) -> Select:
    """SELECT the year's item ids from a temporary table filled once per session and year."""
    if session.info.get(YEAR_ITEMS.name) != year:
        conn = session.connection()
        # A pooled connection may still hold the table from an earlier report.
        conn.execute(text(f"DROP TABLE IF EXISTS {YEAR_ITEMS.name}"))
        YEAR_ITEMS.create(conn)
        if conn.dialect.name == "postgresql":
            # PostgreSQL scans in parallel for a SELECT but never for INSERT … SELECT: read
            # the ids (one parallel pass), then insert them as one array.
            pids = list(session.scalars(items_of_year(year)))
            conn.execute(
                text(
                    f"INSERT INTO {YEAR_ITEMS.name} (pid) SELECT unnest(CAST(:pids AS integer[]))"
                ),
                {"pids": pids},
            )
        else:
            conn.execute(insert(YEAR_ITEMS).from_select(["pid"], items_of_year(year)))
        session.info[YEAR_ITEMS.name] = year
    return select(YEAR_ITEMS.c.pid)


def in_catalog_order(counts: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """Counts in the configured order (the seed's), anything not configured after, by name."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def year_figures(session: Session, year: int) -> YearFigures:
    """Roll the ledger up into the year's figures: one pass for the year's items, then its rows."""
    items = year_items(session, year)
    total = session.scalar(select(func.count()).select_from(YEAR_ITEMS)) or 0
    by_category = dict(
        session.execute(
            select(Publication.category, func.count())
            .where(Publication.id.in_(items))
            .group_by(Publication.category)
        ).all()
    )
    channel = LedgerEntry.payload["channel"].as_string()
    url = LedgerEntry.payload["url"].as_string()
    # One row per (item, channel) of the year's items, read from the year's items outward
    # through the index; by channel, multi-channel and full text are counted from it.
    has_url = func.max(case((func.coalesce(url, "") != "", 1), else_=0))
    per_channel = session.execute(
        select(LedgerEntry.publication_id, channel, has_url)
        .select_from(YEAR_ITEMS)
        .join(
            LedgerEntry,
            and_(
                LedgerEntry.kind == LedgerKind.PUBLISHED,
                LedgerEntry.publication_id == YEAR_ITEMS.c.pid,
            ),
        )
        .group_by(LedgerEntry.publication_id, channel)
    ).all()
    by_channel: dict[str, int] = {}
    channels_of: dict[int, int] = {}
    with_url: set[int] = set()
    for pid, name, url_given in per_channel:
        by_channel[name] = by_channel.get(name, 0) + 1
        channels_of[pid] = channels_of.get(pid, 0) + 1
        if url_given:
            with_url.add(pid)
    multi_channel = sum(1 for n in channels_of.values() if n > 1)
    with_full_text = len(with_url)
    level = LedgerEntry.payload["level"].as_string()
    adopted = dict(
        session.execute(
            select(level, func.count())
            .select_from(YEAR_ITEMS)
            .join(
                LedgerEntry,
                and_(
                    LedgerEntry.kind == LedgerKind.ADOPTED,
                    LedgerEntry.publication_id == YEAR_ITEMS.c.pid,
                ),
            )
            .group_by(level)
        ).all()
    )
    confidential = LedgerEntry.payload["confidentiality"].as_boolean()
    retractions, leaks = session.execute(
        select(func.count(), func.coalesce(func.sum(case((confidential, 1), else_=0)), 0)).where(
            LedgerEntry.kind == LedgerKind.RETRACTED, _in_year(LedgerEntry.created_at, year)
        )
    ).one()
    catalog = catalog_mod.load()
    uncategorised = by_category.pop("", 0)
    by_channel_category = (
        _by_channel_category(session, catalog, by_channel) if catalog.per_channel else {}
    )
    return YearFigures(
        year=year,
        total=total,
        by_category=in_catalog_order(by_category, catalog.categories),
        by_channel=in_catalog_order(by_channel, tuple(catalog.channels)),
        multi_channel=multi_channel or 0,
        with_full_text=with_full_text or 0,
        adopted_central=adopted.get("central", 0),
        adopted_provincial=adopted.get("provincial", 0),
        retractions=retractions,
        leak_incidents=int(leaks),
        by_channel_category=by_channel_category,
        uncategorised=uncategorised,
    )


def _by_channel_category(
    session: Session, catalog: catalog_mod.Catalog, by_channel: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Each channel with categories of its own: its items by category, in the catalog's order."""
    channel = LedgerEntry.payload["channel"].as_string()
    counts = session.execute(
        select(channel, Publication.category, func.count(LedgerEntry.publication_id.distinct()))
        .select_from(YEAR_ITEMS)
        .join(
            LedgerEntry,
            and_(
                LedgerEntry.kind == LedgerKind.PUBLISHED,
                LedgerEntry.publication_id == YEAR_ITEMS.c.pid,
            ),
        )
        .join(Publication, Publication.id == YEAR_ITEMS.c.pid)
        .group_by(channel, Publication.category)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for name in in_catalog_order(by_channel, tuple(catalog.channels)):
        own = catalog.categories_of(name)
        if own:
            found = {cat: n for ch, cat, n in counts if ch == name and cat}
            out[name] = in_catalog_order(found, own)
    return out


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile, interpolating linearly between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stage_durations(session: Session, year: int) -> dict[str, list[float]]:
    """Hours from each stage's opening to its decision, for decisions taken in `year`."""
    # A stage opens at the entry before its decision in this filtered stream: the
    # (re)submission for 初审, the previous stage's approval for the later stages.
    stream = (
        select(
            LedgerEntry.kind,
            LedgerEntry.stage,
            LedgerEntry.created_at,
            func.lag(LedgerEntry.created_at)
            .over(partition_by=LedgerEntry.publication_id, order_by=LedgerEntry.id)
            .label("opened_at"),
        )
        .where(
            LedgerEntry.kind.in_([LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED, LedgerKind.DECIDED])
        )
        .subquery("stage_stream")
    )
    rows = session.execute(
        select(stream.c.stage, stream.c.opened_at, stream.c.created_at).where(
            stream.c.kind == LedgerKind.DECIDED,
            stream.c.opened_at.is_not(None),
            _in_year(stream.c.created_at, year),
        )
    )
    durations: dict[str, list[float]] = {}
    for stage, opened_at, decided_at in rows:
        if isinstance(opened_at, str):  # SQLite may hand a window function's value back raw
            opened_at = datetime.fromisoformat(opened_at)
        waited: timedelta = as_utc(decided_at) - as_utc(opened_at)
        durations.setdefault(stage, []).append(waited.total_seconds() / 3600)
    return durations


def _items_with(*conditions) -> Select:
    """How many of the year's items have an entry meeting `conditions` (read item by item)."""
    return (
        select(func.count(YEAR_ITEMS.c.pid.distinct()))
        .select_from(YEAR_ITEMS)
        .join(LedgerEntry, and_(LedgerEntry.publication_id == YEAR_ITEMS.c.pid, *conditions))
    )


def management_annex(session: Session, year: int) -> ManagementAnnex:
    """Items per unit, the returned-for-revision rate and the time spent at each stage."""
    items = year_items(session, year)
    by_unit = [
        (code, name, count)
        for code, name, count in session.execute(
            select(Unit.code, Unit.name, func.count(Publication.id))
            .join(Publication, Publication.unit_id == Unit.id)
            .where(Publication.id.in_(items))
            .group_by(Unit.code, Unit.name)
            .order_by(func.count(Publication.id).desc(), Unit.code)
        )
    ]
    reviewed = session.scalar(_items_with(LedgerEntry.kind == LedgerKind.SUBMITTED))
    returned = session.scalar(
        _items_with(LedgerEntry.kind == LedgerKind.DECIDED, LedgerEntry.outcome == "return")
    )
    durations = _stage_durations(session, year)
    stages = []
    for stage in Stage:
        hours = durations.get(stage.value, [])
        stages.append(
            StageTiming(
                stage=stage.value,
                decisions=len(hours),
                median_hours=statistics.median(hours) if hours else None,
                p90_hours=percentile(hours, 0.9) if hours else None,
            )
        )
    return ManagementAnnex(
        year=year,
        by_unit=by_unit,
        reviewed=reviewed or 0,
        returned=returned or 0,
        stages=stages,
        checkpoint=year_checkpoint(year),
    )


def year_checkpoint(year: int, log: list[Checkpoint] | None = None) -> Checkpoint | None:
    """The last checkpoint of the local log signed before the office's year ended."""
    end = year_bounds(year)[1]
    made = [
        c
        for c in (checkpoints.read_log() if log is None else log)
        if datetime.fromisoformat(c.time.replace("Z", "+00:00")) < end
    ]
    return max(made, key=lambda c: c.size, default=None)
