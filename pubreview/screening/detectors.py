"""The built-in detectors: classification markings, ID numbers, mobiles, bank cards, e-mail.

Each detector takes a whole text and yields `Hit`s with offsets into it. Regular expressions
only find candidates; the maintained libraries (python-stdnum, phonenumbers) decide.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc

from pubreview.screening.findings import BLOCK, WARN, Hit

Detector = Callable[[str], Iterator[Hit]]

# Each pattern opens with a look-ahead for the characters it can start with: most positions
# then fail that one test instead of every look-behind and alternative (2–3x faster a MB,
# see benchmarks/screen.py). A new alternative must keep its first character in that set.

# Horizontal space only: a marking or a number never continues onto the next line.
_SP = r"[ \t\u3000]"
# A number must not be the middle of a longer number, a code or a decimal.
_NUM_START = r"(?<![0-9A-Za-z])(?<![0-9][.．])"
_NUM_END = r"(?![0-9A-Za-z])(?![.．][0-9])"

# --- classification markings (密级标志) -------------------------------------------------

_LEVEL = rf"(?:绝{_SP}*密|机{_SP}*密|秘{_SP}*密)"
_INTERNAL = r"(?:仅限)?内部(?:资料|文件|材料|刊物|参考|使用|传阅)?"
_CAUTION = r"(?:注意保密|请勿外传|严禁外传|不得外传|不得翻印|妥善保管|用后收回)"
# Where a marking stands alone: line start, a table cell edge ("|"), a bracket, a space, or
# Markdown emphasis ("**内部**").
_EDGE_BEFORE = r"(?:^|(?<=[ \t\u3000|*【\[（(]))"
_EDGE_AFTER = r"(?=$|[ \t\u3000|*】\]）)])"

# The alternatives are tried in order at each position, so the longest form wins.
_MARKING = re.compile(
    "(?=[绝机秘密内仅注请严不])(?:"
    + "|".join(
        [
            # 秘密★1年, 机密★长期, 绝密★启用前: the ★ form is a marking wherever it appears.
            rf"{_LEVEL}{_SP}*[★☆]{_SP}*[^\s|，。,;；:：]{{0,6}}",
            # 密级：机密 in a header or form.
            rf"密{_SP}*级{_SP}*[:：]{_SP}*(?:{_LEVEL}|内部)",
            # 内部资料 注意保密 / 内部资料，请勿外传: the caution makes it a marking anywhere.
            rf"内部(?:资料|文件|材料|刊物){_SP}*[，,、:：]?{_SP}*{_CAUTION}",
            # A bare level or 内部… standing alone. In running prose the same words are part of
            # a sentence (保密审查, 国家秘密, 内部控制, 内部管理) and are not markings.
            rf"{_EDGE_BEFORE}(?:{_LEVEL}|{_INTERNAL}|{_CAUTION}){_EDGE_AFTER}",
        ]
    )
    + ")",
    re.MULTILINE,
)


# Every marking contains one of these: the scanner's one pass tells which lines to search.
# Not "密" alone, which ordinary prose is full of (保密, 泄密, 密集架): the spaced forms of a
# level (秘  密) and of 密级 are caught by their first character and the space after it.
_SPACES = (" ", "\t", "\u3000")
MARKING_TRIGGERS = (
    "绝密",
    "机密",
    "秘密",
    "密级",
    "内部",
    *(first + space for first in "绝机秘密" for space in _SPACES),
    *_CAUTION[3:-1].split("|"),
)


def find_markings(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """Classification markings: 绝密/机密/秘密 (with or without ★), 密级：…, 内部资料 注意保密."""
    for m in _MARKING.finditer(text, start, len(text) if end is None else end):
        yield _marking_hit(m)


def _marking_hit(m: re.Match[str]) -> Hit:
    return Hit(
        m.start(),
        m.end(),
        "classification_marking",
        BLOCK,
        f"疑似密级或内部标志「{m.group().strip()}」：涉密或内部材料不得公开发布",
    )


# --- personal numbers ------------------------------------------------------------------


def mask_middle(text: str, keep_head: int, keep_tail: int) -> str:
    """Replace the digits and letters of `text` with '*', except the first and last few."""
    positions = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalnum()]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


_RESIDENT_ID = re.compile(rf"(?=[1-9]){_NUM_START}[1-9][0-9]{{16}}[0-9Xx]{_NUM_END}")
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def is_resident_id(number: str) -> bool:
    """A mainland resident ID number (居民身份证号码): check digit and birth date valid."""
    number = number.upper()
    if ric.calc_check_digit(number) != number[-1]:
        return False
    try:
        born = ric.get_birth_date(number)
    except ric.InvalidComponent:
        return False
    # The region code is not required: stdnum's region table trails redistricting, and a
    # number with a valid check digit and birth date names a person whatever its region.
    return _EARLIEST_BIRTH <= born <= datetime.date.today()


def find_resident_ids(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """18-digit resident ID numbers with a valid check digit and a real birth date."""
    for m in _RESIDENT_ID.finditer(text, start, len(text) if end is None else end):
        if is_resident_id(m.group()):
            yield Hit(
                m.start(),
                m.end(),
                "resident_id",
                BLOCK,
                "居民身份证号码：个人信息，不得公开发布",
                mask_middle(m.group(), 4, 4),
            )


# Written in groups (430702 19800101 1236, or 4307 0219 8001 0112 36): at least one space or
# dash, else it is the plain form above.
_SPACED_ID = re.compile(
    rf"(?=[1-9]){_NUM_START}[1-9](?:[ \t-]?[0-9]){{16}}[ \t-]?[0-9Xx]{_NUM_END}"
)


def find_spaced_ids(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """Resident ID numbers split by spaces or dashes, which a reader still reads as one."""
    for m in _SPACED_ID.finditer(text, start, len(text) if end is None else end):
        number = re.sub(r"[ \t-]", "", m.group())
        if number != m.group() and is_resident_id(number):
            yield Hit(
                m.start(),
                m.end(),
                "resident_id",
                BLOCK,
                "居民身份证号码（分段书写）：个人信息，不得公开发布",
                mask_middle(m.group(), 4, 4),
            )


# The first-generation card (1985–2004): 6-digit region, YYMMDD, 3-digit sequence, no check
# digit. Province codes bound the region: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65.
_OLD_ID = re.compile(rf"(?=[1-6]){_NUM_START}[1-6][0-9]{{14}}{_NUM_END}")
_PROVINCES = {
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
}


def is_old_resident_id(number: str) -> bool:
    """A 15-digit first-generation ID: a province's region code and a real 19YY birth date."""
    if len(number) != 15 or not number.isdigit() or int(number[:2]) not in _PROVINCES:
        return False
    try:
        born = datetime.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return born <= datetime.date.today()


def find_old_resident_ids(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """15-digit first-generation resident ID numbers, as a warning."""
    # Not a block: the old 15-digit business registration numbers (注册号) can look the same.
    for m in _OLD_ID.finditer(text, start, len(text) if end is None else end):
        if is_old_resident_id(m.group()):
            yield Hit(
                m.start(),
                m.end(),
                "resident_id_15",
                WARN,
                "疑似15位旧版居民身份证号码：若是个人证件号码，属个人信息，应删除",
                mask_middle(m.group(), 4, 3),
            )


_MOBILE = re.compile(
    rf"(?=[+01]){_NUM_START}(?:(?:\+|00)86[ \t-]?)?1[3-9][0-9](?:[ \t-]?[0-9]{{4}}){{2}}{_NUM_END}"
)
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE}


def find_mobiles(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """Mainland mobile numbers, as phonenumbers classifies them (landlines are not)."""
    for m in _MOBILE.finditer(text, start, len(text) if end is None else end):
        number = phonenumbers.parse(m.group(), "CN")
        if phonenumbers.is_valid_number(number) and (
            phonenumbers.number_type(number) in _MOBILE_TYPES
        ):
            # warn, not block: offices do publish duty mobiles in 办事指南; only the
            # reviewer knows whether this one is a public contact or a private number.
            yield Hit(
                m.start(),
                m.end(),
                "mobile_number",
                WARN,
                "手机号码：若非公开的办事联系电话，属个人信息，应删除",
                mask_middle(m.group(), len(re.sub(r"\D", "", m.group())) - 8, 4),
            )


# 16–19 digits, either run together or in groups of four with one consistent separator.
# The first digit is a card scheme's (3 JCB, 4 Visa, 5 Mastercard, 6 UnionPay, 9 old domestic
# debit cards), which keeps years and row numbers in tables (2018 2019 …) out.
_BANK_CARD = re.compile(
    rf"(?=[3-69]){_NUM_START}[3-69]"
    rf"(?:[0-9]{{15,18}}|[0-9]{{3}}([ -])[0-9]{{4}}\1[0-9]{{4}}\1[0-9]{{1,4}}(?:\1[0-9]{{1,3}})?)"
    rf"{_NUM_END}"
)


def find_bank_cards(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """Bank card numbers: 16–19 digits passing the Luhn check, not an ID or credit code."""
    for m in _BANK_CARD.finditer(text, start, len(text) if end is None else end):
        digits = re.sub(r"\D", "", m.group())
        if not 16 <= len(digits) <= 19 or not luhn.is_valid(digits):
            continue
        # An 18-digit resident ID or 统一社会信用代码 passes Luhn one time in ten; it is
        # reported (or deliberately not) by its own rule, not as a card.
        if len(digits) == 18 and (is_resident_id(digits) or uscc.is_valid(digits)):
            continue
        yield Hit(
            m.start(),
            m.end(),
            "bank_card",
            BLOCK,
            "银行卡号（Luhn 校验有效）：个人金融信息，不得公开发布",
            mask_middle(m.group(), 4, 4),
        )


# The look-behind makes the scan start only at the beginning of an address-like run, so a
# long run of letters without "@" costs one pass, not one pass per character.
_EMAIL = re.compile(
    r"(?=[A-Za-z0-9._%+-])(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


EMAIL_TRIGGER = "@"


def find_emails(text: str, start: int = 0, end: int | None = None) -> Iterator[Hit]:
    """E-mail addresses; the local part is masked, the domain kept to tell office from private."""
    for m in _EMAIL.finditer(text, start, len(text) if end is None else end):
        local, _, domain = m.group().partition("@")
        # warn, not block: an office's public mailbox (信箱) is meant to be published;
        # a personal address is not, and the domain shown lets the reviewer tell which.
        yield Hit(
            m.start(),
            m.end(),
            "email",
            WARN,
            "电子邮箱：若非单位公开信箱，属个人信息，应删除",
            local[0] + "*" * (len(local) - 1) + "@" + domain,
        )


BUILT_IN: tuple[Detector, ...] = (
    find_markings,
    find_resident_ids,
    find_spaced_ids,
    find_old_resident_ids,
    find_mobiles,
    find_bank_cards,
    find_emails,
)


# --- searching only where something can be ---------------------------------------------

# Every ID, mobile and card number lies inside such a run (digits with single spaces or
# dashes between groups); one pass for this run is far cheaper than one pass per pattern.
_DIGIT_RUN = re.compile(r"[0-9][0-9 \t-]{10,}")
# A number may begin up to this many characters before its run (+86, 0086) and its end is
# judged by up to two characters after it (a decimal point and a digit).
_RUN_BEFORE, _RUN_AFTER = 4, 2
# A mobile has 11 digits, an old ID 15; an ID has 17 before its check character, a card 16+.
_MOBILE_DIGITS, _OLD_ID_DIGITS, _LONG_DIGITS = 11, 15, 16


def _markings_from(text: str, triggers: Iterable[tuple[str, int, int]]) -> Iterator[Hit]:
    """The markings that start at a trigger word (or at 仅限 before a 内部).

    Every marking starts at one of its trigger words, except 仅限内部 two characters earlier,
    so trying the pattern there in order, never inside the previous match, finds what
    `find_markings` over the whole text finds.
    """
    starts = set()
    for word, start, _ in triggers:
        starts.add(start)
        if word == "内部" and text.startswith("仅限", start - 2):
            starts.add(start - 2)
    reach = 0
    for start in sorted(starts):
        if start < reach:
            continue
        m = _MARKING.match(text, start)
        if m is not None:
            reach = m.end()
            yield _marking_hit(m)


def find_in_text(
    text: str,
    marking_triggers: Iterable[tuple[str, int, int]],
    email_lines: Iterable[tuple[int, int]],
) -> Iterator[Hit]:
    """What BUILT_IN finds, trying the patterns only where the scanner's one pass says.

    Markings are tried where their trigger words are, e-mail on the lines with an "@", and
    numbers in the digit runs one cheap pass finds; no pattern crosses a line, so the result
    equals running every detector over the whole text.
    """
    yield from _markings_from(text, marking_triggers)
    for start, end in email_lines:
        yield from find_emails(text, start, end)
    size = len(text)
    for run in _DIGIT_RUN.finditer(text):
        found = run.group()
        digits = len(found) - found.count(" ") - found.count("-") - found.count("\t")
        if digits < _MOBILE_DIGITS:
            continue  # dates, index numbers, landlines without area code
        start, end = max(0, run.start() - _RUN_BEFORE), min(size, run.end() + _RUN_AFTER)
        yield from find_mobiles(text, start, end)
        if digits >= _OLD_ID_DIGITS:
            yield from find_old_resident_ids(text, start, end)
        if digits >= _LONG_DIGITS:
            yield from find_resident_ids(text, start, end)
            yield from find_bank_cards(text, start, end)
            if digits != len(found.strip()):  # written with spaces or dashes
                yield from find_spaced_ids(text, start, end)
