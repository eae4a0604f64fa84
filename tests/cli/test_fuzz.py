"""The command line under hostile arguments and files: submit, decide, status and screen.

Hypothesis draws ids, text (control, bidi and undecodable characters, long and empty values)
and file contents; whatever it draws, a command ends with its exit status and at most a
message, never an uncaught exception or a traceback, and a refusal writes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from models import Publication, Revision
from pubreview import db
from pubreview.cli.parser import main
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.web import ledger_size

TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            "x" * 5000,
            "a\x00b",
            "标题\x1b[2J\x07",
            "通知\n#2 伪造的状态行",
            "\u202e",
            "li\udcffna",  # bytes that were not UTF-8, as Python hands them over
            "javascript:alert(1)",
            "../../etc/passwd",
            "-1",
            "9223372036854775808",
        ]
    ),
    st.text(max_size=30),
)
_UNUSABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\ud800-\udfff]")
IDS = st.sampled_from(["1", "0", "-1", "2147483647", "2147483648", str(2**63), "1" * 30, "x"])
USERS = st.one_of(st.sampled_from(["zhang.wei", "li.na", "zeng.xiang", "zhou.min"]), TEXT)
FILES = st.one_of(
    st.sampled_from([b"", b"\xff\xfe\x00\x00", b"PK\x03\x04\x14\x00broken", b"%PDF-1.4\n%%EOF"]),
    st.binary(max_size=200),
)


@st.composite
def commands(draw: st.DrawFn, tmp: Path) -> list[str]:
    """One hostile command line."""
    kind = draw(st.sampled_from(["submit", "decide", "status", "screen"]))
    if kind == "submit":
        argv = ["submit", "--as", draw(USERS), "--unit", draw(st.sampled_from(["zonghe", "x"]))]
        argv += ["--title", draw(TEXT), "--category", draw(st.sampled_from(["工作动态", "八卦"]))]
        argv += ["--channel", draw(st.sampled_from(["网站", "微博", "\x00"]))]
        if draw(st.booleans()):
            argv += ["--body", draw(TEXT)]
        else:
            body = tmp / "body.md"
            body.write_bytes(draw(FILES))
            argv += ["--body-file", str(body)]
        return argv
    if kind == "decide":
        outcome = draw(st.sampled_from(["approve", "return", "reject"]))
        argv = ["decide", draw(IDS), outcome, "--as", draw(USERS), "--comment", draw(TEXT)]
        if draw(st.booleans()):
            argv += ["--url", f"网站={draw(TEXT)}", "--revision", draw(IDS)]
        return argv
    if kind == "status":
        return ["status", draw(IDS)]
    name = draw(st.sampled_from(["f.txt", "f.docx", "f.pdf", "f.xlsx", "f.md"]))
    (tmp / name).write_bytes(draw(FILES))
    return ["screen", str(tmp / name)]


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_hostile_command_ends_in_a_status_and_a_refusal_writes_nothing(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    data: st.DataObject,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    with db.snapshot(engine) as session:
        if session.get(Publication, 1) is None:
            submitted(engine)  # item 1, for decide and status
    argv = data.draw(commands(tmp_path))
    before = ledger_size(engine)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusal of a malformed command line
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, argv
    assert status in (0, 1, 2), (argv, status)
    if status != 0 and argv[0] != "screen":  # screen's 1 is "found a block finding"
        assert ledger_size(engine) == before, (argv, err)
    if status == 0 and argv[0] == "submit":  # what was stored is text a page can show
        with db.snapshot(engine) as session:
            stored = session.get(Publication, int(out.split()[-1]))
            body = (
                stored
                and session.scalars(
                    select(Revision.body).where(Revision.publication_id == stored.id)
                ).one()
            )
        assert body and not _UNUSABLE.search(body), (argv, body)


SUBMIT = ["submit", "--as", "zhang.wei", "--unit", "zonghe", "--title", "工作动态一则"]
SUBMIT += ["--category", "工作动态", "--channel", "网站"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            "第一段。\n第二段\x00。".encode(),
            "正文：文件“body.md”含有不可见的控制字符（如 NUL、ESC）",
        ),
        ("第一段。\n\n通知\u202egpj.exe".encode(), "正文：文件“body.md”含有改变文字显示方向的字符"),
        (b"x" * (4 * 1024 * 1024 + 1), "正文：文件“body.md”超过上限 4 MB"),
        ("正文".encode("gb18030") + b"\xff", "正文：文件“body.md”不是 UTF-8 编码的文字"),
    ],
)
def test_a_body_file_is_held_to_the_rule_of_a_typed_body(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    content: bytes,
    says: str,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    body = tmp_path / "body.md"
    body.write_bytes(content)
    pub_id = submitted(engine)
    decided(engine, pub_id, "li.na", Outcome.RETURN, comment="请修改")
    before = ledger_size(engine)
    for argv in (
        [*SUBMIT, "--body-file", str(body)],
        ["resubmit", str(pub_id), "--as", "zhang.wei", "--body-file", str(body)],
    ):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err and len(err.splitlines()) == 1, err
    if "控制字符" in says:
        assert "（第 2 行）" in err  # where in the file to look
    assert ledger_size(engine) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_attachments_from_the_command_line_meet_the_upload_rules(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENTS", "2")
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENT_BYTES", "1000")
    files = []
    for n in range(3):
        files.append(tmp_path / f"附件{n}.txt")
        files[-1].write_text(f"附件 {n} 的内容", encoding="utf-8")
    (tmp_path / "空.pdf").write_bytes(b"")
    (tmp_path / "大.txt").write_bytes(b"x" * 1001)
    before = ledger_size(engine)
    for attach, says in (
        (files, "附件：共 3 个，超过上限 2 个"),
        ([tmp_path / "空.pdf"], "附件“空.pdf”是空文件"),
        ([tmp_path / "大.txt"], "附件“大.txt”有 1001 字节，超过上限"),
    ):
        argv = [*SUBMIT, "--body", "正文。"] + [a for f in attach for a in ("--attach", str(f))]
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert says in err and len(err.splitlines()) == 1, err
    assert ledger_size(engine) == before
    assert (
        main([*SUBMIT, "--body", "正文。", "--attach", str(files[0]), "--attach", str(files[1])])
        == 0
    )
