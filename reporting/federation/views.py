"""The system admin's federation page: this deployment's upstream and its pushes, the downstream
peers registered here with their last push and refusals, and a button to push now."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.extensions import db
from core.timefmt import local_time
from reporting.federation import operations as ops
from reporting.federation import signing
from reporting.federation.jobs import push_rollups
from reporting.federation.models import FederationPeer, PushOutcome
from tenants.access import Action, ensure

bp = Blueprint("federation", __name__, url_prefix="/admin/federation", template_folder="templates")


def _upstream() -> dict:
    """What this deployment pushes, and to where; the key's public half to hand to the upstream."""
    config = current_app.config
    info = {"url": config.get("FEDERATION_UPSTREAM_URL"), "peer": config.get("FEDERATION_ID"),
            "cron": config.get("FEDERATION_CRON"), "public_key": None, "fingerprint": None, "root": None,
            "problem": None}
    if not info["url"]:
        return info
    try:
        key = signing.load_private_key(config.get("FEDERATION_KEY") or "")
        info["public_key"] = signing.public_pem(key)
        info["fingerprint"] = signing.fingerprint(info["public_key"])
        info["root"] = ops.federation_root()
    except (OSError, ValueError, TypeError, ops.NotConfigured) as exc:
        info["problem"] = str(exc) or type(exc).__name__
    return info


@bp.get("")
@login_required
def index():
    ensure(current_user, Action.UNITS_MANAGE)
    peers = db.session.scalars(select(FederationPeer).order_by(FederationPeer.name)).all()
    return render_template("federation/index.html", upstream=_upstream(), pushes=ops.last_pushes(), peers=peers)


@bp.post("/push")
@login_required
def push_now():
    ensure(current_user, Action.UNITS_MANAGE)
    if not current_app.config.get("FEDERATION_UPSTREAM_URL"):
        flash(_("未配置上级部署（QINGLIAN_UPSTREAM_URL），无法推送"), "error")
    else:
        push_rollups.enqueue(current_user.id)
        flash(_("已开始推送，结果见下方的推送记录"), "success")
    return redirect(url_for("federation.index"))


def status_panel() -> dict:
    """The admin status page's panel (``qinglian_status_panels``): the last pushes upstream and the
    downstream peers' last accepted push and refusals."""
    rows = [{"bad": push.outcome != PushOutcome.ACCEPTED,
             "cells": [_("推送上级"), push.peer_name, local_time(push.sent_at, "%Y-%m-%d %H:%M:%S"),
                       push.outcome_label, push.message or ""]} for push in ops.last_pushes(5)]
    for peer in db.session.scalars(select(FederationPeer).order_by(FederationPeer.name)):
        last = local_time(peer.last_accepted_at, "%Y-%m-%d %H:%M:%S") if peer.last_accepted_at else "—"
        refused = _("被拒绝 %(n)s 次，最近：%(reason)s", n=peer.refusals, reason=peer.last_refusal_label) if peer.refusals else ""
        rows.append({"bad": not peer.active or bool(peer.refusals),
                     "cells": [_("下级部署"), f"{peer.name}（{peer.unit.name}）", last,
                               _("启用") if peer.active else _("停用"), refused]})
    return {"title": _("联网上报"), "header": [_("方向"), _("名称"), _("最近时间"), _("状态"), _("说明")], "rows": rows,
            "empty": _("未配置上级部署，也没有登记下级部署"), "note": None}
