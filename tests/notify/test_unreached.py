"""Someone added to the org before their address is told of nothing; everyone else still is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from models import Person, Role, RoleGrant
from pubreview import db
from pubreview.accounts import org
from pubreview.errors import ValidationError
from pubreview.notify.config import ENV_YAML, load_routing
from pubreview.notify.dispatch import notify_publication
from tests.support.factories import submitted
from tests.support.notify import SmtpServer, apprise_yaml, email_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    monkeypatch.setenv(ENV_YAML, apprise_yaml(server.port))
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_NOTIFY_BACKOFF_S", "0.01")
    yield server
    server.stop()


def test_a_new_section_head_without_a_target_does_not_silence_the_others(
    engine: Engine, smtp: SmtpServer
) -> None:
    with db.transaction(engine) as session:
        newcomer = Person(username="xin.ren", name="辛仁", email="xin.ren@example.gov.cn")
        session.add(newcomer)
        session.flush()
        unit = org.unit(session, "zonghe")
        session.add(RoleGrant(person_id=newcomer.id, role=Role.SECTION_HEAD, unit_id=unit.id))
    pub = submitted(engine)
    report = notify_publication(pub, engine=engine)
    assert report.failed == ["xin.ren"]  # recorded as misrouted, for them alone
    for head in ("li.na", "wang.fang"):
        (mail,) = smtp.to(email_of(head))
        assert f"#{pub}" in mail.subject
    # `notify check` (strict) still names the gap for the administrator.
    with db.transaction(engine) as session, pytest.raises(ValidationError, match="xin.ren"):
        load_routing(session, strict=True)
