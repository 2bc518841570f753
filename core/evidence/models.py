"""Remote evidence (远程取证): a unit's remote interviews of witnesses by video, each belonging to one of its records
(a lead, a petition's verification …: ``subject_type`` + ``subject_id``, the kinds in ``workflow.SUBJECTS``).

The witness (name, position, work unit and identity document number) is sealed at rest like the persons of leads
(core.clearing.models.SealedPerson, core.crypto.Sealed). Two staff members of the unit conduct it; each confirms
their participation with their own account. The steps of the procedure are the interview's workflow history (who
confirmed each, when). The recording and the signed transcript are attachments (core.attachments), named on the
interview when it is finalised.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clearing.models import SealedPerson
from core.crypto import Sealed, seal_pending
from core.evidence.workflow import INTERVIEW_FLOW, MODE_LABELS, SUBJECTS
from core.extensions import db
from core.identity.models import Account
from core.models import TimestampMixin, VersionedMixin
from tenants.models import TenantOwned


@seal_pending
class RemoteInterview(SealedPerson, TenantOwned, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "remote_interviews"
    __table_args__ = (UniqueConstraint("unit_id", "year", "seq"),
                      Index("ix_remote_interviews_subject", "unit_id", "subject_type", "subject_id"),
                      Index("ix_remote_interviews_queue", "unit_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)  # a key of workflow.SUBJECTS
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    subject_title: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # its number, for lists
    sealed_witness_id_number: Mapped[str] = mapped_column("witness_id_number", Text, nullable=False, default="")
    witness_id_number = Sealed("sealed_witness_id_number")  # 身份证件号码
    staff1_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    staff2_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    staff1_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    staff2_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    mode: Mapped[str] = mapped_column(String(24), nullable=False)  # workflow.MODE_LABELS
    place: Mapped[str] = mapped_column(String(200), nullable=False)  # where the staff sit, where the witness is
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="planned")
    consent_note: Mapped[str | None] = mapped_column(Text)  # how the witness agreed (e.g. 电话征得本人同意)
    held_on: Mapped[date | None] = mapped_column(Date)  # China day of the 询问 step: the interview was held
    recording_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    transcript_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    finalised_on: Mapped[date | None] = mapped_column(Date)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    checked_on: Mapped[date | None] = mapped_column(Date)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    check_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    def witness_id_for(self, account_id: int | None) -> str:
        """The witness's ID number as ``account_id`` sees it: whole for the two staff who verify the identity (核实身份),
        masked for every other reader of the unit (the witness of a petition's verification is often its informant)."""
        number = self.witness_id_number or ""
        if not number or account_id in (self.staff1_id, self.staff2_id):
            return number
        return number[:3] + "*" * max(len(number) - 7, 0) + number[-4:] if len(number) > 7 else "*" * len(number)

    staff1: Mapped[Account] = relationship(foreign_keys=[staff1_id], lazy="joined")
    staff2: Mapped[Account] = relationship(foreign_keys=[staff2_id], lazy="joined")
    finalised_by: Mapped[Account | None] = relationship(foreign_keys=[finalised_by_id])
    checked_by: Mapped[Account | None] = relationship(foreign_keys=[checked_by_id])

    @property
    def state_label(self) -> str:
        return INTERVIEW_FLOW.label(self.state)

    @property
    def mode_label(self) -> str:
        return str(MODE_LABELS.get(self.mode, ""))

    @property
    def subject_label(self) -> str:
        subject = SUBJECTS.get(self.subject_type)
        return str(subject.label) if subject is not None else ""

    @property
    def label(self) -> str:
        """How the inbox and other pages name the interview: its number only, never the witness."""
        return self.number

    def staff_ids(self) -> tuple[int, int]:
        return self.staff1_id, self.staff2_id
