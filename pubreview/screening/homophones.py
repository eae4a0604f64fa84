"""Same-pinyin near misses (同音错字): what a pinyin input method types instead of a word.

Most serious typos on government sites are one character replaced by another with the same
pinyin, picked from the input method's candidate list. Readings come from pypinyin; tones are
ignored because the input method ignores them too.
"""

from __future__ import annotations

import unicodedata
from functools import cache


def _toneless(reading: str) -> str:
    """A pinyin reading without tone marks; ü is written u (lü, lv and lu are one key)."""
    bare = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    return bare.replace("v", "u")


def _is_common(char: str) -> bool:
    """In GB2312, the 6,763 characters an input method offers first."""
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _index() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Reading → common characters with it, and character → all its readings."""
    by_reading: dict[str, set[str]] = {}
    readings: dict[str, frozenset[str]] = {}
    # Imported here: pypinyin's tables take a quarter of a second to load, and most
    # commands that import screening never compare a name.
    from pypinyin.pinyin_dict import pinyin_dict

    for code, value in pinyin_dict.items():
        char = chr(code)
        if not _is_common(char):
            continue
        found = frozenset(_toneless(r) for r in value.split(","))
        readings[char] = found
        for reading in found:
            by_reading.setdefault(reading, set()).add(char)
    return {r: frozenset(c) for r, c in by_reading.items()}, readings


def readings_of(char: str) -> frozenset[str]:
    """Every toneless reading of one character (surnames included: 曾 is ceng and zeng)."""
    return _index()[1].get(char, frozenset())


def same_sound(char: str, reading: str | None = None) -> frozenset[str]:
    """Common characters read like `char` (in `reading`, or in any of its readings), less itself."""
    by_reading = _index()[0]
    wanted = {reading} if reading else readings_of(char)
    return frozenset().union(*(by_reading.get(r, frozenset()) for r in wanted)) - {char}


def one_off(word: str, *, contextual: bool = True) -> set[str]:
    """Every spelling of `word` with one character replaced by a same-pinyin one.

    `contextual` reads the word as a phrase (pypinyin's phrase table: 重庆 is chong qing), which
    suits fixed formulas; names are read with every reading of each character instead, because a
    surname's reading is not the phrase table's (曾 in 曾翔 is zeng).
    """
    chars = list(word)
    phrase: list[str | None] = [None] * len(chars)
    if contextual:
        from pypinyin import Style, lazy_pinyin

        phrase = [_toneless(r) for r in lazy_pinyin(word, style=Style.NORMAL)]
    variants: set[str] = set()
    for i, (char, reading) in enumerate(zip(chars, phrase, strict=True)):
        if not "\u4e00" <= char <= "\u9fff":
            continue
        for other in same_sound(char, reading):
            variants.add("".join(chars[:i] + [other] + chars[i + 1 :]))
    return variants
