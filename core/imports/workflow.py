"""The states of an import (core.workflow runs them): map the columns, a dry run, then the commit."""
from flask_babel import lazy_gettext as _l

from core.workflow import Transition, Workflow

IMPORT_FLOW = Workflow("import_jobs", {
    "uploaded": _l("已上传，待设置列对应"),
    "mapped": _l("已设置列对应，待检查"),
    "checking": _l("正在检查（试导入）"),
    "checked": _l("检查通过，可以导入"),
    "check_failed": _l("检查发现问题"),
    "committing": _l("正在导入"),
    "committed": _l("已导入"),
    "failed": _l("导入失败，未写入任何记录"),
}, [
    # From a running state only when its job has stalled (core.imports.operations.may_map decides).
    Transition("map", ("uploaded", "mapped", "checked", "check_failed", "failed", "checking", "committing"), "mapped",
               _l("设置列对应")),
    Transition("check", ("mapped",), "checking", _l("检查（试导入）")),
    Transition("pass", ("checking",), "checked", _l("检查通过")),
    Transition("reject", ("checking",), "check_failed", _l("检查发现问题")),
    Transition("commit", ("checked",), "committing", _l("正式导入")),
    Transition("finish", ("committing",), "committed", _l("导入完成")),
    Transition("fail", ("checking", "committing"), "failed", _l("导入失败")),
    Transition("retry", ("failed",), "checking", _l("重试")),  # the dry run again, with the same mapping
])
RUNNING = ("checking", "committing")
