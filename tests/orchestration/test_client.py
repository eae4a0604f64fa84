"""Which closed items reconcile gives a run that finishes them."""

from __future__ import annotations

import pytest

from pubreview.orchestration.client import FINISH_ATTEMPTS, needs_finishing


@pytest.mark.parametrize(
    ("newest_first", "finish"),
    [
        (["FAILED"], True),
        (["CRASHED", "COMPLETED"], True),
        (["COMPLETED", "FAILED"], False),  # a later run finished it
        (["CANCELLED"], False),  # withdrawn: its run was ended on purpose
        ([], False),  # closed before any run
        (["FAILED"] * FINISH_ATTEMPTS, False),  # failing every time: not rerun forever
        (["FAILED"] * (FINISH_ATTEMPTS - 1), True),
    ],
)
def test_needs_finishing(newest_first: list[str], finish: bool) -> None:
    assert needs_finishing(newest_first) is finish
