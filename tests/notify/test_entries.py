"""The NOTIFIED payload reads back exactly what was written, a claim's number and lease with it."""

from __future__ import annotations

from pubreview.notify.entries import Notified, claim_details, claim_key


def test_a_claim_entry_reads_back_as_written_with_its_number_and_lease() -> None:
    key = "notified:7:r1:prereview:li.na:0123456789ab"
    written = Notified(
        "prereview", "li.na", "outbox://", 0, None, key, claim_details(2, 30.0)
    ).to_payload()
    assert written == {
        "event": "prereview",
        "recipient": "li.na",
        "service": "outbox://",
        "attempt": 0,
        "error": None,
        "delivery": key,
        "claim": 2,
        "lease_s": 30.0,
    }
    claimed = Notified.from_payload(written)
    assert claimed.to_payload() == written
    assert (claimed.claim, claimed.lease_s) == (2, 30.0)
    assert claim_key(claimed.delivery, claimed.claim) == f"{key}:claim:2"


def test_an_attempt_that_is_no_claim_has_no_number_and_no_lease() -> None:
    sent = Notified.from_payload({"event": "published", "delivery": "notified:x"})
    assert (sent.claim, sent.lease_s) == (0, None)
