"""The Chinese words people read for stages, outcomes, statuses and ledger steps — said once.

The web pages, the messages, the command line's human output and the Prefect artifacts all
take their words from here, so 同意 is never 通过 somewhere else.
"""

from __future__ import annotations

from models import Stage, Status


class _StepLabels(dict):
    """Labels of the built-in steps; another chain's step reads as its id where no chain is at hand
    (pubreview.chains gives each item's own labels)."""

    def __missing__(self, key: object) -> str:
        return str(key)


STAGE_LABEL: dict[Stage, str] = _StepLabels(
    {
        Stage.PRE_REVIEW: "初审",
        Stage.SIGN_OFF: "审签",
        Stage.PUBLICATION: "中心发布",
    }
)
# Who decides: a role's label (models.org.Role values).
ROLE_LABEL: dict[str, str] = {
    "submitter": "报送人",
    "section_head": "科室负责人",
    "leader": "分管领导",
    "center": "中心发布人员",
    "admin": "管理员",
}
# What the review run records as the step it waits on while an item is back with its submitter.
RESUBMISSION_STEP = "resubmission"

OUTCOME_LABEL: dict[str, str] = {
    "approve": "同意",
    "return": "退回修改",
    "reject": "不予发布",
}

STATUS_LABEL: dict[Status, str] = {
    Status.IN_REVIEW: "审核中",
    Status.RETURNED: "退回修改",
    Status.REJECTED: "不予发布",
    Status.SCHEDULED: "定时发布",
    Status.PUBLISHED: "已发布",
    Status.RETRACTED: "已撤回",
    Status.WITHDRAWN: "已撤销",
}

KIND_LABEL: dict[str, str] = {
    "submitted": "提交",
    "resubmitted": "修改后重新提交",
    "screened": "保密预检",
    "stage_opened": "进入环节",
    "decided": "审核决定",
    "notified": "发送通知",
    "published": "发布",
    "retracted": "撤回",
    "adopted": "媒体采用",
    "imported": "台帐导入",
    "withdrawn": "撤销报送",
    "delegated": "委托代签",
    "delegation_ended": "撤销代签",
    "reassigned": "改派",
    "held": "暂停上网（内容与审批不符）",
    "request_received": "登记公开申请",
    "request_correction": "告知补正",
    "request_corrected": "收到补正",
    "request_consulted": "征求第三方意见",
    "request_consult_answered": "第三方意见",
    "request_extended": "延期答复",
    "request_reply_step": "答复审批",
    "request_closed": "办结",
    "case_filed": "复议诉讼立案",
    "case_decided": "复议诉讼结果",
    "requests_year_closed": "公开申请年度结转",
}
SCREEN_LABEL = {"clear": "未发现阻断问题", "blocked": "发现阻断问题"}
SEVERITY_LABEL = {"block": "阻断", "warn": "提示"}
# Where a screening finding is: the title, the body, or (not listed) an attachment's file name.
LOCATION_LABEL = {"title": "标题", "body": "正文"}
# The outcome column of the entries that are neither decisions nor screenings.
STEP_OUTCOME_LABEL = {
    "waiting": "等待处理",
    "sent": "已发送",
    "failed": "发送失败",
    "claimed": "准备发送",
    "withdrawn": "已撤销",
    "published": "已发布",
    "retracted": "已撤回",
    "held": "暂停发布",
    "imported": "自旧台帐导入",
}

# 公开属性 (models.publication.Disclosure values).
DISCLOSURE_LABEL: dict[str, str] = {
    "active": "主动公开",
    "on_request": "依申请公开",
    "not_public": "不予公开",
}

# 信息等级 (models.publication.Grade values): the chains file may choose a chain by grade.
GRADE_LABEL: dict[str, str] = {
    "ordinary": "一般",
    "important": "重要",
    "sensitive": "敏感",
}

VIA_LABEL = {"cli": "命令行", "web": "审核链接", "web-session": "登录后网页"}
# 媒体采用 (publishing.adoption.Level values), as the annual report counts them.
ADOPTION_LEVEL_LABEL: dict[str, str] = {"central": "中央级", "provincial": "省级"}


def stage_label(value: str | Stage | None) -> str:
    """The label of a stage as the ledger stores it; the resubmission step and unknowns too."""
    if not value:
        return ""
    if value == RESUBMISSION_STEP:
        return "待提交人修改"
    try:
        return STAGE_LABEL[Stage(value)]
    except ValueError:
        return str(value)


def outcome_label(value: str | None) -> str:
    """The label of a decision's outcome, or the value itself when it is not one."""
    return OUTCOME_LABEL.get(value or "", value or "")


def days_text(days_left: int) -> str:
    """Working days left before a deadline, as a person reads them (negative: overdue)."""
    if days_left < 0:
        return f"已逾期 {-days_left} 个工作日"
    if days_left == 0:
        return "今天到期"
    return f"还剩 {days_left} 个工作日"


# 依申请公开 (models.requests.RequestStatus values) and the reply's approval steps.
REQUEST_STATUS_LABEL: dict[str, str] = {
    "open": "办理中",
    "correction": "等待补正",
    "consulting": "征求第三方意见中",
    "closed": "已办结",
}
REPLY_STEP_LABEL: dict[str, str] = {"draft": "承办", "review": "审核", "sign": "签发"}
# Reminders on a request's deadline (pubreview.notify.reminders kinds), and how a send ended.
REMINDER_LABEL: dict[str, str] = {
    "upcoming": "期限将至",
    "due_today": "今日到期",
    "overdue": "已逾期，报负责人",
}
DELIVERY_LABEL: dict[str, str] = {
    "sent": "已发送",
    "already": "此前已发送",
    "elsewhere": "正由另一进程发送",
    "failed": "发送失败",
    "misrouted": "无送达地址",
}
# Web form fields (templates/web), as an error names them; a field not listed is named as sent.
FIELD_LABEL: dict[str, str] = {
    "title": "标题",
    "body": "正文",
    "category": "内容类别",
    "channels": "发布渠道",
    "channel": "渠道",
    "unit": "单位",
    "disclosure": "公开属性",
    "disclosure_reason": "公开属性理由",
    "grade": "信息等级",
    "attachments": "附件",
    "body_docx": "正文文件",
    "comment": "意见",
    "opinion": "意见",
    "reason": "理由",
    "override_reason": "放行理由",
    "note": "备注",
    "url": "网址",
    "outlet": "采用媒体",
    "username": "用户名",
    "name": "姓名",
    "email": "电子邮箱",
    "password": "密码",
    "current_password": "当前密码",
    "new_password": "新密码",
    "confirm_password": "确认密码",
    "code": "验证码",
    "role": "角色",
    "delegator": "委托人",
    "delegate": "代签人",
    "ends": "结束时间",
    "content": "申请内容",
    "applicant_name": "申请人姓名",
    "applicant_contact": "申请人联系方式",
    "applicant_type": "申请人类型",
    "legal_basis": "法律依据",
    "late_reason": "逾期理由",
    "third_party": "第三方",
    "result": "结果",
    "org_file": "组织文件",
    "supplement_file": "补充材料文件",
    "publish_at": "发布时间",
    "when": "时间",
    "days": "天数",
    "fee": "费用",
    "revision": "版本",
    "year": "年度",
}
