"""The Apprise configuration: loaded from a file or the environment, checked, never leaked."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.cli import main
from pubreview.errors import ValidationError
from pubreview.notify.config import ENV_FILE, ENV_YAML, load_routing
from tests.support.notify import SMTP_PASSWORD, apprise_yaml


def load(engine: Engine):
    with db.transaction(engine) as session:
        return load_routing(session)


def refused(engine: Engine) -> str:
    with pytest.raises(ValidationError) as caught:
        load(engine)
    return str(caught.value)


def test_sample_outbox_config_is_the_default_and_reaches_everyone(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_FILE, raising=False)
    monkeypatch.delenv(ENV_YAML, raising=False)
    routing = load(engine)
    assert routing.source.endswith("config/apprise-sample.yaml")
    assert [s.url() for s in routing.targets("li.na")] == ["pubreview://"]
    assert routing.targets("nobody") == []


def test_config_from_a_file(engine: Engine, monkeypatch, tmp_path) -> None:
    path = tmp_path / "apprise.yaml"
    path.write_text(apprise_yaml(2525), encoding="utf-8")
    monkeypatch.delenv(ENV_YAML, raising=False)
    monkeypatch.setenv(ENV_FILE, str(path))
    routing = load(engine)
    assert routing.source == str(path)
    (target,) = routing.targets("zeng.xiang")
    assert "****" in target.url(privacy=True) and SMTP_PASSWORD not in target.url(privacy=True)


def test_each_problem_is_named_and_no_secret_is_shown(engine: Engine, monkeypatch) -> None:
    text = apprise_yaml(2525).replace("role:leader", "role:leader, team:night", 1)
    text = text.replace("zhao.lei, role:submitter", "zhao.lei, role:center", 1)
    text += (
        f'  - "nosuchschema://admin:{SMTP_PASSWORD}@host":\n'
        "      - tag: sun.li\n"
        '  - "pubreview://shared":\n'
        "      - tag: role:center\n"
    )
    # sun.li's real target goes: she has none left once the entry above fails to load.
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "to=sun.li@" in line)
    text = "\n".join(lines[:at] + lines[at + 2 :]) + "\n"
    monkeypatch.setenv(ENV_YAML, text)
    message = refused(engine)
    assert SMTP_PASSWORD not in message and "mailto" not in message
    assert "unknown tag 'team:night' on the target of zeng.xiang" in message
    assert "zhao.lei's target is tagged role:center, but zhao.lei holds no such role" in message
    assert "(tags: sun.li) did not load" in message
    assert "no target for sun.li" in message
    assert "a target tagged role:center names no person" in message


def test_no_service_loaded(engine: Engine, monkeypatch) -> None:
    monkeypatch.setenv(ENV_YAML, 'version: 1\nurls:\n  - "nosuchschema://x":\n')
    assert "no service loaded" in refused(engine)


def test_bad_yaml_names_the_line_not_the_text(engine: Engine, monkeypatch) -> None:
    monkeypatch.setenv(ENV_YAML, f"version: 1\nurls:\n  - mailto://u:{SMTP_PASSWORD}@h: [\n")
    message = refused(engine)
    assert "not valid YAML at line" in message and SMTP_PASSWORD not in message


def test_notify_check_command(engine: Engine, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv(ENV_YAML, apprise_yaml(2525))
    assert main(["notify", "check"]) == 0
    assert "10 people reachable; no problems found" in capsys.readouterr().out
    monkeypatch.setenv(ENV_YAML, apprise_yaml(2525).replace("zhou.min, ", "", 1))
    assert main(["notify", "check"]) == 1
    err = capsys.readouterr().err
    assert "no target for zhou.min" in err and SMTP_PASSWORD not in err


def test_a_kept_routing_follows_the_org_and_hands_out_fresh_services(
    engine: Engine, monkeypatch
) -> None:
    """The built services are kept between loads, but a changed grant is seen at the next one."""
    from sqlalchemy import delete, select

    from models import Person, Role, RoleGrant

    monkeypatch.delenv(ENV_FILE, raising=False)
    monkeypatch.setenv(ENV_YAML, apprise_yaml(2525))
    first = load(engine)
    again = load(engine)
    assert again.apprise is first.apprise
    one, two = first.targets("zhao.lei"), first.targets("zhao.lei")
    assert one[0] is not two[0] and one[0].url() == two[0].url()
    with db.transaction(engine) as session:
        who = session.scalar(select(Person).where(Person.username == "zhao.lei"))
        session.execute(
            delete(RoleGrant).where(
                RoleGrant.person_id == who.id, RoleGrant.role == Role.SUBMITTER
            )
        )
    assert "zhao.lei's target is tagged role:submitter, but zhao.lei holds no such role" in (
        refused(engine)
    )
