"""Submitting a draft, and resubmitting after a return: all checked before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Attachment, LedgerKind, Publication, Revision, Role, Stage, Status, Unit
from models.base import utcnow
from models.publication import Disclosure, Grade, step_id
from pubreview import ledger
from pubreview.accounts import org
from pubreview.chains import binding, selection
from pubreview.chains.definitions import Chain
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.labels import GRADE_LABEL, STATUS_LABEL
from pubreview.ledger.content import fingerprint
from pubreview.publishing import catalog as catalog_mod
from pubreview.review.entries import ScreeningRecord, Submitted, revision_key, screened_key
from pubreview.screening import screen_document

MAX_TITLE = 200


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment as read from disk."""

    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Draft:
    """What a submitter hands in."""

    title: str
    body: str
    category: str
    channels: list[str]
    unit: str
    submitter: str
    attachments: list[AttachmentFile] = field(default_factory=list)
    disclosure: Disclosure = Disclosure.ACTIVE  # 公开属性
    disclosure_reason: str | None = None  # required unless 主动公开
    grade: Grade = Grade.ORDINARY  # 信息等级


def read_attachments(paths: list[Path]) -> list[AttachmentFile]:
    """Read attachment files, naming the first one that cannot be read."""
    files = []
    for path in paths:
        try:
            files.append(AttachmentFile(path.name, path.read_bytes()))
        except OSError as exc:
            raise ValidationError(f"attachment {path}: cannot read: {exc.strerror}") from exc
    check_distinct_names(files)
    return files


def check_distinct_names(files: list[AttachmentFile]) -> None:
    """Two attachments of one revision may not share a file name."""
    names = [f.filename for f in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(
            f"附件：有两个文件同名（{'、'.join(twice)}），请改名后再上传", field="attachments"
        )


def _check_content(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not title:
        raise ValidationError("标题：不能为空", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"标题：有 {len(title)} 个字，最多 {MAX_TITLE} 个字", field="title")
    if not body:
        raise ValidationError("正文：不能为空", field="body")
    return title, body


def _check_disclosure(disclosure: Disclosure, disclosure_reason: str | None) -> str | None:
    """公开属性: a reason is required when the item is not 主动公开."""
    if not isinstance(disclosure, Disclosure):
        raise ValidationError("公开属性：请选择主动公开、依申请公开或不予公开", field="disclosure")
    reason = (disclosure_reason or "").strip() or None
    if disclosure is not Disclosure.ACTIVE and reason is None:
        raise ValidationError(
            "公开属性：选择依申请公开或不予公开时，须填写理由（如依据的条款）",
            field="disclosure_reason",
        )
    return reason if disclosure is not Disclosure.ACTIVE else None


def _check_grade(grade: Grade) -> Grade:
    """信息等级: one of 一般, 重要, 敏感."""
    if not isinstance(grade, Grade):
        raise ValidationError(
            f"信息等级：请选择{'、'.join(GRADE_LABEL.values())}之一", field="grade"
        )
    return grade


def parse_grade(value: str | None) -> Grade:
    """A grade as typed (ordinary/important/sensitive or 一般/重要/敏感; empty: 一般)."""
    text = (value or "").strip()
    if not text:
        return Grade.ORDINARY
    by_label = {label: Grade(v) for v, label in GRADE_LABEL.items()}
    try:
        return by_label.get(text) or Grade(text)
    except ValueError as exc:
        raise ValidationError(
            f"信息等级：“{text}”不是可选的等级（可选：{'、'.join(GRADE_LABEL.values())}）",
            field="grade",
        ) from exc


@dataclass(frozen=True)
class Attributes:
    """What an item is besides its content: 类别, 渠道, 公开属性 (and its reason), 信息等级."""

    category: str
    channels: tuple[str, ...]
    disclosure: Disclosure
    disclosure_reason: str | None = None
    grade: Grade = Grade.ORDINARY

    @classmethod
    def of(cls, publication: Publication) -> Attributes:
        """The attributes the item carries now."""
        return cls(
            publication.category,
            tuple(publication.channels),
            publication.disclosure,
            publication.disclosure_reason,
            publication.grade,
        )

    @classmethod
    def from_payload(cls, payload: dict) -> Attributes:
        """The attributes a (re)submission entry recorded for its revision."""
        entry = Submitted.from_payload(payload)
        return cls(
            entry.category,
            tuple(entry.channels),
            Disclosure(entry.disclosure or Disclosure.ACTIVE.value),
            entry.disclosure_reason,
            Grade(entry.grade_value),  # entries older than grades read as ordinary items
        )

    def to_payload(self) -> dict:
        """Plain data, as the (re)submission entry records it."""
        return {
            "category": self.category,
            "channels": list(self.channels),
            "disclosure": self.disclosure.value,
            "disclosure_reason": self.disclosure_reason,
            "grade": self.grade.value,
        }

    def normalised(self) -> Attributes:
        """The reason trimmed, and dropped for 主动公开 (as submission records it)."""
        reason = (self.disclosure_reason or "").strip() or None
        keep = reason if self.disclosure is not Disclosure.ACTIVE else None
        return Attributes(self.category, self.channels, self.disclosure, keep, self.grade)

    def changes(self, after: Attributes) -> dict[str, dict]:
        """Each field that differs in `after`: {field: {"before": …, "after": …}}."""
        old, new = self.to_payload(), after.to_payload()
        return {k: {"before": old[k], "after": new[k]} for k in old if old[k] != new[k]}


def check_attributes(attributes: Attributes, catalog: catalog_mod.Catalog) -> Attributes:
    """The attributes as they will be recorded, or ValidationError naming the field to fix."""
    if not attributes.channels:
        raise ValidationError("发布渠道：请至少选择一个", field="channels")
    for channel in attributes.channels:
        if channel not in catalog.channels:
            raise ValidationError(
                f"发布渠道：“{channel}”不在目录中（可选：{'、'.join(catalog.channels)}）",
                field="channels",
            )
    # A channel may have its own categories, or none (微信 posts need no invented category).
    if problem := catalog.category_error(attributes.category, attributes.channels):
        raise ValidationError(problem, field="category")
    reason = _check_disclosure(attributes.disclosure, attributes.disclosure_reason)
    return Attributes(
        attributes.category,
        tuple(dict.fromkeys(attributes.channels)),
        attributes.disclosure,
        reason,
        _check_grade(attributes.grade),
    )


def _add_revision(
    session: Session,
    publication: Publication,
    number: int,
    title: str,
    body: str,
    attachments: list[AttachmentFile],
    author_id: int,
) -> Revision:
    revision = Revision(
        publication_id=publication.id,
        number=number,
        title=title,
        body=body,
        fingerprint=fingerprint(title, body, attachments),
        author_id=author_id,
    )
    session.add(revision)
    session.flush()
    for a in attachments:
        session.add(
            Attachment(
                revision_id=revision.id,
                filename=a.filename,
                sha256=a.sha256,
                size=len(a.content),
                content=a.content,
            )
        )
    return revision


def _choose_chain(attributes: Attributes, unit_code: str) -> Chain:
    """The chain the configured rules choose for an item with these attributes."""
    return selection.choose(
        selection.configured(),
        category=attributes.category,
        disclosure=attributes.disclosure.value,
        unit=unit_code,
        channels=list(attributes.channels),
        grade=attributes.grade.value,
    )


def submit(
    session: Session,
    draft: Draft,
    catalog: catalog_mod.Catalog | None = None,
    *,
    screened: Screened | None = None,
) -> Publication:
    """Validate a draft and record it as revision 1, waiting for pre-review.

    `screened`, from `screen()` before the transaction, spares screening under the write lock;
    it is used only if its fingerprint is the revision's.
    """
    catalog = catalog or catalog_mod.load()
    title, body = _check_content(draft.title, draft.body)
    attributes = check_attributes(
        Attributes(
            draft.category,
            tuple(draft.channels),
            draft.disclosure,
            draft.disclosure_reason,
            draft.grade,
        ),
        catalog,
    )
    check_distinct_names(draft.attachments)
    unit = org.unit(session, draft.unit)
    person = org.person(session, draft.submitter)
    if not org.holds(session, person.id, Role.SUBMITTER, unit.id):
        raise ValidationError(
            f"报送单位：{person.name}（{person.username}）不是{unit.name}的报送人",
            field="unit",
        )
    # The chain is chosen now and recorded with the submission: the item finishes on it.
    chain = _choose_chain(attributes, unit.code)
    now = utcnow()
    publication = Publication(
        title=title,
        category=attributes.category,
        channels=list(attributes.channels),
        unit_id=unit.id,
        submitter_id=person.id,
        status=Status.IN_REVIEW,
        stage=step_id(chain.first.id),
        current_revision=1,
        disclosure=attributes.disclosure,
        disclosure_reason=attributes.disclosure_reason,
        grade=attributes.grade,
        waiting_since=now,
        created_at=now,
    )
    session.add(publication)
    session.flush()
    revision = _add_revision(session, publication, 1, title, body, draft.attachments, person.id)
    ledger.append(
        session,
        kind=LedgerKind.SUBMITTED,
        publication_id=publication.id,
        revision=1,
        stage=chain.first.id,
        actor=person.username,
        payload=_revision_payload(
            publication, revision, draft.attachments, unit.code, chain=chain.to_dict()
        ).to_payload(),
        dedupe_key=revision_key(publication.id, 1),
    )
    binding.remember(session, publication.id, chain)
    record_screening(session, publication, revision, draft.attachments, screened)
    return publication


def resubmit(
    session: Session,
    publication_id: int,
    username: str,
    *,
    title: str | None,
    body: str | None,
    attachments: list[AttachmentFile] | None,
    screened: Screened | None = None,
    category: str | None = None,
    channels: list[str] | None = None,
    disclosure: Disclosure | None = None,
    disclosure_reason: str | None = None,
    grade: Grade | None = None,
) -> Publication:
    """Record a new revision of a returned item; review starts again at the first step.

    Any argument left None keeps what the returned revision had. Changed attributes (内容类别,
    发布渠道, 公开属性, 信息等级) are checked as at a first submission, and the chain is chosen
    again under the current rules: the item then follows the chain its new attributes call for
    (review starts again at its first step anyway). Unchanged attributes keep the chain the
    item was bound to, whatever the rules say now. The entry records what changed.
    """
    publication = get(session, publication_id, for_update=True)
    person = org.person(session, username)
    if person.id != publication.submitter_id:
        raise DecisionRefused(f"第 {publication_id} 号信息只能由其报送人修改后重新提交")
    if publication.status is not Status.RETURNED:
        raise DecisionRefused(
            f"第 {publication_id} 号信息当前不是“退回修改”状态，不能重新提交"
            f"（当前：{STATUS_LABEL[publication.status]}）"
        )
    previous = current_revision(session, publication)
    if attachments is None:
        attachments = [AttachmentFile(a.filename, a.content) for a in previous.attachments]
    check_distinct_names(attachments)
    new_title, new_body = _check_content(title or previous.title, body or previous.body)
    before = Attributes.of(publication)
    after = Attributes(
        before.category if category is None else category,
        before.channels if channels is None else tuple(dict.fromkeys(channels)),
        before.disclosure if disclosure is None else disclosure,
        before.disclosure_reason if disclosure_reason is None else disclosure_reason,
        before.grade if grade is None else grade,
    ).normalised()
    unit = session.get(Unit, publication.unit_id)
    bound = binding.chain_of(session, publication)
    chain, changed = bound, {}
    if after != before:
        after = check_attributes(after, catalog_mod.load())
        changed = before.changes(after)
    if changed:
        chain = _choose_chain(after, unit.code)
    number = publication.current_revision + 1
    revision = _add_revision(
        session, publication, number, new_title, new_body, attachments, person.id
    )
    if revision.fingerprint == previous.fingerprint and not changed:
        raise ValidationError(
            "修改稿与退回稿完全相同：请按退回意见修改标题、正文、附件、内容类别、"
            "发布渠道、公开属性或信息等级后再提交",
            field="body",
        )
    now = utcnow()
    publication.title, publication.current_revision = new_title, number
    publication.category, publication.channels = after.category, list(after.channels)
    publication.disclosure, publication.disclosure_reason = (
        after.disclosure,
        after.disclosure_reason,
    )
    publication.grade = after.grade
    publication.status, publication.stage, publication.waiting_since = (
        Status.IN_REVIEW,
        step_id(chain.first.id),
        now,
    )
    # A new chain recorded here is the item's from now on (binding.chain_of reads it).
    replaced = chain.version != bound.version or chain.name != bound.name
    payload = _revision_payload(
        publication,
        revision,
        attachments,
        unit.code,
        changed=changed or None,
        chain=chain.to_dict() if replaced else None,
        chain_replaced={"name": bound.name, "version": bound.version} if replaced else None,
    )
    ledger.append(
        session,
        kind=LedgerKind.RESUBMITTED,
        publication_id=publication.id,
        revision=number,
        stage=chain.first.id,
        actor=person.username,
        payload=payload.to_payload(),
        dedupe_key=revision_key(publication.id, number),
    )
    binding.remember(session, publication.id, chain)
    record_screening(session, publication, revision, attachments, screened)
    return publication


def attributes_of(session: Session, publication_id: int, number: int) -> Attributes | None:
    """The attributes a revision was (re)submitted with, as its ledger entry records them."""
    entry = ledger.find_by_key(session, revision_key(publication_id, number))
    return Attributes.from_payload(entry.payload) if entry is not None else None


@dataclass(frozen=True)
class Screened:
    """A screening result for the content with this fingerprint."""

    fingerprint: str
    result: dict


def screen(title: str, body: str, attachments: list[AttachmentFile]) -> Screened:
    """Screen content exactly as submission records it (slow: run it before the transaction)."""
    title, body = title.strip(), body.strip()
    result = screen_document(title, body, [(a.filename, a.content) for a in attachments])
    return Screened(fingerprint(title, body, attachments), result.to_dict())


def record_screening(
    session: Session,
    publication: Publication,
    revision: Revision,
    attachments: list[AttachmentFile],
    screened: Screened | None = None,
) -> dict:
    """Screen a revision for classified markings and personal data; the result is a ledger entry."""
    if screened is None or screened.fingerprint != revision.fingerprint:
        screened = screen(revision.title, revision.body, attachments)
    result = screened.result
    ledger.append(
        session,
        kind=LedgerKind.SCREENED,
        publication_id=publication.id,
        revision=revision.number,
        stage=Stage.PRE_REVIEW.value,
        actor="system",
        outcome="blocked" if result["blocked"] else "clear",
        payload=result,
        dedupe_key=screened_key(publication.id, revision.number),
    )
    return result


def screening_of(session: Session, publication_id: int, revision: int) -> dict | None:
    """The screening result recorded for a revision, if any, as stored (prefer screening_record)."""
    entry = ledger.find_by_key(session, screened_key(publication_id, revision))
    return entry.payload if entry is not None else None


def screening_record(session: Session, publication_id: int, revision: int) -> ScreeningRecord:
    """The screening result recorded for a revision (no findings when it was never screened)."""
    entry = ledger.find_by_key(session, screened_key(publication_id, revision))
    return ScreeningRecord.from_payload(entry.payload if entry is not None else {})


def _revision_payload(
    publication: Publication,
    revision: Revision,
    attachments: list[AttachmentFile],
    unit_code: str,
    **parts: dict | None,
) -> Submitted:
    """The (re)submission entry of a revision; `parts` are its chain and what it changed."""
    return Submitted(
        title=revision.title,
        category=publication.category,
        channels=publication.channels,
        unit=unit_code,
        disclosure=publication.disclosure.value,
        disclosure_reason=publication.disclosure_reason,
        grade=publication.grade.value,
        fingerprint=revision.fingerprint,
        attachments=[
            {"filename": a.filename, "sha256": a.sha256, "size": len(a.content)}
            for a in attachments
        ],
        **parts,
    )


def get(session: Session, publication_id: int, for_update: bool = False) -> Publication:
    """The publication, or NotFound; `for_update` locks its row on PostgreSQL."""
    publication = session.get(Publication, publication_id, with_for_update=for_update)
    if publication is None:
        raise NotFound(f"no publication {publication_id}")
    return publication


def current_revision(session: Session, publication: Publication) -> Revision:
    """The revision under review, with its attachments loaded."""
    return session.scalars(
        select(Revision)
        .options(selectinload(Revision.attachments))
        .where(
            Revision.publication_id == publication.id,
            Revision.number == publication.current_revision,
        )
    ).one()
