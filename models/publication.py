"""Publications and their revisions; the status columns are a cache of what the ledger says."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from models.base import Base, Timestamp, enum_by_value, utcnow


class Stage(enum.StrEnum):
    """A human stage of the procedure, in order."""

    PRE_REVIEW = "prereview"  # 初审: section head, quality and confidentiality
    SIGN_OFF = "signoff"  # 审签: leader in charge
    PUBLICATION = "publication"  # 中心发布: the center


class StepId(str):
    """A step of a configured review chain, by its id (e.g. "secrecy"); reads like a Stage."""

    __slots__ = ()

    @property
    def value(self) -> str:
        """The id itself, as `Stage.value` is for the built-in steps."""
        return str(self)


def step_id(value: str | None) -> Stage | StepId | None:
    """A stored step id as a Stage when it is one of the built-in steps, else a StepId."""
    if value is None:
        return None
    try:
        return Stage(value)
    except ValueError:
        return StepId(value)


class StepColumn(TypeDecorator):
    """The step an item waits on: any chain's step id, read back as `step_id()` gives it."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return step_id(value)


class Status(enum.StrEnum):
    """Where a publication stands."""

    IN_REVIEW = "in_review"  # waiting on the stage in `stage`
    RETURNED = "returned"  # back with the submitter for revision
    REJECTED = "rejected"
    SCHEDULED = "scheduled"  # approved by the center, goes out at its publish time (定时发布)
    PUBLISHED = "published"
    RETRACTED = "retracted"
    WITHDRAWN = "withdrawn"  # withdrawn by its submitter before a decision (已撤销)


class Disclosure(enum.StrEnum):
    """公开属性: how the item is disclosed under the 政府信息公开条例."""

    ACTIVE = "active"  # 主动公开
    ON_REQUEST = "on_request"  # 依申请公开
    NOT_PUBLIC = "not_public"  # 不予公开


class Grade(enum.StrEnum):
    """Grade (信息等级): the chains file may give higher grades a longer chain."""

    ORDINARY = "ordinary"  # 一般
    IMPORTANT = "important"  # 重要
    SENSITIVE = "sensitive"  # 敏感


class Publication(Base):
    """An item submitted for publication; one review flow run follows it."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), comment="title of the current revision")
    category: Mapped[str] = mapped_column(String(64), comment="content category, e.g. 工作动态")
    channels: Mapped[list[str]] = mapped_column(JSON, comment="channels, e.g. ['网站', '微博']")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), comment="submitting unit")
    submitter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[Status] = mapped_column(enum_by_value(Status, "publication_status"))
    # Any step id of the item's chain (the built-in ones read back as Stage members).
    stage: Mapped[Stage | StepId | None] = mapped_column(
        StepColumn(), comment="stage awaited while in review"
    )
    current_revision: Mapped[int] = mapped_column(Integer)
    disclosure: Mapped[Disclosure] = mapped_column(
        enum_by_value(Disclosure, "disclosure"),
        default=Disclosure.ACTIVE,
        server_default=Disclosure.ACTIVE.value,
        comment="公开属性: active 主动公开, on_request 依申请公开, not_public 不予公开",
    )
    disclosure_reason: Mapped[str | None] = mapped_column(
        Text, comment="why the item is not 主动公开 (required then)"
    )
    grade: Mapped[Grade] = mapped_column(
        enum_by_value(Grade, "grade"),
        default=Grade.ORDINARY,
        server_default=Grade.ORDINARY.value,
        comment="信息等级: ordinary 一般, important 重要, sensitive 敏感",
    )
    waiting_since: Mapped[datetime] = mapped_column(Timestamp, comment="since this status/stage")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    flow_run_id: Mapped[str | None] = mapped_column(
        String(64), comment="the review flow run last seen waiting for this item"
    )

    unit = relationship("Unit", lazy="raise")
    submitter = relationship("Person", lazy="raise")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="publication", lazy="raise", order_by="Revision.number"
    )


class Revision(Base):
    """One version of a publication's content; decisions are taken on a revision."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    number: Mapped[int] = mapped_column(Integer, comment="1 for the first submission")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 over title, body and attachment hashes"
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    publication: Mapped[Publication] = relationship(back_populates="revisions", lazy="raise")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="revision", lazy="raise", order_by="Attachment.filename"
    )


class Attachment(Base):
    """A file attached to a revision, kept in the database so every machine sees it."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("revision_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    revision: Mapped[Revision] = relationship(back_populates="attachments", lazy="raise")
