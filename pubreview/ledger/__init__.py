"""The ledger (发布台帐): append-only, hash-chained; appending, reading and verifying it.

`chain` holds the rules; this package re-exports them so callers write `ledger.append(...)`.
"""

from pubreview.ledger.chain import (
    Appended,
    DuplicateEntry,
    VerifyResult,
    append,
    append_once,
    canonical_json,
    decisions_on,
    entry_hash,
    find_by_key,
    history,
    operated_by,
    payload_field,
    verify,
)

__all__ = [
    "Appended",
    "DuplicateEntry",
    "VerifyResult",
    "append",
    "append_once",
    "canonical_json",
    "decisions_on",
    "entry_hash",
    "find_by_key",
    "history",
    "operated_by",
    "payload_field",
    "verify",
]
