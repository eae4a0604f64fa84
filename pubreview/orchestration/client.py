"""Talking to Prefect: events after a ledger write, resuming the waiting run, reconciling runs.

Nothing here decides anything: the ledger is already written when these run, so a failure
here loses nothing and `pubreview reconcile` catches up later.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Publication, Status
from pubreview import db, settings
from pubreview.review.workflow import OPEN, TERMINAL

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun


REVIEW_FLOW = "review-publication"
REVIEW_DEPLOYMENT = f"{REVIEW_FLOW}/{REVIEW_FLOW}"
RESOURCE_PREFIX = "pubreview.publication."
# The event label saying what starts a submitted item's review run (see deployments/prefect.yaml).
STARTED_BY = "pubreview.review-run.started-by"
logger = logging.getLogger(__name__)
# Prefect's final state types: a run in one of them will never wait again.
_FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
# A closed item whose last run failed (the database went away while it put the item on the site
# or told the people) gets a run that finishes it, if it closed this recently and not more than
# this many runs of it have failed: a fault that passes is caught up, a bug is not rerun forever.
FINISH_WINDOW = timedelta(days=2)
FINISH_ATTEMPTS = 3


def _prefect() -> None:
    settings.pin_prefect_environment(settings.load())
    # Prefect's event queue says "Still processing items" while it drains at exit; the events
    # still go out, and a person running a command has nothing to do with the line.
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def prefect_reachable(timeout_s: float = 15.0) -> bool:
    """Whether the Prefect API answers its health check (a refused connection fails at once)."""
    try:
        return _http().get(_api("/health"), timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def waiting_key(pub: Publication) -> str | None:
    """What a review run for this item waits on now, as the prefix of its pause key."""
    if pub.status is Status.IN_REVIEW:
        return f"{pub.stage.value}:r{pub.current_revision}"
    if pub.status is Status.RETURNED:
        return f"returned:r{pub.current_revision}"
    if pub.status is Status.SCHEDULED:
        return f"scheduled:r{pub.current_revision}"
    return None


def _api(path: str) -> str:
    """The address of one Prefect API route."""
    _prefect()
    return os.environ["PREFECT_API_URL"].rstrip("/") + path


@cache
def _http() -> httpx.Client:
    # One client per process, shared by threads (httpx's is thread-safe): a new client loads
    # the system's CA bundle, about 17 ms, and would open a new connection every time.
    return httpx.Client(timeout=10.0)


def _call(method: str, path: str, deadline: float, **kwargs: Any) -> httpx.Response:
    """One Prefect API call, retried while a SQLite-backed server answers 503 (database locked)."""
    while True:
        response = _http().request(method, _api(path), **kwargs)
        if response.status_code != 503 or time.monotonic() > deadline:
            response.raise_for_status()
            return response
        time.sleep(0.2)


def publication_resource(pub_id: int, title: str) -> dict[str, str]:
    """The resource a publication's events are about, with the labels triggers match on."""
    return {
        "prefect.resource.id": f"{RESOURCE_PREFIX}{pub_id}",
        "prefect.resource.name": title,
        # Who starts the item's review run: the review deployment's trigger matches only
        # "flow", so with the step worker (which starts it itself) no trigger starts one too.
        STARTED_BY: "step-worker" if settings.load().step_worker else "flow",
    }


def emit(
    event: str,
    pub_id: int,
    *,
    title: str,
    unit: str,
    actor: str,
    payload: dict[str, Any] | None = None,
) -> None:
    """Emit one Prefect event about a publication, with its unit and actor as related resources.

    Sent with one HTTP request to the server's events route rather than through Prefect's
    client: importing Prefect costs a command about 2 s, the request a few milliseconds.
    """
    body = {
        "id": str(uuid.uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
        "event": event,
        "resource": publication_resource(pub_id, title),
        "related": [
            {"prefect.resource.id": f"pubreview.unit.{unit}", "prefect.resource.role": "unit"},
            {"prefect.resource.id": f"pubreview.person.{actor}", "prefect.resource.role": "actor"},
        ],
        "payload": {"publication_id": pub_id, **(payload or {})},
    }
    try:
        _call("POST", "/events", time.monotonic() + 15.0, json=[body])
    except httpx.HTTPError as exc:
        # The ledger already holds the step; reconcile starts or resumes what the event missed.
        logger.warning("event %s for item %s not sent: %s", event, pub_id, exc)


def _client():
    _prefect()
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def needs_resume(pause_key: str | None, waits_on: str | None) -> bool:
    """Whether a run suspended on `pause_key` waits on something the ledger has moved past."""
    return waits_on is None or not (pause_key or "").startswith(f"{waits_on}:")


def resume(flow_run_id: str | None, waits_on: str | None, settle_s: float = 15.0) -> str:
    """After a decision: wake the item's run (`resume_run`), unless the step worker moves it on."""
    if flow_run_id and settings.load().step_worker:
        # The step worker reads the decision from the ledger and moves the run on itself:
        # a resume here would start a flow-run process for a step it has already taken.
        return f"review run {flow_run_id} is moved on by the step worker"
    return resume_run(flow_run_id, waits_on, settle_s)


def resume_run(flow_run_id: str | None, waits_on: str | None, settle_s: float = 15.0) -> str:
    """Wake the run waiting for this item, if it waits on a step the ledger has moved past.

    A run that has just opened a step is still Running for a moment before it suspends; a
    decision taken in that moment finds nothing to resume, so wait (up to `settle_s`) for
    the run to suspend, then resume it. Never raises on Prefect trouble: it says what happened.
    Plain HTTP, as `emit`, so a command does not pay for importing Prefect.
    """
    if not flow_run_id:
        return "no review run recorded yet; `pubreview reconcile` will start one"
    deadline = time.monotonic() + settle_s
    while True:
        try:
            state = _call("GET", f"/flow_runs/{flow_run_id}", deadline).json().get("state") or {}
            kind = state.get("type")
            if kind == "PAUSED":
                pause_key = (state.get("state_details") or {}).get("pause_key")
                if not needs_resume(pause_key, waits_on):
                    return f"review run {flow_run_id} already waits on {waits_on}"
                answer = _call(
                    "POST", f"/flow_runs/{flow_run_id}/resume", deadline, json={"run_input": None}
                ).json()
                if answer.get("status") in ("ACCEPT", "ACCEPTED"):
                    return f"resumed review run {flow_run_id}"
                details = answer.get("details") or {}
                return (
                    f"review run {flow_run_id} not resumed ({details.get('reason', answer)}); "
                    "reconcile will"
                )
        except httpx.HTTPError as exc:
            return f"could not resume review run {flow_run_id} ({exc}); reconcile will"
        if kind in _FINAL or time.monotonic() > deadline:
            return (
                f"review run {flow_run_id} is {(kind or 'unknown').lower()}, not waiting; "
                "`pubreview reconcile` will set it right if needed"
            )
        time.sleep(0.2)


def flow_run(flow_run_id: str, deadline_s: float = 15.0) -> dict[str, Any]:
    """The flow run as Prefect's API reads it (its `state` with `state_details`)."""
    return _call("GET", f"/flow_runs/{flow_run_id}", time.monotonic() + deadline_s).json()


def deployment(name: str) -> dict[str, Any]:
    """A deployment by its `flow/deployment` name."""
    return _call("GET", f"/deployments/name/{name}", time.monotonic() + 15.0).json()


def create_run(deployment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create a run of a deployment (parameters, name, tags, state, idempotency key)."""
    return _call(
        "POST",
        f"/deployments/{deployment_id}/create_flow_run",
        time.monotonic() + 15.0,
        json=body,
    ).json()


def propose_state(flow_run_id: str, state: dict[str, Any], deadline_s: float = 15.0) -> bool:
    """Ask Prefect to move a run to `state` under its own rules; whether it accepted."""
    answer = _call(
        "POST",
        f"/flow_runs/{flow_run_id}/set_state",
        time.monotonic() + deadline_s,
        json={"state": state, "force": False},
    ).json()
    return answer.get("status") in ("ACCEPT", "ACCEPTED")


def suspended_state(key: str, message: str) -> dict[str, Any]:
    """The state `suspend_flow_run` proposes: paused on `key`, rescheduled when resumed."""
    timeout = datetime.now(UTC).timestamp() + settings.load().suspend_timeout_s
    return {
        "type": "PAUSED",
        "name": "Suspended",
        "message": message,
        "state_details": {
            "pause_key": key,
            "pause_reschedule": True,
            "pause_timeout": datetime.fromtimestamp(timeout, UTC).isoformat(),
        },
    }


_log_lines: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()


def run_log(flow_run_id: str, message: str, level: int = logging.INFO) -> None:
    """One line on the run's Logs tab, sent in the background with the lines waiting beside it.

    A log line is not worth a step's wait: a move posts its state and artifact itself, and its
    lines go out in one request per batch. A line that cannot be sent is only logged here.
    """
    _log_lines.put(
        {
            "name": "pubreview.step_worker",
            "level": level,
            "message": message,
            "timestamp": datetime.now(UTC).isoformat(),
            "flow_run_id": flow_run_id,
        }
    )
    _log_sender()


@cache
def _log_sender() -> threading.Thread:
    thread = threading.Thread(target=_send_logs, name="prefect-logs", daemon=True)
    thread.start()
    return thread


def _send_logs() -> None:
    while True:
        batch = [_log_lines.get()]
        while len(batch) < 200:
            try:
                batch.append(_log_lines.get_nowait())
            except queue.Empty:
                break
        try:
            _call("POST", "/logs/", time.monotonic() + 15.0, json=batch)
        except Exception as exc:  # noqa: BLE001 — the sender lives on; a lost line is only logged
            for line in batch:
                logger.warning(
                    "run %s: log line not sent (%s): %s", line["flow_run_id"], exc, line["message"]
                )


def run_artifact(flow_run_id: str, key: str, markdown: str, description: str | None = None) -> None:
    """A markdown artifact on the run (a new version of `key`), as `create_markdown_artifact`."""
    body = {
        "key": key,
        "type": "markdown",
        "data": markdown,
        "description": description,
        "flow_run_id": flow_run_id,
    }
    _call("POST", "/artifacts/", time.monotonic() + 15.0, json=body)


@dataclass(frozen=True)
class ReconcileAction:
    """One thing reconcile did."""

    publication_id: int
    action: str
    flow_run_id: str | None
    detail: str


def _start_review_run(client, deployment_id, pub_id: int) -> FlowRun:
    """A new review run of the item, tagged with it from the start (as the flow tags its runs)."""
    return client.create_flow_run_from_deployment(
        deployment_id,
        parameters={"publication_id": pub_id},
        tags=["pubreview", f"publication:{pub_id}"],
    )


def _open_runs(client, deployment_id) -> list[FlowRun]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    runs: list[FlowRun] = []
    offset = 0
    while True:
        page = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[
                            StateType.SCHEDULED,
                            StateType.PENDING,
                            StateType.RUNNING,
                            StateType.PAUSED,
                        ]
                    )
                )
            ),
            limit=200,
            offset=offset,
        )
        runs += page
        if len(page) < 200:
            return runs
        offset += 200


def reconcile(session: Session, stale_after_s: float = 120.0) -> list[ReconcileAction]:
    """Make Prefect match the ledger: one live run per open item, waiting on the right step.

    A run stuck Running or Pending longer than `stale_after_s` (its process was killed) is
    marked Crashed; an open item with no live run gets a new one, and so does an item whose run
    died after its last decision (to finish it); a suspended run waiting on
    something the ledger has moved past (a decision recorded but its resume lost) is resumed.
    """
    from prefect.states import Crashed

    actions: list[ReconcileAction] = []
    with _client() as client:
        deployment = client.read_deployment_by_name(REVIEW_DEPLOYMENT)
        by_pub: dict[int, list[FlowRun]] = {}
        for run in _open_runs(client, deployment.id):
            pub_id = run.parameters.get("publication_id")
            if isinstance(pub_id, int):
                by_pub.setdefault(pub_id, []).append(run)
        pubs = {
            p.id: p
            for p in session.scalars(
                select(Publication).where(
                    Publication.status.in_(list(OPEN)) | Publication.id.in_(list(by_pub))
                )
            )
        }
        now = datetime.now(UTC)
        for pub_id, pub in sorted(pubs.items()):
            live = []
            crashed = False
            for run in by_pub.get(pub_id, []):
                state = run.state
                age = (now - state.timestamp).total_seconds()
                if (state.is_running() or state.is_pending()) and age > stale_after_s:
                    client.set_flow_run_state(
                        run.id,
                        Crashed(message="process gone: reconciled from the ledger"),
                        force=True,
                    )
                    actions.append(
                        ReconcileAction(
                            pub_id, "crashed", str(run.id), f"{state.type.value} for {age:.0f} s"
                        )
                    )
                    crashed = True
                else:
                    live.append(run)
            key = waiting_key(pub)
            if not live and pub.status not in TERMINAL:
                run = _start_review_run(client, deployment.id, pub_id)
                actions.append(
                    ReconcileAction(pub_id, "started", str(run.id), f"no live run; waits on {key}")
                )
                continue
            if not live and crashed:
                # The run died after the item's last decision, before it had finished (put it
                # on the site, told the people): a new run does what is left, and only that.
                run = _start_review_run(client, deployment.id, pub_id)
                actions.append(
                    ReconcileAction(pub_id, "started", str(run.id), f"finishes {pub.status.value}")
                )
                continue
            for run in live:
                if not run.state.is_paused():
                    continue
                pause_key = run.state.state_details.pause_key or ""
                if needs_resume(pause_key, key):
                    client.resume_flow_run(run.id)
                    actions.append(
                        ReconcileAction(
                            pub_id,
                            "resumed",
                            str(run.id),
                            f"waited on {pause_key.rsplit(':', 1)[0]}, "
                            f"ledger says {key or pub.status.value}",
                        )
                    )
        actions += _finish_failed(client, session, deployment.id, skip=set(pubs), now=now)
    return actions


def needs_finishing(states: list[str]) -> bool:
    """Whether a closed item's runs, newest first, call for a run that finishes it."""
    if not states or states[0] not in ("FAILED", "CRASHED"):
        return False
    return sum(s in ("FAILED", "CRASHED") for s in states) < FINISH_ATTEMPTS


def _finish_failed(
    client, session: Session, deployment_id, skip: set[int], now: datetime
) -> list[ReconcileAction]:
    """A new run for each recently closed item whose newest run failed before finishing it."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    closed = [
        pub_id
        for pub_id in session.scalars(
            select(Publication.id).where(
                Publication.status.in_(list(TERMINAL)),
                Publication.waiting_since >= now - FINISH_WINDOW,
                Publication.flow_run_id.is_not(None),
            )
        )
        if pub_id not in skip
    ]
    states: dict[int, list[str]] = {}
    for start in range(0, len(closed), 100):
        tags = [f"publication:{pub_id}" for pub_id in closed[start : start + 100]]
        offset = 0
        while True:
            page = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(any_=tags)),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=200,
                offset=offset,
            )
            for run in page:
                pub_id = run.parameters.get("publication_id")
                if isinstance(pub_id, int) and run.state is not None:
                    states.setdefault(pub_id, []).append(run.state.type.value)
            if len(page) < 200:
                break
            offset += 200
    actions = []
    for pub_id, newest_first in sorted(states.items()):
        if not needs_finishing(newest_first):
            if newest_first[0] in ("FAILED", "CRASHED"):
                logger.error(
                    "publication %s: %d runs failed after it closed; not started again",
                    pub_id,
                    len(newest_first),
                )
            continue
        run = _start_review_run(client, deployment_id, pub_id)
        actions.append(
            ReconcileAction(pub_id, "started", str(run.id), f"finishes: its run {newest_first[0]}")
        )
    return actions


def reconcile_pass(stale_after_s: float = 120.0) -> list[ReconcileAction]:
    """One pass, as the scheduled flow and `pubreview reconcile` both run it.

    Prefect is made to match the ledger, then every message whose sender died holding its
    claim goes out once the claim's lease has lapsed.
    """
    from pubreview.notify.dispatch import resend_unsent

    with db.transaction() as session:
        actions = reconcile(session, stale_after_s=stale_after_s)
    actions += [
        ReconcileAction(pub_id, "resent", None, "a message its sender never sent went out")
        for pub_id, report in resend_unsent().items()
        if report.attempts
    ]
    return actions
