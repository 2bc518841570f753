"""Labels of on-site meetings (现场办公会): the default issue categories a county starts with (it edits its own list),
the issue's outcomes and states, the kinds of responsible body."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import dictionaries

# The seed's (郏县) examples first; a county adds its own (codes k1, k2 …) and archives any.
DEFAULT_CATEGORIES = (("multi_house", "一户多宅"), ("living_env", "人居环境"), ("eco_comp", "生态补偿"),
                      ("road", "道路交通"), ("land_comp", "征地占地补偿"), ("benefit_funds", "惠民资金"),
                      ("village_affairs", "村务管理"), ("other", "其他"))
MAX_CATEGORIES = 40
# 数据字典 (core.dictionaries): the defaults above as the system admin adjusts them (a county without its own list
# reads them; its list, once written, is its own; an issue keeps the category name it was registered with).
DEFAULT_CATEGORY_LABELS = dictionaries.declare(
    "meeting_categories", _l("现场办公会问题类别（默认）"), dict(DEFAULT_CATEGORIES), area=_l("现场办公会"),
    note=_l("县纪委尚未自定义问题类别时使用；县纪委修改自己的类别后以其为准，已登记的问题保留登记时的类别名称。"))

OUTCOMES = {"answered": _l("当场答复"), "registered": _l("登记交办")}
ISSUE_STATES = {"answered": _l("已当场答复"), "open": _l("办理中"), "done": _l("已办结")}
BODY_KINDS = {"department": _l("县直部门"), "township": _l("乡镇（街道）")}
