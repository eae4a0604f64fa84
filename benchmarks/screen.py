"""Time the whole screen (confidentiality + 错敏) per MB against one compiled regex pass.

The screen runs with the shipped negative list, leader list and lexicon plus 5,000 more
lexicon entries (--entries), as an office's grown list would be. The target is a screen
within 2x of the one regex pass over the same text.

Run: .venv/bin/python benchmarks/screen.py [--mb 1.0] [--repeat 15] [--entries 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from pubreview.screening import screen_text
from pubreview.screening.detectors import BUILT_IN
from pubreview.screening.lexicon import DEFAULT_LEXICON
from pubreview.screening.negative_list import find_negative, load_negative_list
from pubreview.screening.screen import load_lists

# Sentences in the register of a 政府信息公开工作年度报告, with numbers that must not alarm:
# dates, amounts, counts, document numbers, an office landline, an index number.
TEMPLATES = [
    "{y}年，我办累计公开政府信息{n}条，全文电子化率达100%。",
    "其中工作动态信息{n}条，政务公开信息{m}条，业务工作信息{k}条。",
    "根据《条例》规定和市政务公开办要求，我办建立了政府信息公开制度和保密审查制度。",
    "政府信息经各科室负责人对信息质量和保密事项进行初审，报分管领导审签同意后交中心发布。",
    "{y}年{mo}月，组织市县业务骨干参加培训，专题学习了政务公开相关知识。",
    "《常德市人民政府办公室关于印发有关清单的通知》（常政办发〔{y}〕{k}号）已按要求公开。",
    "财政预算与实际支出均为{m}万元，主要用于购置档案室密集架、制作宣传栏。",
    "如对本年度报告有疑问，请联系综合科，电话：0736-{tel}。",
    "索引号 | 736037/{y}-{idx:05d} | 成文日期 | {y}-{mo:02d}-{d:02d} |",
    "全年共接受群众咨询{n}次，其中公共查阅室接待{k}次，网上咨询{m}次。",
    "没有发生一起信息公开泄密事件，未发生针对本单位的行政复议、行政诉讼案。",
    "加强内部控制和内部事务管理，健全监督考核制度，确保监管无死角。",
    "省平台归集办件数据{m}万多条，注册用户{k}.5万个，减证幅度多出{k}.{d}%。",
    "对市直{k}家单位网站、全市{n}家单位网站进行管理、督促，确保网站挂标率达到100%。",
    "不涉及国家秘密，依申请公开事项均在法定期限内答复。",
]

# What a bad draft contains: one of each kind of finding, planted a few times per MB.
PLANTED = [
    "秘密★1年",
    "内部资料 注意保密",
    "申请人身份证号430702198001011236，手机13812345678。",
    "退款打入卡号6222021234567890128。",
    "来函请发至 zhangsan@example.com 。",
    "此件不公开",
    "深入开展扫黑险恶专项斗争。",
    "市委编办副主任曾翔出席会议并讲话。",
    "主任增翔同志参加调研。",
    "详见[通知](javascript:void(0))，另见 http://www.gov.cn/zhengce/ 。",
]

BASELINE = re.compile(r"[0-9]{11,19}|[绝机秘]密|内部|@")


def make_text(size_bytes: int, seed: int = 2018) -> str:
    """Realistic government prose of about `size_bytes` UTF-8 bytes, with planted findings."""
    rng = random.Random(seed)
    lines, size = [], 0
    plant_every = max(1, size_bytes // 3000 // len(PLANTED))  # a few findings, not a flood
    while size < size_bytes:
        sentences = []
        for _ in range(rng.randint(3, 8)):
            sentences.append(
                rng.choice(TEMPLATES).format(
                    y=rng.randint(2008, 2024),
                    mo=rng.randint(1, 12),
                    d=rng.randint(1, 28),
                    n=rng.randint(100, 999),
                    m=rng.randint(5, 99),
                    k=rng.randint(1, 60),
                    tel=rng.randint(1000000, 9999999),
                    idx=rng.randint(1, 400),
                )
            )
        if len(lines) % plant_every == plant_every - 1:
            sentences.append(PLANTED[len(lines) // plant_every % len(PLANTED)])
        line = "".join(sentences)
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines)


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `repeat` runs in seconds, and what the last run returned."""
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - started)
    return best, value


def write_lexicon(folder: Path, extra: int, seed: int = 19) -> Path:
    """The shipped lexicon plus `extra` synthetic errors (3–6 common characters each)."""
    data = yaml.safe_load(DEFAULT_LEXICON.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    common = [chr(c) for c in range(0x4E00, 0x9FA6) if _is_gb2312_level1(chr(c))]
    taken = {e["wrong"] for e in data["errors"]}
    wanted = len(taken) + extra
    while len(taken) < wanted:
        wrong = "".join(rng.choice(common) for _ in range(rng.randint(3, 6)))
        if wrong not in taken:
            taken.add(wrong)
            right = wrong[:-1] + ("之" if wrong[-1] != "之" else "乎")
            data["errors"].append(
                {"wrong": wrong, "right": right, "reason": "基准", "source": "benchmarks/screen.py"}
            )
    path = folder / "errata.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _is_gb2312_level1(char: str) -> bool:
    """In GB2312's first level (the 3,755 most used characters)."""
    try:
        return 0xB0 <= char.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def main() -> None:
    """Generate the text, time both passes, print ms per MB and the ratio, then one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="size of the text in MB")
    parser.add_argument("--repeat", type=int, default=15, help="runs of each, best is kept")
    parser.add_argument("--entries", type=int, default=5000, help="extra lexicon entries")
    options = parser.parse_args()

    text = make_text(int(options.mb * 1_000_000))
    mb = len(text.encode()) / 1_000_000
    negative = load_negative_list()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        lists = load_lists(negative, lexicon_path=write_lexicon(Path(folder), options.entries))
        load_s = time.perf_counter() - started
    assert lists.lexicon is not None

    # Alternated, best of each: on a shared machine both see the same load.
    screen_s = regex_s = float("inf")
    for _ in range(options.repeat):
        seconds, findings = best_of(1, lambda: screen_text("body", text, lists))
        screen_s = min(screen_s, seconds)
        seconds, matches = best_of(1, lambda: sum(1 for _ in BASELINE.finditer(text)))
        regex_s = min(regex_s, seconds)
    ratio = screen_s / regex_s

    by_detector: dict[str, int] = {}
    for finding in findings:
        by_detector[finding.detector] = by_detector.get(finding.detector, 0) + 1
    lines = text.count("\n") + 1
    print(f"text: {mb:.2f} MB UTF-8, {len(text):,} characters, {lines:,} lines")
    print(
        f"lists: lexicon {len(lists.lexicon):,} wrong texts ({options.entries:,} extra entries), "
        f"{len(lists.scanner):,} scanner keys, loaded and compiled in {load_s:.2f} s"
    )
    print(f"whole screen:       {screen_s / mb * 1000:7.1f} ms/MB  findings {by_detector}")
    print(f"one regex pass:     {regex_s / mb * 1000:7.1f} ms/MB  {matches} matches of")
    print(f"                    /{BASELINE.pattern}/")
    print(f"ratio screen/regex: {ratio:7.2f}x  (target <= 2x)")
    print("the old way, each detector over the whole text (ms/MB):")
    parts = {d.__name__: d for d in BUILT_IN}
    parts["find_negative"] = lambda t: find_negative(t, negative)
    for name, detector in parts.items():
        seconds, _ = best_of(options.repeat, lambda d=detector: list(d(text)))
        print(f"  {name:<18} {seconds / mb * 1000:7.1f}")
    print(
        json.dumps(
            {
                "benchmark": "screen",
                "mb": round(mb, 3),
                "lexicon_entries_extra": options.entries,
                "lexicon_wrong_texts": len(lists.lexicon),
                "scanner_keys": len(lists.scanner),
                "screen_ms_per_mb": round(screen_s / mb * 1000, 2),
                "regex_ms_per_mb": round(regex_s / mb * 1000, 2),
                "ratio": round(ratio, 2),
                "target_ratio": 2.0,
                "findings": len(findings),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
