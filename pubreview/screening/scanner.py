"""One Aho-Corasick pass over a text for every literal the screen looks for.

The lexicon, the leader list, the negative list's terms and the built-in detectors' trigger
words are all keys of one automaton (ahocorasick-rs), so the cost of a screen barely grows with
the size of the lists: a 5,000-entry lexicon costs one pass, not 5,000 (benchmarks/screen.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import ahocorasick_rs

# What a key is for: each consumer reads back only the kinds it registered.
Match = tuple[str, int, int]  # (key, start, end) in characters


class Scanner:
    """An automaton over keys of several kinds; `scan` returns every match by kind."""

    def __init__(self, keys: Iterable[tuple[str, str]]) -> None:
        """Build from (kind, key) pairs; a key may be registered under several kinds."""
        kinds: dict[str, set[str]] = defaultdict(set)
        for kind, key in keys:
            if key:
                kinds[key].add(kind)
        self._words = sorted(kinds)
        self._kinds = [tuple(sorted(kinds[w])) for w in self._words]
        # The contiguous NFA scans about a third faster than the default for a slightly longer
        # build; the full DFA is faster still but takes seconds to build for a large lexicon.
        self._automaton = (
            ahocorasick_rs.AhoCorasick(
                self._words, implementation=ahocorasick_rs.Implementation.ContiguousNFA
            )
            if self._words
            else None
        )

    def __len__(self) -> int:
        return len(self._words)

    def scan(self, text: str) -> dict[str, list[Match]]:
        """Every occurrence of every key, overlapping ones included, grouped by kind."""
        found: dict[str, list[Match]] = defaultdict(list)
        if self._automaton is None:
            return found
        words, kinds = self._words, self._kinds
        for index, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            match = (words[index], start, end)
            for kind in kinds[index]:
                found[kind].append(match)
        return found
