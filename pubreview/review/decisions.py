"""Deciding a step: every rule checked, the decision in the ledger before any flow moves.

A decision is one `DecisionRequest`, built by the command line or a web page and carried
unchanged into the ledger entry, the event payload and the resume. `decide` checks and writes
it in one write transaction; the web checks it in a read snapshot (`prepare`) and writes it in
a short one (`record_prepared`), falling back to `decide` if the item moved in between.
Refusals are worded for the person deciding (Chinese, naming what to do); the command line adds
its flag as a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Revision, Stage, Status
from models.base import utcnow
from models.publication import Disclosure, StepId, step_id
from pubreview import ledger, publishing, settings
from pubreview.accounts import org
from pubreview.chains import countersign
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Chain, Step
from pubreview.chains.subject import Subject, subject
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import DISCLOSURE_LABEL, OUTCOME_LABEL, STATUS_LABEL
from pubreview.ledger import content
from pubreview.publishing import catalog as catalog_mod
from pubreview.review import deciders
from pubreview.review.entries import CountersignVote, Decided, countersign_key, decision_key
from pubreview.review.submission import get, screening_of
from pubreview.review.workflow import Outcome, event_name, next_position, publishes, screens
from pubreview.site.content import safe_url


@dataclass(frozen=True)
class DecisionRequest:
    """One person's decision on one step of one revision, as the CLI or a web page took it."""

    publication_id: int
    username: str
    outcome: Outcome
    # The step and revision the person was looking at; None means "whatever is open now"
    # (the command line without --stage/--revision).
    stage: Stage | StepId | None = None
    revision: int | None = None
    comment: str | None = None
    attest: bool = False  # 初审: no classified or private content (无涉密及个人隐私内容)
    urls: dict[str, str] = field(default_factory=dict)  # 中心发布: channel → where it went
    override_reason: str | None = None  # 初审: approve despite a blocking screening finding
    publish_at: datetime | None = None  # 中心发布: 定时发布
    via: str = "cli"  # cli, web (a signed link) or web-session (logged in)
    flow_run_id: str | None = None

    def event_payload(self, result: DecisionResult) -> dict:
        """What the decision's Prefect event carries beside the item's new position."""
        return {
            "decided_stage": result.stage,
            "outcome": result.outcome,
            "comment": (self.comment or "").strip() or None,
            "revision_decided": result.revision,
            "ledger_entry": result.entry_id,
            "via": self.via,
            "publish_at": self.publish_at.isoformat() if self.publish_at else None,
        }


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
    # 会签: the round's standing after this decision (None for a single-person step).
    countersign: dict | None = None

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)

    @classmethod
    def unmoved(
        cls,
        pub: Publication,
        entry: LedgerEntry,
        *,
        actor: str,
        recorded: bool,
        event: str,
        message: str,
        countersign: dict | None = None,
    ) -> DecisionResult:
        """The result of a call that left the item where it stands (a replay, a 会签 vote)."""
        return cls(
            publication_id=pub.id,
            revision=entry.revision,
            stage=entry.stage,
            outcome=entry.outcome,
            actor=actor,
            recorded=recorded,
            entry_id=entry.id,
            status=pub.status.value,
            next_stage=pub.stage.value if pub.stage else None,
            event=event,
            message=message,
            countersign=countersign,
        )


def _already(pub: Publication, entry: LedgerEntry, chain: Chain) -> DecisionResult:
    """The result of repeating a decision already in the ledger: nothing written."""
    stage = step_id(entry.stage)
    return DecisionResult.unmoved(
        pub,
        entry,
        actor=entry.actor,
        recorded=False,
        event=event_name(stage, Outcome(entry.outcome), chain),
        message=(
            f"已记录过：{entry.actor} 已在第 {entry.revision} 稿的{chain.label_of(stage)}环节决定"
            f"「{OUTCOME_LABEL[entry.outcome]}」（台帐第 {entry.id} 条），本次未作更改"
        ),
    )


# What a check made in a read snapshot relies on: the item's row and its last ledger entry.
# A decision prepared there is written only if both are still the same under the write lock.
Seen = tuple[Status, Stage | StepId | None, int, int | None]


@dataclass(frozen=True)
class Prepared:
    """A decision that passed every check: the ledger entry to append and where the item goes.

    `decide` writes it straight away; `prepare` makes one in a read snapshot, and
    `record_prepared` writes it under the write lock if the item has not moved meanwhile.
    """

    publication_id: int
    seen: Seen | None  # None: checked under the write lock (`decide`)
    entry: dict  # ledger.append's fields
    # The item's new status and stage; None for one member's vote in an unsettled 会签.
    move: tuple[Status, Stage | StepId | None] | None
    channels: dict[str, str | None]  # recorded as published when the item is published now
    actor: str
    finish: Callable[[Publication, LedgerEntry], DecisionResult]


def decide(session: Session, request: DecisionRequest) -> DecisionResult:
    """Check a decision against the procedure and append it to the ledger (caller commits)."""
    pub = get(session, request.publication_id, for_update=True)
    planned = _plan(session, pub, request, seen=None)
    if isinstance(planned, DecisionResult):
        return planned
    return _write(session, pub, planned)


def prepare(session: Session, request: DecisionRequest) -> Prepared | DecisionResult:
    """`decide`'s checks in a read snapshot: its refusals, a replay, or the decision to write."""
    pub = get(session, request.publication_id)
    return _plan(session, pub, request, seen=_seen(session, pub))


def record_prepared(session: Session, prepared: Prepared) -> DecisionResult | None:
    """Write a prepared decision under the write lock; None if the item moved since its check."""
    pub = get(session, prepared.publication_id, for_update=True)
    if prepared.seen is None or _seen(session, pub) != prepared.seen:
        return None
    return _write(session, pub, prepared)


def _seen(session: Session, pub: Publication) -> Seen:
    """The item's position and its last ledger entry, as a check read them."""
    last = session.scalar(
        select(func.max(LedgerEntry.id)).where(LedgerEntry.publication_id == pub.id)
    )
    return (pub.status, pub.stage, pub.current_revision, last)


def _plan(
    session: Session, pub: Publication, request: DecisionRequest, *, seen: Seen | None
) -> Prepared | DecisionResult:
    """Every check of a decision, in order: a replay's result, a refusal, or the decision."""
    person = org.person(session, request.username)
    rev_number = _revision_decided(pub, request)
    decided = ledger.decisions_on(session, pub.id, rev_number)
    chain = chain_of(session, pub)
    if request.stage is not None and (
        pub.status is not Status.IN_REVIEW or request.stage != pub.stage
    ):
        return _replay_at_closed_step(pub, request, rev_number, decided, chain)
    replay = _replay_after_moving_on(pub, request, decided, chain)
    if replay is not None:
        return replay
    _refuse_unless_in_review(pub)
    step = chain.step(pub.stage)
    replay = _replay_in_round(session, pub, step, request, chain)
    if replay is not None:
        return replay
    _refuse_person(session, pub, person, request, chain)
    _check_request(session, pub, request, rev_number)
    return _prepare(session, pub, person, request, chain, step, decided, seen)


def _revision_decided(pub: Publication, request: DecisionRequest) -> int:
    """The revision the person decides: the current one, or a refusal naming it."""
    rev_number = request.revision or pub.current_revision
    if rev_number != pub.current_revision:
        raise DecisionRefused(
            f"第 {rev_number} 稿已被第 {pub.current_revision} 稿取代，请审阅当前稿后再决定"
        )
    return rev_number


def _replay_at_closed_step(
    pub: Publication,
    request: DecisionRequest,
    rev_number: int,
    decided: list[LedgerEntry],
    chain: Chain,
) -> DecisionResult:
    """A decision on a step that is not open: the person's own earlier one again, or refused."""
    stage, label = request.stage, chain.label_of
    # The latest decision at that step (a step returned to is decided again).
    closed = next((e for e in reversed(decided) if e.stage == stage.value), None)
    if closed is None:
        raise DecisionRefused(f"第 {pub.id} 号信息的{label(stage)}环节目前未开放")
    # In a 会签 the person's own decision may not be the one that settled the step.
    mine = next(
        (
            e
            for e in reversed(decided)
            if e.stage == stage.value
            and e.actor == request.username
            and (e is closed or countersign.part(e))
        ),
        None,
    )
    if mine is not None and mine.outcome == request.outcome.value:
        return _already(pub, mine, chain)
    raise DecisionRefused(
        f"第 {rev_number} 稿的{label(stage)}环节已结束：{closed.actor} 已决定"
        f"「{OUTCOME_LABEL[closed.outcome]}」"
    )


def _replay_after_moving_on(
    pub: Publication, request: DecisionRequest, decided: list[LedgerEntry], chain: Chain
) -> DecisionResult | None:
    """The person's last decision repeated with no step named (a double click, a retry)."""
    # Only once the item has moved on from the step it was taken at.
    last = decided[-1] if decided else None
    if (
        request.stage is None
        and last is not None
        and last.actor == request.username
        and last.outcome == request.outcome.value
        and (pub.status is not Status.IN_REVIEW or last.stage != pub.stage)
    ):
        return _already(pub, last, chain)
    return None


def _refuse_unless_in_review(pub: Publication) -> None:
    """Only an item in review has a step to decide."""
    if pub.status is not Status.IN_REVIEW:
        waiting = "，正等待报送人修改后重新提交" if pub.status is Status.RETURNED else ""
        raise DecisionRefused(
            f"第 {pub.id} 号信息当前状态为「{STATUS_LABEL[pub.status]}」{waiting}，没有待决定的环节"
        )


def _replay_in_round(
    session: Session, pub: Publication, step: Step, request: DecisionRequest, chain: Chain
) -> DecisionResult | None:
    """A member repeating the decision they took in this round of the 会签 (a retry)."""
    again = next(
        (e for e in deciders.round_votes(session, pub, step) if e.actor == request.username),
        None,
    )
    if again is not None and again.outcome == request.outcome.value:
        return _already(pub, again, chain)
    return None


def _refuse_person(
    session: Session, pub: Publication, person: Person, request: DecisionRequest, chain: Chain
) -> None:
    """Whether this person may decide the open step (review.deciders), and which step they mean."""
    refused = deciders.refusal(session, pub, person)
    if refused:
        raise DecisionRefused(refused)
    held = deciders.steps_held(session, pub, person)
    if request.stage is None and len(held) > 1:
        # Someone who could decide two steps must say which one they mean: the item may have
        # moved on from the step they reviewed a moment ago.
        names = "、".join(chain.label_of(s) for s in held)
        raise DecisionRefused(
            f"您可决定第 {pub.id} 号信息的多个环节（{names}），请指明本次决定的环节"
            f"（当前待{chain.label_of(pub.stage)}）",
            cli_hint="--stage",
        )


def _check_request(
    session: Session, pub: Publication, request: DecisionRequest, rev_number: int
) -> None:
    """What the decision itself must carry: attestation, a reason, a valid time and URLs."""
    outcome = request.outcome
    first = screens(pub.stage, chain_of(session, pub))
    if outcome is Outcome.APPROVE and first and not request.attest:
        raise DecisionRefused(
            "初审同意前须确认：无涉密及个人隐私内容（请勾选保密审查确认）",
            cli_hint="--attest-no-secrets",
        )
    if outcome is not Outcome.APPROVE and not (request.comment or "").strip():
        raise DecisionRefused(
            f"「{OUTCOME_LABEL[outcome.value]}」须填写意见，说明原因", cli_hint="--comment"
        )
    if (
        outcome is Outcome.APPROVE
        and publishes(pub.stage)
        and pub.disclosure is not Disclosure.ACTIVE
    ):
        raise DecisionRefused(
            f"第 {pub.id} 号信息的公开属性为「{DISCLOSURE_LABEL[pub.disclosure.value]}」，"
            "不能主动发布；请退回修改公开属性，或不予发布"
        )
    if request.publish_at is not None:
        _check_publish_at(pub, outcome, request.publish_at)
    for channel, url in (request.urls or {}).items():
        if safe_url(url) is None:
            raise ValidationError(f"{channel}的地址「{url}」不是 http:// 或 https:// 开头的网址")
    if outcome is Outcome.APPROVE and first:
        _check_screening(session, pub.id, rev_number, request.override_reason)
    if outcome is Outcome.APPROVE:
        # A sign-off is bound to the content: what is stored now must be what was submitted.
        tampered = content.check(session, [pub.id], current_only=True)
        if tampered:
            raise DecisionRefused(
                f"存储的内容与报送时登记的指纹不一致（{tampered[0]}），不能同意；请联系管理员核查台帐"
            )


def _publish_time(publish_at: datetime) -> datetime:
    """A publish time in the office's time zone (a naive time is taken to be office-local)."""
    zone = settings.office_timezone()
    if publish_at.tzinfo is None:
        publish_at = publish_at.replace(tzinfo=zone)
    return publish_at.astimezone(zone)


def _check_publish_at(pub: Publication, outcome: Outcome, publish_at: datetime) -> None:
    """A publish time belongs to the center's approval and lies in the future."""
    if not publishes(pub.stage) or outcome is not Outcome.APPROVE:
        raise ValidationError("定时发布时间只能在中心发布环节同意时填写")
    if _publish_time(publish_at) <= utcnow():
        when = _publish_time(publish_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(f"定时发布时间 {when} 已过；如需立即发布，请不填时间")


def _check_screening(session: Session, pub_id: int, revision: int, override: str | None) -> None:
    """A blocking screening finding stops pre-review approval unless overridden with a reason."""
    screening = screening_of(session, pub_id, revision) or {}
    if screening.get("blocked") and not (override or "").strip():
        found = "；".join(
            f"{f['location']} 第 {f['line']} 行：{f['reason']}"
            for f in screening["findings"]
            if f["severity"] == "block"
        )
        raise DecisionRefused(
            f"保密预检发现阻断问题（{found}）：请退回修改，或填写可以发布的理由后再同意",
            cli_hint="--override-reason",
        )


def _prepare(
    session: Session,
    pub: Publication,
    person: Person,
    request: DecisionRequest,
    chain: Chain,
    step: Step,
    decided: list[LedgerEntry],
    seen: Seen | None,
) -> Prepared:
    """The checked decision worked out: its ledger entry, how it counts, where the item goes."""
    stage, outcome = pub.stage, request.outcome
    first = screens(stage, chain)
    revision = pub.current_revision
    fingerprint = session.scalar(
        select(Revision.fingerprint).where(
            Revision.publication_id == pub.id, Revision.number == revision
        )
    )
    publish_at = _publish_time(request.publish_at) if request.publish_at else None
    channels = (
        _channel_urls(pub, request.urls or {})
        if (publishes(stage) and outcome is Outcome.APPROVE)
        else {}
    )
    override = (request.override_reason or "").strip() or None
    counted = count(session, pub, person, step, outcome.value)
    signed_for, group, standing = counted.signed_for, counted.group, counted.standing
    settles = Outcome(counted.settles) if counted.settles else None
    if group is None:
        # One decision per stage per revision; a step returned to is decided again, its
        # later rounds numbered.
        earlier = sum(1 for e in decided if e.stage == stage.value)
        key = decision_key(pub.id, revision, stage.value, earlier)
    else:  # 会签: one per member per round
        key = countersign_key(pub.id, revision, stage.value, counted.round, counted.member)
    entry = {
        "kind": LedgerKind.DECIDED,
        "publication_id": pub.id,
        "revision": revision,
        "stage": stage.value,
        "actor": person.username,
        "outcome": outcome.value,
        "comment": (request.comment or "").strip() or None,
        "flow_run_id": request.flow_run_id,
        "payload": Decided(
            fingerprint=fingerprint,
            attest_no_secrets=request.attest if first else None,
            via=request.via,
            urls=channels,
            screening_override=override if first else None,
            publish_at=publish_at.isoformat() if publish_at else None,
            acting_for=signed_for.username if signed_for else None,
            countersign=CountersignVote(**group) if group else None,
        ).to_payload(),
        # Enforced by the database as well.
        "dedupe_key": key,
    }
    label = chain.label_of(stage)
    by = _by(person, signed_for)
    if settles is None:

        def vote(pub: Publication, entry: LedgerEntry) -> DecisionResult:
            return _member_result(pub, by, label, entry, group, standing)

        return Prepared(pub.id, seen, entry, None, channels, person.username, vote)
    status, next_stage = next_position(stage, settles, chain)
    if publish_at is not None:
        # The channels go out at the publish time (publishing.publish_due), not before.
        status = Status.SCHEDULED
    then = f"，等待{chain.label_of(next_stage)}" if next_stage else ""
    if group:
        then = f"；{standing.describe()}，会签结束（{OUTCOME_LABEL[settles.value]}）{then}"
    if publish_at:
        then += f"，将于 {publish_at.strftime('%Y-%m-%d %H:%M')} 发布"
    event = "publication.scheduled" if publish_at else event_name(stage, settles, chain)

    def moved(pub: Publication, entry: LedgerEntry) -> DecisionResult:
        return DecisionResult(
            publication_id=pub.id,
            revision=revision,
            stage=stage.value,
            outcome=outcome.value,
            actor=person.username,
            recorded=True,
            entry_id=entry.id,
            status=status.value,
            next_stage=next_stage.value if next_stage else None,
            event=event,
            message=(
                f"已记录：{by} 在第 {pub.id} 号信息第 {revision} 稿的"
                f"{label}环节决定「{OUTCOME_LABEL[outcome.value]}」"
                f"（台帐第 {entry.id} 条）；当前状态：{STATUS_LABEL[status]}{then}"
            ),
            countersign=group,
        )

    return Prepared(pub.id, seen, entry, (status, next_stage), channels, person.username, moved)


def _write(session: Session, pub: Publication, prepared: Prepared) -> DecisionResult:
    """Append the decision and move the item: the only writes a decision makes."""
    entry = ledger.append(session, **prepared.entry)
    if prepared.move is not None:
        status, next_stage = prepared.move
        pub.status, pub.stage, pub.waiting_since = status, next_stage, utcnow()
        if status is Status.PUBLISHED:
            publishing.record_channels(session, pub, prepared.channels, actor=prepared.actor)
    return prepared.finish(pub, entry)


@dataclass(frozen=True)
class Counted:
    """How one person's decision on a step counts: for whom, and what it settles."""

    signed_for: Person | None  # 代签: the person signed for (None: in their own right)
    member: str  # the username the decision counts for
    settles: str | None  # the step's outcome now; None while a 会签 round goes on
    round: int | None = None  # 会签: the step's round
    group: dict | None = None  # 会签: the round's standing, as CountersignVote records it
    standing: countersign.Tally | None = None


def count(
    session: Session, item: Publication | Subject, person: Person, step: Step, outcome: str
) -> Counted:
    """How this decision counts on the subject's step: 代签 and 会签 alike for every subject.

    A publication's decision and a reply's step are both counted here, after
    `deciders.refusal` has let the person decide.
    """
    item = subject(item)
    # 代签: the decision names the person signed for beside the one who decided.
    signed_for = deciders.acting_for(session, item, person)
    member = (signed_for or person).username
    if step.group is None:
        return Counted(signed_for, member, outcome)
    # 会签: this member's decision counts once (the key is per round and member); the step
    # moves only when the group's rule is met by it.
    round_no, votes = countersign.current_round(item.decisions(session), step.id)
    members = [p.username for p in deciders.group_members(session, item, step)]
    standing = countersign.tally(
        step.group,
        members,
        [(countersign.counted(e), e.outcome) for e in votes] + [(member, outcome)],
    )
    group = {
        "round": round_no,
        "settles": standing.settles,
        "approvals": standing.approvals,
        "need": standing.need,
        "members": members,
    }
    return Counted(signed_for, member, standing.settles, round_no, group, standing)


def _by(person: Person, signed_for: Person | None) -> str:
    """Who decided, in words: both names under 代签."""
    if signed_for is None:
        return person.username
    return f"{person.name} 代 {signed_for.name}（{person.username} 代 {signed_for.username}）"


def _member_result(
    pub: Publication,
    by: str,
    label: str,
    entry: LedgerEntry,
    group: dict,
    standing: countersign.Tally,
) -> DecisionResult:
    """One member's decision in a 会签 that has not settled the step: the item stays."""
    waiting = "、".join(standing.undecided) or "（无）"
    past = {"approve": "approved", "return": "returned", "reject": "rejected"}[entry.outcome]
    return DecisionResult.unmoved(
        pub,
        entry,
        actor=entry.actor,
        recorded=True,
        # Nothing moved: the event says a member decided, not that the step did.
        event=f"publication.{entry.stage}.member_{past}",
        message=(
            f"已记录：{by} 在第 {pub.id} 号信息第 {entry.revision} 稿的"
            f"{label}环节（会签）决定「{OUTCOME_LABEL[entry.outcome]}」（台帐第 {entry.id} 条）；"
            f"{standing.describe()}，尚待：{waiting}"
        ),
        countersign=group,
    )


def _channel_urls(pub: Publication, urls: dict[str, str]) -> dict[str, str | None]:
    """URL per channel: the site's own address, or what the center gave (None: still pending)."""
    catalog = catalog_mod.load()
    unknown = set(urls) - set(pub.channels)
    if unknown:
        raise ValidationError(f"该信息不在这些渠道发布：{'、'.join(sorted(unknown))}")
    out: dict[str, str | None] = {}
    for channel in pub.channels:
        if catalog.is_site(channel):
            out[channel] = urls.get(channel) or publishing.article_url(pub.id)
        else:
            out[channel] = urls.get(channel)
    return out
