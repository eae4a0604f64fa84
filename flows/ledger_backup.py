"""The `ledger-backup` flow: a verified backup into a new dated folder; old ones removed.

Deployed on a schedule (deployments/prefect.yaml). Each run writes PUBREVIEW_BACKUP_DIR/<time>
with `pubreview ledger backup` (database, checkpoint log, public key, site, manifest; the copy
verified against the checkpoints), then removes backups older than PUBREVIEW_BACKUP_KEEP_DAYS,
never the newest verified one. A copy that does not verify ends the run Failed, naming why.
The run may come during office hours: on PostgreSQL pg_dump reads a read-only snapshot and
holds no lock a decision waits for; on SQLite writers wait only for the online backup's copy.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed

from models.base import utcnow
from pubreview import clock, settings
from pubreview.ledger import backup, retention
from pubreview.requests import files as _request_files  # noqa: F401  registers its ledger verify check
from pubreview.review import replay as _replay  # noqa: F401  registers its ledger verify check
from pubreview.site import default_out_dir

ARTIFACT_KEY = "ledger-backup"


def summary_markdown(summary: backup.BackupSummary, removed: list[Path], keep_days: int) -> str:
    """The run's artifact: where the backup is, what verifying it found, what was removed."""
    verdict = "已核验" if summary.verified else "**核验未通过**"
    lines = [
        f"# 台帐备份：{verdict}",
        "",
        f"- 目录：`{summary.folder}`",
        f"- 数据库：{summary.database}，{summary.entries} 条，末条哈希 `{summary.head}`",
        f"- 文件：{len(summary.files)} 个（SHA-256 见 manifest.json）",
        f"- 检查点：{summary.checkpoint['time'] if summary.checkpoint else '本次未签发'}",
        "",
        "## 核验结果",
        "",
        *[f"    {line}" for line in summary.report],
        "",
        f"## 保留 {keep_days} 天",
        "",
    ]
    lines += [f"- 已删除 `{p}`" for p in removed] or ["- 没有过期的备份"]
    return "\n".join(lines) + "\n"


@flow(name="ledger-backup")
def ledger_backup(
    database_url: str | None = None,
    backup_dir: str | None = None,
    keep_days: int | None = None,
    site_dir: str | None = None,
):
    """Back up into a new folder under the backup directory, verify it, remove expired ones."""
    current = settings.load()
    root = Path(backup_dir) if backup_dir else current.backups
    keep = current.backup_keep_days if keep_days is None else keep_days
    now = utcnow()
    folder = root / retention.folder_name(clock.local(now))
    summary = backup.backup(
        folder,
        database_url or current.database_url,
        Path(site_dir) if site_dir else default_out_dir(),
    )
    # Only a good copy lets older ones go.
    removed = retention.prune(root, keep, now) if summary.verified else []
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(summary, removed, keep))
    if not summary.verified:
        reason = "备份副本核验未通过：" + "；".join(summary.report)
        get_run_logger().error(reason)
        return Failed(message=reason)
    get_run_logger().info("backup %s: %d entries", summary.folder, summary.entries)
    return {**summary.to_dict(), "removed": [str(p) for p in removed]}


if __name__ == "__main__":
    print(ledger_backup())
