"""What follows a committed step, run by one thread of the web process, off the request path.

A page that commits a step (a decision, a submission, a withdrawal, a center action) answers
as soon as the ledger has it; telling the next person, the event and the resume
(`orchestration.after_commit`) are queued here and run one after another, in the order they
were committed, by a single thread started with the first of them. Nothing is lost if the
process dies with some still queued: the ledger already holds each step, the review run's own
notification pass sends any message not recorded as sent, and `pubreview reconcile` resumes
any run still waiting on a step the ledger has decided (tests/web/test_hand_off.py).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

AfterCommit = Callable[..., str]
_STOP = object()
QUEUED = "queued for the web process's hand-off thread"


class HandOff:
    """`after_commit`, called later by one thread: a call returns at once."""

    def __init__(self, after_commit: AfterCommit) -> None:
        self._after_commit = after_commit
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        """Queue one hand-off (the arguments of `after_commit`)."""
        self._start()
        self._queue.put((args, kwargs))
        return QUEUED

    def _start(self) -> None:
        with self._started:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="pubreview-hand-off", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                args, kwargs = item
                note = self._after_commit(*args, **kwargs)
                log.info("after the commit of %s on item %s: %s", args[0], args[1], note)
            except Exception:  # noqa: BLE001 — the step is committed; the review run catches up
                log.exception("hand-off after a commit failed; the review run and reconcile will")
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        """Until every hand-off queued so far has run."""
        self._queue.join()

    def stop(self, timeout: float = 5.0) -> None:
        """Run what is queued (for up to `timeout` seconds), then end the thread."""
        with self._started:
            thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            log.warning(
                "hand-off thread still busy after %.0f s; the review run will catch up", timeout
            )
