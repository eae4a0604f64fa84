"""会签: how the members' decisions on one step add up, as pure functions over ledger entries.

Each member's decision is its own `decided` entry at the step, its payload's `countersign`
part saying which round of the step it belongs to and, for the one decision that settles the
step, the step's outcome. A round begins each time the item comes to the step (a return to it
from the next step starts another). Only the settling entry moves the item: replay, the review
run's wait and `next_position` all see one outcome per round, as for a single-person step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models import LedgerEntry
from pubreview.chains.definitions import Group

APPROVE = "approve"
PAYLOAD_KEY = "countersign"


def part(entry: LedgerEntry) -> dict | None:
    """The 会签 part of a decision's payload (None for a single-person step's decision)."""
    found = (entry.payload or {}).get(PAYLOAD_KEY)
    return found if isinstance(found, dict) else None


def settled_outcome(outcome: str | None, payload: dict | None) -> str | None:
    """The step's outcome a decision settles (a single person's decision always does)."""
    found = (payload or {}).get(PAYLOAD_KEY)
    return found.get("settles") if isinstance(found, dict) else outcome


def settles(entry: LedgerEntry) -> str | None:
    """The step's outcome this decision entry settles, None for a 会签 vote that did not."""
    return settled_outcome(entry.outcome, entry.payload)


def counted(entry: LedgerEntry) -> str:
    """The member a decision counts for: the one signed for under 代签, else the decider."""
    return (entry.payload or {}).get("acting_for") or entry.actor


def current_round(decided: Iterable[LedgerEntry], step_id: str) -> tuple[int, list[LedgerEntry]]:
    """The step's round now (1 + rounds settled on this revision) and that round's decisions."""
    at_step = [e for e in decided if e.stage == step_id]
    settled = sum(1 for e in at_step if settles(e))
    number = settled + 1
    return number, [e for e in at_step if (part(e) or {}).get("round") == number]


@dataclass(frozen=True)
class Tally:
    """Where a 会签 round stands: approvals, the members' no-votes, who is still to decide."""

    need: int
    approvals: int
    refusals: int
    undecided: tuple[str, ...]
    settles: str | None  # the step's outcome once the rule says so

    def describe(self) -> str:
        """The round in words, for messages and `chain show`."""
        text = f"会签已同意 {self.approvals}/{self.need} 人"
        if self.refusals:
            text += f"，{self.refusals} 人未同意"
        return text


def tally(group: Group, members: Iterable[str], votes: list[tuple[str, str]]) -> Tally:
    """Apply the group's rule to the round's votes, (member counted, outcome), oldest first."""
    members = tuple(members)
    by_member = dict(votes)
    need = len(members) if group.need is None else group.need
    approvals = sum(1 for o in by_member.values() if o == APPROVE)
    noes = [o for _, o in votes if o != APPROVE]
    undecided = tuple(m for m in members if m not in by_member)
    outcome = None
    if noes and group.veto:
        outcome = noes[0]
    elif need and approvals >= need:
        outcome = APPROVE
    elif noes and approvals + len(undecided) < need:
        # The rule can no longer be met: the latest no-vote is the step's outcome.
        outcome = noes[-1]
    return Tally(need, approvals, len(noes), undecided, outcome)


def describe_rule(group: Group, size: int | None = None) -> str:
    """The rule in words: 全体同意, 任一人同意, M 人同意 (of N when known), 一票否决."""
    if group.need is None:
        text = "会签：全体同意"
    elif group.need == 1:
        text = "会签：任一人同意"
    else:
        text = f"会签：{size} 人中 {group.need} 人同意" if size else f"会签：{group.need} 人同意"
    return text + ("，一票否决" if group.veto else "")
