"""Deciding a stage: every rule checked, the decision in the ledger before any flow moves."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Stage, Status, Unit
from models.base import utcnow
from pubreview import ledger, publishing
from pubreview.accounts import org
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.publishing import catalog as catalog_mod
from pubreview.review.submission import current_revision, get, screening_of
from pubreview.review.workflow import (
    STAGE_LABEL,
    STAGE_ROLE,
    UNIT_SCOPED,
    Outcome,
    event_name,
    next_position,
)


@dataclass(frozen=True)
class DecisionResult:
    """What `decide` did: recorded a new decision, or found the same one already there."""

    publication_id: int
    revision: int
    stage: str
    outcome: str
    actor: str
    recorded: bool
    entry_id: int
    status: str
    next_stage: str | None
    event: str
    message: str

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def _already(pub: Publication, entry: LedgerEntry) -> DecisionResult:
    stage = Stage(entry.stage)
    return DecisionResult(
        pub.id,
        entry.revision,
        entry.stage,
        entry.outcome,
        entry.actor,
        False,
        entry.id,
        pub.status.value,
        pub.stage.value if pub.stage else None,
        event_name(stage, Outcome(entry.outcome)),
        f"already recorded: {entry.actor} decided {entry.outcome} at {STAGE_LABEL[stage]} "
        f"of revision {entry.revision} (ledger entry {entry.id}); nothing changed",
    )


def decide(
    session: Session,
    publication_id: int,
    username: str,
    outcome: Outcome,
    *,
    comment: str | None = None,
    attest: bool = False,
    urls: dict[str, str] | None = None,
    override_reason: str | None = None,
    publish_at: datetime | None = None,
    revision: int | None = None,
    stage: Stage | None = None,
    via: str = "cli",
    flow_run_id: str | None = None,
) -> DecisionResult:
    """Check a decision against the procedure and append it to the ledger (caller commits)."""
    pub = get(session, publication_id, for_update=True)
    person = org.person(session, username)
    rev_number = revision or pub.current_revision
    if rev_number != pub.current_revision:
        raise DecisionRefused(
            f"revision {rev_number} of publication {pub.id} is not the one under review "
            f"(current: revision {pub.current_revision})"
        )
    decided = ledger.decisions_on(session, pub.id, rev_number)
    if stage is not None and (pub.status is not Status.IN_REVIEW or stage is not pub.stage):
        closed = next((e for e in decided if e.stage == stage.value), None)
        if closed is None:
            raise DecisionRefused(f"{STAGE_LABEL[stage]} is not open for publication {pub.id}")
        if closed.actor == username and closed.outcome == outcome.value:
            return _already(pub, closed)
        raise DecisionRefused(
            f"{STAGE_LABEL[stage]} of revision {rev_number} is closed: {closed.actor} decided "
            f"{closed.outcome}"
        )
    role = STAGE_ROLE[pub.stage] if pub.status is Status.IN_REVIEW else None
    scope = pub.unit_id if pub.stage in UNIT_SCOPED else None
    holds_role = role is not None and org.holds(session, person.id, role, scope)
    mine = [e for e in decided if e.actor == username]
    if mine and not holds_role and mine[-1] is decided[-1] and mine[-1].outcome == outcome.value:
        return _already(pub, mine[-1])
    if pub.status is not Status.IN_REVIEW:
        waiting = (
            " (waiting for the submitter to resubmit)" if pub.status is Status.RETURNED else ""
        )
        raise DecisionRefused(
            f"publication {pub.id} is {pub.status.value}{waiting}: no decision is awaited"
        )
    _check_duties(session, pub, person, holds_role, mine)
    if outcome is Outcome.APPROVE and pub.stage is Stage.PRE_REVIEW and not attest:
        raise DecisionRefused(
            "pre-review approval needs the confidentiality attestation (--attest-no-secrets): "
            "no classified or private content (无涉密及个人隐私内容)"
        )
    if outcome is not Outcome.APPROVE and not (comment or "").strip():
        raise DecisionRefused(f"a {outcome.value} needs a --comment saying why")
    if publish_at is not None:
        publish_at = _check_publish_at(pub, outcome, publish_at)
    override = (override_reason or "").strip() or None
    if outcome is Outcome.APPROVE and pub.stage is Stage.PRE_REVIEW:
        _check_screening(session, pub.id, rev_number, override)
    return _record(
        session,
        pub,
        person,
        outcome,
        comment=comment,
        attest=attest,
        urls=urls or {},
        via=via,
        flow_run_id=flow_run_id,
        override=override,
        publish_at=publish_at,
    )


def _check_publish_at(pub: Publication, outcome: Outcome, publish_at: datetime) -> datetime:
    """A publish time belongs to the center's approval and lies in the future."""
    if pub.stage is not Stage.PUBLICATION or outcome is not Outcome.APPROVE:
        raise ValidationError("a publish time goes with the center's approval (中心发布) only")
    if publish_at.tzinfo is None:
        publish_at = publish_at.replace(tzinfo=publishing.OFFICE_TIMEZONE)
    if publish_at <= utcnow():
        raise ValidationError(
            f"publish time {publish_at.isoformat()} has passed; approve without one to publish now"
        )
    return publish_at.astimezone(publishing.OFFICE_TIMEZONE)


def _check_screening(session: Session, pub_id: int, revision: int, override: str | None) -> None:
    """A blocking screening finding stops pre-review approval unless overridden with a reason."""
    screening = screening_of(session, pub_id, revision) or {}
    if screening.get("blocked") and override is None:
        found = "; ".join(
            f"{f['location']}:{f['line']} {f['reason']}"
            for f in screening["findings"]
            if f["severity"] == "block"
        )
        raise DecisionRefused(
            f"screening found content that blocks approval ({found}); return it for "
            "revision, or approve with --override-reason saying why it may be published"
        )


def _check_duties(
    session: Session, pub: Publication, person: Person, holds_role: bool, mine: list[LedgerEntry]
) -> None:
    """Separation of duties: the right role, never one's own item, one stage per person."""
    stage = pub.stage
    if not holds_role:
        where = f" of unit {session.get(Unit, pub.unit_id).code}" if stage in UNIT_SCOPED else ""
        raise DecisionRefused(
            f"{person.username} is not a {STAGE_ROLE[stage].value}{where}: "
            f"{STAGE_LABEL[stage]} of publication {pub.id} is not theirs to decide"
        )
    if person.id == pub.submitter_id:
        raise DecisionRefused(
            f"{person.username} submitted publication {pub.id} and may not decide on it"
        )
    if mine:
        earlier = STAGE_LABEL[Stage(mine[-1].stage)]
        raise DecisionRefused(
            f"{person.username} already decided {earlier} of this revision; "
            f"another person must decide {STAGE_LABEL[stage]}"
        )


def _record(
    session: Session,
    pub: Publication,
    person: Person,
    outcome: Outcome,
    *,
    comment: str | None,
    attest: bool,
    urls: dict[str, str],
    via: str,
    flow_run_id: str | None,
    override: str | None = None,
    publish_at: datetime | None = None,
) -> DecisionResult:
    stage = pub.stage
    revision = current_revision(session, pub)
    channels = (
        _channel_urls(pub, urls)
        if (stage is Stage.PUBLICATION and outcome is Outcome.APPROVE)
        else {}
    )
    entry = ledger.append(
        session,
        kind=LedgerKind.DECIDED,
        publication_id=pub.id,
        revision=revision.number,
        stage=stage.value,
        actor=person.username,
        outcome=outcome.value,
        comment=(comment or "").strip() or None,
        flow_run_id=flow_run_id,
        payload={
            "fingerprint": revision.fingerprint,
            "attest_no_secrets": attest if stage is Stage.PRE_REVIEW else None,
            "via": via,
            "urls": channels,
            "screening_override": override,
            "publish_at": publish_at.isoformat() if publish_at else None,
        },
        # One decision per stage per revision, enforced by the database as well.
        dedupe_key=f"decided:{pub.id}:{revision.number}:{stage.value}",
    )
    status, next_stage = next_position(stage, outcome)
    if publish_at is not None:
        # The channels go out at the publish time (publishing.publish_due), not before.
        status = Status.SCHEDULED
    pub.status, pub.stage, pub.waiting_since = status, next_stage, utcnow()
    if status is Status.PUBLISHED:
        publishing.record_channels(session, pub, channels, actor=person.username)
    return DecisionResult(
        pub.id,
        revision.number,
        stage.value,
        outcome.value,
        person.username,
        True,
        entry.id,
        status.value,
        next_stage.value if next_stage else None,
        "publication.scheduled" if publish_at else event_name(stage, outcome),
        f"recorded: {person.username} decided {outcome.value} at {STAGE_LABEL[stage]} of "
        f"publication {pub.id} revision {revision.number} (ledger entry {entry.id}); "
        f"now {status.value}"
        + (f", waiting for {STAGE_LABEL[next_stage]}" if next_stage else "")
        + (f", to go out at {publish_at.isoformat(timespec='minutes')}" if publish_at else ""),
    )


def _channel_urls(pub: Publication, urls: dict[str, str]) -> dict[str, str | None]:
    """URL per channel: the site's own address, or what the center gave (None: still pending)."""
    catalog = catalog_mod.load()
    unknown = set(urls) - set(pub.channels)
    if unknown:
        raise ValidationError(
            f"--url for channels this item does not use: {', '.join(sorted(unknown))}"
        )
    out: dict[str, str | None] = {}
    for channel in pub.channels:
        spec = catalog.channels.get(channel)
        if spec is not None and spec.kind == "site":
            out[channel] = urls.get(channel) or publishing.article_url(pub.id)
        else:
            out[channel] = urls.get(channel)
    return out
