"""`ledger verify` in full: the chain, the content it binds, the caches beside it, checkpoints,
the append-only guards.

Some of what the ledger vouches for is kept by the domain under the domain's rules (the
`publications` rows replayed through the chains, the files kept with a request). The ledger may
not import those rules (ARCHITECTURE.md's layers), so the module that owns each one registers
its check with `domain_check`; `verify_all` refuses to run while one named in `OWED` is missing,
so a verify that silently skips a check cannot happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from pubreview.errors import CheckpointUnavailable
from pubreview.ledger import chain, checkpoints, content, guards, keys, summary

DomainCheck = Callable[[Session], Iterable[object]]  # each problem found, as a person reads it
Section = Literal["content", "cache"]

# Every check the domain owes `ledger verify`, in the order the report lists them: its section
# and the module that registers it when imported.
OWED: dict[str, tuple[Section, str]] = {
    "request files": ("content", "pubreview.requests.files"),  # attachments, signed letters
    "publications": ("cache", "pubreview.review.replay"),
}
_REGISTERED: dict[str, DomainCheck] = {}


def domain_check(name: str, section: Section) -> Callable[[DomainCheck], DomainCheck]:
    """Register the decorated function as the domain's check `name` (one listed in `OWED`)."""
    if OWED.get(name, (None,))[0] != section:
        raise ValueError(f"{name!r} is not a {section} check ledger verify expects (see OWED)")

    def register(check: DomainCheck) -> DomainCheck:
        _REGISTERED[name] = check
        return check

    return register


def _require_domain_checks() -> None:
    missing = [module for name, (_, module) in OWED.items() if name not in _REGISTERED]
    if missing:
        raise RuntimeError(f"ledger verify needs {', '.join(missing)} imported first")


def _domain(session: Session, section: Section) -> list[str]:
    """The problems the domain's checks of one section find, in `OWED`'s order."""
    return [
        str(problem)
        for name, (where, _) in OWED.items()
        if where == section
        for problem in _REGISTERED[name](session)
    ]


@dataclass
class Verification:
    """Everything `ledger verify` found; `ok` only when no check named a problem."""

    chain: chain.VerifyResult
    content: list[str] = field(default_factory=list)
    cache: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)  # append-only triggers missing or disabled
    notes: list[str] = field(default_factory=list)  # facts worth knowing that are not failures
    checkpoints_checked: int = 0
    covered: int = 0  # entries proven by the newest matching checkpoint

    @property
    def ok(self) -> bool:
        """No break in the chain, no edited content, no stale cache, every checkpoint extended,
        every append-only guard in place."""
        return self.chain.ok and not (self.content or self.cache or self.checkpoints or self.guards)

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return {
            "ok": self.ok,
            **self.chain.__dict__,
            "chain_ok": self.chain.ok,
            "content": self.content,
            "cache": self.cache,
            "checkpoints": self.checkpoints,
            "guards": self.guards,
            "checkpoints_checked": self.checkpoints_checked,
            "covered": self.covered,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The report as a person reads it: the verdict first, then every problem."""
        out = []
        if self.ok:
            out.append(f"ledger verified: {self.chain.entries} entries, head {self.chain.head}")
        elif not self.chain.ok:
            out.append(f"LEDGER BROKEN at entry {self.chain.broken_at}: {self.chain.reason}")
        else:
            out.append(f"LEDGER BROKEN: {self.chain.entries} entries chain up, but:")
        out += [f"  内容被改动：{p}" for p in self.content]
        out += [f"  缓存与台帐不符：{p}" for p in self.cache]
        out += [f"  检查点：{p}" for p in self.checkpoints]
        out += [f"  防改措施：{p}" for p in self.guards]
        out += [f"  注：{n}" for n in self.notes]
        return out


def one_snapshot(session: Session) -> None:
    """Make every query of a fresh session read one snapshot (REPEATABLE READ on PostgreSQL).

    An item committed between reading the entries and reading the tables would otherwise look
    like a row the ledger does not justify. SQLite's transaction is one snapshot already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _dedupe(found: list[checkpoints.Checkpoint]) -> list[checkpoints.Checkpoint]:
    return list({(c.size, c.head, c.time, c.signature): c for c in found}.values())


def verify_all(
    session: Session,
    *,
    sources: list[str] | None = None,
    public_key: str | None = None,
    expect_head: str | None = None,
    snapshot: bool = True,
) -> Verification:
    """Run every check: chain, content, cache, and the local log plus every checkpoint source.

    With `snapshot` (the session must not have run a query yet) PostgreSQL reads everything
    from one snapshot; pass False when the caller has already begun one.
    """
    _require_domain_checks()
    # The checkpoints first, the database after: a checkpoint signed while this runs then
    # cannot look like entries lost (its entries committed after this snapshot began).
    found = checkpoints.read_log()
    published: list[keys.KeyRecord] = []
    for source in sources or []:
        bundle = checkpoints.load_bundle(source)
        found += bundle.checkpoints
        published += bundle.keys
    if snapshot:
        one_snapshot(session)
    result = Verification(chain.verify(session))
    result.guards = guards.check(session)
    owner = guards.owner_note(session)
    if owner:
        result.notes.append(owner)
    if expect_head is not None and result.chain.ok and expect_head != result.chain.head:
        result.checkpoints.append(
            f"head is {result.chain.head}, expected {expect_head}: "
            "entries were removed or added at the end"
        )
    try:
        result.content = [str(m) for m in content.check(session)] + _domain(session, "content")
        result.cache = _domain(session, "cache") + [str(m) for m in summary.check(session)]
    except (ValueError, TypeError):
        if result.chain.ok:
            raise
        # The unreadable entry the chain check named stops these checks too.
        result.notes.append(f"台帐第 {result.chain.broken_at} 条读不出，内容和缓存未能核对")
    found = _dedupe(found)
    if not found:
        result.notes.append(
            "还没有检查点：截断或整体改写无从发现（请运行 pubreview ledger checkpoint）"
        )
        return result
    try:
        trusted = keys.trusted_keys(public_key, published)
    except CheckpointUnavailable as exc:
        result.checkpoints.append(f"无法核对检查点签名：{exc}")
        return result
    if not public_key:
        # The old checkpoints check against the key list, but no new one can be signed.
        try:
            keys.signing_key()
        except CheckpointUnavailable as exc:
            result.checkpoints.append(f"无法签发新的检查点：{exc}")
    if not result.chain.ok:
        # Without a sound chain, matching a checkpoint's head proves nothing about the rest.
        return result
    result.checkpoints_checked = len(found)
    result.checkpoints += checkpoints.problems(session, found, trusted, result.chain.entries)
    latest = checkpoints.latest_matching(session, found, trusted)
    result.covered = latest.size if latest else 0
    newer = result.chain.entries - result.covered
    if latest is not None and newer:
        result.notes.append(
            f"最近的{latest.label()}之后新增 {newer} 条（第 {latest.size + 1}–"
            f"{result.chain.entries} 条），尚无检查点证明"
        )
    return result
