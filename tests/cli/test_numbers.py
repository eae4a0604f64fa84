"""A number beyond what the ledger can hold is one line of refusal, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview.cli.parser import main
from tests.support.web import ledger_size


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "2147483648"],
        ["ledger", "prove", "99999999999999999999"],
        ["decide", "9223372036854775808", "approve", "--as", "li.na"],
        ["publish", "-2147483648"],
        ["delegate", "revoke", "2147483648"],
    ],
)
def test_an_id_out_of_range_is_refused_in_one_line(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    argv: list[str],
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    before = ledger_size(engine)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "超出范围" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert ledger_size(engine) == before
