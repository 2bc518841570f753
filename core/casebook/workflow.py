"""Labels of the guidance case library (典型案例 · 指导案例): the tag families and their suggested values (a case may
name another value within a family), the states of a published case and of a proposal, and the record types a
case may be linked from as 参照案例 (the record's own read and write actions decide who sees and edits the link)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Family -> suggested values. Tags are stored as "family:value" (Chinese both: they are what the user types and reads).
# The clearing families follow the seed (丽水: 按照不同澄清情形、范围、方式，编制指导案例).
TAG_FAMILIES: dict[str, tuple[str, ...]] = {
    "澄清情形": ("失实检举控告", "诬告陷害", "匿名举报查无实据", "不予处分", "重复举报已有结论"),
    "澄清范围": ("本人", "所在单位党组织", "一定范围内", "村（社区）群众", "公开澄清"),
    "澄清方式": ("书面澄清通知书", "党组织会议", "村民代表大会", "澄清正名会", "媒体公开"),
    "线索处置": ("谈话函询", "初步核实", "暂存待查", "予以了结"),
    "审查调查": ("镇案县审", "处分执行", "不予处分"),
    "信访举报": ("重复信访", "越级信访", "三多件", "转办交办", "实名举报反馈"),
}
MAX_TAGS = 12
TAG_VALUE_LIMIT = 20

CASE_STATES = {"published": _l("已发布"), "withdrawn": _l("已撤回")}
PROPOSAL_STATES = {"proposed": _l("待审核"), "returned": _l("已退回"), "published": _l("已采用发布")}

# The records that may name a guidance case as 参照案例: type -> (label, read action name, write action name, endpoint,
# the endpoint's id argument). Action names (not members) so that this module imports no access module.
REFERABLE = {
    "clearing_cases": (_l("澄清正名件"), "CLEARING_READ", "CLEARING_HANDLE", "clearing.case", "case_id"),
    "leads": (_l("问题线索"), "LEADS_READ", "LEADS_DISPOSE", "leads.show", "lead_id"),
    "petitions": (_l("信访举报件"), "PETITIONS_READ", "PETITIONS_HANDLE", "petitions.show", "petition_id"),
}
# The tag families a record type's panel suggests first.
FAMILIES_OF = {"clearing_cases": ("澄清情形", "澄清范围", "澄清方式"), "leads": ("线索处置", "审查调查"),
               "petitions": ("信访举报",)}

FIELD_LABELS = {"title": _l("标题"), "situation": _l("适用情形"), "scope": _l("范围"), "method": _l("方式"),
                "templates": _l("文书模板"), "narrative": _l("案例正文"), "tags": _l("标签")}
