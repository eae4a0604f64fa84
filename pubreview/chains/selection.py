"""Choosing an item's chain: the first rule that matches wins; otherwise the default chain."""

from __future__ import annotations

from pubreview import settings
from pubreview.chains.definitions import Chain, ChainSet, Rule
from pubreview.chains.validation import read


def configured() -> ChainSet:
    """The chains file named by PUBREVIEW_CHAINS (config/chains.yaml), read afresh."""
    return read(settings.load().chains_file)


def matches(
    rule: Rule,
    *,
    category: str,
    disclosure: str,
    unit: str,
    channels: list[str],
    grade: str = "ordinary",
) -> bool:
    """Whether an item with these attributes meets every condition of the rule."""
    return (
        (not rule.categories or category in rule.categories)
        and (not rule.grades or grade in rule.grades)
        and (not rule.disclosures or disclosure in rule.disclosures)
        and (not rule.units or unit in rule.units)
        and (not rule.channels or bool(rule.channels & set(channels)))
    )


def choose(
    chain_set: ChainSet,
    *,
    category: str,
    disclosure: str,
    unit: str,
    channels: list[str],
    grade: str = "ordinary",
) -> Chain:
    """The chain for an item: the first matching rule's, else the default."""
    item = {"category": category, "disclosure": disclosure, "unit": unit, "channels": channels}
    for rule in chain_set.rules:
        if matches(rule, **item, grade=grade):
            return chain_set.chains[rule.chain]
    return chain_set.default_chain
