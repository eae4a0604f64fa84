"""The submitter's draft form (/submit and a returned item's resubmit form), read and checked.

A posted form is read once into a `DraftForm`: the text fields as typed, each new upload
checked by content and kept (staging) so a form shown again keeps its files, and a .docx body
turned into Markdown. Rules about the draft itself stay in `pubreview.review.submission`;
this module only keeps every field the person typed and says which one is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from models.publication import Disclosure, Grade
from pubreview import inputs, settings
from pubreview.errors import LimitExceeded, ValidationError
from pubreview.labels import SEVERITY_LABEL
from pubreview.review.drafts import check_attachment, docx_to_markdown
from pubreview.review.submission import AttachmentFile, Screened, parse_grade, screen
from pubreview.web import staging
from pubreview.web.review import body_html

# A Markdown body is text: the input boundary's bound on one typed value.
MAX_TEXT_FIELD = inputs.MAX_TEXT_BYTES


@dataclass(frozen=True)
class Upload:
    """A file as posted (cut at the size limit + 1 byte, so an oversized one is still named)."""

    filename: str
    content: bytes


@dataclass
class RawForm:
    """A multipart form as posted: text fields (repeatable) and files by field name."""

    fields: dict[str, list[str]]
    files: dict[str, list[Upload]]

    def text(self, name: str) -> str:
        """The field's (last) value, '' when absent."""
        values = self.fields.get(name) or [""]
        return values[-1]

    def flat(self) -> dict[str, str]:
        """One value per field, as the CSRF check and the decision form read them."""
        return {k: v[-1] for k, v in self.fields.items() if v}


class FormUnreadable(Exception):
    """The request body is not a form this app could have sent (too large, malformed)."""


async def read_form(request: Request) -> RawForm:
    """Read a posted multipart or urlencoded form, files included (each cut at the limit)."""
    limit = settings.load().max_attachment_bytes
    try:
        form = await request.form(max_part_size=MAX_TEXT_FIELD)
    except MultiPartException as exc:
        raise FormUnreadable(str(exc)) from exc
    fields: dict[str, list[str]] = {}
    files: dict[str, list[Upload]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                data = await value.read(limit + 1)
                files.setdefault(name, []).append(Upload(value.filename, data))
        else:
            fields.setdefault(name, []).append(value)
    await form.close()
    return RawForm(fields, files)


@dataclass
class DraftForm:
    """Everything the draft form shows again: what was typed, kept files, errors, preview."""

    title: str = ""
    body: str = ""
    category: str = ""
    channels: list[str] = field(default_factory=list)
    unit: str = ""
    disclosure: str = Disclosure.ACTIVE.value
    disclosure_reason: str = ""
    grade: str = Grade.ORDINARY.value  # 信息等级
    staged: list[staging.StagedFile] = field(default_factory=list)
    keep: list[int] = field(default_factory=list)  # resubmit: attachment ids kept
    checked: str = ""  # fingerprint of the content whose screening the person has seen
    action: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    notes: list[str] = field(default_factory=list)
    converted_from: str | None = None  # the .docx the body was taken from this time

    def fail(self, exc: ValidationError) -> None:
        """Record a refusal against its field (the message names the field)."""
        self.errors.append((exc.field or "", str(exc)))

    @property
    def error_fields(self) -> set[str]:
        """The fields to mark."""
        return {f for f, _ in self.errors}

    def disclosure_enum(self) -> Disclosure:
        """The 公开属性 chosen, or ValidationError."""
        try:
            return Disclosure(self.disclosure)
        except ValueError as exc:
            raise ValidationError(
                "公开属性：请选择主动公开、依申请公开或不予公开", field="disclosure"
            ) from exc

    def grade_enum(self) -> Grade:
        """The 信息等级 chosen, or ValidationError."""
        return parse_grade(self.grade)


def parse(raw: RawForm, person_id: int) -> DraftForm:
    """Read the posted draft; new uploads are checked and staged, a .docx body converted."""
    form = DraftForm(
        title=raw.text("title"),
        body=raw.text("body"),
        category=raw.text("category"),
        channels=[c for c in raw.fields.get("channels", []) if c],
        unit=raw.text("unit"),
        disclosure=raw.text("disclosure") or Disclosure.ACTIVE.value,
        disclosure_reason=raw.text("disclosure_reason"),
        grade=raw.text("grade") or Grade.ORDINARY.value,
        checked=raw.text("checked"),
        action=raw.text("action"),
        keep=[int(v) for v in raw.fields.get("keep", []) if v.isdigit()],
    )
    form.staged, expired = staging.carry(
        person_id, raw.fields.get("staged", []), raw.fields.get("drop", [])
    )
    form.notes += ["有一个此前上传的附件已过期，请重新选择"] * expired
    uploads = raw.files.get("attachments", [])
    try:  # before staging: a flood of files is refused, not kept
        inputs.check_attachment_count(len(form.staged) + len(form.keep) + len(uploads))
    except ValidationError as exc:
        form.fail(exc)
        uploads = []
    for upload in uploads:
        try:
            checked = check_attachment(upload.filename, upload.content)
        except ValidationError as exc:
            form.fail(exc)
            continue
        form.staged.append(staging.stage(person_id, checked))
    for upload in raw.files.get("body_docx", [])[:1]:
        try:
            converted = docx_to_markdown(upload.filename, upload.content)
            if problem := inputs.text_problem(converted.markdown):  # the typed body's rule
                raise ValidationError(
                    f"正文文件“{upload.filename}”转换后的正文{problem}", field="body_docx"
                )
        except ValidationError as exc:
            form.fail(exc)
            continue
        form.body = converted.markdown
        form.converted_from = upload.filename
        form.notes.append(f"正文已从“{upload.filename}”读取，请核对预览后再提交")
        form.notes.extend(converted.notes)
    return form


def staged_files(form: DraftForm, person_id: int) -> list[AttachmentFile]:
    """The staged uploads' contents (a token that expired meanwhile is left out and noted)."""
    files = []
    for item in form.staged:
        loaded = staging.load(person_id, item.token)
        if loaded is None:
            form.notes.append(f"附件“{item.filename}”已过期，请重新选择")
            continue
        files.append(loaded)
    return files


def screening_view(result: dict) -> dict:
    """A screening result as the pages show it (labels in Chinese)."""
    return {
        "recorded": bool(result),
        "blocked": bool(result.get("blocked")),
        "findings": [
            {**f, "severity_label": SEVERITY_LABEL.get(f["severity"], f["severity"])}
            for f in result.get("findings", [])
        ],
        "not_screened": result.get("not_screened", []),
    }


@dataclass(frozen=True)
class Preview:
    """The server-side preview: the body as it will read, and the screening of the draft."""

    body_html: object
    screening: dict
    screened: Screened | None  # handed to submit/resubmit, which use it if nothing changed

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the previewed content ("" when it could not be screened)."""
        return self.screened.fingerprint if self.screened else ""

    @property
    def has_findings(self) -> bool:
        """Whether the screening found anything the person should see before submitting."""
        return bool(self.screening["findings"] or self.screening["not_screened"])


def preview(title: str, body: str, attachments: list[AttachmentFile]) -> Preview:
    """Render and screen a draft exactly as submission will (nothing is written)."""
    try:
        screened = screen(title, body, attachments)
        result = screened.result
    except LimitExceeded:
        raise  # a file refused outright (too slow to screen): the page says so, nothing kept
    except ValidationError as exc:
        # A list file the screen needs is missing or broken: say so, do not hide it.
        screened = None
        result = {
            "blocked": False,
            "findings": [],
            "not_screened": [{"location": "全部", "reason": f"保密预检无法运行：{exc}"}],
        }
    return Preview(
        body_html=body_html(body) if body.strip() else "",
        screening=screening_view(result),
        screened=screened,
    )
