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
- Each item's first `published_at`, channels, URL given and adoptions are kept in its
  `item_summaries` row, written with its published and adopted entries and rebuilt from them
  by `ledger verify` (pubreview.ledger.summary): the year's figures are one GROUP BY over the
  year's rows (by category, channel set and URL given) and sums over its few result rows, and
  the retractions one count over the year's retraction entries (the kind index).
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
    Select,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session

from models import ItemSummary, LedgerEntry, LedgerKind, Publication, Stage, Unit
from models.base import as_utc
from pubreview.ledger import checkpoints, payload_field, summary
from pubreview.ledger.checkpoints import Checkpoint
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing import catalog as catalog_mod
from pubreview.publishing.entries import Retracted


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


def year_items(year: int) -> Select:
    """SELECT the ids of the items whose first publication falls in `year`."""
    return select(ItemSummary.publication_id).where(ItemSummary.year == f"{year:04d}")


def in_catalog_order(counts: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """Counts in the configured order (the seed's), anything not configured after, by name."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def year_figures(session: Session, year: int) -> YearFigures:
    """Roll the ledger up into the year's figures: one GROUP BY over the year's item rows."""
    # One row per (category, channel set, URL given) over the year's items, from the items'
    # summary rows (kept with their entries, checked by `ledger verify`); every figure is a
    # sum over these few rows.
    rows = session.execute(
        select(
            Publication.category,
            ItemSummary.channels,
            ItemSummary.with_url,
            func.count(),
            func.sum(ItemSummary.adopted_central),
            func.sum(ItemSummary.adopted_provincial),
        )
        .join(Publication, Publication.id == ItemSummary.publication_id)
        .where(ItemSummary.year == f"{year:04d}")
        .group_by(Publication.category, ItemSummary.channels, ItemSummary.with_url)
    ).all()
    total = multi_channel = with_full_text = adopted_central = adopted_provincial = 0
    by_category: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    channel_category: dict[tuple[str, str], int] = {}
    for category, channels, url_given, n, central, provincial in rows:
        names = summary.channels_of(channels)
        total += n
        by_category[category] = by_category.get(category, 0) + n
        for name in names:
            by_channel[name] = by_channel.get(name, 0) + n
            channel_category[name, category] = channel_category.get((name, category), 0) + n
        multi_channel += n if len(names) > 1 else 0
        with_full_text += n if url_given else 0
        adopted_central += central or 0
        adopted_provincial += provincial or 0
    confidential = payload_field(Retracted, "confidentiality").as_boolean()
    retractions, leaks = session.execute(
        select(func.count(), func.coalesce(func.sum(case((confidential, 1), else_=0)), 0)).where(
            LedgerEntry.kind == LedgerKind.RETRACTED, _in_year(LedgerEntry.created_at, year)
        )
    ).one()
    catalog = catalog_mod.load()
    uncategorised = by_category.pop("", 0)
    by_channel_category = (
        _by_channel_category(catalog, by_channel, channel_category) if catalog.per_channel else {}
    )
    return YearFigures(
        year=year,
        total=total,
        by_category=in_catalog_order(by_category, catalog.categories),
        by_channel=in_catalog_order(by_channel, tuple(catalog.channels)),
        multi_channel=multi_channel,
        with_full_text=with_full_text,
        adopted_central=adopted_central,
        adopted_provincial=adopted_provincial,
        retractions=retractions,
        leak_incidents=int(leaks),
        by_channel_category=by_channel_category,
        uncategorised=uncategorised,
    )


def _by_channel_category(
    catalog: catalog_mod.Catalog,
    by_channel: dict[str, int],
    counts: dict[tuple[str, str], int],
) -> dict[str, dict[str, int]]:
    """Each channel with categories of its own: its items by category, in the catalog's order."""
    out: dict[str, dict[str, int]] = {}
    for name in in_catalog_order(by_channel, tuple(catalog.channels)):
        own = catalog.categories_of(name)
        if own:
            found = {cat: n for (ch, cat), n in counts.items() if ch == name and cat}
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


def _items_with(year: int, *conditions) -> Select:
    """How many of the year's items have an entry meeting `conditions` (read item by item)."""
    return (
        select(func.count(ItemSummary.publication_id.distinct()))
        .select_from(ItemSummary)
        .join(
            LedgerEntry, and_(LedgerEntry.publication_id == ItemSummary.publication_id, *conditions)
        )
        .where(ItemSummary.year == f"{year:04d}")
    )


def management_annex(session: Session, year: int) -> ManagementAnnex:
    """Items per unit, the returned-for-revision rate and the time spent at each stage."""
    items = year_items(year)
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
    reviewed = session.scalar(_items_with(year, LedgerEntry.kind == LedgerKind.SUBMITTED))
    returned = session.scalar(
        _items_with(year, LedgerEntry.kind == LedgerKind.DECIDED, LedgerEntry.outcome == "return")
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
