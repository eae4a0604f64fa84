"""What a deadline flow's run leaves in Prefect: its log lines and one markdown artifact.

`request-deadlines` and `step-deadlines` send different notices by the same rules (once each,
none on days off or in quiet hours); their runs report alike, from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact


class NoticeRun(Protocol):
    """What a pass of deadline notices tells about itself."""

    today: Any
    within: int
    skipped: str | None
    sent: int
    problems: list[str]

    def rows(self) -> list[dict]: ...

    def to_dict(self) -> dict: ...


@dataclass(frozen=True)
class Wording:
    """The artifact's words for one kind of deadline."""

    title: str  # 依申请公开答复期限提醒
    rule: str  # who is reminded when, and who is told once it has passed
    nothing: str  # the line when nothing is near or past its deadline
    log_name: str  # request deadlines


def summary_markdown(run: NoticeRun, words: Wording) -> str:
    """The run's artifact: what was sent to whom, what was skipped and why, what went wrong."""
    lines = [f"# {words.title} · {run.today.isoformat()}", "", words.rule, ""]
    if run.skipped:
        lines += [f"**未发送：** {run.skipped}", ""]
    rows = run.rows()
    if rows:
        header = list(rows[0])
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
        lines += ["", f"本次发出 {run.sent} 条。"]
    elif not run.skipped:
        lines.append(words.nothing)
    if run.problems:
        lines += ["", "## 需要处理", ""]
        lines += [f"- {p}".replace("\n", "\n  ") for p in run.problems]
    return "\n".join(lines) + "\n"


def report(run: NoticeRun, words: Wording, artifact_key: str) -> dict:
    """Log the pass, leave its artifact, and return it as plain data."""
    logger = get_run_logger()
    logger.info("%s %s: %d sent", words.log_name, run.today.isoformat(), run.sent)
    for problem in run.problems:
        logger.warning(problem)
    create_markdown_artifact(key=artifact_key, markdown=summary_markdown(run, words))
    return run.to_dict()
