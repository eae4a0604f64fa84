"""The `pubreview ledger` commands (verify, checkpoint, prove, keys, backup, import), `history`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from pubreview import db, settings
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import NotFound
from pubreview.ledger import backup, checkpoints, keys, proofs, summary
from pubreview.ledger.verification import verify_all
from pubreview.publishing.importer import import_file
from pubreview.requests import files as _request_files  # noqa: F401  registers its ledger verify check
from pubreview.review import replay as _replay  # noqa: F401  registers its ledger verify check
from pubreview.review.status import format_history, history_rows
from pubreview.review.submission import get
from pubreview.site import default_out_dir
from pubreview.site.ledger_pages import publish_checkpoints


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ledger commands."""
    led = sub.add_parser("ledger", help="the 发布台帐: verify the chain, import old 台帐")
    led_sub = led.add_subparsers(dest="ledger_command", required=True, metavar="SUBCOMMAND")
    verify = led_sub.add_parser(
        "verify",
        help="check the hash chain, the stored content, the publications cache and the "
        "signed checkpoints; exit 1 naming every problem",
    )
    verify.add_argument("--expect-head", help="the head hash noted earlier (detects truncation)")
    verify.add_argument(
        "--checkpoints",
        action="append",
        metavar="FILE|URL",
        help="checkpoints to check against besides the local log (a checkpoints.json or "
        "log file, a backup folder, or the site's /ledger/checkpoints.json); repeatable",
    )
    verify.add_argument(
        "--public-key",
        help="the key checkpoints must be signed with (base64, or a file); "
        "default: the configured signing key's",
    )
    add_json_flag(verify)
    verify.set_defaults(handler=_verify)
    cp = led_sub.add_parser(
        "checkpoint", help="sign the ledger's size and head and add it to the checkpoint log"
    )
    cp.add_argument(
        "--site", type=Path, help="the site folder to publish it in (default: data/site)"
    )
    add_json_flag(cp)
    cp.set_defaults(handler=_checkpoint)
    prove = led_sub.add_parser(
        "prove", help="an item's entry hashes and their Merkle inclusion proofs under a checkpoint"
    )
    prove.add_argument("publication", type=int)
    prove.add_argument("--checkpoints", action="append", metavar="FILE|URL")
    prove.add_argument("--public-key", help="the key checkpoints must be signed with")
    add_json_flag(prove)
    prove.set_defaults(handler=_prove)
    con = led_sub.add_parser(
        "consistency",
        help="prove that a later checkpoint extends an earlier one (checkable without the "
        "ledger), or check such a proof",
    )
    con.add_argument("--from", dest="old", type=int, help="the earlier checkpoint's entry count")
    con.add_argument("--to", dest="new", type=int, help="the later checkpoint's entry count")
    con.add_argument("--checkpoints", action="append", metavar="FILE|URL")
    con.add_argument("--public-key", help="the key checkpoints must be signed with")
    con.add_argument("--proof", type=Path, help="check this saved proof (no database needed)")
    add_json_flag(con)
    con.set_defaults(handler=_consistency)
    key = led_sub.add_parser(
        "key", help="print the checkpoint signing key's public key and every earlier key"
    )
    add_json_flag(key)
    key.set_defaults(handler=_key)
    rotate = led_sub.add_parser(
        "rotate-key",
        help="replace the signing key: a last checkpoint with the old key, which endorses the "
        "new one; the old public key stays in the key list with its validity range",
    )
    rotate.add_argument(
        "--site", type=Path, help="the site folder to publish it in (default: data/site)"
    )
    add_json_flag(rotate)
    rotate.set_defaults(handler=_rotate)
    # `pubreview backup DIR` / `restore DIR` are the same commands, as an office names them.
    for where in (led_sub, sub):
        _add_backup_commands(where)
    sums = led_sub.add_parser(
        "rebuild-summaries",
        help="write the annual roll-up's per-item rows (item_summaries) afresh from the ledger, "
        "after `ledger verify` named them as differing",
    )
    add_json_flag(sums)
    sums.set_defaults(handler=_rebuild_summaries)
    imp = led_sub.add_parser("import", help="bring an old 台帐 (CSV or XLSX) in as published items")
    imp.add_argument("file", type=Path)
    imp.add_argument("--as", dest="actor", default="import", help="who is importing")
    add_json_flag(imp)
    imp.set_defaults(handler=_import)
    hist = sub.add_parser("history", help="every ledger entry of one publication")
    hist.add_argument("publication", type=int)
    add_json_flag(hist)
    hist.set_defaults(handler=_history)


def _add_backup_commands(sub: argparse._SubParsersAction) -> None:
    """`backup FOLDER` and `restore FOLDER`, under `ledger` and at the top level alike."""
    bak = sub.add_parser(
        "backup", help="copy the database, checkpoint log and site into a new folder, verified"
    )
    bak.add_argument("folder", type=Path)
    bak.add_argument("--site", type=Path, help="the site folder to include (default: data/site)")
    add_json_flag(bak)
    bak.set_defaults(handler=_backup)
    res = sub.add_parser(
        "restore", help="restore a backup folder into the (empty) database, then verify it"
    )
    res.add_argument("folder", type=Path)
    res.add_argument("--checkpoints", action="append", metavar="FILE|URL")
    add_json_flag(res)
    res.set_defaults(handler=_restore)


def _verify(args: argparse.Namespace) -> int:
    with db.snapshot() as session:
        result = verify_all(
            session,
            sources=args.checkpoints,
            public_key=args.public_key,
            expect_head=args.expect_head,
        )
    emit(args, result.to_dict(), "\n".join(result.lines()))
    return 0 if result.ok else 1


def _rebuild_summaries(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        differed = len(summary.check(session))
        rows = summary.rebuild(session)
    emit(
        args,
        {"rows": rows, "differed": differed},
        f"已按台帐重写年度汇总缓存 {rows} 行（重写前与台帐不符 {differed} 处）",
    )
    return 0


def _site_dir(given: Path | None) -> Path:
    return given.resolve() if given else default_out_dir()


def _checkpoint(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        made = checkpoints.make(session, create_key=True)
    with db.transaction() as session:
        published = publish_checkpoints(session, _site_dir(args.site))
    where = f"; published in {published}" if published else "; no site yet to publish it in"
    emit(
        args,
        {**made.to_dict(), "log": str(checkpoints.log_path()), "published": published},
        f"checkpoint signed: {made.size} entries, head {made.head}, {made.time} "
        f"(key {made.key_id}), logged in {checkpoints.log_path()}{where}",
    )
    return 0


def _checkpoints(
    args: argparse.Namespace,
) -> tuple[list[checkpoints.Checkpoint], dict[str, keys.TrustedKey]]:
    """The checkpoints of the local log and of every --checkpoints source, and the keys trusted
    to have signed them (--public-key, else the key list, with the keys the sources publish)."""
    found = checkpoints.read_log()
    published = []
    for source in args.checkpoints or []:
        bundle = checkpoints.load_bundle(source)
        found += bundle.checkpoints
        published += bundle.keys
    return found, keys.trusted_keys(args.public_key, published)


def _prove(args: argparse.Namespace) -> int:
    found, trusted = _checkpoints(args)
    with db.transaction() as session:
        proof = proofs.prove(session, args.publication, found, trusted)
    problems = proofs.check(proof, trusted)
    cp = proof["checkpoint"]
    by = f"，根 {cp['root']}，密钥 {cp['key_id']}" if cp else ""
    lines = [
        f"第 {args.publication} 号信息的台帐记录"
        + (f"，由检查点 {cp['time']}（{cp['size']} 条{by}）证明：" if cp else "：")
    ]
    for e in proof["entries"]:
        lines.append(f"  第 {e['id']} 条 {e['kind']} {e['hash']}")
        if e["path"] is not None:
            lines.append(f"    路径 {' '.join(e['path']) or '（唯一一条）'}")
    lines += [f"  {p}" for p in problems]
    emit(args, {**proof, "problems": problems}, "\n".join(lines))
    return 0 if not problems else 1


def _pick(found: list, size: int | None, newest: bool, what: str):
    if size is None:
        return (max if newest else min)(found, key=lambda c: c.size)
    match = [c for c in found if c.size == size]
    if not match:
        sizes = "、".join(str(c.size) for c in sorted(found, key=lambda c: c.size))
        raise NotFound(f"没有 {size} 条的检查点（{what}）；已有的检查点条数：{sizes}")
    return match[-1]


def _consistency(args: argparse.Namespace) -> int:
    found, trusted = _checkpoints(args)
    if args.proof:
        try:
            proof = json.loads(args.proof.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise NotFound(f"读不了一致性证明文件 {args.proof}") from None
    else:
        valid = [c for c in found if checkpoints.key_problem(c, trusted) is None]
        if not valid:
            raise NotFound("还没有可信的检查点")
        old = _pick(valid, args.old, newest=False, what="较早的检查点")
        new = _pick(valid, args.new, newest=True, what="较晚的检查点")
        with db.snapshot() as session:
            proof = proofs.consistency(session, old, new)
    problems = proofs.check_consistency(proof, trusted)
    old, new = proof["old"], proof["new"]
    verdict = "前者被后者延续" if not problems else "不一致"
    lines = [
        f"检查点 {old['time']}（{old['size']} 条）与 {new['time']}（{new['size']} 条）：{verdict}",
        f"  证明路径 {' '.join(proof['path']) or '（无需）'}",
        *[f"  {p}" for p in problems],
    ]
    emit(args, {**proof, "problems": problems}, "\n".join(lines))
    return 0 if not problems else 1


def _key_lines(records: list[keys.KeyRecord], current: str) -> list[str]:
    lines = []
    for r in records:
        state = "当前" if r.key_id == current else "已停用"
        by = f"，由 {r.endorsed_by} 签署交接" if r.endorsed_by else ""
        lines.append(f"  {r.key_id} {state}，有效期 {r.range_label()}{by}：{r.public_key}")
    return lines


def _key(args: argparse.Namespace) -> int:
    path = settings.load().signing_key_file
    created = not path.exists()
    public = checkpoints.signing_key(create=True).public_key()
    records = keys.read_records()
    data = {
        "public_key": checkpoints.public_text(public),
        "key_id": checkpoints.key_id(public),
        "file": str(path),
        "created": created,
        "keys": [r.to_dict() for r in records],
    }
    made = " (new key made now)" if created else ""
    older = [r for r in records if r.key_id != data["key_id"]]
    if created and older:
        # A lost key replaced: the old checkpoints still check against its public key.
        made += (
            f"\n注意：原签名密钥 {older[-1].key_id} "
            "已丢失并被替换：已有的检查点仍按密钥清单中的原公钥核对，新密钥未经原密钥签署交接，"
            "请把新公钥另行公布"
        )
    text = f"{data['public_key']}  key {data['key_id']}, {path}{made}"
    if older:
        text += "\n密钥清单：\n" + "\n".join(_key_lines(records, data["key_id"]))
    emit(args, data, text)
    return 0


def _rotate(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        closing, retired, new, opening = checkpoints.rotate(session)
    with db.transaction() as session:
        published = publish_checkpoints(session, _site_dir(args.site))
    where = f"; published in {published}" if published else "; no site yet to publish it in"
    emit(
        args,
        {
            "closing": closing.to_dict(),
            "retired": retired.to_dict(),
            "key": new.to_dict(),
            "opening": opening.to_dict(),
            "published": published,
        },
        f"signing key rotated: {retired.key_id} retired at {new.valid_from}, "
        f"now {new.key_id} ({new.public_key}), endorsed by {retired.key_id}\n"
        f"last checkpoint with the old key: {closing.size} entries, head {closing.head}; "
        f"first with the new key: {opening.size} entries{where}",
    )
    return 0


def _summary_text(verb: str, summary: backup.BackupSummary) -> str:
    head = (
        f"{verb} {summary.folder}: {summary.database}, {summary.entries} entries, "
        f"head {summary.head}, {len(summary.files)} files"
    )
    return "\n".join([head, *summary.report])


def _backup(args: argparse.Namespace) -> int:
    summary = backup.backup(
        args.folder.resolve(), settings.load().database_url, _site_dir(args.site)
    )
    emit(args, summary.to_dict(), _summary_text("backup written to", summary))
    return 0 if summary.verified else 1


def _restore(args: argparse.Namespace) -> int:
    summary = backup.restore(args.folder.resolve(), settings.load().database_url, args.checkpoints)
    emit(args, summary.to_dict(), _summary_text("restored from", summary))
    return 0 if summary.verified else 1


def _import(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        summary = import_file(session, args.file, args.actor)
    years = ", ".join(f"{year}: {n}" for year, n in sorted(summary.years.items()))
    emit(
        args,
        asdict(summary),
        f"imported {summary.items} items from {args.file} ({summary.published} channel "
        f"publications, {summary.adoptions} adoptions; by year {years}); "
        f"ledger entries {summary.first_entry}–{summary.last_entry}",
    )
    return 0


def _history(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        get(session, args.publication)
        rows = history_rows(session, args.publication)
    emit(args, rows, format_history(rows))
    return 0
