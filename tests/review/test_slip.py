"""The 审批表 from a real ledger: every step in order, with who, role, decision and fingerprint."""

from __future__ import annotations

from sqlalchemy import Engine, select

from models import Revision
from pubreview import db
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.review.slip import approval_slip
from tests.support.journeys import whole_journey


def test_the_slip_lists_every_step(engine: Engine) -> None:
    pub = whole_journey(engine)
    with db.transaction(engine) as session:
        slip = approval_slip(session, pub)
        prints = dict(
            session.execute(
                select(Revision.number, Revision.fingerprint).where(Revision.publication_id == pub)
            ).all()
        )
    assert slip.title == "关于召开全市编办主任会议的通知" and slip.unit == "综合科"
    assert slip.submitter == "张伟（zhang.wei）" and slip.channels == ["网站", "微信"]
    assert slip.status == "已撤回" and slip.revision == 2 and slip.fingerprint == prints[2]
    rows = [(s.step, s.username, s.decision, s.revision) for s in slip.steps]
    assert rows == [
        ("提交", "zhang.wei", "提交", 1),
        ("保密预检", "system", "未发现阻断问题", 1),
        ("初审", "li.na", "退回修改", 1),
        ("修改后重新提交", "zhang.wei", "修改后重新提交", 2),
        ("保密预检", "system", "未发现阻断问题", 2),
        ("初审", "wang.fang", "同意", 2),
        ("审签", "zeng.xiang", "同意", 2),
        ("中心发布", "zhou.min", "同意", 2),
        ("发布（网站）", "zhou.min", "已发布", 2),
        ("发布（微信）", "zhou.min", "已发布", 2),
        ("媒体采用", "zhou.min", "省级采用：湖南日报", 2),
        ("撤回", "wu.gang", "撤回", 2),
    ]
    by_step = {(s.step, s.revision): s for s in slip.steps}
    returned = by_step[("初审", 1)]
    assert returned.name == "李娜" and returned.role == "综合科·科室负责人"
    assert returned.opinion == "请补充会议时间" and returned.fingerprint == prints[1]
    approved = by_step[("初审", 2)]
    assert "已确认无涉密及个人隐私内容" in approved.notes and approved.fingerprint == prints[2]
    assert by_step[("审签", 2)].role == "综合科·分管领导"
    assert by_step[("审签", 2)].opinion == "同意发布"
    assert by_step[("中心发布", 2)].name == "周敏"
    assert by_step[("发布（微信）", 2)].notes == ["https://mp.weixin.qq.com/s/abc"]
    assert by_step[("撤回", 2)].opinion == "数据有误" and by_step[("撤回", 2)].name == "吴刚"
    assert by_step[("提交", 1)].role == "综合科·报送人"
    assert all(s.at.tzinfo == OFFICE_TIMEZONE for s in slip.steps)
    assert all(s.fingerprint in (prints[1], prints[2]) for s in slip.steps)
    assert len(slip.ledger_head) == 64
