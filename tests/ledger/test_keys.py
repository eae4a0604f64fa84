"""Key rotation: a checkpoint checks with the key current then; a key out of range is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from pubreview import db, settings
from pubreview.errors import LedgerBroken
from pubreview.ledger import checkpoints, keys
from pubreview.ledger.verification import verify_all
from pubreview.report import rollup
from pubreview.report.document import checkpoint_sentence
from pubreview.site import build_site
from pubreview.site.ledger_pages import publish_checkpoints
from tests.support.factories import submitted
from tests.support.ledger import build_history, rewrite_and_rehash


def _make(engine: Engine) -> checkpoints.Checkpoint:
    with db.transaction(engine) as session:
        return checkpoints.make(session, create_key=True)


def _verify(engine: Engine, **kwargs):
    with db.transaction(engine) as session:
        return verify_all(session, **kwargs)


def _source(path: Path, found: list[checkpoints.Checkpoint], **extra: object) -> str:
    path.write_text(json.dumps({"checkpoints": [c.to_dict() for c in found], **extra}))
    return str(path)


def test_rotation_keeps_old_checkpoints_checkable_and_refuses_a_retired_key(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    build_history(engine, items=2)
    first = _make(engine)
    old = keys.load_key(settings.load().signing_key_file)
    old_public = keys.public_text(old.public_key())
    submitted(engine)
    with db.transaction(engine) as session:
        closing, retired, new, opening = checkpoints.rotate(session)
    assert closing.key_id == first.key_id == retired.key_id and opening.key_id == new.key_id
    assert closing.size == opening.size == first.size + 2
    assert retired.valid_until == new.valid_from and new.endorsed_by == retired.key_id
    assert keys.key_id(keys.signing_key().public_key()) == new.key_id  # the old key is gone
    assert not settings.load().signing_key_file.with_name("ledger-signing.key.new").exists()
    submitted(engine)
    later = _make(engine)
    assert later.key_id == new.key_id
    result = _verify(engine)
    assert result.ok and result.covered == later.size and result.checkpoints_checked == 4
    # Whoever kept only the first public key follows the endorsement to the new one.
    assert _verify(engine, public_key=old_public).ok

    # The retired key signs again, after its range ended: refused, naming the key and range.
    late = checkpoints.sign(old, later.size, later.head, later.root, "2099-01-01T00:00:00Z")
    result = _verify(engine, sources=[_source(tmp_path / "late.json", [late])])
    assert not result.ok
    assert any(
        f"不在密钥 {retired.key_id} 的有效期" in p and "已轮换停用" in p for p in result.checkpoints
    ), result.checkpoints
    # The new key backdated before its range began: refused the same way.
    early = checkpoints.sign(
        keys.signing_key(), first.size, first.head, first.root, "2000-01-01T00:00:00Z"
    )
    result = _verify(engine, sources=[_source(tmp_path / "early.json", [early])])
    assert any(f"不在密钥 {new.key_id} 的有效期" in p for p in result.checkpoints)

    # The site publishes every key with its range; each checkpoint names its key.
    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
        publish_checkpoints(session, data_dir / "site")
    published = data_dir / "site/ledger/checkpoints.json"
    document = json.loads(published.read_text())
    assert [k["key_id"] for k in document["keys"]] == [retired.key_id, new.key_id]
    assert document["key_id"] == new.key_id
    assert [c["key_id"] for c in document["checkpoints"]] == [
        first.key_id,
        closing.key_id,
        new.key_id,
        new.key_id,
    ]
    page = (data_dir / "site/ledger/index.html").read_text()
    assert retired.key_id in page and new.key_id in page and old_public in page
    # From the published copy alone (no local log, no local key list), holding the first key.
    checkpoints.log_path().unlink()
    keys.keys_path().unlink()
    result = _verify(engine, sources=[str(published)], public_key=old_public)
    assert result.ok and result.checkpoints_checked == 4, result.lines()
    # A published list edited to stretch the old key's range does not save the late one:
    # the range ends where the endorsed successor's begins.
    stretched = {**document, "keys": [{**document["keys"][0], "valid_until": None}]}
    stretched["keys"].append(document["keys"][1])
    stretched["checkpoints"] = [*document["checkpoints"], late.to_dict()]
    edited = tmp_path / "stretched.json"
    edited.write_text(json.dumps(stretched))
    result = _verify(engine, sources=[str(edited)], public_key=old_public)
    assert not result.ok and any(f"不在密钥 {retired.key_id}" in p for p in result.checkpoints)


def test_a_key_the_list_does_not_endorse_is_unknown(engine: Engine, tmp_path: Path) -> None:
    build_history(engine, items=1)
    made = _make(engine)
    anchor = keys.public_text(keys.signing_key().public_key())
    with db.transaction(engine) as session:
        checkpoints.rotate(session)
    # An intruder's key listed as if the old key had endorsed it.
    intruder = Ed25519PrivateKey.generate()
    record = keys.KeyRecord(
        keys.key_id(intruder.public_key()),
        keys.public_text(intruder.public_key()),
        made.time,
        None,
        endorsed_by=made.key_id,
        endorsement=made.signature,
    )
    forged = checkpoints.sign(intruder, made.size, made.head, made.root)
    source = _source(tmp_path / "intruder.json", [forged], keys=[record.to_dict()])
    result = _verify(engine, sources=[source], public_key=anchor)
    assert not result.ok
    assert any(f"由未知密钥 {record.key_id}" in p for p in result.checkpoints), result.checkpoints


def test_rotation_is_refused_on_a_rewritten_ledger(engine: Engine) -> None:
    build_history(engine, items=1)
    _make(engine)
    rewrite_and_rehash(engine, 2, comment="改过")
    with pytest.raises(LedgerBroken, match="改写"), db.transaction(engine) as session:
        checkpoints.rotate(session)
    assert len(keys.read_records()) == 1  # no new key vouches for a rewritten history


def test_a_log_from_before_key_lists_still_verifies_and_starts_one(engine: Engine) -> None:
    build_history(engine, items=1)
    made = _make(engine)
    keys.keys_path().unlink()  # as the log and key file were before key lists
    assert _verify(engine).ok
    assert [r.key_id for r in keys.read_records()] == [made.key_id]
    _make(engine)
    with db.transaction(engine) as session:
        checkpoints.rotate(session)
    assert _verify(engine).ok


def test_rotate_key_command_and_the_report_annex_name_the_keys(
    engine: Engine, database_url: str, data_dir: Path
) -> None:
    build_history(engine, items=1)
    first = _make(engine)
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": database_url}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pubreview.cli", *args], env=env, capture_output=True, text=True
        )

    rotated = cli("ledger", "rotate-key", "--json")
    assert rotated.returncode == 0, rotated.stderr
    data = json.loads(rotated.stdout)
    assert data["retired"]["key_id"] == first.key_id and data["opening"]["key_id"] != first.key_id
    listed = cli("ledger", "key")
    assert f"{first.key_id} 已停用" in listed.stdout and "当前" in listed.stdout
    submitted(engine)
    last = _make(engine)
    year = int(first.time[:4])
    with db.transaction(engine) as session:
        annex = rollup.management_annex(session, year)
    assert annex.checkpoint == last and last.key_id == data["key"]["key_id"]
    text = checkpoint_sentence(annex)
    assert f"签名密钥 {last.key_id}（公钥 {data['key']['public_key']}）" in text
    # An older year's checkpoint names the key that signed it then, with its public key.
    text = checkpoint_sentence(replace(annex, checkpoint=first))
    assert f"签名密钥 {first.key_id}（公钥 {data['retired']['public_key']}）" in text
    settings.load().signing_key_file.unlink()
    lost = cli("ledger", "rotate-key")
    assert lost.returncode == 1 and "找不到台帐签名密钥" in lost.stderr + lost.stdout
    assert "Traceback" not in lost.stderr
