"""A finding reads the same on the command line, in a notice, on a page and in the re-scan."""

from __future__ import annotations

from pubreview.rendering import environment
from pubreview.screening.findings import Finding

FOUND = Finding(
    detector="wrong_term",
    severity="warn",
    reason="疑似错误提法",
    location="body",
    line=3,
    excerpt="开展扫黑除恶专项斗争",
    suggestion="扫黑除恶",
)
LINE = "[提示] 正文 第 3 行：疑似错误提法「开展扫黑除恶专项斗争」 → 建议改为「扫黑除恶」"


def test_one_line_from_the_finding_or_its_data() -> None:
    assert FOUND.to_text() == LINE
    assert Finding.from_dict({**FOUND.to_dict(), "severity_label": "提示"}) == FOUND
    attachment = Finding("resident_id", "block", "身份证号", "附件.pdf", 1, "1101**", "")
    assert attachment.to_text() == "[阻断] 附件.pdf 第 1 行：身份证号「1101**」"


def test_templates_use_the_same_line() -> None:
    html = environment().from_string("{{ f | finding }}")
    assert html.render(f=FOUND.to_dict()) == LINE
    assert html.render(f=FOUND) == LINE
