"""The `annual-report` flow: the 政府信息公开工作年度报告, with its summary and tables as artifacts.

It calls the same `build_report` as `pubreview report`, so the files are the same; on top it
leaves the report, the ledger figures, Table 三 and the 校验 list on the run in the Prefect UI.
Scheduled for January (departments report by 31 January), it reports on the year just ended.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pubreview import db
from pubreview.publishing import local_now
from pubreview.report import render
from pubreview.report import supplement as supplement_mod
from pubreview.report.build import Report, build_report
from pubreview.report.tables import TABLE3_COLUMNS


def last_year() -> int:
    """The year before this one in the office's time zone (Asia/Shanghai by default)."""
    return local_now().year - 1


# NO_CACHE: a rerun after the supplement was edited must write the report again.
@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def build(
    year: int, fmt: str | None, supplement: str, out_dir: str, database_url: str | None
) -> Report:
    """Roll up the ledger, check and write the files (retried: the database may be busy)."""
    engine = db.engine_for(database_url) if database_url else db.default_engine()
    return build_report(engine, year, fmt, Path(supplement), Path(out_dir))


@task(cache_policy=NO_CACHE)
def leave_artifacts(report: Report) -> None:
    """The report, its figures, Table 三 (national) and its problems, on the run."""
    key = f"annual-report-{report.year}-{report.fmt}"
    create_markdown_artifact(
        render.markdown(report.doc),
        key=key,
        description=f"{report.year}年度政府信息公开工作年度报告",
    )
    f = report.figures
    figures = [{"维度": "合计", "项目": "本年公开信息", "条数": f.total}]
    figures += [{"维度": "内容分类", "项目": k, "条数": v} for k, v in f.by_category.items()]
    figures += [{"维度": "发布渠道", "项目": k, "条数": v} for k, v in f.by_channel.items()]
    figures += [
        {"维度": "媒体采用", "项目": "中央级", "条数": f.adopted_central},
        {"维度": "媒体采用", "项目": "省级", "条数": f.adopted_provincial},
        {"维度": "撤回", "项目": "其中涉密（泄密事件）", "条数": f.leak_incidents},
    ]
    create_table_artifact(figures, key=f"{key}-ledger", description="台帐统计（按内容、按渠道）")
    if report.supplement.table3 is not None:
        rows = [
            {
                "行": row.full_label,
                **dict(zip(TABLE3_COLUMNS, report.supplement.table3[row.key], strict=True)),
            }
            for row in report.edition.table3_rows
        ]
        create_table_artifact(rows, key=f"{key}-table3", description="表三 收到和处理申请情况")
    problems = [{"级别": p.severity, "位置": p.where, "问题": p.message} for p in report.problems]
    problems += [
        {"级别": "未核对", "位置": r.claim.where, "问题": f"「{r.claim.quote()}」{r.detail}"}
        for r in report.result.claims.results
        if r.status == "unchecked"
    ]
    create_table_artifact(
        problems or [{"级别": "ok", "位置": "全部", "问题": "全部校验通过"}],
        key=f"{key}-checks",
        description=f"校验：{len(report.problems)} 处问题；{report.result.claims.summary()}",
    )


@flow(name="annual-report", log_prints=True)
def annual_report(
    year: int | None = None,
    fmt: str | None = None,
    supplement: str | None = None,
    out_dir: str | None = None,
    database_url: str | None = None,
) -> dict:
    """Write the year's report (default: last year, in its year's edition) with artifacts."""
    year = year or last_year()
    supplement = supplement or str(supplement_mod.default_path(year))
    out_dir = out_dir or str(supplement_mod.reports_dir(year))
    report = build(year, fmt, supplement, out_dir, database_url)
    leave_artifacts(report)
    logger = get_run_logger()
    logger.info(
        "%s: %d items, %d problem(s)",
        report.files["markdown"],
        report.figures.total,
        len(report.problems),
    )
    for problem in report.problems:
        logger.warning("校验 %s", problem)
    return report.summary()


if __name__ == "__main__":
    import sys

    print(annual_report(int(sys.argv[1]) if len(sys.argv) > 1 else None))
