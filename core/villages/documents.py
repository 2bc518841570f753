"""The 重点问题督改单 of a C village's plan, in the official Word layout (core.documents): the village, its problems
with their measures, responsible persons and deadlines, signed by the township's party and discipline secretaries."""
from __future__ import annotations

from core.documents import Letterhead, cn_date, render_docx
from core.extensions import db
from core.villages.models import VillageGrading, VillagePlan
from tenants.models import Unit

KIND = "village_rectification_order"  # the rendition's kind (its PDF)


def rectification_order(plan: VillagePlan) -> bytes:
    town = db.session.get(Unit, plan.unit_id)
    village = plan.village
    grading = db.session.get(VillageGrading, plan.grading_id)
    period = grading.round.period if grading is not None and grading.round is not None else ""
    fields = {"number": plan.number, "issuer": town.name, "issued_on": cn_date(plan.issued_on),
              "village": village.name, "kind": "村" if village.kind == "village" else "社区",
              "committee": "村民委员会" if village.kind == "village" else "居民委员会",
              "period": period or "本期", "requirements": plan.requirements or "按“一村一方案”逐项整改到位，按期销号。",
              "party_secretary": plan.party_secretary, "discipline_secretary": plan.discipline_secretary}
    rows = [[str(item.seq), item.problem, item.measure,
             f"{item.responsible}（{item.responsible_position}）" if item.responsible_position else item.responsible,
             cn_date(item.deadline), "已销号" if item.state == "closed" else ""] for item in plan.items]
    # Issued jointly by the township's party committee and its discipline commission (党委书记、纪委书记 sign).
    head = Letterhead(authority=f"中共{town.name}委员会\n中共{town.name}纪律检查委员会",
                      printed_by=f"中共{town.name}纪律检查委员会", printed_on=cn_date(plan.issued_on))
    return render_docx(KIND, fields, {"items": rows}, letterhead=head)
