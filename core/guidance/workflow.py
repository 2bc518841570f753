"""Labels of 联系指导: the headline figures' periods offered on the office's page, the ledger completeness columns, and
the limits of what an office records. The records have no states beyond their problems: raised (交办) or not."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PERIODS = {"month": _l("本月"), "quarter": _l("本季度"), "year": _l("本年")}
COMPLETENESS = {"current": _l("按期更新"), "stale": _l("未按期更新"), "missing": _l("缺失"), "total": _l("台账总数")}
PROBLEM_STATES = {"found": _l("待交办"), "raised": _l("已交办")}
MAX_PROBLEMS, MAX_DECISIONS, MAX_NAMES = 20, 20, 30
