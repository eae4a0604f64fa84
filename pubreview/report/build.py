"""One annual report, start to finish: roll up, read the supplement, check, write the files.

The CLI command and the Prefect flow both call `build_report`, so they produce the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pubreview import db
from pubreview.errors import ValidationError
from pubreview.report import (
    document,
    formats,
    ledger_tables,
    privacy,
    render,
    rollup,
    sentences,
    supplement,
)
from pubreview.report.checks import CheckResult, Problem, check
from pubreview.report.formats import Edition
from pubreview.requests.tables import YearTables


@dataclass(frozen=True)
class Report:
    """What a report run produced."""

    year: int
    edition: Edition
    figures: rollup.YearFigures
    annex: rollup.ManagementAnnex
    supplement: supplement.Supplement
    result: CheckResult
    doc: document.Document
    files: dict[str, Path]

    @property
    def fmt(self) -> str:
        """The edition's key (narrative, national-2019, national)."""
        return self.edition.key

    @property
    def problems(self) -> list[Problem]:
        """Every problem the checks found."""
        return self.result.problems

    def summary(self) -> dict:
        """The report's figures and problems as plain data (for --json and artifacts)."""
        f = self.figures
        return {
            "year": self.year,
            "format": self.fmt,
            "edition": self.edition.name,
            "draft": self.result.draft,
            "total": f.total,
            "by_category": f.by_category,
            "by_channel": f.by_channel,
            "multi_channel": f.multi_channel,
            "full_text_rate": sentences.percent(f.full_text_rate) if f.with_full_text else None,
            "adopted": {"central": f.adopted_central, "provincial": f.adopted_provincial},
            "retractions": f.retractions,
            "leak_incidents": f.leak_incidents,
            "annex": {
                "by_unit": [{"unit": c, "name": n, "items": k} for c, n, k in self.annex.by_unit],
                "reviewed": self.annex.reviewed,
                "returned": self.annex.returned,
                "stages": [s.__dict__ for s in self.annex.stages],
            },
            "tables_from_ledger": sorted(self.supplement.from_ledger),
            "problems": [p.__dict__ for p in self.problems],
            "claims": self.result.claims.as_dict(),
            "files": {k: str(v) for k, v in self.files.items()},
        }


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """One consistent view of the ledger for every query of the roll-up."""
    if engine.dialect.name == "postgresql":
        # READ COMMITTED would let an append land between two of the roll-up's queries.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with db.transaction(engine) as session:
        yield session


def previous_edition(year: int, edition: Edition) -> Edition:
    """The edition last year's supplement is read in (its own, if it had tables)."""
    last = formats.for_year(year - 1)
    return last if last.has_tables else edition


def previous_supplement(
    path: Path, year: int, edition: Edition, tables: YearTables | None = None
) -> supplement.Supplement | None:
    """Last year's supplement beside this one (the year in the file name one less), if any.

    `tables` are last year's from the request ledger, when it tracked them.
    """
    name = path.name.replace(str(year), str(year - 1))
    candidate = path.with_name(name)
    if name == path.name or not candidate.exists():
        return None
    last = previous_edition(year, edition)
    sup = supplement.load(candidate, year - 1, last, from_ledger=ledger_tables.supplied(tables))
    ledger_tables.merge(sup, tables)
    return sup


def _previous(
    path: Path, year: int, edition: Edition, tables: YearTables | None
) -> tuple[supplement.Supplement | None, list[Problem]]:
    """Last year's supplement for the carry-over check; a broken one is a warning, not a stop."""
    try:
        return previous_supplement(path, year, edition, tables), []
    except ValidationError as exc:
        first = str(exc).splitlines()[0]
        return None, [Problem("上年补充材料", f"无法读取，未核对上年结转：{first}", "warning")]


def tables_from_ledger(engine: Engine, year: int, edition: Edition) -> frozenset[str]:
    """The supplement parts the request ledger supplies for `year` (for the template)."""
    with snapshot(engine) as session:
        return ledger_tables.supplied(ledger_tables.for_year(session, year, edition))


def choose_edition(year: int, fmt: str | None) -> tuple[Edition, list[Problem]]:
    """The edition asked for, or the year's; a choice that does not fit the year is a warning."""
    chosen = formats.edition(fmt) if fmt else formats.for_year(year)
    due = formats.for_year(year)
    if chosen is due:
        return chosen, []
    return chosen, [
        Problem(
            "格式",
            f"{year}年度的报告应采用{due.name}，本报告按{chosen.name}生成",
            severity="warning",
        )
    ]


def build_report(
    engine: Engine, year: int, fmt: str | None, supplement_path: Path, out_dir: Path
) -> Report:
    """Produce the year's report under out_dir (edition by year unless `fmt`); nothing is fixed."""
    edition, warnings = choose_edition(year, fmt)
    if not supplement_path.exists():
        raise ValidationError(f"没有补充材料文件 {supplement_path}")
    with snapshot(engine) as session:
        figures = rollup.year_figures(session, year)
        annex = rollup.management_annex(session, year)
        tables = ledger_tables.for_year(session, year, edition)
        last_tables = ledger_tables.for_year(session, year - 1, previous_edition(year, edition))
        names = privacy.applicant_names(session)
    sup = supplement.load(
        supplement_path, year, edition, from_ledger=ledger_tables.supplied(tables)
    )
    warnings += ledger_tables.merge(sup, tables)
    previous, more = _previous(supplement_path, year, edition, last_tables)
    warnings += more
    result = check(figures, sup, previous, applicant_names=names)
    result.problems[:0] = warnings
    doc = document.report_document(figures, annex, sup, result)
    files = render.write_all(doc, out_dir, f"annual-report-{year}-{edition.key}")
    return Report(year, edition, figures, annex, sup, result, doc, files)
