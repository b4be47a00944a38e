"""The resident record: one page of what the council knows of a resident, and its rules.

- Name, address and phone are staff's to keep. Until staff keep one, the most recent ticket
  that gave it (a consultation's phone, the name a staff-opened ticket was filed under) is a
  *suggestion*, shown with its source; staff take it in (`adopt`) or type their own (`save`).
  A newer ticket that says something else is suggested again beside the kept value.
- Every value remembers where it came from: typed by whom, or taken from which ticket.
- Contacts: family who follow the account (watch-over family links, read-only) and people
  staff typed (family, neighbours, a care manager).
- Team rules as for tickets: a staff member opens a resident's record only if they see one of
  the resident's tickets (an admin sees every record); otherwise it does not exist for them.
  The tickets listed are the ones they see.
- Every view and change is audited in the caller's transaction; the audit entry names the
  resident by id and the fields changed, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from locales import N_
from storage import audit, casework
from storage.models import (
    RECORD_FIELDS,
    CheckinRound,
    District,
    Resident,
    ResidentContact,
    ResidentDetail,
    Staff,
    Ticket,
    WatchEnrolment,
)
from storage.refusals import Conflict, Refused
from storage.watch import enrolments, linking, rounds

# What a ticket can suggest, and where in its intake or contact each one is kept.
SUGGESTED: Mapping[str, tuple[str, ...]] = {
    "name": ("name",),
    "address": ("address",),
    "phone": ("phone",),
}
LIMITS: Mapping[str, int] = {
    "name": 100,
    "furigana": 100,
    "address": 200,
    "phone": 40,
    "case_number": 40,
    "household": 5000,
}
PHONE_FIELDS = ("phone",)
# The fields that name or reach the resident.
IDENTIFYING = ("name", "furigana", "address", "phone")
CONTACT_NAME_MAX = 100
CONTACT_RELATION_MAX = 40
CONTACT_PHONE_MAX = 40
CONTACT_NOTE_MAX = 1000
# Tickets looked at for suggestions and listed on the page, newest first.
TICKETS_SHOWN = 200
ROUNDS_SHOWN = 60

VIEW = "resident.view"
EDIT = "resident.edit"
ADOPT = "resident.adopt"
CONTACT_ADD = "resident.contact_add"
CONTACT_REMOVE = "resident.contact_remove"


@dataclass(frozen=True)
class Suggestion:
    """A value a ticket gave, and which ticket."""

    field: str
    value: str
    reference: str
    kind: str
    at: datetime
    # Whether the reader may open that ticket (its reference is shown only then).
    visible: bool


@dataclass(frozen=True)
class Field:
    """One field of the record as the page shows it: the kept value and any suggestion."""

    field: str
    kept: ResidentDetail | None
    suggestion: Suggestion | None

    @property
    def value(self) -> str:
        return self.kept.value if self.kept is not None else ""


@dataclass(frozen=True)
class FamilyOnLine:
    """A family member linked through watch-over: they follow the account and hear alerts."""

    name: str | None
    since: datetime | None


# ---- Who may open a record -------------------------------------------------------------------


def open_for(session: Session, staff: Staff, resident_id: int) -> Resident | None:
    """The resident if `staff` may open their record; None otherwise (→ 404)."""
    if not staff.active:
        return None
    resident = session.get(Resident, resident_id)
    if resident is None:
        return None
    if casework.is_admin(staff):
        return resident
    seen = casework.visible_tickets(staff).where(Ticket.resident_id == resident.id)
    return resident if session.scalar(select(exists(seen.subquery()))) else None


def tickets_of(session: Session, staff: Staff, resident: Resident) -> list[Ticket]:
    """The resident's tickets `staff` may see, newest first."""
    return list(
        session.scalars(
            casework.visible_tickets(staff)
            .where(Ticket.resident_id == resident.id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(TICKETS_SHOWN)
        )
    )


# ---- Reading ------------------------------------------------------------------------------------


def fields_of(session: Session, staff: Staff, resident: Resident) -> list[Field]:
    """Every field of the record in page order, with the suggestion a ticket makes for it."""
    kept = _kept(session, resident)
    suggestions = suggestions_for(session, staff, resident)
    shown = []
    for name in RECORD_FIELDS:
        value = kept.get(name)
        suggestion = suggestions.get(name)
        if suggestion is not None and not _worth_suggesting(suggestion, value):
            suggestion = None
        shown.append(Field(name, value, suggestion))
    return shown


def suggestions_for(session: Session, staff: Staff, resident: Resident) -> dict[str, Suggestion]:
    """Per suggestible field, the value of the most recent ticket that gave one.

    All the resident's tickets count, as the record is shared by every team that sees one of
    them; the reference of a ticket `staff` does not see is not shown (Suggestion.visible).
    """
    seen = set(
        session.scalars(
            casework.visible_tickets(staff)
            .with_only_columns(Ticket.id)
            .where(Ticket.resident_id == resident.id)
        )
    )
    found: dict[str, Suggestion] = {}
    rows = session.scalars(
        select(Ticket)
        .where(Ticket.resident_id == resident.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(TICKETS_SHOWN)
    )
    for ticket in rows:
        for field, keys in SUGGESTED.items():
            if field in found:
                continue
            value = _given(ticket, keys)
            if value:
                found[field] = Suggestion(
                    field,
                    value,
                    ticket.reference,
                    ticket.kind,
                    ticket.created_at,
                    ticket.id in seen,
                )
        if len(found) == len(SUGGESTED):
            break
    return found


def contacts_of(session: Session, resident: Resident) -> list[ResidentContact]:
    return list(
        session.scalars(
            select(ResidentContact)
            .where(ResidentContact.resident_id == resident.id)
            .order_by(ResidentContact.id)
        )
    )


def family_on_line(session: Session, resident: Resident) -> list[FamilyOnLine]:
    """Family linked to the resident's watch-over (linked, not pending or ended)."""
    enrolment = enrolments.enrolment_of(session, resident)
    if enrolment is None:
        return []
    return [
        FamilyOnLine(link.family.display_name, link.linked_at)
        for link in linking.family_links(session, enrolment)
    ]


def district_name(session: Session, resident: Resident) -> str:
    """Where the resident lives, as far as a flow asked ("" if never)."""
    if resident.district_id is None:
        return ""
    district = session.get(District, resident.district_id)
    return district.name if district is not None else ""


def enrolment_of(session: Session, resident: Resident) -> WatchEnrolment | None:
    return enrolments.enrolment_of(session, resident)


def checkins_of(session: Session, resident: Resident) -> list[CheckinRound]:
    """The resident's check-in rounds, newest first (none if never enrolled)."""
    enrolment = enrolments.enrolment_of(session, resident)
    if enrolment is None:
        return []
    return rounds.rounds_of(session, enrolment, limit=ROUNDS_SHOWN)


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    return {person.id: person.name for person in casework.staff_named(session, ids)}


def viewed(
    session: Session, staff: Staff, resident: Resident, now: datetime, ip: str | None = None
) -> None:
    """Audit that `staff` opened the record."""
    audit.record(session, VIEW, now, staff=staff, detail={"resident": resident.id}, ip=ip)


# ---- Changing -----------------------------------------------------------------------------------


def save(
    session: Session,
    staff: Staff,
    resident: Resident,
    changes: Mapping[str, tuple[str, str]],
    now: datetime,
    ip: str | None = None,
) -> list[str]:
    """Keep what staff typed: `changes` maps a field to (the value the form showed, the value
    sent). Only fields whose value changed are written, as typed by `staff`; an empty value
    clears the field. If someone changed a field since the form was shown, nothing is written
    (Conflict), so nobody's edit is lost unseen. Returns the fields changed.
    """
    typed: dict[str, tuple[str, str]] = {}
    for field, (shown, sent) in changes.items():
        if field not in RECORD_FIELDS:
            raise Refused(N_("There is no such field in the record."), field="field")
        shown, sent = (shown or "").strip(), (sent or "").strip()
        if sent != shown:
            typed[field] = (shown, _checked(field, sent))
    if not typed:
        return []
    _lock(session, resident)
    kept = _kept(session, resident)
    for field, (shown, _sent) in typed.items():
        current = kept[field].value if field in kept else ""
        if current != shown:
            raise Conflict(
                N_("Someone changed this record meanwhile. Reload the page and try again.")
            )
    changed = []
    for field, (_shown, sent) in typed.items():
        if not sent:
            session.delete(kept[field])
        else:
            _keep(session, resident, kept.get(field), field, sent, staff, now)
        changed.append(field)
    if changed:
        audit.record(
            session,
            EDIT,
            now,
            staff=staff,
            detail={"resident": resident.id, "fields": changed},
            ip=ip,
        )
    session.flush()
    return changed


def adopt(
    session: Session,
    staff: Staff,
    resident: Resident,
    field: str,
    now: datetime,
    ip: str | None = None,
) -> ResidentDetail:
    """Take the value a ticket suggests for `field` into the record, with that ticket as its
    source. The suggestion is worked out again here, never taken from the form."""
    if field not in SUGGESTED:
        raise Refused(N_("There is no such field in the record."), field="field")
    _lock(session, resident)
    suggestion = suggestions_for(session, staff, resident).get(field)
    kept = _kept(session, resident).get(field)
    if suggestion is None or not _worth_suggesting(suggestion, kept):
        raise Conflict(N_("There is nothing new to take in. Reload the page."))
    detail = _keep(session, resident, kept, field, suggestion.value, staff, now)
    detail.source = "ticket"
    detail.source_reference = suggestion.reference
    detail.source_kind = suggestion.kind
    detail.source_at = suggestion.at
    audit.record(
        session,
        ADOPT,
        now,
        staff=staff,
        detail={"resident": resident.id, "fields": [field]},
        ip=ip,
    )
    session.flush()
    return detail


def add_contact(
    session: Session,
    staff: Staff,
    resident: Resident,
    *,
    name: str,
    relation: str = "",
    phone: str = "",
    note: str = "",
    now: datetime,
    ip: str | None = None,
) -> ResidentContact:
    """An emergency or family contact staff typed."""
    name, relation, phone, note = ((value or "").strip() for value in (name, relation, phone, note))
    if not name:
        raise Refused(N_("Write the contact's name."), field="name")
    if len(name) > CONTACT_NAME_MAX or len(relation) > CONTACT_RELATION_MAX:
        raise Refused(N_("A name or relation is too long."), field="name")
    if len(note) > CONTACT_NOTE_MAX:
        raise Refused(N_("The note is too long."), field="note")
    _check_phone(phone, CONTACT_PHONE_MAX)
    contact = ResidentContact(
        resident_id=resident.id,
        name=name,
        relation=relation,
        phone=phone,
        note=note,
        staff_id=staff.id,
        created_at=now,
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        CONTACT_ADD,
        now,
        staff=staff,
        detail={"resident": resident.id, "contact": contact.id},
        ip=ip,
    )
    return contact


def remove_contact(
    session: Session,
    staff: Staff,
    resident: Resident,
    contact_id: int,
    now: datetime,
    ip: str | None = None,
) -> bool:
    """Remove a typed contact of this resident; False if there is none by that id."""
    contact = session.scalar(
        select(ResidentContact).where(
            ResidentContact.id == contact_id, ResidentContact.resident_id == resident.id
        )
    )
    if contact is None:
        return False
    session.delete(contact)
    audit.record(
        session,
        CONTACT_REMOVE,
        now,
        staff=staff,
        detail={"resident": resident.id, "contact": contact_id},
        ip=ip,
    )
    session.flush()
    return True


# ---- Erasure ------------------------------------------------------------------------------------


def words_of(session: Session, resident: Resident) -> list[str]:
    """What in the record names or reaches the resident, which a note could repeat
    (storage.erasure redacts it): not the household note or the case number, whose lines
    would blank ordinary words elsewhere."""
    words = list(
        session.scalars(
            select(ResidentDetail.value).where(
                ResidentDetail.resident_id == resident.id,
                ResidentDetail.field.in_(IDENTIFYING),
            )
        )
    )
    for contact in contacts_of(session, resident):
        words += [contact.name, contact.phone]
    return words


def forget(session: Session, resident: Resident) -> None:
    """The whole record goes, on an erasure the resident asked for."""
    session.execute(delete(ResidentDetail).where(ResidentDetail.resident_id == resident.id))
    session.execute(delete(ResidentContact).where(ResidentContact.resident_id == resident.id))


# ---- Inside -------------------------------------------------------------------------------------


def _kept(session: Session, resident: Resident) -> dict[str, ResidentDetail]:
    return {
        detail.field: detail
        for detail in session.scalars(
            select(ResidentDetail).where(ResidentDetail.resident_id == resident.id)
        )
    }


def _lock(session: Session, resident: Resident) -> None:
    """Two people saving one record take turns (SQLite's writers do anyway)."""
    session.execute(select(Resident.id).where(Resident.id == resident.id).with_for_update())


def _keep(
    session: Session,
    resident: Resident,
    detail: ResidentDetail | None,
    field: str,
    value: str,
    staff: Staff,
    now: datetime,
) -> ResidentDetail:
    if detail is None:
        detail = ResidentDetail(resident_id=resident.id, field=field)
        session.add(detail)
    detail.value = value
    detail.source = "staff"
    detail.source_reference = detail.source_kind = None
    detail.source_at = None
    detail.staff_id = staff.id
    detail.updated_at = now
    return detail


def _worth_suggesting(suggestion: Suggestion, kept: ResidentDetail | None) -> bool:
    """Always when nothing is kept; otherwise only a different value from a ticket newer
    than the kept one (the phone number may have changed) and not its own source."""
    if kept is None:
        return True
    if suggestion.value == kept.value or suggestion.reference == kept.source_reference:
        return False
    return suggestion.at > kept.updated_at


def _given(ticket: Ticket, keys: tuple[str, ...]) -> str:
    for place in (ticket.contact or {}, ticket.intake or {}):
        for key in keys:
            value = place.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _checked(field: str, value: str) -> str:
    if len(value) > LIMITS[field]:
        raise Refused(N_("Too long: at most {limit} characters."), field=field, limit=LIMITS[field])
    if field in PHONE_FIELDS:
        _check_phone(value, LIMITS[field])
    return value


def _check_phone(phone: str, limit: int) -> None:
    if len(phone) > limit:
        raise Refused(N_("A name or phone number is too long."), field="phone")
    if phone and not all(character.isdigit() or character in "-+() " for character in phone):
        raise Refused(N_("A phone number has digits and hyphens only."), field="phone")
