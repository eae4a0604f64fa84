"""Every notification template rendered with StrictUndefined, and user text escaped in HTML."""

from __future__ import annotations

import pytest
from jinja2 import StrictUndefined, UndefinedError

from pubreview.notify.messages import render
from pubreview.notify.recipients import EVENTS
from pubreview.rendering import environment


def full_context(**overrides) -> dict:
    """A context with every variable the templates use, each holding something visible."""
    ctx = {
        "publication_id": 7,
        "title": "关于<script>alert('x')</script>的通知",
        "unit": "综合科",
        "category": "工作动态",
        "channels": ["网站", "微博"],
        "submitter": "张伟",
        "submitter_username": "zhang.wei",
        "revision": 2,
        "stage_label": "审签",
        "status_label": "审核中",
        "recipient": "曾翔",
        "recipient_username": "zeng.xiang",
        "decision": {
            "stage_label": "初审",
            "outcome_label": "同意",
            "by": "李娜",
            "comment": "数据<b>已核实</b>",
        },
        "commands": ["pubreview decide 7 approve --as zeng.xiang"],
        "link": "http://127.0.0.1:8090/review/TOKEN",
        "findings": [
            {
                "detector": "resident_id",
                "severity": "block",
                "location": "body",
                "line": 3,
                "reason": "居民身份证号码",
                "excerpt": "身份证 1101**********002X",
            }
        ],
        "urls": {"网站": "http://site.example/articles/7.html", "微博": None},
    }
    ctx.update(overrides)
    return ctx


def test_environment_is_strict() -> None:
    assert environment().undefined is StrictUndefined


@pytest.mark.parametrize("event", EVENTS)
def test_every_template_renders_every_part(event: str) -> None:
    message = render(event, full_context())
    assert "\n" not in message.subject and "#7" in message.subject
    for body in (message.text, message.html):
        assert "综合科" in body and "张伟" in body and "第 2 稿" in body
        assert "pubreview decide 7 approve --as zeng.xiang" in body
        assert "http://127.0.0.1:8090/review/TOKEN" in body
        assert "1101**********002X" in body and "李娜" in body
        assert "http://site.example/articles/7.html" in body
    assert "<script>" in message.text and "<script>" not in message.html
    assert "&lt;script&gt;" in message.html and "&lt;b&gt;已核实" in message.html


@pytest.mark.parametrize("event", EVENTS)
def test_empty_optional_parts_render(event: str) -> None:
    message = render(
        event, full_context(decision=None, commands=[], link=None, findings=[], urls={})
    )
    assert "操作命令" not in message.text and "保密预审" not in message.text
    assert "None" not in message.text and "None" not in message.html


@pytest.mark.parametrize("event", EVENTS)
def test_a_missing_variable_fails_loudly(event: str) -> None:
    ctx = full_context()
    del ctx["unit"]
    with pytest.raises(UndefinedError):
        render(event, ctx)
