"""Labels of the reception room (轮流坐班接访 · 三访合一): the three kinds of reception, the person's fields (the same
as a petition's informant, sealed alike), and the roles that sit in the reception room."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tenants.models import Role

# 接访: a walk-in at the reception room; 下访: staff visiting a village; 约访: an appointment made with the person.
KINDS = {"walk_in": _l("接访"), "visit": _l("下访"), "appointment": _l("约访")}
KIND_HINTS = {"walk_in": _l("群众到接待室来访"), "visit": _l("干部下村走访接待"), "appointment": _l("预约群众面谈")}
# The person received: the fields of a petition's informant (core.petitions.models.INFORMANT_FIELDS), sealed alike.
PERSON_FIELDS = {"name": _l("姓名"), "id_number": _l("身份证号"), "phone": _l("联系电话"), "address": _l("地址")}
# Who takes a turn in the reception room (and may be named as a reception's staff member): the unit's leaders,
# officers and intake staff, the same roles that read the rota (tenants.access RECEPTION_READ).
ROTA_ROLES = (Role.LEADER.value, Role.OFFICER.value, Role.INTAKE.value)
WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))
