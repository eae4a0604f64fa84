"""TOTP secrets are stored sealed, bound to their account; migration 0007 seals old rows."""

from __future__ import annotations

import pyotp
import pytest
from alembic import command
from sqlalchemy import text

from models import Account
from pubreview import db
from pubreview.accounts import org, totp
from pubreview.accounts.org import load_org
from pubreview.errors import TotpSecretUnreadable
from tests.conftest import SAMPLE_ORG
from tests.requests.test_migration import _config

KEY = totp.sealing_key("the web signing secret")


def test_a_sealed_secret_opens_only_with_its_key_and_its_account():
    secret = totp.new_secret()
    stored = totp.seal(secret, KEY, 7)
    assert stored.startswith("v1:") and secret not in stored and len(stored) <= 200
    assert totp.seal(secret, KEY, 7) != stored  # a fresh nonce each time
    assert totp.unseal(stored, KEY, 7) == secret
    for key, person in ((KEY, 8), (totp.sealing_key("another secret"), 7)):
        with pytest.raises(TotpSecretUnreadable, match="请联系管理员"):
            totp.unseal(stored, key, person)
    with pytest.raises(TotpSecretUnreadable):
        totp.unseal(secret, KEY, 7)  # plain text is not accepted as sealed


def test_check_code_reads_the_sealed_secret_and_refuses_a_replay():
    secret = totp.new_secret()
    account = Account(person_id=3, totp_secret=totp.seal(secret, KEY, 3))
    code = pyotp.TOTP(secret).now()
    assert totp.check_code(account, code, key=KEY)
    assert not totp.check_code(account, code, key=KEY)
    with pytest.raises(TotpSecretUnreadable):
        totp.check_code(account, code, key=totp.sealing_key("rotated"))


def test_the_enrolment_qr_is_an_inline_svg_of_the_otpauth_address():
    uri = totp.provisioning_uri(totp.new_secret(), "li.na")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg and "li.na" not in svg


def test_migration_0007_seals_secrets_enrolled_before_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PUBREVIEW_WEB_SECRET", "the web signing secret")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    command.upgrade(_config(url), "0006")
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        person = org.person(session, "li.na")
        session.execute(
            text(
                "INSERT INTO accounts (person_id, failed_logins, totp_required, totp_secret) "
                "VALUES (:id, 0, 0, 'JBSWY3DPEHPK3PXP')"
            ),
            {"id": person.id},
        )
        person_id = person.id
    engine.dispose()
    command.upgrade(_config(url), "head")
    engine = db.make_engine(url)
    with db.snapshot(engine) as session:
        stored = session.get(Account, person_id).totp_secret
    engine.dispose()
    assert stored.startswith("v1:") and totp.unseal(stored, KEY, person_id) == "JBSWY3DPEHPK3PXP"
    command.downgrade(_config(url), "0006")
    engine = db.make_engine(url)
    with engine.connect() as conn:
        plain = conn.scalar(
            text("SELECT totp_secret FROM accounts WHERE person_id = :id"), {"id": person_id}
        )
    engine.dispose()
    assert plain == "JBSWY3DPEHPK3PXP"
