"""远程取证 in a real browser (Chromium through Playwright): from a lead's page the township's officer plans a remote
interview with a second officer; each confirms taking part with their own account; the procedure is walked step by
step, only the step due offered (the witness's consent first, then 出示工作证件 → 告知权利义务 → 核实身份 → 询问 →
核对笔录 → 签字确认); finalising without the recording and the transcript is refused naming them (the refused page
sends the upload back to the interview's own page: reloading the refused POST would finalise unasked); both files are
uploaded, the interview is finalised and read-only (no step, no upload, the files with their SM3 digests), and the
case-management office (案管) records its check."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_browser import _log_in, _log_out, chromium, live_server, page  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.browser

RECORDING = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 4096
TRANSCRIPT = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
STEP_LABELS = (("consent", "记录证人同意视频询问"), ("show_id", "出示工作证件"), ("inform_rights", "告知权利义务"),
               ("verify_identity", "核实身份"), ("question", "询问"), ("check_transcript", "核对笔录"),
               ("sign", "签字确认"))


def _setup(app, factory) -> dict:
    from core import calendar, context
    from core.extensions import db
    from core.leads import operations as lead_ops
    from tenants.models import Unit

    tree = factory.tree()
    officer = factory.account("evidence-officer", [(tree.town, "officer")])
    factory.account("evidence-second", [(tree.town, "officer")])
    factory.account("evidence-caseadmin", [(tree.town, "case_admin")])
    with app.app_context(), context.acting(context.maintenance_context(account_id=officer), db.session):
        lead = lead_ops.register_lead(db.session.get(Unit, tree.town), {
            "source": "assigned", "source_note": "县纪委交办", "received_on": calendar.today().isoformat(),
            "summary": "反映村干部优亲厚友", "persons": [{"name": "孙被查", "level": "village"}]})
        db.session.commit()
        return {"tree": tree, "lead": lead.id, "lead_number": lead.number}


def _step(tab, step: str, label: str, note: str = "") -> None:
    """Confirm the step due: the one form the page offers."""
    from playwright.sync_api import expect

    expect(tab.locator("form[data-step-form]")).to_have_count(1)
    form = tab.locator(f'form[data-step-form="{step}"]')
    if step == "consent":
        form.locator('input[name="consent"]').check()
        form.locator('input[name="consent_note"]').fill(note or "电话征得本人同意以微信视频方式接受询问")
    elif note:
        form.locator('input[name="note"]').fill(note)
    form.get_by_role("button", name=f"确认：{label}").click()
    expect(tab.locator(f'li[data-step="{step}"]')).to_have_attribute("data-done", "")


def test_a_remote_interview_walks_every_step_is_finalised_read_only_and_checked(
        page, live_server, factory, app):  # noqa: F811
    from playwright.sync_api import expect

    from core import calendar

    world = _setup(app, factory)
    town = world["tree"].town

    # From the lead's page: plan the interview with the second officer.
    _log_in(page, "evidence-officer")
    page.wait_for_url(re.compile(rf"/u/{town}/$"))
    page.goto(f"/u/{town}/leads/{world['lead']}")
    panel = page.locator("[data-remote-interviews]")
    expect(panel).to_contain_text("尚无远程取证")
    panel.get_by_role("link", name="安排远程取证").click()
    form = page.locator("form[data-interview-form]")
    expect(form.locator('select[name="subject"] option:checked')).to_contain_text(world["lead_number"])
    form.locator('input[name="witness_name"]').fill("马建军")
    form.locator('input[name="witness_position"]').fill("原村委会委员")
    form.locator('input[name="witness_work_unit"]').fill("新疆乌鲁木齐某建筑工地")
    expect(form.locator('select[name="staff1_id"] option:checked')).to_have_text("evidence-officer 姓名")
    form.locator('select[name="staff2_id"]').select_option(label="evidence-second 姓名")
    form.locator('input[name="planned_at"]').fill((calendar.today() + timedelta(days=1)).isoformat() + "T09:30")
    form.locator('select[name="mode"]').select_option(label="微信视频连线")
    form.locator('input[name="place"]').fill("东镇纪委谈话室（证人在新疆务工地）")
    form.get_by_role("button", name="安排").click()
    expect(page).to_have_url(re.compile(rf"/u/{town}/evidence/\d+$"))
    interview_url = page.url
    expect(page.locator("main h1 [data-state]")).to_have_text("待征得证人同意")
    expect(page.locator("[data-witness]")).to_contain_text("马建军")
    expect(page.locator("[data-unconfirmed]")).to_have_count(2)

    # The first officer confirms taking part, records the witness's consent and the first two steps.
    page.get_by_role("button", name="本人确认参与本次取证").click()
    expect(page.locator("[data-confirmed]")).to_have_count(1)
    expect(page.locator("form[data-confirm-participation]")).to_have_count(0)
    expect(page.locator('li[data-step="consent"]')).to_have_attribute("data-due", "")
    for step, label in STEP_LABELS[:3]:
        _step(page, step, label, "视频中向证人出示工作证件" if step == "show_id" else "")
    expect(page.locator("[data-consent]")).to_have_text("电话征得本人同意以微信视频方式接受询问")
    expect(page.locator("main h1 [data-state]")).to_have_text("已告知权利义务")
    _log_out(page, live_server)

    # The second officer, with their own account: confirms taking part and walks the rest of the procedure.
    _log_in(page, "evidence-second")
    page.wait_for_url(re.compile(rf"/u/{town}/$"))
    page.goto(interview_url)
    page.get_by_role("button", name="本人确认参与本次取证").click()
    expect(page.locator("[data-confirmed]")).to_have_count(2)
    for step, label in STEP_LABELS[3:]:
        _step(page, step, label, "证人在笔录上逐页签字捺印后拍照回传" if step == "sign" else "")
    expect(page.locator("main h1 [data-state]")).to_have_text("已签字确认，待完成")
    expect(page.locator("form[data-step-form]")).to_have_count(0)
    for step, _label in STEP_LABELS:  # each step with who confirmed it
        expect(page.locator(f'li[data-step="{step}"]')).to_contain_text(
            "evidence-officer 姓名" if step in ("consent", "show_id", "inform_rights") else "evidence-second 姓名")

    # Finalising before the files are there is refused, naming both.
    page.locator("form[data-finalise-form]").get_by_role("button", name="完成取证").click()
    errors = page.locator("section[data-procedure]")
    expect(errors).to_contain_text("尚未上传全程录像")
    expect(errors).to_contain_text("尚未上传经证人签字确认的询问笔录")
    expect(page.locator("main h1 [data-state]")).to_have_text("已签字确认，待完成")
    expect(page.locator("[data-no-recording]")).to_have_text("尚未上传")
    # The refused page (the answer to a POST) offers no upload: the upload reloads its page, and reloading this
    # one would send 完成取证 again, finalising the interview once the files are in without anyone asking.
    expect(page.locator("form[data-upload-form]")).to_have_count(0)
    page.get_by_role("link", name="回到取证页面上传录像和笔录").click()
    expect(page).to_have_url(interview_url)

    # The recording and the signed transcript through the attachments panel; nothing finalised by itself.
    upload = page.locator("[data-attachments] form[data-upload-form]")
    upload.locator('input[type="file"]').set_input_files([
        {"name": "询问全程录像.mp4", "mimeType": "video/mp4", "buffer": RECORDING},
        {"name": "询问笔录证人签字.pdf", "mimeType": "application/pdf", "buffer": TRANSCRIPT}])
    upload.get_by_role("button", name="上传").click()
    expect(page.locator("[data-attachments] tr[data-attachment]")).to_have_count(2)
    expect(page.locator("[data-recording]")).to_have_text("询问全程录像.mp4")
    expect(page.locator("[data-transcript]")).to_have_text("询问笔录证人签字.pdf")
    expect(page.locator("main h1 [data-state]")).to_have_text("已签字确认，待完成")

    page.locator("form[data-finalise-form]").get_by_role("button", name="完成取证").click()
    expect(page.locator("main h1 [data-state]")).to_have_text("已完成，待案管核查")
    expect(page.locator("[data-read-only]")).to_be_visible()
    # Read-only: no step, no confirmation, no upload, no finalising; the files stay with their digests.
    for selector in ("form[data-step-form]", "form[data-finalise-form]", "form[data-upload-form]",
                     "form[data-confirm-participation]", "form[data-check-form]"):
        expect(page.locator(selector)).to_have_count(0)
    files = page.locator("section[data-evidence-files]")
    expect(files).to_contain_text("询问全程录像.mp4")
    expect(files).to_contain_text("询问笔录证人签字.pdf")
    expect(files).to_contain_text("SM3")
    expect(files.locator("[data-download]")).to_have_count(2)
    _log_out(page, live_server)

    # The case-management office records its check.
    _log_in(page, "evidence-caseadmin")
    page.wait_for_url(re.compile(rf"/u/{town}/$"))
    page.goto(interview_url)
    check = page.locator("form[data-check-form]")
    check.locator('textarea[name="note"]').fill("程序完整，录像与笔录一致")
    check.get_by_role("button", name="记录核查").click()
    expect(page.locator("main h1 [data-state]")).to_have_text("案管已核查")
    expect(page.locator("[data-check]")).to_contain_text("程序完整，录像与笔录一致")
    expect(page.locator("[data-check]")).to_contain_text("evidence-caseadmin 姓名")
    expect(page.locator("form[data-check-form]")).to_have_count(0)
    expect(page.locator('li[data-step="check"]')).to_have_attribute("data-done", "")
    _log_out(page, live_server)

    # The lead's page lists the interview, checked.
    _log_in(page, "evidence-officer")
    page.wait_for_url(re.compile(rf"/u/{town}/$"))
    page.goto(f"/u/{town}/leads/{world['lead']}")
    expect(page.locator("[data-remote-interviews] [data-state]")).to_have_text("案管已核查")
