"""An organisation file with mistakes is refused naming every one, each with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview.accounts.org import parse_org
from pubreview.errors import ValidationError

ORG = """\
units:
  - {code: office, name: 办公室, kind: center}
  - {code: office, name: 重复, kind: center}
  - {code: yewu, name: 业务科, kind: branch}
people:
  - {username: li.na, name: 李娜, roles: [{unit: office, role: boss}]}
  - {username: wang.fang, name: 王芳, roles: [{unit: nowhere, role: leader}], phone: 1}
  - {username: zhang.wei, name: 张伟, roles: [{unit: yewu, role: submitter}]}
"""


def test_every_mistake_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(ORG, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        parse_org(path)
    found = str(caught.value)
    assert f"组织机构文件 {path} 有 5 处问题" in found, found
    for expected in (
        "第 3 行：units[1].code：单位代码「office」重复",
        "第 4 行：units[2].kind：未知单位类型「branch」（可选：",
        "第 6 行：people[0].roles[0].role：未知角色「boss」（可选：",
        "第 7 行：people[1].phone：没有这一项（可填：email、name、roles、username）",
        "第 7 行：people[1].roles[0].unit：未知单位「nowhere」",
    ):
        assert f"{path}：{expected}" in found, expected


def test_a_good_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(ORG.split("  - {code: office, name: 重复")[0] + "people: []\n", "utf-8")
    units, people = parse_org(path)
    assert [u["code"] for u in units] == ["office"] and people == []
