"""The review flow's steps. Each reads the ledger afresh: never cached, always safe to repeat."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from models import LedgerKind, Publication, Status, Unit
from pubreview import db, ledger, settings
from pubreview.chains.binding import chain_of
from pubreview.clock import local_time
from pubreview.errors import ContentTampered
from pubreview.labels import STATUS_LABEL
from pubreview.ledger import checkpoints
from pubreview.notify.records import failed_deliveries
from pubreview.orchestration import waiting_key
from pubreview.publishing.holding import hold
from pubreview.review import entries
from pubreview.review.status import format_history, history_rows
from pubreview.review.submission import get, screening_record
from pubreview.review.workflow import TERMINAL
from pubreview.site import default_out_dir, render_publication
from pubreview.site.ledger_pages import publish_checkpoints


@dataclass(frozen=True)
class Position:
    """Where the ledger says a publication stands."""

    publication_id: int
    title: str
    unit: str
    category: str
    status: str
    stage: str | None
    revision: int
    waiting_key: str | None

    @property
    def terminal(self) -> bool:
        """No human step is left."""
        return Status(self.status) in TERMINAL


def read_position(publication_id: int) -> Position:
    """Read the publication's position from the database."""
    with db.snapshot() as session:
        pub = get(session, publication_id)
        unit = session.get(Unit, pub.unit_id)
        return Position(
            pub.id,
            pub.title,
            unit.code,
            pub.category,
            pub.status.value,
            pub.stage.value if pub.stage else None,
            pub.current_revision,
            waiting_key(pub),
        )


# Database reads are retried: a SQLite writer may hold the lock for a moment.
@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2)
def load_position(publication_id: int) -> Position:
    """Where the item stands now, read from the ledger's cache of state."""
    return read_position(publication_id)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2)
def open_step(position: Position, flow_run_id: str) -> bool:
    """Record that this run waits on the step (once per step) and that it is the run to resume."""
    with db.transaction() as session:
        pub = session.get(Publication, position.publication_id, with_for_update=True)
        pub.flow_run_id = flow_run_id
        return ledger.append_once(
            session,
            kind=LedgerKind.STAGE_OPENED,
            publication_id=pub.id,
            revision=position.revision,
            stage=position.stage or "resubmission",
            actor="system",
            outcome="waiting",
            flow_run_id=flow_run_id,
            payload=entries.StageOpened(position.waiting_key).to_payload(),
            dedupe_key=entries.opened_key(pub.id, position.waiting_key),
        ).recorded


def put_on_site(publication_id: int, flow_run_id: str | None) -> str | None:
    """Put a published item on the public site, then sign and publish a ledger checkpoint.

    Safe to repeat. Returns why no checkpoint was signed (None: one was); the publication
    stands either way, and the run's artifact and the next `ledger verify` say what is missing.
    """
    try:
        # Read-only: rendering writes no database row, so it holds no write lock while it
        # takes the site's; publish_checkpoints below takes the write lock, then the site's.
        with db.snapshot() as session:
            render_publication(session, None, publication_id)
    except ContentTampered as exc:
        # Held: the ledger says why and the center hears of it; the run fails where it shows.
        hold(publication_id, str(exc), flow_run_id=flow_run_id)
        raise
    with db.transaction() as session:
        _, missing = checkpoints.make_if_possible(session, create_key=True)
        publish_checkpoints(session, default_out_dir())
    return missing


def checkpoint_markdown(missing: str) -> str:
    """The run's artifact when no checkpoint could be signed."""
    return f"# 台帐检查点\n\n{missing}"


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def render_site(publication_id: int) -> str | None:
    """The review run's `put_on_site`, saying on the run what is missing."""
    missing = put_on_site(publication_id, flow_run.id and str(flow_run.id))
    if missing:
        get_run_logger().warning(missing)
        create_markdown_artifact(key="ledger-checkpoint", markdown=checkpoint_markdown(missing))
    return missing


def history_key(publication_id: int) -> str:
    """The key of the item's history artifact (one, versioned, per item)."""
    return f"publication-{publication_id}-history"


def history_markdown(publication_id: int) -> tuple[str, str]:
    """The item's ledger history as the run's artifact: its markdown and its description."""
    # Read-only: on SQLite a writer's transaction would queue for the lock the deciders need.
    with db.snapshot() as session:
        pub = get(session, publication_id)
        rows = history_rows(session, publication_id)
        label = chain_of(session, pub).label_of(pub.stage) if pub.stage else ""
        where = STATUS_LABEL[pub.status] + (f" · 待{label}" if pub.stage else "")
        screening = screening_record(session, publication_id, pub.current_revision)
        undelivered = failed_deliveries(session, publication_id)
    findings = screening.findings
    screened = (
        "\n\n## 保密预审 (screening)\n\n"
        + (
            "\n".join(
                f"- **{f['severity']}** {f['location']}:{f['line']} {f['reason']} "
                f"「{f['excerpt']}」"
                for f in findings
            )
            or "- no findings"
        )
        + "".join(
            f"\n- not screened: {n['location']} ({n['reason']})" for n in screening.not_screened
        )
    )
    zone = settings.load().timezone
    markdown = (
        f"# #{publication_id} {pub.title}\n\n**{where}** (revision {pub.current_revision})\n\n"
        f"| # | time ({zone}) | kind | stage | outcome | rev | actor | comment |\n"
        "|---|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {r['id']} | {local_time(r['at'], seconds=True)} | {r['kind']} "
            f"| {r['stage'] or ''} | {r['outcome'] or ''} "
            f"| {r['revision'] or ''} | {r['actor'] or ''} "
            f"| {(r['comment'] or '').replace('|', '/')} |"
            for r in rows
        )
        + screened
        + (
            "\n\n## 通知未送达 (failed notifications)\n\n"
            + "\n".join(f"- {f.describe()}" for f in undelivered)
            if undelivered
            else ""
        )
    )
    return markdown, format_history(rows[-3:])


@task(cache_policy=NO_CACHE)
def history_artifact(publication_id: int) -> None:
    """Leave the item's ledger history on the run's Artifacts tab."""
    markdown, description = history_markdown(publication_id)
    create_markdown_artifact(
        markdown=markdown, key=history_key(publication_id), description=description
    )
