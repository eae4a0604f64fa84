"""登记: a disclosure request arrives; the day it counts as received follows 第三十一条.

当面: the day it is handed in. 邮寄: the day the office signs for it; 平邮 (no signature) and
网上 / 传真 / 电邮: the day the office confirmed it with the applicant. The arrival and the
counted day are both recorded. The applicant's name and contact are personal data: they are
stored in the request's row only, and the ledger entry carries their fingerprint. So are the
attachments (`files`): kept beside the row, their SHA-256 in the entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from models import DisclosureRequest
from models.requests import ApplicantType, RequestChannel, RequestStatus
from pubreview.errors import ValidationError
from pubreview.requests import access, calendar, deadlines, entries, files, store, years
from pubreview.requests.calendar import WorkCalendar
from pubreview.review.submission import AttachmentFile

CONFIRMED = (RequestChannel.PLAIN_MAIL, RequestChannel.ONLINE, RequestChannel.FAX)
CONFIRMED += (RequestChannel.EMAIL,)


# The channels' longer names, as request registers and lists kept elsewhere write them.
CHANNEL_ALIASES = {
    "信函": RequestChannel.MAIL,  # 邮寄/信函: signed for
    "平常信函": RequestChannel.PLAIN_MAIL,  # no signature (第三十一条（二）)
    "网上平台": RequestChannel.ONLINE,
    "网络": RequestChannel.ONLINE,
    "电子邮件": RequestChannel.EMAIL,
}


def channel_of(value: str) -> RequestChannel:
    """A channel by its Chinese name (or a longer one); the error lists the ones there are."""
    text = value.strip()
    if text in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[text]
    try:
        return RequestChannel(text)
    except ValueError:
        names = "、".join(c.value for c in RequestChannel)
        raise ValidationError(
            f"没有「{value}」这种申请方式，应为 {names} 之一", field="channel"
        ) from None


def applicant_type_of(value: str) -> ApplicantType:
    """An applicant type (a Table 三 column) by its Chinese name."""
    try:
        return ApplicantType(value.strip())
    except ValueError:
        names = "、".join(t.value for t in ApplicantType)
        raise ValidationError(
            f"没有「{value}」这种申请人类型，应为 {names} 之一", field="applicant_type"
        ) from None


def counted_receipt(
    channel: RequestChannel,
    arrived_on: date,
    *,
    signed_on: date | None = None,
    confirmed_on: date | None = None,
) -> date:
    """The day the request counts as received (第三十一条)."""
    if channel is RequestChannel.IN_PERSON:
        return arrived_on
    if channel is RequestChannel.MAIL:
        return signed_on or arrived_on
    # 平邮 is confirmed on the day it arrives; the others on the day of confirmation.
    return confirmed_on or arrived_on


def receive(
    session: Session,
    *,
    actor: str,
    channel: str,
    applicant_type: str,
    arrived_on: date,
    content: str,
    applicant_name: str | None = None,
    applicant_contact: str | None = None,
    signed_on: date | None = None,
    confirmed_on: date | None = None,
    cal: WorkCalendar | None = None,
    attachments: Sequence[AttachmentFile] = (),
) -> DisclosureRequest:
    """Register a request and its deadline; nothing is written if any of it is wrong.

    `attachments` are checked files (`files.check_uploads` or `files.read_paths`, before the
    transaction).
    """
    person = access.handler(session, actor)
    kind = channel_of(channel)
    applicant = applicant_type_of(applicant_type)
    content = store.text_of(content, "申请内容", limit=store.CONTENT_LIMIT)
    name = store.text_of(
        applicant_name, "申请人姓名或名称", required=False, limit=store.NAME_LIMIT, one_line=True
    )
    contact = store.text_of(
        applicant_contact, "联系方式", required=False, limit=store.CONTACT_LIMIT
    )
    name, contact = name or None, contact or None  # blank is not given
    store.check_day(arrived_on, "收到日期")
    if signed_on is not None and kind is not RequestChannel.MAIL:
        raise ValidationError("只有邮寄（需签收）的申请有签收日期", field="signed_on")
    if confirmed_on is not None and kind not in CONFIRMED:
        raise ValidationError(
            "只有平邮、网上、传真、电邮提交的申请需要与申请人确认", field="confirmed_on"
        )
    for day, label in ((signed_on, "签收日期"), (confirmed_on, "确认日期")):
        if day is not None:
            store.check_day(day, label, not_before=arrived_on, after="收到日期")
    received_on = counted_receipt(kind, arrived_on, signed_on=signed_on, confirmed_on=confirmed_on)
    years.refuse_if_closed(session, received_on, "计为收到之日")
    cal = cal or calendar.load()
    due_on = cal.add(received_on, deadlines.REPLY_DAYS)  # CalendarGap before anything is written
    req = DisclosureRequest(
        channel=kind,
        applicant_type=applicant,
        applicant_name=name,
        applicant_contact=contact,
        content=content,
        arrived_on=arrived_on,
        received_on=received_on,
        clock_from=received_on,
        status=RequestStatus.OPEN,
        due_on=due_on,
        extension_days=0,
        excluded_days=0,
        registered_by=person.username,
    )
    session.add(req)
    session.flush()
    files.add_receipt_files(session, req.id, attachments)
    entries.record(
        session,
        entries.Received(
            request_id=req.id,
            channel=kind.value,
            applicant_type=applicant.value,
            arrived_on=arrived_on,
            received_on=received_on,
            basis=store.BASIS[kind.value],
            due_on=due_on,
            personal_digest=entries.digest(name, contact, content),
            attachments=files.ledger_list(attachments) or None,
        ),
        actor=person.username,
    )
    return req
