"""The report page for a year whose requests are tracked: Tables 三/四 are not asked for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pubreview.report import supplement
from tests.support.accounts import form_token
from tests.support.request_report import tracked_supplement, year_of_requests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ADMIN = "wu.gang"


def test_a_tracked_year_is_saved_without_tables_3_and_4(
    engine: Engine, office: Callable[..., TestClient], tmp_path: Path
) -> None:
    year_of_requests(engine)
    client = office((ADMIN,), "Rb7-secure-pw", logged_in_as=ADMIN)
    token = form_token(client.get("/admin").text)
    made = client.post("/admin/report/2025/supplement", data={"csrf": token, "action": "template"})
    assert made.status_code == 200, made.text
    template = supplement.default_path(2025).read_text(encoding="utf-8")
    assert "\ntable3:" not in template and "\ntable4:" not in template
    content = tracked_supplement(tmp_path / "s.yaml").read_text(encoding="utf-8")
    saved = client.post(
        "/admin/report/2025/supplement",
        data={"csrf": token, "action": "save", "content": content},
    )
    assert saved.status_code == 200 and "补充材料已保存" in saved.text, saved.text
