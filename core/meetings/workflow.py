"""Labels of on-site meetings (现场办公会): the default issue categories a county starts with (it edits its own list),
the issue's outcomes and states, the kinds of responsible body."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# The seed's (郏县) examples first; a county adds its own (codes k1, k2 …) and archives any.
DEFAULT_CATEGORIES = (("multi_house", "一户多宅"), ("living_env", "人居环境"), ("eco_comp", "生态补偿"),
                      ("road", "道路交通"), ("land_comp", "征地占地补偿"), ("benefit_funds", "惠民资金"),
                      ("village_affairs", "村务管理"), ("other", "其他"))
MAX_CATEGORIES = 40

OUTCOMES = {"answered": _l("当场答复"), "registered": _l("登记交办")}
ISSUE_STATES = {"answered": _l("已当场答复"), "open": _l("办理中"), "done": _l("已办结")}
BODY_KINDS = {"department": _l("县直部门"), "township": _l("乡镇（街道）")}
