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
from pubreview.report import document, render, rollup, supplement
from pubreview.report.checks import Problem, check


@dataclass(frozen=True)
class Report:
    """What a report run produced."""

    year: int
    fmt: str
    figures: rollup.YearFigures
    annex: rollup.ManagementAnnex
    supplement: supplement.Supplement
    problems: list[Problem]
    doc: document.Document
    files: dict[str, Path]

    def summary(self) -> dict:
        """The report's figures and problems as plain data (for --json and artifacts)."""
        f = self.figures
        return {
            "year": self.year,
            "format": self.fmt,
            "total": f.total,
            "by_category": f.by_category,
            "by_channel": f.by_channel,
            "multi_channel": f.multi_channel,
            "full_text_rate": document.percent(f.full_text_rate),
            "adopted": {"central": f.adopted_central, "provincial": f.adopted_provincial},
            "retractions": f.retractions,
            "leak_incidents": f.leak_incidents,
            "annex": {
                "by_unit": [{"unit": c, "name": n, "items": k} for c, n, k in self.annex.by_unit],
                "reviewed": self.annex.reviewed,
                "returned": self.annex.returned,
                "stages": [s.__dict__ for s in self.annex.stages],
            },
            "problems": [p.__dict__ for p in self.problems],
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


def previous_supplement(path: Path, year: int, fmt: str) -> supplement.Supplement | None:
    """Last year's supplement beside this one (the year in the file name one less), if any."""
    name = path.name.replace(str(year), str(year - 1))
    candidate = path.with_name(name)
    if name == path.name or not candidate.exists():
        return None
    return supplement.load(candidate, year - 1, fmt)


def build_report(
    engine: Engine, year: int, fmt: str, supplement_path: Path, out_dir: Path
) -> Report:
    """Produce the year's report in `fmt` under out_dir; problems are listed, not fixed."""
    if fmt not in supplement.FORMATS:
        raise ValidationError(f"unknown format {fmt!r} (one of {', '.join(supplement.FORMATS)})")
    sup = supplement.load(supplement_path, year, fmt)
    previous = previous_supplement(supplement_path, year, fmt)
    with snapshot(engine) as session:
        figures = rollup.year_figures(session, year)
        annex = rollup.management_annex(session, year)
    problems = check(figures, sup, previous)
    build = document.narrative_document if fmt == "narrative" else document.national_document
    doc = build(figures, annex, sup, problems)
    files = render.write_all(doc, out_dir, f"annual-report-{year}-{fmt}")
    return Report(year, fmt, figures, annex, sup, problems, doc, files)
