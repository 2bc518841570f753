"""The audit trail in words, for the audit viewer: each action's Chinese name, the outcome, the object and
the details (stored as codes and JSON, which stay as they are in the chain and the xlsx export).

Actions come in three kinds: the named events of the operations (``membership.add``), a workflow step
(``petitions.conclude``: the record's kind and the step's label from its workflow) and a denied access
(the Action asked for, e.g. ``workspace.enter``).
"""
from __future__ import annotations

import json
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.extensions import db
from core.identity.models import PLATFORM_ROLE_LABELS
from core.workflow import FLOWS
from tenants.access import Action
from tenants.models import LEVEL_LABELS, ROLE_LABELS, Unit
from tenants.scoping import NOT_RECORDS, tenant_models

OUTCOME_LABELS = {"ok": _l("成功"), "denied": _l("被拒绝"), "failed": _l("失败")}

EVENT_LABELS = {
    "login": _l("登录"), "login.second_factor": _l("动态口令验证"), "logout": _l("退出登录"),
    "account.create": _l("建立账户"), "account.update": _l("修改账户"), "account.archive": _l("停用账户"),
    "account.lock": _l("账户锁定"), "account.unlock": _l("账户解锁"), "account.reset_password": _l("重置密码"),
    "account.change_password": _l("修改密码"), "account.totp_enrol": _l("绑定动态口令"),
    "account.totp_reset": _l("重置动态口令"), "account.platform_role": _l("设置三员角色"),
    "api_token.issue": _l("签发接口令牌"), "api_token.revoke": _l("吊销接口令牌"),
    "membership.add": _l("添加成员角色"), "membership.end": _l("结束成员角色"),
    "unit.create": _l("建立单位"), "unit.rename": _l("单位更名"), "unit.move": _l("移动单位"),
    "unit.archive": _l("撤销单位"), "unit.restore": _l("恢复单位"), "unit.import": _l("批量导入单位"),
    "share.grant": _l("授予共享"), "share.revoke": _l("撤回共享"), "share.access": _l("通过共享查阅或办理"),
    "audit.verify": _l("校验审计链"), "calendar.schedule": _l("录入节假日安排"), "request.failed": _l("请求出错"),
    "petition.register": _l("登记信访举报"), "petition.register_identifiers_only": _l("仅凭标识登记信访举报"),
    "petition.import": _l("导入信访举报"), "petition.informant_reveal": _l("查看举报人信息"),
    "petition.links_proposed": _l("提示疑似重复件"), "petition.link_confirmed": _l("确认重复件"),
    "attachment.upload": _l("上传附件"), "attachment.download": _l("下载附件"), "attachment.preview": _l("预览附件"),
    "attachment.archive": _l("归档附件"), "attachment.informant_reveal": _l("查看涉及举报人的附件"),
    "attachment.damaged": _l("附件校验未通过"),
    "petition.link_rejected": _l("排除重复件"), "petition.category_add": _l("增加问题类别"),
    "petition.category_archive": _l("停用问题类别"), "petition.reply_template_add": _l("增加反馈模板"),
    "petition.reply_template_archive": _l("停用反馈模板"),
    "lead.register": _l("登记问题线索"),
    "lead.track_decide": _l("一个漏斗：分派办理方式"), "lead.track_approve": _l("一个漏斗：批准分派"),
    "lead.track_reject": _l("一个漏斗：不予批准分派"), "lead.track": _l("问题线索办理方式生效"),
    "lead.take_over": _l("县纪委领办问题线索"), "lead_report.due_day": _l("设置月报备截止日"),
    "case.open": _l("立案审查调查"), "case.investigation_step": _l("记录审查调查措施"), "case.file": _l("修改案卷"),
    "case.review": _l("出具审理意见"), "case.decide": _l("作出处分决定"),
    "case.execution_step_add": _l("增加处分执行事项"), "case.execution_step_done": _l("记录处分执行情况"),
    "village.add": _l("增加村（社区）"), "village.update": _l("修改村（社区）"), "village.archive": _l("停用村（社区）"),
    "village.import": _l("导入村（社区）"), "village.grade": _l("村（社区）等次生效"),
    "grading_round.open": _l("开启评定轮次"), "grading_round.close": _l("结束评定轮次"),
    "village_grading.start": _l("开始评定"), "village_grading.score": _l("评分"),
    "village_grading.override": _l("调整评定等次"), "village_grading.submit": _l("提交评定"),
    "village_grading.confirm": _l("确认评定等次"), "village_grading.send_back": _l("退回评定"),
    "village_grading.propose_regrade": _l("提请重新评定"),
    "village_plan.create": _l("制定一村一方案"), "village_plan.add_item": _l("增加整改事项"),
    "village_plan.close_item": _l("整改事项销号"), "village_plan.report": _l("记录每月汇报"),
    "inspection_tour.create": _l("建立巡察"), "onsite_meeting.create": _l("记录现场办公会"),
    "inspection_tour.update": _l("修改巡察信息"), "onsite_meeting.update": _l("修改现场办公会信息"),
    "meeting_issue.deadline": _l("调整交办问题时限"), "village_plan.update_item": _l("修改整改事项"),
    "session.force_end": _l("强制退出会话"), "session.end": _l("会话结束"),
    "parameter.update": _l("修改系统参数"),
    "dictionary.relabel": _l("修改数据字典条目名称"), "dictionary.reorder": _l("调整数据字典条目顺序"),
    "dictionary.deactivate": _l("停用数据字典条目"), "dictionary.activate": _l("启用数据字典条目"),
    "dictionary.add": _l("增加数据字典条目"), "dictionary.remove": _l("删除数据字典条目"),
    "job.run_now": _l("立即执行定时任务"), "job.retry": _l("重试定时任务"), "job.pause": _l("暂停定时任务"),
    "job.resume": _l("恢复定时任务"),
    "casebook_case.publish": _l("发布指导案例"), "casebook_case.edit": _l("修改指导案例"),
    "casebook_case.withdraw": _l("撤回指导案例"), "casebook_proposal.propose": _l("推荐典型案例"),
    "casebook_proposal.publish": _l("采用推荐案例并发布"), "casebook_proposal.return": _l("退回推荐案例"),
    "casebook_proposal.resubmit": _l("重新推荐案例"), "casebook_reference.add": _l("关联参照案例"),
    "casebook_reference.remove": _l("取消参照案例"),
    "reception.log": _l("登记接访"), "reception.person_reveal": _l("查看来访人身份"),
    "reception.to_petition": _l("接访转为信访举报"), "reception_rota.set": _l("排定接访值班表"),
    "reception_swap.record": _l("记录接访换班"),
    "ledger_definition.add": _l("新增台账目录"), "ledger_definition.archive": _l("停用台账目录"),
    "ledger_row.add": _l("登记台账"), "ledger_row.import": _l("导入台账"),
    "ledger_workbook.create": _l("导出全部台账"), "ledger_workbook.download": _l("下载全部台账"),
    "ledger_spot_check.draw": _l("发起台账抽查"), "ledger_spot_check.conclude": _l("作出抽查结论"),
    "ledger_spot_finding.record": _l("记录抽查结果"), "ledger_spot_finding.rectify": _l("抽查问题下发整改"),
    "guidance_office.create": _l("设立纪检监察室"), "guidance_office.archive": _l("撤销纪检监察室"),
    "guidance_office.members": _l("调整纪检监察室人员"), "guidance_office.townships": _l("调整联系乡镇"),
    "guidance_meeting.log": _l("记录定期例会"), "guidance_visit.log": _l("记录督查指导"),
    "guidance_visit.raise": _l("督查问题下发整改"),
    "meeting_issue.log": _l("记录现场办公会问题"), "meeting_issue.resolve": _l("现场办公会问题办结"),
    "meeting_category.add": _l("新增现场办公会问题类别"), "meeting_category.archive": _l("停用现场办公会问题类别"),
    "remote_interview.plan": _l("安排远程取证"), "remote_interview.update": _l("修改远程取证安排"),
    "clearing.condition_add": _l("增加正反清单条件"), "clearing.condition_archive": _l("停用正反清单条件"),
    "clearing.candidate_add": _l("录入备选库"), "clearing.candidate_flags": _l("调整备选库优先情形"),
    "clearing.candidate_screen": _l("甄别备选库线索"), "clearing.batch_plan": _l("安排澄清批次"),
    "clearing.visit_record": _l("录入回访情况"), "clearing.visit_update": _l("修改回访情况"),
    "supervision.progress": _l("报送督办进展"), "supervision.problem_answer": _l("填写整改情况"),
    "supervision.problem_check": _l("核销整改问题"), "supervision.problem_uncheck": _l("撤销核销"),
    "directive.send": _l("下发通知"), "directive.return": _l("报送材料"), "directive.remind": _l("催报"),
    "campaign.enrol": _l("专项活动纳入单位"),
    "handler.assign": _l("指定承办人"), "handler.reassign": _l("更换承办人"),
    "zeroing.bulk_close_out": _l("批量销号"),
    "zeroing.add": _l("列入积案台账"), "zeroing.plan_update": _l("调整包案安排"), "zeroing.visit": _l("领导接访下访"),
    "zeroing.sample": _l("抽取回头看"), "zeroing.recheck": _l("回头看"), "zeroing.bulletin": _l("生成积案化解通报"),
    "zone.define": _l("设立协作区"), "zone.update": _l("调整协作区"), "zone.archive": _l("撤销协作区"),
    "zone.move_member": _l("调整协作区成员"), "zone.convener": _l("安排召集单位"), "zone.term_report": _l("报送召集期报告"),
    "zone.meeting_schedule": _l("召集联席会议"), "zone.meeting_minutes": _l("录入会议纪要"),
    "zone.decision_tasks": _l("分解会议决定任务"), "zone.grant": _l("授予交叉办理或检查权限"),
    "zone.grant_revoke": _l("撤回交叉授权"), "zone.round_open": _l("开启交叉检查"), "zone.round_close": _l("结束交叉检查"),
    "zone.findings": _l("录入检查发现"), "zone.rectification": _l("下发整改"),
    "indicator.define": _l("设立考核指标"), "indicator.update": _l("修改考核指标"), "indicator.archive": _l("停用考核指标"),
    "bulletin.publish": _l("发布通报"), "exports.create": _l("导出表格"), "exports.download": _l("下载导出文件"),
    "renditions.create": _l("生成公文 PDF"), "renditions.retry": _l("重新生成公文 PDF"),
    "renditions.download": _l("下载公文 PDF"),
    "exports.read": _l("查看导出"), "reporting.figures_reconciled": _l("核对统计数字"),
    "federation.push_send": _l("向上级部署推送"), "federation.push_receive": _l("接收下级部署推送"),
    "federation.peer_register": _l("登记下级部署"), "federation.peer_key": _l("更换下级部署公钥"),
    "federation.peer_activate": _l("启用或停用下级部署"),
}

# What a denied request asked for (tenants.access.Action).
ACTION_LABELS = {
    Action.UNITS_MANAGE: _l("管理单位"), Action.ACCOUNTS_MANAGE: _l("管理账户"), Action.ACCOUNTS_SECURE: _l("管理角色与解锁"),
    Action.AUDIT_READ: _l("查阅审计日志"), Action.JOBS_STATUS: _l("查看运行状态"), Action.ACCOUNTS_VIEW: _l("查看账户"),
    Action.WORKSPACE_ENTER: _l("进入单位工作台"), Action.MEMBERSHIPS_MANAGE: _l("管理成员"), Action.UNIT_VIEW: _l("查看单位"),
    Action.ROLLUPS_READ: _l("查看统计数字"), Action.ROLLUPS_BREAKDOWN: _l("查看下级统计"),
    Action.RECORDS_READ: _l("查阅案件记录"), Action.INBOX_READ: _l("查看待办"),
    Action.HANDLERS_ASSIGN: _l("指定或更换承办人"), Action.HANDLERS_WORKLOAD: _l("查看承办人工作量"),
    Action.DIRECTIVES_SEND: _l("下发通知"), Action.DIRECTIVES_TRACK: _l("跟踪通知落实"),
    Action.DIRECTIVES_RECEIVE: _l("签收、报送通知"), Action.SUPERVISION_ISSUE: _l("交办督办件"),
    Action.SUPERVISION_HANDLE: _l("办理督办件"), Action.SUPERVISION_READ: _l("查阅督办件"),
    Action.PETITIONS_READ: _l("查阅信访举报"), Action.PETITIONS_REGISTER: _l("登记信访举报"),
    Action.PETITIONS_HANDLE: _l("办理信访举报"), Action.PETITIONS_ROUTE: _l("转办交办信访举报"),
    Action.PETITIONS_LINKS: _l("处理重复件"), Action.PETITIONS_CATEGORIES: _l("管理问题类别"),
    Action.INFORMANT_REVEAL: _l("查看举报人信息"), Action.CLEARING_READ: _l("查阅澄清正名"),
    Action.CLEARING_HANDLE: _l("办理澄清正名"), Action.CLEARING_DECIDE: _l("审批澄清正名"),
    Action.CLEARING_REVIEW_ESCALATED: _l("提级审核"), Action.CLEARING_CONDITIONS: _l("管理正反清单"),
    Action.LEADS_READ: _l("查阅问题线索"), Action.LEADS_REGISTER: _l("登记问题线索"),
    Action.LEADS_DISPOSE: _l("处置问题线索"), Action.LEADS_CLOSE: _l("决定予以了结"),
    Action.LEAD_REPORTS_READ: _l("查阅问题线索月报备"), Action.LEAD_REPORTS_SUBMIT: _l("报备问题线索"),
    Action.LEAD_REPORTS_RECEIVE: _l("签收或退回问题线索月报备"), Action.LEAD_REPORTS_SETTINGS: _l("设置月报备截止日"),
    Action.LEADS_FUNNEL: _l("查看一个漏斗"), Action.LEAD_TRACKS_DECIDE: _l("分派问题线索办理方式"),
    Action.LEAD_TRACKS_APPROVE: _l("审批问题线索办理方式"),
    Action.CASES_READ: _l("查阅审查调查案件"), Action.CASES_HANDLE: _l("办理审查调查案件"),
    Action.CASES_REVIEW: _l("审理案件"), Action.CASES_DECIDE: _l("作出处分决定"),
    Action.EVIDENCE_READ: _l("查阅远程取证"), Action.EVIDENCE_CONDUCT: _l("进行远程取证"),
    Action.EVIDENCE_CHECK: _l("案管核查远程取证"),
    Action.ZEROING_START: _l("部署积案清零"), Action.ZEROING_READ: _l("查阅积案台账"), Action.ZEROING_HANDLE: _l("办理积案"),
    Action.ZEROING_RECHECK: _l("回头看"), Action.ZONES_MANAGE: _l("管理协作区"), Action.ZONES_READ: _l("查看协作区"),
    Action.ZONES_GRANT: _l("交叉授权"), Action.ZONES_GRANTS_ALL: _l("查看本单位全部交叉授权"), Action.WORKBENCH_OWN: _l("工作台：我承办的"), Action.WORKBENCH_DECISIONS: _l("工作台：待决定事项"), Action.WORKBENCH_INTAKE: _l("工作台：登记与转办"), Action.WORKBENCH_INBOX: _l("工作台：待办"), Action.WORKBENCH_FIGURES: _l("工作台：统计数字"), Action.ZONES_CONVENE: _l("召集联席会议"), Action.ZONES_INSPECT: _l("交叉检查"),
    Action.INDICATORS_DEFINE: _l("设立考核指标"), Action.BULLETINS_BUILD: _l("生成通报"),
    Action.CALENDAR_MANAGE: _l("管理工作日历"),
}

OBJECT_LABELS = {
    "account": _l("账户"), "accounts": _l("账户"), "unit": _l("单位"), "units": _l("单位"),
    "membership": _l("成员角色"), "memberships": _l("成员角色"), "api_token": _l("接口令牌"),
    "petitions": _l("信访举报"), "petition_links": _l("重复件"), "petition_categories": _l("问题类别"),
    "leads": _l("问题线索"), "lead_persons": _l("问题线索被反映人"),
    "lead_reports": _l("问题线索月报备"), "lead_track_decisions": _l("一个漏斗分派决定"),
    "lead_report_settings": _l("月报备截止日"),
    "cases": _l("审查调查案件"), "case_persons": _l("被审查调查人"), "case_steps": _l("审查调查措施"),
    "case_execution_steps": _l("处分执行事项"), "case_reviews": _l("案件审理"),
    "remote_interviews": _l("远程取证"),
    "casebook_cases": _l("指导案例"), "casebook_proposals": _l("推荐案例"), "casebook_references": _l("参照案例"),
    "reception_rotas": _l("接访值班表"), "reception_duties": _l("接访值班"), "reception_swaps": _l("接访换班"),
    "receptions": _l("接访登记"), "ledger_definitions": _l("台账目录"), "ledger_rows": _l("台账记录"),
    "ledger_workbooks": _l("全部台账导出"), "ledger_spot_checks": _l("台账抽查"), "ledger_spot_findings": _l("抽查结果"),
    "guidance_offices": _l("纪检监察室"), "guidance_office_members": _l("纪检监察室人员"),
    "guidance_assignments": _l("联系乡镇"), "guidance_meetings": _l("定期例会"), "guidance_visits": _l("督查指导"),
    "guidance_problems": _l("督查发现问题"), "system_parameters": _l("系统参数"), "dictionary_entries": _l("数据字典条目"),
    "job_runs": _l("定时任务执行记录"), "job_states": _l("定时任务"),
    "inspection_tours": _l("巡察"), "onsite_meetings": _l("现场办公会"), "meeting_issues": _l("现场办公会问题"),
    "meeting_categories": _l("现场办公会问题类别"),
    "villages": _l("村（社区）"), "grading_rounds": _l("评定轮次"), "village_gradings": _l("村（社区）评定"),
    "village_plans": _l("一村一方案"), "village_plan_items": _l("整改事项"), "village_reports": _l("每月汇报"),
    "clearing_cases": _l("澄清正名案件"), "clearing_candidates": _l("备选库对象"), "clearing_visits": _l("回访"),
    "clearing_batches": _l("澄清批次"), "clearing_conditions": _l("正反清单"),
    "supervision_items": _l("督办件"), "supervision_problems": _l("督办问题"),
    "directives": _l("通知"), "directive_receipts": _l("通知签收"), "directive_returns": _l("报送材料"),
    "directive_attachments": _l("通知附件"), "backlog_cases": _l("信访积案"), "campaign_bulletins": _l("积案化解通报"),
    "import_jobs": _l("导入任务"), "zones": _l("协作区"), "joint_meetings": _l("联席会议"),
    "convener_terms": _l("召集期"), "cross_grants": _l("交叉授权"), "inspection_rounds": _l("交叉检查"),
    "inspection_pairs": _l("检查结对"), "indicators": _l("考核指标"), "bulletins": _l("通报"), "exports": _l("导出"),
    "document_renditions": _l("公文 PDF"),
    "federation_peer": _l("下级部署"), "federation_push": _l("推送"), "holiday_schedules": _l("节假日安排"),
    "inbox_items": _l("待办"), "shares": _l("共享"), "attachments": _l("附件"), "handler_changes": _l("承办人变更"),
}

DETAIL_LABELS = {
    "reason": _l("理由"), "browser": _l("浏览器"), "old_value": _l("原值"), "new_value": _l("新值"), "password_expired": _l("密码已过期"),
    "tokens": _l("同时吊销接口令牌"), "from": _l("原状态"), "to": _l("新状态"), "name": _l("名称"),
    "username": _l("用户名"), "role": _l("角色"), "platform_role": _l("三员角色"), "account": _l("账户"),
    "unit": _l("单位"), "to_unit": _l("接收单位"), "parent": _l("上级单位"), "to_parent": _l("新上级"),
    "from_parent": _l("原上级"), "code": _l("区划代码"), "level": _l("级别"), "year": _l("年度"),
    "periods": _l("安排"), "replaced": _l("替换原安排"), "rows": _l("行数"), "filename": _l("文件"),
    "size": _l("大小"), "total": _l("共计"), "checkpoints": _l("检查点"), "breaks": _l("断点"),
    "chain": _l("审计链"), "seq": _l("序号"), "problem": _l("问题"), "sequence": _l("序号"),
    "figures": _l("数字条数"), "period": _l("期次"), "month": _l("月份"), "created": _l("新建"),
    "units_moved": _l("移动单位数"), "units_archived": _l("撤销单位数"), "members": _l("成员"), "terms": _l("召集期"),
    "pairs": _l("结对"), "findings": _l("发现问题"), "items": _l("事项"), "decisions": _l("决定"),
    "receivers": _l("接收单位数"), "late": _l("逾期"), "percent": _l("比例（%）"), "drawn": _l("抽取"),
    "held_on": _l("日期"), "visited_on": _l("日期"), "target_on": _l("化解时限"), "closed_out_on": _l("销号日期"),
    "filed_on": _l("备案日期"), "on": _l("日期"), "title": _l("标题"),
    "message": _l("说明"), "errors": _l("错误"), "path": _l("地址"), "method": _l("请求方式"),
    "anonymous": _l("匿名"), "satisfied": _l("满意"), "identifiers": _l("标识"), "duplicates": _l("重复"),
    "proposed": _l("提示"), "changed": _l("变动"), "first": _l("首条"), "last": _l("末条"), "status": _l("状态码"),
    "registered": _l("登记"), "pushed": _l("推送"), "about": _l("事由"), "share": _l("共享编号"),
    "grantee_unit": _l("被授权单位"), "acting_unit": _l("办理单位"), "reviewing_unit_id": _l("审核单位"),
    "parent_unit_id": _l("上级单位"), "second_factor_pending": _l("待验证动态口令"), "zone": _l("协作区编号"),
    "petition": _l("信访举报编号"), "campaign": _l("专项活动编号"), "directive": _l("通知编号"),
    "case": _l("澄清正名案件编号"), "item": _l("督办件编号"), "quarter": _l("季度"), "negative": _l("负面清单"),
    "accepted": _l("纳入澄清"), "informant": _l("涉及举报人"), "handler": _l("承办人"), "previous_handler": _l("原承办人"), "bulk": _l("批量"),
}


def _workflow_step(code: str) -> str | None:
    object_type, _dot, step = code.rpartition(".")
    flow = FLOWS.get(object_type)
    if flow is None:
        return None
    return f"{OBJECT_LABELS.get(object_type, _('记录'))}：{flow.step_label(step)}"


def _record_read(code: str) -> str | None:
    """A record opened (``clearing_cases.read``: the scoped loader audits each record a GET opens)."""
    object_type, _dot, verb = code.rpartition(".")
    return _("查阅%(record)s", record=OBJECT_LABELS[object_type]) if verb == "read" and object_type in OBJECT_LABELS \
        else None


def action_label(code: str) -> str:
    if code in EVENT_LABELS:
        return str(EVENT_LABELS[code])
    try:
        return str(ACTION_LABELS[Action(code)])
    except (ValueError, KeyError):
        pass
    return _record_read(code) or _workflow_step(code) or _("其他操作")


def action_choices() -> list[tuple[str, str]]:
    """(code, name) of every action the filter offers, by name."""
    codes = {*EVENT_LABELS, *(a.value for a in ACTION_LABELS)}
    codes.update(f"{m.__tablename__}.read" for m in tenant_models()
                 if m.__tablename__ in OBJECT_LABELS and m.__tablename__ not in NOT_RECORDS)
    for object_type, flow in FLOWS.items():
        codes.update(f"{object_type}.{t.name}" for t in flow.transitions)
    return sorted(((code, action_label(code)) for code in codes), key=lambda c: (c[1], c[0]))


CODE = re.compile(r"^[a-z][a-z0-9]*([_.:-][a-z0-9]+)*$")  # a stored code, not words for people


class Describer:
    """Reads a page of audit events: unit names in one statement, details as "理由：…；新状态：…".

    The viewer and the xlsx export (core.audit.queries.export_xlsx, given ``Describer`` for each batch) say the
    same: action and outcome in words, no record number, no person's name."""

    action = staticmethod(action_label)

    def __init__(self, events):
        ids = {e.unit_id for e in events if e.unit_id}
        for e in events:
            ids.update(v for k, v in self._detail(e).items() if k in _UNIT_KEYS and isinstance(v, int))
        rows = db.session.execute(select(Unit.id, Unit.name, Unit.parent_id).where(Unit.id.in_(ids))).all() if ids \
            else []
        parents = dict(db.session.execute(select(Unit.id, Unit.name).where(
            Unit.id.in_({p for _i, _n, p in rows if p}))).all()) if rows else {}
        self.units = {i: f"{name}（{parents[p]}）" if p in parents else name for i, name, p in rows}

    @staticmethod
    def _detail(event) -> dict:
        try:
            value = json.loads(event.detail) if event.detail else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def unit(self, unit_id) -> str:
        return self.units.get(unit_id, "—") if unit_id else "—"

    @staticmethod
    def outcome(code: str) -> str:
        return str(OUTCOME_LABELS.get(code, ""))

    @staticmethod
    def module(code: str) -> str:
        return module_of(code)

    def object(self, event) -> str:
        if not event.object_type:
            return ""
        label = OBJECT_LABELS.get(event.object_type)
        if label is None:  # a failed request names its page's endpoint
            return _("请求")
        # A row's id says which one; a key or a path (a parameter's name, a job's module) is a code no admin reads.
        ident = event.object_id if str(event.object_id or "").isdigit() else ""
        return f"{label} {ident}".strip()

    def detail(self, event) -> str:
        flow = FLOWS.get(event.action.rpartition(".")[0])
        return "；".join(filter(None, (self._pair(k, v, flow) for k, v in self._detail(event).items())))

    def _pair(self, key: str, value, flow) -> str:
        if key in _RECORD_KEYS:  # the 三员 read no case data: no record's number, no person's name
            return ""
        if key in _ID_KEYS and not isinstance(value, int):  # an id says which row; a number string names the case
            return ""
        if key not in DETAIL_LABELS and key not in _UNIT_KEYS and not isinstance(value, str):
            return ""  # a number or a flag under a name we cannot say means nothing to a reader
        text = self._value(key, value, flow)
        if not text:
            return ""
        label = DETAIL_LABELS.get(key) or (_("单位") if key in _UNIT_KEYS else None)
        return f"{label}：{text}" if label else text

    def _value(self, key: str, value, flow) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if key in _UNIT_KEYS and isinstance(value, int):
            return self.unit(value)
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, list):
            return "、".join(filter(None, (self._value(key, v, flow) for v in value)))
        if isinstance(value, dict):
            return "，".join(filter(None, (self._pair(k, v, flow) for k, v in value.items())))
        text = str(value)
        if key in ("account", "username"):  # an account's login name, as typed
            return text
        if key == "browser":
            return browser_label(text)
        if key in ("from", "to") and flow is not None and text in flow.states:
            return flow.label(text)
        for labels in (ROLE_LABELS, PLATFORM_ROLE_LABELS, LEVEL_LABELS, OUTCOME_LABELS, _VALUE_LABELS):
            for code, label in labels.items():
                if text == str(code):
                    return str(label)
        if key == "chain":
            return _("平台") if text == "platform" else self.unit(int(text[5:])) if text[5:].isdigit() else ""
        if CODE.match(text):  # an unlabelled code says nothing to a person
            return ""
        return RECORD_NUMBER.sub(str(_("（编号略）")), text)


_RECORD_KEYS = {"number", "owner", "accused_name", "person_name"}
_ID_KEYS = {"petition", "case", "item", "campaign", "directive", "zone", "first", "last"}
RECORD_NUMBER = re.compile(r"[\u4e00-\u9fa5]{0,12}〔\d{4}〕\d+号")  # core.numbering's 松林纪督〔2026〕12号, e.g. a share's reason
_UNIT_KEYS = {"unit", "to_unit", "parent", "to_parent", "from_parent", "reviewing_unit_id", "parent_unit_id",
              "acting_unit", "grantee_unit"}
_VALUE_LABELS = {"bad password": _l("密码错误"), "unknown user": _l("用户名不存在"), "archived": _l("账户已停用"),
                 "locked": _l("账户已锁定"), "logout": _l("主动退出"), "idle": _l("长时间未操作"),
                 "absolute": _l("登录时间已满"), "second_factor_failed": _l("动态口令错误"),
                 "bad code": _l("动态口令错误"), "forced": _l("被强制退出"), "idle_timeout": _l("长时间未操作"),
                 "absolute_timeout": _l("登录时间已满"), "password_changed": _l("修改了密码"),
                 "password_reset": _l("密码被重置"), "second_factor_reset": _l("动态口令被重置"),
                 "account_archived": _l("账户已停用")}

_BROWSERS = (("QAXBrowser", _l("奇安信可信浏览器")), ("360SE", _l("360安全浏览器")), ("Edg/", _l("微软Edge浏览器")),
             ("Firefox/", _l("火狐浏览器")), ("Chrome/", _l("谷歌浏览器")), ("Safari/", _l("苹果浏览器")))
_SYSTEMS = (("Kylin", _l("麒麟操作系统")), ("UOS", _l("统信UOS")), ("Windows", "Windows"), ("Mac OS", _l("苹果电脑")),
            ("Linux", "Linux"))


def browser_label(user_agent: str | None) -> str:
    """A browser and system as an admin names them, from the User-Agent a login sent (the raw string is English)."""
    ua = user_agent or ""
    if not ua:
        return str(_("未知"))
    lowered = ua.lower()
    if "headless" in lowered or "python" in lowered or "curl" in lowered or "werkzeug" in lowered:
        browser = str(_("程序访问"))
    else:
        browser = next((str(label) for key, label in _BROWSERS if key in ua), str(_("其他浏览器")))
    system = next((str(label) for key, label in _SYSTEMS if key in ua), "")
    return f"{browser}（{system}）" if system else browser


def detail_dict(event) -> dict:
    """An event's stored detail as a dict ({} when absent or not a mapping)."""
    return Describer._detail(event)


def value_label(code: str) -> str:
    """A detail value's Chinese name (a login's reason …), or "" for a code no person reads."""
    return str(_VALUE_LABELS[code]) if code in _VALUE_LABELS else ""


# 操作日志: the module (业务模块) an operation belongs to, by its action's prefix (the first that matches).
MODULES = (
    ("security", _l("登录与安全"), ("login", "logout", "session.", "account.", "api_token.", "parameter.")),
    ("units", _l("单位与人员"), ("unit.", "units.", "membership.", "memberships.", "provision")),
    ("petitions", _l("信访举报"), ("petition", "reply_template")),
    ("reception", _l("信访接待"), ("reception",)),
    ("clearing", _l("澄清正名"), ("clearing",)),
    ("leads", _l("问题线索"), ("lead",)),
    ("cases", _l("审查调查"), ("case.", "case_", "cases.")),
    ("supervision", _l("督办"), ("supervision",)),
    ("directives", _l("通知与专项活动"), ("directive", "campaign")),
    ("zeroing", _l("积案动态清零"), ("zeroing", "backlog")),
    ("villages", _l("清廉村居"), ("village", "grading_round")),
    ("meetings", _l("现场办公会"), ("inspection_tour", "onsite_meeting", "meeting_issue", "meeting_category")),
    ("evidence", _l("远程取证"), ("remote_interview",)),
    ("zones", _l("协作区"), ("zone", "convener", "joint_meeting", "cross_grant", "inspection_round")),
    ("ledgers", _l("台账"), ("ledger",)),
    ("guidance", _l("联系指导"), ("guidance",)),
    ("casebook", _l("典型案例"), ("casebook",)),
    ("files", _l("附件与文书"), ("attachment", "renditions", "document")),
    ("reporting", _l("统计与导出"), ("exports", "export", "bulletin", "indicator", "federation")),
    ("platform", _l("平台运行"), ("job", "calendar", "audit", "request", "share", "dictionary.")),
)
MODULE_LABELS = {key: label for key, label, _prefixes in MODULES}


def module_of(action: str) -> str:
    """The module's name of an action code ("其他" when none claims it)."""
    for _key, label, prefixes in MODULES:
        if action.startswith(prefixes):
            return str(label)
    return str(_("其他"))


def module_prefixes(key: str) -> tuple[str, ...]:
    return next((prefixes for k, _label, prefixes in MODULES if k == key), ())
