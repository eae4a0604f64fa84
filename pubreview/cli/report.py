"""`pubreview report YEAR`: the 政府信息公开工作年度报告 from the ledger and a supplement;
`pubreview report audit FILE…`: the same checks on published reports (年报质量检查)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from pubreview import db, settings
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError
from pubreview.report import audit, formats, privacy, supplement
from pubreview.report.build import build_report, choose_edition, tables_from_ledger
from pubreview.report.claim_checks import UNCHECKED

FORMAT_HELP = (
    "narrative: the pre-2019 narrative report; national-2019: the tables of "
    "国办公开办函〔2019〕60号 (reports on 2019 and 2020); national: 国办公开办函〔2021〕30号 "
    "(2021 on). Default: the one the year's report was due in."
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report` command."""
    parser = sub.add_parser(
        "report",
        help="write the annual report (政府信息公开工作年度报告), or audit published ones",
        description="`report YEAR`: roll the ledger up for YEAR, add the supplement's figures "
        "and paragraphs, check every total and every figure the text quotes, and write "
        "Markdown, HTML and DOCX. `report audit FILE…`: read published reports (HTML, DOCX, "
        "PDF, text; a folder for all in it), run the same checks and list every finding; "
        "exit 1 if something is contradicted, 2 if a file cannot be read.",
    )
    parser.add_argument("year", help="the calendar year reported on (office time), or `audit`")
    parser.add_argument("files", nargs="*", type=Path, help="with `audit`: report files or folders")
    parser.add_argument(
        "--format", dest="fmt", choices=[*formats.EDITIONS, *formats.ALIASES], help=FORMAT_HELP
    )
    parser.add_argument(
        "--supplement",
        type=Path,
        help="the YAML supplement (default: DATA_DIR/reports/YEAR/supplement-YEAR.yaml)",
    )
    parser.add_argument("--out", type=Path, help="output folder (default: DATA_DIR/reports/YEAR)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any check finds a problem or a gap"
    )
    parser.add_argument(
        "--init-supplement",
        action="store_true",
        help="write a supplement template for YEAR (to --supplement or the default above)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.year == "audit":
        return _audit(args)
    try:
        year = int(args.year)
    except ValueError:
        raise ValidationError(
            f"「{args.year}」不是年份：写年报用 `pubreview report 2024`，"
            "检查已发布的年报用 `pubreview report audit 文件`"
        ) from None
    if args.files:
        raise ValidationError("只有 `pubreview report audit` 接受文件")
    path = args.supplement or supplement.default_path(year)
    if args.init_supplement:
        edition, _ = choose_edition(year, args.fmt)
        try:
            ledger, note = tables_from_ledger(db.default_engine(), year, edition), ""
        except OperationalError:
            # A template is worth writing without the ledger: it then asks for every table.
            ledger, note = frozenset(), "（无法读取台帐，模板按补充材料填写表三、表四）"
        written = supplement.write_template(path, year, edition, from_ledger=ledger)
        from_ledger = "表三、表四由台帐统计生成，" if ledger else ""
        emit(
            args,
            {
                "supplement": str(written),
                "format": edition.key,
                "tables_from_ledger": sorted(ledger),
            },
            f"已写出补充材料模板 {written}（{edition.name}）{note}：{from_ledger}填写后运行 "
            f"`pubreview report {year}`" + (f" --supplement {written}" if args.supplement else ""),
        )
        return 0
    if not path.exists():
        raise ValidationError(
            f"没有补充材料 {path}：先用 `pubreview report {year} --init-supplement` 生成模板"
            "（或用 --supplement 指定文件）"
        )
    out = args.out or supplement.reports_dir(year)
    report = build_report(db.default_engine(), year, args.fmt, path, out)
    result = report.result
    draft = "（草稿：补充材料仍有占位文字）" if result.draft else ""
    lines = [
        f"{year}年度报告（{report.edition.name}）{draft}：本年公开信息 {report.figures.total} 条"
    ]
    lines += [f"  {kind}: {file}" for kind, file in report.files.items()]
    if result.problems:
        lines.append(f"校验：发现 {len(result.problems)} 处问题：")
        lines += [f"  {p}" for p in result.problems]
    lines.append(f"校验：{result.claims.summary()}")
    lines += [f"  {r}" for r in result.claims.results if r.status == UNCHECKED]
    if result.all_pass:
        lines.append("校验：全部校验通过")
    emit(args, report.summary(), "\n".join(lines))
    # A draft is never a finished report: it fails even without --strict.
    return 1 if result.draft or (args.strict and result.problems) else 0


def _applicant_names() -> tuple[str, ...]:
    """The request ledger's applicants, when this machine has the office's ledger (else none).

    `report audit` also serves reports of other offices, with no ledger at hand: it then
    looks for ID and mobile numbers only, and never creates a database to look in.
    """
    url = make_url(settings.load().database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return ()
    try:
        with db.snapshot() as session:
            return privacy.applicant_names(session)
    except DBAPIError:
        return ()


def _audit(args: argparse.Namespace) -> int:
    if not args.files:
        raise ValidationError("请指定要检查的年报文件或文件夹：pubreview report audit 文件…")
    files = audit.report_files(args.files)
    if not files:
        raise ValidationError(f"{'、'.join(map(str, args.files))} 中没有年报文件")
    audits: list[audit.Audit] = []
    unreadable: list[tuple[Path, str]] = []
    names = _applicant_names()
    for path in files:
        try:
            audits.append(audit.audit_file(path, args.fmt, applicant_names=names))
        except ValidationError as exc:
            unreadable.append((path, str(exc)))
    lines: list[str] = []
    for a in audits:
        lines += audit.describe(a)
    lines += [f"{path}: 无法读取：{why}" for path, why in unreadable]
    if len(files) > 1:
        lines.append("")
        lines.append("汇总：文件 | 年度 | 发布机构 | 格式 | 错误 | 警告 | 正文数字 | 矛盾 | 未核对")
        for a in audits:
            row = a.summary_row()
            lines.append(
                f"{row['file']} | {row['year'] or ''} | {row['office']} | {row['edition']} | "
                f"{row['errors']} | {row['warnings']} | {row['claims']} | "
                f"{row['contradicted']} | {row['unchecked']}"
            )
        lines += [f"{path} | 无法读取" for path, _ in unreadable]
    data = {
        "reports": [a.as_dict() for a in audits],
        "unreadable": [{"file": str(p), "message": m} for p, m in unreadable],
    }
    emit(args, data, "\n".join(lines))
    if unreadable:
        return 2
    failed = any(a.contradicted for a in audits)
    if args.strict:
        failed = failed or any(a.problems for a in audits)
    return 1 if failed else 0
