"""Signed checkpoints: a rewritten or truncated ledger, and a forged checkpoint, are each named."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from models import LedgerEntry
from pubreview import db, settings
from pubreview.errors import CheckpointUnavailable, LedgerBroken
from pubreview.ledger import checkpoints, keys, merkle, proofs
from pubreview.ledger.chain import verify as chain_verify
from pubreview.ledger.verification import verify_all
from pubreview.site import build_site
from pubreview.site.ledger_pages import publish_checkpoints
from tests.support.factories import submitted
from tests.support.ledger import build_history, rewrite_and_rehash, truncate
from tests.support.site import publish_through_chain


def _checkpoint(engine: Engine) -> checkpoints.Checkpoint:
    with db.transaction(engine) as session:
        return checkpoints.make(session, create_key=True)


def _verify(engine: Engine, **kwargs):
    with db.transaction(engine) as session:
        return verify_all(session, **kwargs)


def test_checkpoint_is_signed_logged_and_the_key_kept_private(engine: Engine) -> None:
    build_history(engine)
    made = _checkpoint(engine)
    key_file = settings.load().signing_key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert made.size == 12 and checkpoints.read_log() == [made]
    assert checkpoints.signature_ok(made, checkpoints.trusted_public_key())
    submitted(engine)
    result = _verify(engine)
    assert result.ok and result.covered == 12 and result.checkpoints_checked == 1
    assert any("新增 2 条" in n for n in result.notes)
    later = _checkpoint(engine)
    assert later.size == 14 and len(checkpoints.read_log()) == 2


def test_rewritten_history_with_recomputed_hashes_is_named(engine: Engine) -> None:
    build_history(engine)
    _checkpoint(engine)
    submitted(engine)
    rewrite_and_rehash(engine, 3, actor="wang.fang")
    result = _verify(engine)
    assert result.chain.ok  # the chain alone cannot see it: every hash was recomputed
    assert not result.ok
    assert any("第 12 条的哈希与检查点" in p and "改写" in p for p in result.checkpoints)
    with pytest.raises(LedgerBroken, match="第 12 条的哈希"), db.transaction(engine) as session:
        checkpoints.make(session)
    assert len(checkpoints.read_log()) == 1  # a rewritten history is never signed


def test_truncated_tail_is_named(engine: Engine) -> None:
    build_history(engine)
    _checkpoint(engine)
    truncate(engine, 9)
    result = _verify(engine)
    assert result.chain.ok and not result.ok
    assert any("台帐只有 9 条" in p and "第 10–12 条已丢失" in p for p in result.checkpoints)


def test_forged_or_foreign_checkpoints_are_refused(engine: Engine, tmp_path: Path) -> None:
    build_history(engine)
    made = _checkpoint(engine)
    truncate(engine, 8)
    # Forge the log to match the shortened ledger, keeping the old signature.
    forged = checkpoints.Checkpoint(
        8, _head(engine, 8), made.root, made.time, made.key_id, made.signature
    )
    checkpoints.log_path().write_text(json.dumps(forged.to_dict()) + "\n")
    result = _verify(engine)
    assert not result.ok and any("签名无效" in p for p in result.checkpoints)
    # A checkpoint signed with some other key, given from outside.
    other = checkpoints.sign(Ed25519PrivateKey.generate(), 8, _head(engine, 8), made.root)
    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps({"checkpoints": [other.to_dict()]}))
    checkpoints.log_path().unlink()
    result = _verify(engine, sources=[str(elsewhere)])
    assert not result.ok and any(f"由未知密钥 {other.key_id}" in p for p in result.checkpoints)
    # The same, claiming to be signed by the office's key.
    key = checkpoints.key_id(checkpoints.trusted_public_key())
    posing = replace(other, key_id=key)
    elsewhere.write_text(json.dumps({"checkpoints": [posing.to_dict()]}))
    result = _verify(engine, sources=[str(elsewhere)])
    assert not result.ok and any(f"不是由密钥 {key} 签发" in p for p in result.checkpoints)


def _head(engine: Engine, size: int) -> str:
    with db.transaction(engine) as session:
        return session.get(LedgerEntry, size).hash


def test_missing_or_exposed_key_signs_nothing_and_verify_says_so(
    engine: Engine, database_url: str
) -> None:
    build_history(engine, items=1)
    _checkpoint(engine)
    key_file = settings.load().signing_key_file
    os.chmod(key_file, 0o644)
    with pytest.raises(CheckpointUnavailable, match="chmod 600"):
        _checkpoint(engine)
    key_file.unlink()
    with pytest.raises(CheckpointUnavailable, match="找不到台帐签名密钥"):
        _checkpoint(engine)  # a log exists: a new key is not made silently
    submitted(engine)  # decisions and submissions still record
    result = _verify(engine)
    assert not result.ok and any("无法签发新的检查点" in p for p in result.checkpoints)
    assert result.covered == 4  # the old checkpoint still checks against the key list
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": database_url}
    replaced = subprocess.run(
        [sys.executable, "-m", "pubreview.cli", "ledger", "key"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert replaced.returncode == 0 and "new key made now" in replaced.stdout
    assert "已丢失并被替换" in replaced.stdout and "已停用" in replaced.stdout
    later = _checkpoint(engine)  # the new key signs; the old checkpoint keeps its old key
    result = _verify(engine)
    assert result.ok and result.covered == later.size, result.lines()
    assert len({c.key_id for c in checkpoints.read_log()}) == 2


def test_checkpoints_are_published_with_the_site_and_checked_from_there(
    engine: Engine, database_url: str, data_dir: Path
) -> None:
    pub = publish_through_chain(engine, "标题", "正文")
    env = {
        **os.environ,
        "PUBREVIEW_DATABASE_URL": database_url,
        "PUBREVIEW_DATA_DIR": str(data_dir),
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pubreview.cli", *args], env=env, capture_output=True, text=True
        )

    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
    made = cli("ledger", "checkpoint", "--json")
    assert made.returncode == 0, made.stderr
    published = Path(json.loads(made.stdout)["published"])
    document = json.loads(published.read_text())
    assert document["public_key"] == checkpoints.public_text(checkpoints.trusted_public_key())
    head = document["checkpoints"][0]["head"]
    proof = cli("ledger", "prove", str(pub), "--checkpoints", str(published))
    assert proof.returncode == 0 and "由检查点" in proof.stdout, proof.stderr
    assert head in (data_dir / "site/ledger/index.html").read_text()
    # A full build keeps publishing them.
    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
    assert json.loads(published.read_text()) == document
    checkpoints.log_path().unlink()  # the local log lost: the site's copy still proves
    key = cli("ledger", "key").stdout.split()[0]
    rewrite_and_rehash(engine, 2, comment="改过")
    broken = cli("ledger", "verify", "--checkpoints", str(published), "--public-key", key)
    assert broken.returncode == 1 and "改写" in broken.stdout, broken.stdout
    assert "Traceback" not in broken.stderr


def test_an_items_entries_are_proven_in_the_checkpoint(engine: Engine) -> None:
    build_history(engine, items=2)
    pub = publish_through_chain(engine, "标题", "正文")
    submitted(engine)
    checkpoints.signing_key(create=True)
    with db.transaction(engine) as session:
        before = proofs.prove(session, pub, checkpoints.read_log(), _public())
    assert before["checkpoint"] is None
    made = _checkpoint(engine)
    with db.transaction(engine) as session:
        proof = proofs.prove(session, pub, checkpoints.read_log(), _public())
    assert proof["checkpoint"]["root"] == made.root
    assert [e["kind"] for e in proof["entries"]][:2] == ["submitted", "screened"]
    assert proofs.check(proof, _public()) == []
    forged = {**proof, "entries": [{**proof["entries"][0], "hash": "f" * 64}]}
    assert proofs.check(forged, _public()) == [
        f"台帐第 {proof['entries'][0]['id']} 条不在{made.label()}中"
    ]
    # A later checkpoint extends this one: checkable from the two roots and a short proof.
    submitted(engine)
    later = _checkpoint(engine)
    with db.transaction(engine) as session:
        path = merkle.consistency_proof(made.size, checkpoints.entry_hashes(session, later.size))
    assert merkle.verify_consistency(made.size, later.size, made.root, later.root, path)


def _public() -> checkpoints.Trusted:
    return keys.trusted_keys()


def test_checkpoints_fetched_from_the_published_address(engine: Engine, data_dir: Path) -> None:
    build_history(engine, items=1)
    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
    _checkpoint(engine)
    with db.transaction(engine) as session:
        publish_checkpoints(session, data_dir / "site")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(data_dir / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/ledger/checkpoints.json"
        checkpoints.log_path().unlink()
        assert _verify(engine, sources=[url]).checkpoints_checked == 1
        truncate(engine, 2)
        result = _verify(engine, sources=[url])
        assert not result.ok and any("第 3–4 条已丢失" in p for p in result.checkpoints)
        with pytest.raises(CheckpointUnavailable, match="取不到检查点"):
            _verify(engine, sources=[url.replace("checkpoints.json", "nothing.json")])
    finally:
        server.shutdown()
        server.server_close()


def test_steps_that_go_on_get_the_reason_instead_of_an_error(engine: Engine) -> None:
    build_history(engine, items=1)
    with db.transaction(engine) as session:
        made, missing = checkpoints.make_if_possible(session, create_key=True)
    assert made is not None and missing is None
    rewrite_and_rehash(engine, 2, comment="改过")
    with db.transaction(engine) as session:
        made, missing = checkpoints.make_if_possible(session)
    assert made is None and "改写" in missing and "未签发检查点" in missing
    settings.load().signing_key_file.unlink()
    with db.transaction(engine) as session:
        made, missing = checkpoints.make_if_possible(session, create_key=True)
    assert made is None and "找不到台帐签名密钥" in missing  # a log exists: no silent new key


def test_article_page_lists_the_entries_a_checkpoint_proves(engine: Engine, data_dir: Path) -> None:
    pub = publish_through_chain(engine, "标题", "正文")
    _checkpoint(engine)
    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
        proof = proofs.prove(session, pub, checkpoints.read_log(), _public())
    page = (data_dir / f"site/articles/{pub}.html").read_text()
    proven = [e for e in proof["entries"] if e["kind"] in ("submitted", "decided", "published")]
    assert len(proven) == 5  # submitted, three decisions, published on the site
    for entry in proven:
        assert f"第 {entry['id']} 条 {entry['kind']}" in page and entry["hash"] in page
    assert "screened" not in page  # only what submitted, approved and published the text
    assert proofs.check(proof, _public()) == []
    assert 'href="../ledger/index.html"' in page
    assert "还没有签发检查点" not in (data_dir / "site/ledger/index.html").read_text()


def test_every_publication_signs_and_publishes_a_checkpoint(
    engine: Engine, database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.review_steps import render_site

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    first = publish_through_chain(engine, "第一条", "正文")
    assert render_site.fn(first) is None
    second = publish_through_chain(engine, "第二条", "正文")
    assert render_site.fn(second) is None
    log = checkpoints.read_log()
    with db.transaction(engine) as session:
        entries = chain_verify(session).entries
    assert [c.size for c in log][-1] == entries and len(log) == 2
    published = json.loads((data_dir / "site/ledger/checkpoints.json").read_text())
    assert [c["size"] for c in published["checkpoints"]] == [c.size for c in log]
