"""The web tests' app: Prefect replaced by a recorder, the office's people given a password."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.web import AfterCommitRecorder, office_client


@pytest.fixture
def recorder() -> AfterCommitRecorder:
    """What the app would have sent to Prefect."""
    return AfterCommitRecorder()


@pytest.fixture
def office(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorder: AfterCommitRecorder,
) -> Iterator[Callable[..., TestClient]]:
    """Opens the app for `people` with `password` (see office_client); closed after the test."""
    with ExitStack() as opened:

        def open_office(
            people: tuple[str, ...],
            password: str,
            *,
            base: str = "http://testserver",
            logged_in_as: str | None = None,
        ) -> TestClient:
            return opened.enter_context(
                office_client(
                    engine,
                    database_url,
                    tmp_path / "data",
                    monkeypatch,
                    base=base,
                    people=people,
                    password=password,
                    recorder=recorder,
                    logged_in_as=logged_in_as,
                )
            )

        yield open_office
