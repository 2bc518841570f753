"""Demo of the guidance case library, through the operations, last of the areas: the province's leader publishes five
clearing guidance cases (丽水's practice: by situation, scope and method, with the unified document templates), tagged
澄清情形/澄清范围/澄清方式, and 城关镇's officer proposes one from its own work, awaiting the province leader."""
from __future__ import annotations

from sqlalchemy import select

from core.casebook import operations as ops
from core.casebook.models import CaseProposal, GuidanceCase
from core.extensions import db
from core.identity.models import Account
from tenants.demo import acting_as, unit_by_code

PROVINCE, TOWN = "990000", "990121001"
NOTICE, NOTICE_REPLY, PLAN = "澄清正名通知书", "澄清正名回执", "澄清正名工作方案"

CASES = [
    {"title": "反映村干部阻挠村民建房问题失实，以书面通知书向本人澄清",
     "situation": "多名群众多次向多个部门反映某乡副乡长滥用职权、阻挠村民建房，经核查反映问题失实。",
     "scope": "被反映人本人及其所在乡党委。",
     "method": "纪委向本人送达书面澄清通知书，同时向所在党委通报核查结论。",
     "templates": [NOTICE, NOTICE_REPLY],
     "narrative": "某乡副乡长长期分管村镇建设，部分村民因建房审批未获通过，多次向各部门反映其滥用职权、阻挠建房。\n"
                  "区纪委监委核查后认定反映问题失实，依据澄清条件和范围“正反清单”，经澄清质效评估小组从是否核查全面、"
                  "是否结论清楚、是否处置到位三方面评估后，决定予以书面澄清。\n"
                  "纪委向该同志送达澄清通知书，说明核查结论，并将结果同步反馈所在乡党委主要负责人。该同志表示放下思想包袱，"
                  "积极主动做好工作。",
     "tags": ["澄清情形:失实检举控告", "澄清范围:本人", "澄清范围:所在单位党组织", "澄清方式:书面澄清通知书"]},
    {"title": "村党支部书记被反映造成村集体经济损失失实，在村民代表大会上公开澄清",
     "situation": "反映某村党支部书记兼村委会主任“造成村集体经济损失”，经核查失实，相关议论在村内影响较大。",
     "scope": "本村党员和村民代表。",
     "method": "召开村民代表大会，由乡镇纪委在会上通报核查结论，澄清事实。",
     "templates": [NOTICE, PLAN, "村民代表大会澄清情况记录"],
     "narrative": "县纪委监委信访室在起底近三年已办结失实检举控告时，将该件纳入备选库。该村书记工作实绩突出、群众口碑较好，"
                  "属优先澄清件。\n经甄别评估，乡镇纪委制定澄清正名工作方案报县纪委监委审核后，在村民代表大会上公开通报核查结论，"
                  "并就村集体资产处置的程序向群众作了说明。会后开展回访，村内议论平息。",
     "tags": ["澄清情形:失实检举控告", "澄清范围:村（社区）群众", "澄清方式:村民代表大会"]},
    {"title": "疫木除治验收中被反映滥用职权失实，向所在单位党委及主要负责人反馈",
     "situation": "反映某站站长在疫木除治验收中滥用职权、徇私舞弊，经核查失实。",
     "scope": "被反映人本人、所在单位党委及“一把手”。",
     "method": "查明失实后及时澄清，并将结果同步反馈所在单位党委及主要负责人。",
     "templates": [NOTICE, "核查结论反馈函"],
     "narrative": "县纪委监委收到信访反映后立即核查，查明反映问题失实。\n在征求本人意愿后，纪委向其送达澄清通知书，"
                  "同时以核查结论反馈函告知所在单位党委及主要负责人，确保组织关心关爱到位。",
     "tags": ["澄清情形:失实检举控告", "澄清范围:所在单位党组织", "澄清方式:书面澄清通知书"]},
    {"title": "征地拆迁一线干部遭诬告陷害，召开澄清正名会并移送查处诬告",
     "situation": "征地拆迁工作中，个别人员捏造事实诬告一线干部，经核查属诬告陷害。",
     "scope": "一定范围内公开：所在乡镇机关干部和相关村党员。",
     "method": "召开澄清正名会公开澄清，同时对诬告行为依规依纪依法处理。",
     "templates": [PLAN, "澄清正名会主持词", NOTICE],
     "narrative": "某镇干部负责征地拆迁，个别人员为谋取不当补偿，捏造其收受好处的事实并多头反映。\n"
                  "县纪委监委查明属诬告陷害后，一方面召开澄清正名会，在镇机关和相关村党员中公开澄清；另一方面将诬告线索移交"
                  "有关部门依法处理，树立激浊扬清的鲜明导向。",
     "tags": ["澄清情形:诬告陷害", "澄清范围:一定范围内", "澄清方式:澄清正名会"]},
    {"title": "匿名反映查无实据，经党组织会议澄清并纳入廉政档案",
     "situation": "匿名反映某单位中层干部违规兼职取酬，经初步核实查无实据。",
     "scope": "所在单位领导班子。",
     "method": "在所在单位党组织会议上通报核查情况，澄清结果纳入个人廉政档案，通报组织人事部门。",
     "templates": [NOTICE, "廉政档案澄清情况登记表"],
     "narrative": "匿名反映经初步核实查无实据。鉴于相关说法已在单位内传开，经本人申请并评估，纪委派员列席所在单位党组织会议，"
                  "通报核查结论。\n澄清情况按“一人一档”纳入个人廉政档案，并定期通报同级组织人事部门，作为选人用人、评先评优的参考。",
     "tags": ["澄清情形:匿名举报查无实据", "澄清范围:所在单位党组织", "澄清方式:党组织会议"]},
]

PROPOSED = {
    "title": "重复举报已有结论的村务公开问题，在村民代表大会上澄清并回访",
    "situation": "同一事项被重复举报，此前已查明反映失实并有明确结论。",
    "scope": "本村村民代表和党员。",
    "method": "召开村民代表大会通报原核查结论，会后按“一人四访”回访。",
    "templates": [NOTICE, "回访记录表"],
    "narrative": "某村村务公开事项被重复举报，镇纪委调阅原核查材料，确认结论清楚、处置到位，经评估后在村民代表大会上通报结论。\n"
                 "会后对本人、所在党组织负责人、同事和亲友开展回访，了解其思想状况和工作表现。",
    "tags": ["澄清情形:重复举报已有结论", "澄清范围:村（社区）群众", "澄清方式:村民代表大会"],
}


def seed() -> dict:
    province, town = unit_by_code(PROVINCE), unit_by_code(TOWN)
    leader = db.session.scalar(select(Account).where(Account.username == "prov-leader"))
    officer = db.session.scalar(select(Account).where(Account.username == "town-officer"))
    if province is None or town is None or leader is None or officer is None:
        return {}
    if db.session.scalar(select(GuidanceCase.id).where(GuidanceCase.unit_id == province.id).limit(1)):
        return {}
    with acting_as("prov-leader"):
        published = [ops.publish_case(province, dict(case), leader) for case in CASES]
    proposals = 0
    if not db.session.scalar(select(CaseProposal.id).where(CaseProposal.unit_id == town.id).limit(1)):
        with acting_as("town-officer"):
            ops.propose(town, {**PROPOSED, "publisher_id": province.id}, officer)
            proposals = 1
    return {"casebook_cases": len(published), "casebook_proposals": proposals}
