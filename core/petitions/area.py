"""The petitions area's declaration for the app factory (core/areas.py)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.areas import Area
from core.attachments.registry import register as register_attachable
from core.petitions import api, demo, jobs, operations, queries
from core.petitions.models import Petition
from core.petitions.views import petitions_bp
from core.handlers.registry import HANDLED, HandledType
from core.petitions.workflow import OPEN as HANDLING_OPEN
from core.petitions.workflow import conversions_of
from core.supervision.subjects import SUBJECTS
from tenants.access import Action
from tenants.workbench import INTAKE, OFFICERS, Panel


def install(app: Flask) -> None:
    SUBJECTS.register(Petition.__tablename__, Petition)  # 挂号督办 of a petition, found by its number
    # The petition's page shows what higher areas made of it (a lead) or may make (the convert button).
    app.jinja_env.globals["petition_conversions"] = conversions_of
    # 附件: the letter itself may identify the informant (masked for officers, revealed with a reason).
    register_attachable(Petition, read=Action.PETITIONS_READ,
                        attach=(Action.PETITIONS_REGISTER, Action.PETITIONS_HANDLE), informant=True)
    # 承办人: open while registered, verified or awaiting feedback; overdue past the handling deadline.
    HANDLED.register(Petition.__tablename__, HandledType(
        Petition, _l("信访举报件"), Action.PETITIONS_HANDLE, Action.PETITIONS_READ,
        open_clause=lambda: Petition.state.in_(queries.HANDLER_OPEN),
        overdue_clause=lambda today: Petition.state.in_(HANDLING_OPEN) & (Petition.due_on < today),
        is_open=lambda p: p.state in queries.HANDLER_OPEN, title=lambda p: p.number,
        list_endpoint="petitions.index", open_args={"open": "1"}, detail_endpoint="petitions.show",
        detail_args=lambda p: {"petition_id": p.id}))


AREA = Area(
    "petitions", blueprints=(petitions_bp,), api=(api,), periodic=tuple(jobs.PERIODIC), recounts=(jobs.refresh_overdue,),
    figures=(("petitions.", operations.recount),), figure_sources=((Petition, "unit_id"),),
    demo=(demo.seed,), workspace_links=(("petitions.index", _l("信访举报"), Action.PETITIONS_READ, 40),
                                        ("petitions.reply_templates", _l("反馈模板"), Action.REPLY_TEMPLATES_MANAGE, 45)),
    install=install,
    workbench=(
        Panel("petitions.mine", _l("我承办的信访件"), queries.workbench_mine, OFFICERS, rank=10,
              href=("petitions.index", {}), action=Action.PETITIONS_READ),
        Panel("petitions.today", _l("今日登记"), queries.workbench_registered_today, INTAKE, rank=10,
              href=("petitions.index", {}), action=Action.PETITIONS_READ),
        Panel("petitions.routed", _l("转办跟踪"), queries.workbench_routed, INTAKE, rank=20,
              href=("petitions.index", {"state": "routed"}), action=Action.PETITIONS_READ),
    ),
)
