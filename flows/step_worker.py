"""The step worker: moves suspended review runs on in one warm process, without a new one per step.

A resumed `review-publication` run is a new interpreter (2–3 s of CPU) that runs the flow from the
top only to record the next stage as opened, tell whoever it concerns and suspend again. With
`PUBREVIEW_STEP_WORKER` on, `pubreview worker` does that here instead, in a thread beside the
served deployments: it follows the ledger (the truth, so nothing depends on an event arriving),
and for an item whose run is suspended on a step the ledger has moved past it takes the run
Suspended → Running, does the same steps as the flow (`tasks/`), and proposes Suspended on the
next step, or Completed at the end. Each item keeps its one run, its state history, its logs
and its history artifact in the Prefect UI.

Prefect's own rules guard every move (no forced state): a run is only taken while it is
suspended, and only a running run can be suspended again. Whatever this process does not finish
falls back to the flow itself: a step that fails hands the run to a real resume, and a run left
Running by a killed worker is crashed and restarted by `reconcile`, which then runs the flow,
whose every step is keyed in the ledger (nothing twice, nothing lost).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import db, orchestration
from pubreview.notify.dispatch import notify_publication
from pubreview.orchestration import client as prefect_api
from pubreview.review.workflow import OPEN
from tasks.review_steps import (
    Position,
    checkpoint_markdown,
    history_key,
    history_markdown,
    open_step,
    put_on_site,
    read_position,
)

log = logging.getLogger(__name__)

# Entries that can move an item to another step (the worker's own entries never do).
MOVES = (
    LedgerKind.SUBMITTED,
    LedgerKind.RESUBMITTED,
    LedgerKind.DECIDED,
    LedgerKind.WITHDRAWN,
    LedgerKind.REASSIGNED,
)
POLL_S = 0.1
MOVED_ON = "the step worker moves it on"


class StepFailed(Exception):
    """Prefect refused a move this worker proposed."""


def _run_of(publication_id: int) -> str | None:
    with db.snapshot() as session:
        return session.get(Publication, publication_id).flow_run_id


def _state(run_id: str) -> dict:
    return prefect_api.flow_run(run_id).get("state") or {}


def _settled(run_id: str, settle_s: float) -> dict:
    """The run's state once it is no longer running or about to (a fresh run still suspending)."""
    deadline = time.monotonic() + settle_s
    while True:
        state = _state(run_id)
        if state.get("type") not in ("RUNNING", "PENDING", "SCHEDULED") or (
            time.monotonic() > deadline
        ):
            return state
        time.sleep(0.2)


def _propose(run_id: str, state: dict) -> None:
    if not prefect_api.propose_state(run_id, state):
        raise StepFailed(f"Prefect refused {state['type']} for run {run_id}")


def _history(run_id: str, publication_id: int) -> None:
    markdown, description = history_markdown(publication_id)
    prefect_api.run_artifact(run_id, history_key(publication_id), markdown, description)


def _notify(run_id: str, position: Position) -> int:
    """The flow's notification step: what the position calls for, once (the ledger keeps count)."""
    report = notify_publication(position.publication_id, flow_run_id=run_id)
    if report.failed:
        prefect_api.run_log(
            run_id,
            f"publication {position.publication_id}: {report.event} not delivered to "
            f"{', '.join(report.failed)} (see `pubreview status {position.publication_id}`)",
            logging.WARNING,
        )
    return report.attempts


def _walk(run_id: str, position: Position) -> str:
    """What the flow does between two waits, for a run this worker holds Running."""
    while not position.terminal:
        if position.status == Status.SCHEDULED:
            # 定时发布 waits on a clock, not a person: the flow itself schedules the release.
            _propose(run_id, prefect_api.suspended_state(f"release:{uuid.uuid4().hex[:8]}", ""))
            return prefect_api.resume_run(run_id, None)
        opened = open_step.fn(position, run_id)
        sent = _notify(run_id, position)
        if opened or sent:
            _history(run_id, position.publication_id)
        fresh = read_position(position.publication_id)
        if fresh.waiting_key != position.waiting_key:
            position = fresh
            continue
        message = f"publication {position.publication_id} now waits on {position.waiting_key}"
        if opened:
            prefect_api.run_log(run_id, f"{message} (moved on by the step worker)")
        _propose(
            run_id,
            prefect_api.suspended_state(f"{position.waiting_key}:{uuid.uuid4().hex[:8]}", message),
        )
        return message
    if position.status == Status.PUBLISHED:
        missing = put_on_site(position.publication_id, run_id)
        if missing:
            prefect_api.run_log(run_id, missing, logging.WARNING)
            prefect_api.run_artifact(run_id, "ledger-checkpoint", checkpoint_markdown(missing))
    _notify(run_id, position)
    _history(run_id, position.publication_id)
    message = f"publication {position.publication_id} finished: {position.status}"
    prefect_api.run_log(run_id, message)
    _propose(run_id, {"type": "COMPLETED", "name": "Completed", "message": message})
    return message


def _start_run(position: Position) -> str | None:
    """Create the item's review run, Running here from its first moment; its id.

    Created once however often this is asked (the idempotency key), and with the name and tags
    the flow gives its runs, so the UI lists it as any other. None: another step worker (on
    this machine or another) created it first, and walks it.
    """
    pub_id = position.publication_id
    deployment = prefect_api.deployment(orchestration.REVIEW_DEPLOYMENT)
    mine = str(uuid.uuid4())
    run = prefect_api.create_run(
        deployment["id"],
        {
            "parameters": {"publication_id": pub_id},
            "name": f"#{pub_id} {position.title}"[:120],
            "tags": [
                "pubreview",
                f"unit:{position.unit}",
                f"category:{position.category}",
                f"publication:{pub_id}",
            ],
            "idempotency_key": f"review:{pub_id}",
            "state": {
                "type": "RUNNING",
                "name": "Running",
                "message": MOVED_ON,
                "state_details": {"transition_id": mine},
            },
        },
    )
    # A second create answers with the run that exists: only its creator's state carries `mine`.
    created = ((run.get("state") or {}).get("state_details") or {}).get("transition_id")
    return run["id"] if created == mine else None


def _take(publication_id: int, position: Position, settle_s: float) -> tuple[str | None, str]:
    """The item's run, held Running by this worker now (None: nothing to do, and why)."""
    run_id = _run_of(publication_id)
    if not run_id:
        if position.terminal:
            return None, "closed before any run"
        run_id = _start_run(position)
        return run_id, "started" if run_id else "started by another step worker"
    state = _settled(run_id, settle_s)
    if state.get("type") != "PAUSED":
        return None, f"run {run_id} is {(state.get('type') or 'unknown').lower()}"
    pause_key = (state.get("state_details") or {}).get("pause_key")
    if not orchestration.needs_resume(pause_key, position.waiting_key):
        return None, f"run {run_id} already waits on {position.waiting_key}"
    # Taking the run out of this pause is one transition, whoever asks: a second step worker
    # asking the same is refused by Prefect (a repeated transition id), so only one walks it.
    taking = {"transition_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}:{pause_key}"))}
    running = {"type": "RUNNING", "name": "Running", "message": MOVED_ON, "state_details": taking}
    if not prefect_api.propose_state(run_id, running):
        return None, f"run {run_id} was taken by another process"
    return run_id, "taken"


def advance(publication_id: int, settle_s: float = 15.0) -> str:
    """Move the item's run on to where the ledger says it stands; say what was done."""
    position = read_position(publication_id)
    run_id, why = _take(publication_id, position, settle_s)
    if run_id is None:
        return why
    try:
        return _walk(run_id, position)
    except Exception as exc:
        # The flow itself does what is left: suspend the run so that a real resume may start it.
        log.exception("publication %s: the step worker hands run %s back", publication_id, run_id)
        prefect_api.run_log(
            run_id, f"the step worker failed ({exc}); resuming the flow", logging.ERROR
        )
        state = prefect_api.suspended_state(f"handed-back:{uuid.uuid4().hex[:8]}", str(exc))
        if prefect_api.propose_state(run_id, state):
            prefect_api.resume_run(run_id, None)
        raise


class StepWorker:
    """Follows the ledger and moves items' runs on: several items at once, each in one thread."""

    def __init__(self, threads: int = 4) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="step-worker")
        self._lock = threading.Lock()
        self._busy: set[int] = set()
        self._again: set[int] = set()

    def kick(self, publication_id: int) -> None:
        """Have the item's run moved on; an item already being moved is looked at once more."""
        with self._lock:
            if publication_id in self._busy:
                self._again.add(publication_id)
                return
            self._busy.add(publication_id)
        self._pool.submit(self._drive, publication_id)

    def _drive(self, publication_id: int) -> None:
        while True:
            try:
                log.info("publication %s: %s", publication_id, advance(publication_id))
            except Exception:  # noqa: BLE001 — logged, handed back; the next entry tries again
                log.exception("publication %s: not moved on", publication_id)
            with self._lock:
                if publication_id not in self._again:
                    self._busy.discard(publication_id)
                    return
                self._again.discard(publication_id)

    def run(self, stop: threading.Event) -> None:
        """Move every open item on once (for what came while none ran), then follow the ledger."""
        with db.snapshot() as session:
            cursor = session.scalar(select(func.max(LedgerEntry.id))) or 0
            waiting = session.scalars(
                select(Publication.id).where(
                    Publication.status.in_(list(OPEN)), Publication.flow_run_id.is_not(None)
                )
            ).all()
        for publication_id in waiting:
            self.kick(publication_id)
        while not stop.wait(POLL_S):
            try:
                with db.snapshot() as session:
                    rows = session.execute(
                        select(LedgerEntry.id, LedgerEntry.publication_id)
                        .where(LedgerEntry.id > cursor, LedgerEntry.kind.in_(MOVES))
                        .order_by(LedgerEntry.id)
                    ).all()
                cursor = max([cursor, *(r.id for r in rows)])
            except Exception:  # noqa: BLE001 — a database hiccup: read again on the next tick
                log.exception("the step worker could not read the ledger")
                continue
            for publication_id in dict.fromkeys(r.publication_id for r in rows if r.publication_id):
                self.kick(publication_id)


def start() -> threading.Event:
    """Start the step worker on a daemon thread of this process; set the event to stop it."""
    stop = threading.Event()
    threading.Thread(target=StepWorker().run, args=(stop,), name="step-worker", daemon=True).start()
    return stop


def main() -> None:
    """The step worker as a process of its own, beside `prefect worker` on a work pool; until
    SIGTERM or Ctrl-C. Several may run, on several machines: each move is taken by one."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    StepWorker().run(stop)


if __name__ == "__main__":
    main()
