"""The web app's answers to errors from below the routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pubreview.errors import LedgerBusy
from tests.support.web import AfterCommitRecorder, make_app


def test_a_write_refused_for_the_ledger_lock_is_a_503_naming_it() -> None:
    app = make_app(AfterCommitRecorder())

    @app.post("/busy")
    def busy() -> None:
        raise LedgerBusy("台帐写入繁忙：等待超过 30 秒，本次操作未执行，未作任何更改。")

    answer = TestClient(app, raise_server_exceptions=False).post("/busy")
    assert answer.status_code == 503
    assert "台帐写入繁忙" in answer.text and "未作任何更改" in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
