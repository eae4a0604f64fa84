"""Taking a decision from a web page: the form read into a `DecisionRequest`, decided, handed on.

Every page that decides (the signed-link review page, the logged-in item page, the center's
console) goes through here, so the form fields, the checks and the Prefect hand-off are the
same everywhere. The decision is checked in a read snapshot and written in a short write
transaction (`decisions.prepare`, `decisions.record_prepared`), so web writers hold SQLite's one
write lock only for the append. The hand-off runs after the response, once it is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import BackgroundTasks, Request
from starlette.concurrency import run_in_threadpool

from models import Stage
from pubreview.errors import ValidationError
from pubreview.labels import OUTCOME_LABEL
from pubreview.review.decisions import (
    DecisionRequest,
    DecisionResult,
    decide,
    prepare,
    record_prepared,
)
from pubreview.review.workflow import Outcome
from pubreview.web.common import snapshot, transaction

log = logging.getLogger(__name__)

AfterCommit = Callable[..., str]


def request_from_form(
    form: dict[str, str],
    *,
    publication_id: int,
    username: str,
    stage: Stage,
    revision: int,
    via: str,
) -> DecisionRequest:
    """The decision a review form posted: outcome, opinion, attestation, URLs, publish time."""
    outcome = form.get("outcome", "")
    if outcome not in OUTCOME_LABEL:
        raise ValidationError("请点击“同意”“退回修改”或“不予发布”之一")
    urls = {
        key.removeprefix("url."): value.strip()
        for key, value in form.items()
        if key.startswith("url.") and value.strip()
    }
    return DecisionRequest(
        publication_id=publication_id,
        username=username,
        outcome=Outcome(outcome),
        stage=stage,
        revision=revision,
        comment=form.get("comment") or None,
        attest=form.get("attest") == "yes",
        urls=urls,
        override_reason=form.get("override_reason") or None,
        publish_at=_publish_at(form.get("publish_at", "")),
        via=via,
    )


def _publish_at(text: str) -> datetime | None:
    """A datetime-local field (office time) or nothing: publish now."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"定时发布时间「{text}」无法识别，请按“2026-12-01 09:00”的格式填写"
        ) from exc


def _decide_now(request: DecisionRequest) -> DecisionResult:
    """Check in a read snapshot, then write under the lock unless the item moved meanwhile.

    The write transaction (one writer at a time) then holds only the item's row, its last
    entry and the append; if either moved, `decide` checks everything again under the lock.
    """
    with snapshot() as session:
        prepared = prepare(session, request)
    if isinstance(prepared, DecisionResult):
        return prepared  # a decision already recorded: nothing to write
    with transaction() as session:
        return record_prepared(session, prepared) or decide(session, request)


async def record_decision(
    http: Request, request: DecisionRequest, tasks: BackgroundTasks
) -> DecisionResult:
    """Decide in its own transaction; once committed, tell Prefect after the response."""
    result = await run_in_threadpool(_decide_now, request)
    if result.recorded:
        after_commit: AfterCommit = http.app.state.after_commit
        tasks.add_task(_hand_off, after_commit, request, result)
    return result


def _hand_off(after_commit: AfterCommit, request: DecisionRequest, result: DecisionResult) -> None:
    note = after_commit(
        result.event,
        result.publication_id,
        actor=request.username,
        resume=True,
        payload=request.event_payload(result),
    )
    log.info("after decision on %s: %s", result.publication_id, note)
