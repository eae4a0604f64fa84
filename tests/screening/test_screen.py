"""The confidentiality pre-screen: detectors, negative list, extraction, `pubreview screen`."""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from pubreview.cli import screen as screen_command
from pubreview.errors import ValidationError
from pubreview.screening import screen_document, screen_text
from pubreview.screening.negative_list import load_negative_list
from pubreview.settings import PROJECT_ROOT

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"
NEGATIVE = load_negative_list()


def with_check_digit(first17: str) -> str:
    """A resident ID number completed with its correct check digit."""
    return first17 + ric.calc_check_digit(first17 + "0")


def luhn_complete(partial: str) -> str:
    """A card number completed with its correct Luhn digit."""
    return partial + luhn.calc_check_digit(partial)


# 湖南省常德市武陵区, born 1980-01-01.
VALID_ID = with_check_digit("43070219800101123")
VALID_CARD = luhn_complete("622202123456789012")  # 19 digits, UnionPay prefix


def detectors_in(text: str) -> list[str]:
    """Which detectors fire on `text`, in reading order."""
    return [f.detector for f in screen_text("body", text, NEGATIVE)]


# --- classification markings -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "秘密★1年",
        "机密★",
        "绝密★启用前",
        "秘  密★10年\n关于某事项的通知",
        "机密★长期 关于某事项的通知",
        "密级：秘密",
        "内部资料 注意保密",
        "内部资料，请勿外传",
        "本材料为内部资料，请勿外传。",
        "内部",
        "  机密  ",
        "发布机构 | 内部 | 成文日期",
        "【内部参考】",
        "**内部资料**",
        "正文第一行\n秘密\n正文第三行",
    ],
)
def test_classification_markings_block(text: str) -> None:
    findings = [f for f in screen_text("body", text, []) if f.detector == "classification_marking"]
    assert len(findings) == 1
    assert findings[0].severity == "block"


@pytest.mark.parametrize(
    "text",
    [
        "对拟公开的政府信息进行保密审查。",
        "没有发生一起信息公开泄密事件。",
        "负责人对信息质量和保密事项进行初审。",
        "不涉及国家秘密。",
        "秘密文件管理办法已修订。",
        "机密性、完整性和可用性。",
        "内部控制制度和内部事务管理。",
        "内部资料显示，全年共受理申请42件。",
        "绝密文件的保管按有关规定执行。",
        "健全了保密审查制度、监督考核制度。",
    ],
)
def test_procedure_prose_is_not_a_marking(text: str) -> None:
    assert "classification_marking" not in detectors_in(text)


def test_marking_is_found_on_its_line() -> None:
    findings = screen_text("body", "关于某事项的通知\n\n内部资料 注意保密\n正文", [])
    assert [(f.detector, f.line, f.excerpt) for f in findings] == [
        ("classification_marking", 3, "内部资料 注意保密")
    ]


# --- resident ID numbers ------------------------------------------------------------------


def test_resident_id_blocks_and_is_masked() -> None:
    [finding] = screen_text("body", f"申请人身份证{VALID_ID}。", [])
    assert (finding.detector, finding.severity) == ("resident_id", "block")
    assert f"4307**********{VALID_ID[-4:]}" in finding.excerpt
    assert VALID_ID not in finding.excerpt


def test_resident_id_with_x_check_digit() -> None:
    # Search a birth sequence whose check digit is X, so the X branch is really exercised.
    number = next(
        n
        for n in (with_check_digit(f"43070219800101{seq:03d}") for seq in range(1000))
        if n.endswith("X")
    )
    assert detectors_in(f"证件号 {number.lower()}") == ["resident_id"]


def test_resident_id_with_wrong_check_digit_is_not_reported() -> None:
    wrong = VALID_ID[:-1] + str((int(VALID_ID[-1].replace("X", "0")) + 1) % 10)
    assert not luhn.is_valid(wrong)  # so no detector has a reason to fire on it
    assert detectors_in(f"编号{wrong}") == []


def test_resident_id_with_impossible_birth_date_is_not_reported() -> None:
    feb_30 = with_check_digit("43070219800230123")
    future = with_check_digit("43070220990101123")
    assert ric.calc_check_digit(feb_30) == feb_30[-1]  # the check digit alone would pass
    assert "resident_id" not in detectors_in(f"{feb_30} {future}")


def test_resident_id_inside_a_longer_number_is_not_reported() -> None:
    assert "resident_id" not in detectors_in(f"流水号9{VALID_ID}1")


# --- mobile numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("联系人手机13812345678。", "138****5678"),
        ("手机：+86 138 1234 5678", "+86 138 **** 5678"),
        ("手机：１３８１２３４５６７８", "138****5678"),
    ],
)
def test_mobile_numbers_warn_masked(text: str, masked: str) -> None:
    [finding] = screen_text("body", text, [])
    assert (finding.detector, finding.severity) == ("mobile_number", "warn")
    assert masked in finding.excerpt


@pytest.mark.parametrize(
    "text",
    [
        "请联系综合科，电话：0736-7786510。",
        "电话 (0736)7786510",
        "编号12012345678",  # not an allocated mobile range
        "流水号213812345678",  # the tail of a longer number
    ],
)
def test_landlines_and_other_numbers_are_not_mobiles(text: str) -> None:
    assert detectors_in(text) == []


# --- bank cards ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"收款卡号{VALID_CARD}",
        "卡号 " + " ".join(VALID_CARD[i : i + 4] for i in range(0, 19, 4)),
        "卡号 " + luhn_complete("411111111111111"),
    ],
)
def test_luhn_valid_card_numbers_block(text: str) -> None:
    [finding] = screen_text("body", text, [])
    assert (finding.detector, finding.severity) == ("bank_card", "block")
    assert VALID_CARD[4:15] not in finding.excerpt.replace(" ", "")


def test_card_number_with_bad_luhn_digit_is_not_reported() -> None:
    bad = VALID_CARD[:-1] + str((int(VALID_CARD[-1]) + 1) % 10)
    assert detectors_in(f"卡号{bad}") == []


def test_resident_id_that_passes_luhn_is_reported_once_as_an_id() -> None:
    number = next(
        n
        for n in (with_check_digit(f"43070219800101{seq:03d}") for seq in range(1000))
        if luhn.is_valid(n)
    )
    assert detectors_in(number) == ["resident_id"]


def test_credit_code_that_passes_luhn_is_not_a_card() -> None:
    # An all-digit 统一社会信用代码 of a 社会组织 (prefix 5) looks like a UnionPay-length card.
    codes = (f"5143070050{n:07d}" for n in range(10_000))
    code = next(
        c for c in (p + uscc.calc_check_digit(p) for p in codes) if c.isdigit() and luhn.is_valid(c)
    )
    assert detectors_in(f"统一社会信用代码：{code}") == []


# --- e-mail -------------------------------------------------------------------------------


def test_email_warns_with_local_part_masked() -> None:
    [finding] = screen_text("body", "来函请发至 zhangsan@example.com 。", [])
    assert (finding.detector, finding.severity) == ("email", "warn")
    assert "z*******@example.com" in finding.excerpt


# --- ordinary government prose ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "《常德市人民政府办公室关于印发清单的通知》(常政办发〔2018〕8号)",
        "财政预算与实际支出均为5万元，减证幅度比原上报数多出43.5%。",
        "已录入事项33018项，归集办件数据42万多条，注册用户2.5万个。",
        "索引号 | 736037/2019-00003 | 成文日期 | 2019-03-22 |",
        "2018年10月，组织市县业务骨干参加培训。",
        "年度 | 2018 2019 2020 2021 | 合计",
    ],
)
def test_numbers_in_ordinary_prose_raise_nothing(text: str) -> None:
    assert detectors_in(text) == []


def test_seed_has_no_block_finding() -> None:
    seeds = sorted(SEED_DIR.glob("*.txt"))
    assert seeds, f"no seed text under {SEED_DIR}"
    for seed in seeds:
        body = seed.read_text(encoding="utf-8")
        result = screen_document(seed.stem, body, [])
        assert not result.blocked, [f.to_dict() for f in result.findings]


def test_seed_with_a_planted_id_blocks() -> None:
    # Guards the test above: the same text does block once something sensitive is in it.
    body = (SEED_DIR / "000_7cdf9aad39d2617c.txt").read_text(encoding="utf-8")
    result = screen_document("年度报告", body + f"\n申请人身份证号{VALID_ID}", [])
    assert result.blocked
    assert [f.detector for f in result.findings if f.severity == "block"] == ["resident_id"]


# --- negative list ------------------------------------------------------------------------


def test_shipped_negative_list_entries_match() -> None:
    findings = screen_text("body", "本件为送审稿。\n此件不公开", NEGATIVE)
    assert [(f.detector, f.severity, f.line) for f in findings] == [
        ("negative_list", "warn", 1),
        ("negative_list", "block", 2),
    ]


def test_custom_negative_list_term_and_pattern(tmp_path: Path) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text(
        "entries:\n"
        "  - term: 某某工程\n    reason: 项目尚未批复\n    severity: block\n"
        "  - pattern: '第[一二三]期'\n    reason: 期数待定\n    severity: warn\n",
        encoding="utf-8",
    )
    result = screen_document("某某工程第二期", "", [], negative_list_path=path)
    assert [(f.severity, f.reason, f.location) for f in result.findings] == [
        ("block", "负面清单：项目尚未批复", "title"),
        ("warn", "负面清单：期数待定", "title"),
    ]


@pytest.mark.parametrize(
    "entries",
    [
        "  - term: 甲\n    severity: block\n",  # no reason
        "  - term: 甲\n    reason: 乙\n    severity: high\n",  # unknown severity
        "  - term: 甲\n    pattern: 甲\n    reason: 乙\n    severity: warn\n",  # both
        "  - pattern: '(甲'\n    reason: 乙\n    severity: warn\n",  # bad regex
    ],
)
def test_malformed_negative_list_is_refused(tmp_path: Path, entries: str) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text("entries:\n" + entries, encoding="utf-8")
    with pytest.raises(ValidationError, match="entry 1"):
        load_negative_list(path)


def test_excerpts_never_show_a_raw_number() -> None:
    # The negative-list label finding sits next to the ID; its excerpt must show the mask.
    findings = screen_text("body", f"身份证号：{VALID_ID}，手机13812345678", NEGATIVE)
    assert {f.detector for f in findings} == {"negative_list", "resident_id", "mobile_number"}
    for finding in findings:
        assert VALID_ID not in finding.excerpt
        assert "13812345678" not in finding.excerpt


# --- attachments --------------------------------------------------------------------------


def make_docx(*, paragraphs: list[str], cells: list[list[str]], header: str = "") -> bytes:
    """A DOCX built with python-docx: paragraphs, then one table, and an optional header."""
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=len(cells), cols=len(cells[0]))
    for row, values in zip(table.rows, cells, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_header_are_screened() -> None:
    data = make_docx(
        paragraphs=["关于政府信息公开工作的报告", "联系电话：0736-7786510"],
        cells=[["姓名", "身份证号码"], ["张三", VALID_ID]],
        header="内部资料 注意保密",
    )
    result = screen_document("报告", "正文", [("报告.docx", data)])
    found = {(f.detector, f.location, f.line) for f in result.findings}
    assert found == {
        ("resident_id", "报告.docx", 4),  # paragraphs 1–2, then table rows 3–4
        ("classification_marking", "报告.docx 页眉", 1),
    }
    assert result.blocked
    assert result.not_screened == {}


def test_unsupported_and_unreadable_attachments_are_listed() -> None:
    result = screen_document(
        "通知",
        "正文",
        [
            ("扫描件.jpg", b"\xff\xd8\xff"),
            ("坏.docx", b"not a zip"),
            ("说明.md", "# 说明".encode()),
        ],
    )
    assert list(result.not_screened) == ["扫描件.jpg", "坏.docx"]
    assert "无法读取" in result.not_screened["坏.docx"]
    assert result.to_dict()["not_screened"][0]["location"] == "扫描件.jpg"


def test_gb18030_text_attachment_is_decoded() -> None:
    result = screen_document("通知", "", [("旧稿.txt", "秘密★1年\n正文".encode("gb18030"))])
    assert [(f.detector, f.location) for f in result.findings] == [
        ("classification_marking", "旧稿.txt")
    ]


def test_result_to_dict_is_json() -> None:
    result = screen_document("秘密★1年", "邮箱 a.b@example.com", [])
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["blocked"] is True
    assert data["counts"] == {"block": 1, "warn": 1}
    assert data["findings"][0]["location"] == "title"


# --- pubreview screen ---------------------------------------------------------------------


def run_screen(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the screen command's handler through its own argparse registration."""
    parser = argparse.ArgumentParser(prog="pubreview")
    screen_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["screen", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def drafts(tmp_path: Path) -> dict[str, Path]:
    """A clean draft, a draft with a marking, a picture and a broken DOCX."""
    files = {
        "clean": ("clean.txt", "请联系综合科，电话：0736-7786510。".encode()),
        "secret": ("secret.md", "# 通知\n\n秘密★1年\n".encode()),
        "picture": ("scan.jpg", b"\xff\xd8\xff"),
        "broken": ("broken.docx", b"not a zip"),
    }
    paths = {}
    for key, (name, data) in files.items():
        paths[key] = tmp_path / name
        paths[key].write_bytes(data)
    return paths


def test_cli_exit_0_when_clean(drafts: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_screen([str(drafts["clean"]), str(drafts["picture"])], capsys)
    assert code == 0
    assert "scan.jpg: NOT SCREENED" in out


def test_cli_exit_1_on_block_finding(
    drafts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_screen(["--json", str(drafts["clean"]), str(drafts["secret"])], capsys)
    assert code == 1
    data = json.loads(out)
    assert data["blocked"] is True
    assert data["findings"][0]["location"] == str(drafts["secret"])
    assert data["findings"][0]["line"] == 3


@pytest.mark.parametrize("which", ["missing", "broken"])
def test_cli_exit_2_on_unreadable_file(
    which: str, drafts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = drafts.get(which, tmp_path / "missing.txt")
    code, out, err = run_screen([str(drafts["secret"]), str(path)], capsys)
    assert code == 2
    assert out == ""
    assert f"cannot read {path}" in err


def test_cli_uses_the_given_negative_list(
    drafts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text(
        "entries:\n  - term: 综合科\n    reason: 测试\n    severity: block\n", encoding="utf-8"
    )
    code, _, _ = run_screen(["--negative-list", str(path), str(drafts["clean"])], capsys)
    assert code == 1
    path.write_text("entries: [oops]\n", encoding="utf-8")
    code, _, err = run_screen(["--negative-list", str(path), str(drafts["clean"])], capsys)
    assert code == 2
    assert "entry 1" in err


def test_installed_cli_exit_statuses(drafts: dict[str, Path]) -> None:
    """The real `python -m pubreview.cli screen`, with every command module importable."""
    from pubreview.cli import COMMAND_MODULES

    missing = [
        name
        for name in COMMAND_MODULES
        if importlib.util.find_spec(f"pubreview.cli.{name}") is None
    ]
    assert not missing, f"command modules listed but missing: {missing}"
    for files, expected in [
        ([drafts["clean"]], 0),
        ([drafts["secret"]], 1),
        ([drafts["broken"]], 2),
    ]:
        completed = subprocess.run(
            [sys.executable, "-m", "pubreview.cli", "screen", *map(str, files)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == expected, completed.stderr


def test_cli_uses_the_given_lexicon_and_leader_list(
    drafts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("副局长赵明远出席扫黑除恶推进会。\n", encoding="utf-8")
    lexicon = tmp_path / "errata.yaml"
    lexicon.write_text(
        "errors:\n  - {wrong: 推进会, right: 推进会议, reason: 测试, source: 办公室}\n",
        encoding="utf-8",
    )
    leaders = tmp_path / "leaders.yaml"
    leaders.write_text("leaders:\n  - {name: 赵明远, title: 局长, unit: 市局}\n", encoding="utf-8")
    code, out, _ = run_screen(
        ["--json", "--lexicon", str(lexicon), "--leaders", str(leaders), str(draft)], capsys
    )
    assert code == 1
    found = {(f["detector"], f["suggestion"]) for f in json.loads(out)["findings"]}
    assert found == {("leader_title", "局长赵明远"), ("erratum", "推进会议")}
    leaders.write_text("leaders:\n  - {name: 赵明远}\n", encoding="utf-8")
    code, _, err = run_screen(["--leaders", str(leaders), str(draft)], capsys)
    assert code == 2
    assert "第 2 行" in err
