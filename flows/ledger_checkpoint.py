"""The `ledger-checkpoint` flow: sign the ledger's size and head, and publish it off the database.

Deployed on a schedule (deployments/prefect.yaml), besides the checkpoint every publication
makes. The checkpoint goes into the checkpoint log beside the database and onto the public site
(/ledger/checkpoints.json and its page), where whoever edits the database cannot take it back.
Without a key, or on a ledger that no longer extends the last checkpoint, nothing is signed: the
run ends Failed with the reason, which the artifact and the next `ledger verify` also name.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed

from pubreview import clock, db
from pubreview.ledger import checkpoints
from pubreview.site import default_out_dir
from pubreview.site.ledger_pages import CHECKPOINTS_PATH, publish_checkpoints

ARTIFACT_KEY = "ledger-checkpoint"


def summary_markdown(
    made: checkpoints.Checkpoint | None, missing: str | None, published: str | None
) -> str:
    """The run's artifact: the checkpoint signed and where it was published, or why none was."""
    if made is None:
        return (
            f"# 台帐检查点：未签发\n\n{missing}\n\n"
            "请处理后再运行本部署，或运行 `pubreview ledger checkpoint`。\n"
        )
    where = (
        f"已发布到网站：`{published}`（`/{CHECKPOINTS_PATH}`）"
        if published
        else "网站尚未生成，检查点只写入了检查点日志；网站生成后会一并发布"
    )
    return "\n".join(
        [
            "# 台帐检查点",
            "",
            "| 项 | 值 |",
            "|---|---|",
            f"| 时间 | {clock.local_time(made.time)} |",
            f"| 条数 | {made.size} |",
            f"| 末条哈希 | `{made.head}` |",
            f"| Merkle 根 | `{made.root}` |",
            f"| 签名密钥 | `{made.key_id}` |",
            f"| 检查点日志 | `{checkpoints.log_path()}` |",
            "",
            where,
            "",
        ]
    )


@flow(name="ledger-checkpoint")
def ledger_checkpoint(database_url: str | None = None, site_dir: str | None = None):
    """Sign a checkpoint, log it and publish the log on the site; Failed (with why) if none."""
    engine = db.engine_for(database_url) if database_url else None
    with db.transaction(engine) as session:
        # The first scheduled run may make the key, as the first publication would.
        made, missing = checkpoints.make_if_possible(session, create_key=True)
    with db.transaction(engine) as session:
        published = publish_checkpoints(session, Path(site_dir) if site_dir else default_out_dir())
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(made, missing, published))
    if made is None:
        get_run_logger().error(missing)
        return Failed(message=missing)
    get_run_logger().info("checkpoint %s: %d entries, head %s", made.time, made.size, made.head)
    return {**made.to_dict(), "log": str(checkpoints.log_path()), "published": published}


if __name__ == "__main__":
    print(ledger_checkpoint())
