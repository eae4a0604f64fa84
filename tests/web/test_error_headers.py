"""Every answer of the web app carries the security headers: errors, 500s and /healthz too."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.web import AfterCommitRecorder, make_app

HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def test_an_unexpected_error_is_a_chinese_page_with_the_headers() -> None:
    app = make_app(AfterCommitRecorder())

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    answers = {
        "/boom": client.get("/boom"),
        "/nowhere": client.get("/nowhere"),
        "/healthz (POST)": client.post("/healthz"),
        "/review/x/files/NaN": client.get("/review/x/files/NaN"),
        "/review/x/files/huge": client.get(f"/review/x/files/{2**63}"),
        "/healthz": client.get("/healthz"),
    }
    assert answers["/boom"].status_code == 500 and "系统出现错误" in answers["/boom"].text
    assert "secret detail" not in answers["/boom"].text
    assert answers["/review/x/files/huge"].status_code == 404
    for name, r in answers.items():
        assert all(h in r.headers for h in HEADERS), name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert "Traceback" not in r.text, name
