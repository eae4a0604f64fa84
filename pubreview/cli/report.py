"""`pubreview report YEAR`: the 政府信息公开工作年度报告 from the ledger and a supplement."""

from __future__ import annotations

import argparse
from pathlib import Path

from pubreview import db, settings
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError
from pubreview.report import supplement
from pubreview.report.build import build_report


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report` command."""
    parser = sub.add_parser(
        "report",
        help="write the annual report (政府信息公开工作年度报告) as Markdown, HTML and DOCX",
        description="Roll the ledger up for YEAR, add the supplement's figures and paragraphs, "
        "check every total, and write Markdown, HTML and DOCX. Problems are listed in the "
        "report's 校验 section and here; nothing is corrected.",
    )
    parser.add_argument("year", type=int, help="the calendar year reported on (office time)")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=supplement.FORMATS,
        default="national",
        help="national: the tables of 国办公开办函〔2021〕30号 (default); "
        "narrative: the pre-2019 narrative report",
    )
    parser.add_argument(
        "--supplement", type=Path, help="the YAML supplement (default: supplement-YEAR.yaml)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default: DATA_DIR/reports/YEAR)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any check finds a problem")
    parser.add_argument(
        "--init-supplement",
        action="store_true",
        help="write a supplement template for YEAR (to --supplement or supplement-YEAR.yaml)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    path = args.supplement or Path(f"supplement-{args.year}.yaml")
    if args.init_supplement:
        written = supplement.write_template(path, args.year)
        emit(
            args,
            {"supplement": str(written)},
            f"wrote {written}: fill it in, then run `pubreview report {args.year} "
            f"--supplement {written}`",
        )
        return 0
    if not path.exists():
        raise ValidationError(
            f"no supplement {path}: create one with `pubreview report {args.year} "
            "--init-supplement` (or name it with --supplement)"
        )
    out = args.out or settings.load().data_dir / "reports" / str(args.year)
    report = build_report(db.default_engine(), args.year, args.fmt, path, out)
    lines = [f"{args.year} annual report ({args.fmt}): {report.figures.total} items published"]
    lines += [f"  {kind}: {file}" for kind, file in report.files.items()]
    if report.problems:
        lines.append(f"校验: {len(report.problems)} problem(s):")
        lines += [f"  {p}" for p in report.problems]
    else:
        lines.append("校验: all checks pass")
    emit(args, report.summary(), "\n".join(lines))
    return 1 if args.strict and report.problems else 0
