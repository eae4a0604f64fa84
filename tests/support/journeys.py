"""Items taken through the whole procedure by the real domain functions, for tests to read."""

from __future__ import annotations

from sqlalchemy import Engine

from pubreview import db
from pubreview.publishing.adoption import adopt
from pubreview.publishing.channels import confirm
from pubreview.publishing.retraction import retract
from pubreview.review.submission import resubmit
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


def whole_journey(engine: Engine) -> int:
    """Returned once, resubmitted, approved at every stage, posted on 微信, adopted, retracted."""
    pub = submitted(engine, channels=["网站", "微信"])
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充会议时间")
    with db.transaction(engine) as session:
        resubmit(
            session,
            pub,
            "zhang.wei",
            title=None,
            body="会议定于十二月五日召开，内容如下。",
            attachments=None,
        )
    decided(engine, pub, "wang.fang", Outcome.APPROVE, attest=True)
    decided(engine, pub, "zeng.xiang", Outcome.APPROVE, comment="同意发布")
    decided(engine, pub, "zhou.min", Outcome.APPROVE)
    with db.transaction(engine) as session:
        confirm(session, pub, "微信", "https://mp.weixin.qq.com/s/abc", "zhou.min")
        adopt(session, pub, "provincial", "湖南日报", None, actor_username="zhou.min")
        retract(session, pub, "wu.gang", "数据有误", False)
    return pub
