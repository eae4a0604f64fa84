"""The organisation: units (科室, 区县市编办, 中心), people, and each person's roles per unit."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_by_value


class UnitKind(enum.StrEnum):
    """What sort of unit this is."""

    SECTION = "section"  # 科室
    COUNTY = "county"  # 区县市编办
    CENTER = "center"  # 中心: publishes


class Role(enum.StrEnum):
    """A role a person holds for a unit."""

    SUBMITTER = "submitter"  # 起草/报送
    SECTION_HEAD = "section_head"  # 科室负责人: 初审
    LEADER = "leader"  # 分管领导: 审签
    CENTER = "center"  # 中心: 发布
    ADMIN = "admin"  # 管理员


class Unit(Base):
    """A 科室, a county office (区县市编办) or the publication center."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="short stable key")
    name: Mapped[str] = mapped_column(String(200), comment="display name, e.g. 综合科")
    kind: Mapped[UnitKind] = mapped_column(enum_by_value(UnitKind, "unit_kind"))


class Person(Base):
    """A member of staff who submits, reviews, signs off or publishes."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, comment="login used by --as")
    name: Mapped[str] = mapped_column(String(200), comment="display name")
    email: Mapped[str | None] = mapped_column(String(320))
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="person", lazy="raise")


class RoleGrant(Base):
    """Person P holds role R for unit U."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_by_value(Role, "role"))
    person: Mapped[Person] = relationship(back_populates="grants", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")
