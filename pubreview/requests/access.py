"""Who may handle disclosure requests, and who approves on the head's behalf.

The organisation has no role of its own for 依申请公开 yet: the publication center (中心),
which runs the office's 政务公开 work, handles requests, and administrators may too. A 分管领导
(leader) approves an extension and signs the reply (签发). Change it here and nowhere else.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Person, Role
from pubreview.accounts import org
from pubreview.errors import Forbidden

HANDLER_ROLES = (Role.CENTER, Role.ADMIN)
APPROVER_ROLES = (Role.LEADER,)
YEAR_CLOSER_ROLES = (Role.LEADER, Role.ADMIN)  # 年度结转: the head, or an administrator


def may_handle(session: Session, person: Person) -> bool:
    """Whether the person registers and handles requests (and may read applicants' details)."""
    return any(org.holds(session, person.id, role) for role in HANDLER_ROLES)


def may_approve(session: Session, person: Person) -> bool:
    """Whether the person approves extensions and signs replies (机关负责人)."""
    return any(org.holds(session, person.id, role) for role in APPROVER_ROLES)


def may_read_letter(session: Session, person: Person, key: str) -> bool:
    """Whether the person may have a letter of a request (it names the applicant): handlers,
    and the signer for the 答复告知书, which they read before they sign it."""
    return may_handle(session, person) or (key == "reply" and may_approve(session, person))


def handler(session: Session, username: str) -> Person:
    """The person, who must handle requests; Forbidden otherwise."""
    person = org.person(session, username)
    if not may_handle(session, person):
        raise Forbidden(f"{person.name}（{person.username}）不负责办理政府信息公开申请")
    return person


def approver(session: Session, username: str) -> Person:
    """The person, who must be a leader able to approve; Forbidden otherwise."""
    person = org.person(session, username)
    if not may_approve(session, person):
        raise Forbidden(f"{person.name}（{person.username}）不是分管领导，不能批准或签发")
    return person


def may_close_year(session: Session, person: Person) -> bool:
    """Whether the person closes a year of requests (年度结转)."""
    return any(org.holds(session, person.id, role) for role in YEAR_CLOSER_ROLES)


def year_closer(session: Session, username: str) -> Person:
    """The person, who must be a leader or an administrator; Forbidden otherwise."""
    person = org.person(session, username)
    if not may_close_year(session, person):
        raise Forbidden(f"{person.name}（{person.username}）不是分管领导或管理员，不能办理年度结转")
    return person


def _holding(session: Session, roles: tuple[Role, ...]) -> list[Person]:
    people = {p.username: p for role in roles for p in org.holders(session, role)}
    return [people[u] for u in sorted(people)]


def handlers(session: Session) -> list[Person]:
    """Everyone who handles requests, by username."""
    return _holding(session, HANDLER_ROLES)


def approvers(session: Session) -> list[Person]:
    """Everyone who approves for the head (机关负责人), by username: whom an overdue reaches."""
    return _holding(session, APPROVER_ROLES)
