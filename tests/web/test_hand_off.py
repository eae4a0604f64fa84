"""The hand-off thread: a committed step's follow-up runs later, in order, off the request."""

from __future__ import annotations

import threading

from pubreview.web.app import create_app
from pubreview.web.hand_off import QUEUED, HandOff


class Slow:
    """Stands in for after_commit: records each call and its thread, held until released."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.release = threading.Event()

    def __call__(self, event: str, pub_id: int, **_kwargs: object) -> str:
        self.release.wait(10)
        if pub_id < 0:
            raise RuntimeError("Prefect unreachable")
        self.calls.append((event, pub_id, threading.current_thread().name))
        return "sent"


def test_a_call_returns_before_the_hand_off_runs_and_they_run_in_order() -> None:
    slow = Slow()
    hand_off = HandOff(slow)
    assert hand_off("publication.decided", 1, actor="a", resume=True) == QUEUED
    assert hand_off("publication.decided", 2, actor="b", resume=True) == QUEUED
    # Nothing has run yet: the caller (a request) did not wait for it.
    assert slow.calls == []
    slow.release.set()
    hand_off.wait()
    assert [c[:2] for c in slow.calls] == [("publication.decided", 1), ("publication.decided", 2)]
    assert {c[2] for c in slow.calls} == {"pubreview-hand-off"}
    hand_off.stop()


def test_a_failing_hand_off_does_not_stop_the_next() -> None:
    slow = Slow()
    slow.release.set()
    hand_off = HandOff(slow)
    hand_off("publication.decided", -1, actor="a", resume=True)
    hand_off("publication.decided", 3, actor="a", resume=True)
    hand_off.wait()
    assert [c[1] for c in slow.calls] == [3]
    hand_off.stop()


def test_stopping_runs_what_is_queued_first() -> None:
    slow = Slow()
    hand_off = HandOff(slow)
    for pub_id in (4, 5, 6):
        hand_off("publication.decided", pub_id, actor="a", resume=True)
    slow.release.set()
    hand_off.stop()
    assert [c[1] for c in slow.calls] == [4, 5, 6]


def test_the_served_app_hands_off_to_the_thread_and_a_test_stand_in_is_called_as_given() -> None:
    assert isinstance(create_app().state.after_commit, HandOff)
    slow = Slow()
    assert create_app(after_commit=slow).state.after_commit is slow
