"""`pubreview chain check FILE` and `pubreview chain show ID`, run in this process."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from models import Publication
from models.base import utcnow
from pubreview import clock, db
from pubreview.cli.parser import main
from pubreview.requests import calendar
from tests.chains.conftest import SAMPLE_CHAINS
from tests.conftest import SAMPLE_ORG
from tests.support.factories import decided, submitted


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_and_show(
    chain_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    # Weekdays worked this year and the next, so the deadline below never meets a year gap.
    year = clock.local(utcnow()).year
    workdays = tmp_path / "workdays.yaml"
    workdays.write_text(f"holidays: []\nworkdays: []\ndescribed_years: [{year}, {year + 1}]\n")
    monkeypatch.setenv("PUBREVIEW_WORKDAYS", str(workdays))
    assert main(["chain", "check", str(SAMPLE_CHAINS)]) == 0
    out = capsys.readouterr().out
    assert "检查通过，3 条审核链，3 条规则" in out
    assert "初审 → 保密审查 → 审签 → 中心发布" in out

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        SAMPLE_CHAINS.read_text(encoding="utf-8").replace("unit: baomi", "unit: baomiban"),
        encoding="utf-8",
    )
    assert main(["chain", "check", str(broken)]) == 1
    assert "第 15 行：chains.secrecy.secrecy.unit：未知单位「baomiban」" in capsys.readouterr().err

    pub = submitted(chain_engine, category="政务公开")
    decided(chain_engine, pub, "li.na", attest=True)
    assert main(["chain", "show", str(pub), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["chain"] == "secrecy"
    assert [(s["id"], s["state"]) for s in shown["steps"]] == [
        ("prereview", "done"),
        ("secrecy", "waiting"),
        ("signoff", "ahead"),
        ("publication", "ahead"),
    ]
    assert shown["steps"][1]["waiting_on"] == ["bao.an"]
    assert main(["chain", "show", str(pub)]) == 0
    text = capsys.readouterr().out
    assert "→ 2. 保密审查（secrecy）：保密办的科室负责人，3 个工作日内" in text
    # The waiting step's deadline on the office calendar: three working days after it arrived.
    with db.transaction(chain_engine) as session:
        arrived = clock.local(session.get(Publication, pub).waiting_since).date()
    due = calendar.load().add(arrived, 3).isoformat()
    assert shown["steps"][1]["due_on"] == due and shown["steps"][2]["due_on"] is None
    assert f"期限：{due}（还剩 3 个工作日）" in text
    assert "待决定：bao.an" in text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_org_load_refuses_an_org_that_strands_a_step(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    org = tmp_path / "org.yaml"
    org.write_text(
        "units:\n  - {code: xin, name: 新设科, kind: section}\n"
        "people:\n  - username: xin.ren\n    name: 新人\n"
        "    roles:\n      - {unit: xin, role: submitter}\n",
        encoding="utf-8",
    )
    assert main(["org", "load", str(org)]) == 1
    err = capsys.readouterr().err
    assert "组织架构未载入" in err
    assert "chains.default.prereview：新设科目前没有科室负责人" in err
    assert main(["org", "show", "--json"]) == 0
    assert "xin" not in {u["code"] for u in json.loads(capsys.readouterr().out)["units"]}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_org_load_refuses_an_org_that_would_stall_a_countersign(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    chains = tmp_path / "chains.yaml"
    chains.write_text(
        "chains:\n  default:\n    steps:\n"
        "      - {id: prereview, label: 初审, role: section_head}\n"
        "      - id: huiqian\n        label: 部门会签\n        role: section_head\n"
        "        unit: office\n        group: {rule: 2}\n"
        "      - {id: publication, label: 中心发布, role: center, unit: office}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(chains))
    assert main(["chain", "check", str(chains)]) == 0
    capsys.readouterr()
    # The same people, but the section heads of 业务科 and 武陵区编办 now only submit.
    org = tmp_path / "org.yaml"
    text = SAMPLE_ORG.read_text(encoding="utf-8")
    for unit in ("yewu", "wuling"):
        head = f"{{unit: {unit}, role: section_head}}"
        assert text.count(head) == 1
        text = text.replace(head, f"{{unit: {unit}, role: submitter}}")
    org.write_text(text, encoding="utf-8")
    assert main(["org", "load", str(org)]) == 1
    err = capsys.readouterr().err
    assert "组织架构未载入" in err and "chains.default.huiqian.group.rule：会签须 2 人同意" in err
    assert "最少只剩 0 人" in err


REPLY_CHAIN = """
  reply_legal:
    applies_to: reply
    steps:
      - {id: review, label: 审核, role: center}
      - {id: legal, label: 法制审核, role: section_head, unit: zonghe}
      - {id: sign, label: 签发, role: leader}
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_lists_and_counts_the_reply_chain(
    chain_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    text = SAMPLE_CHAINS.read_text(encoding="utf-8")
    chains = tmp_path / "chains.yaml"
    chains.write_text(text.replace("chains:\n", "chains:" + REPLY_CHAIN, 1), encoding="utf-8")
    assert main(["chain", "check", str(chains), "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["reply"]["name"] == "reply_legal"
    assert checked["reply"]["steps"] == ["review", "legal", "sign"]
    assert "reply_legal" not in checked["chains"]  # not a publication chain
    assert main(["chain", "check", str(chains)]) == 0
    out = capsys.readouterr().out
    assert "检查通过，3 条审核链，3 条规则，1 条答复审批链" in out
    assert "reply_legal（版本 " in out and "答复）：承办 → 审核 → 法制审核 → 签发" in out
    # A file without one says the reply goes through the built-in chain.
    assert main(["chain", "check", str(SAMPLE_CHAINS), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reply"] is None
