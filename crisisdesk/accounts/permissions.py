"""Roles and what each may do, declared as data and denied by default.

The matrix below is the single source of truth: views, API endpoints and selectors ask
`has_permission(user, Permission.X)` and never test a role by name. A role that is not
listed for a permission does not have it. docs/subsystems/access-control.md renders it.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DESK_CHIEF = "desk_chief", _("Desk chief")
    CONSULAR_OFFICER = "consular_officer", _("Consular officer")
    BORDER_OFFICER = "border_officer", _("Border officer")
    CASE_OFFICER = "case_officer", _("Case officer")
    LOGISTICS_OFFICER = "logistics_officer", _("Logistics officer")
    DIPLOMAT = "diplomat", _("Diplomat")
    SENIOR_DIPLOMAT = "senior_diplomat", _("Senior diplomat")
    POLITICAL_DIRECTOR = "political_director", _("Political director")


class Permission(StrEnum):
    PERSON_VIEW = "person.view"
    PERSON_VIEW_CONTACT = "person.view_contact"
    PERSON_CREATE = "person.create"
    PERSON_CHANGE = "person.change"
    STATUS_EVENT_ADD = "status_event.add"
    AUDIT_VIEW_PERSON = "audit.view_person"
    AUDIT_VIEW_ALL = "audit.view_all"
    RISK_RULE_MANAGE = "risk_rule.manage"
    USER_MANAGE = "user.manage"
    POST_VIEW = "post.view"
    POST_MANAGE = "post.manage"
    CROSSING_STATUS_SET = "crossing.set_status"
    ROSTER_VIEW = "roster.view"
    ROSTER_MANAGE = "roster.manage"
    SHIFT_WORK = "shift.work"
    DESK_SYNC = "desk.sync"
    DESK_BOARD_VIEW = "desk.board"
    DESK_CONFLICT_REVIEW = "desk.conflict_review"
    SITREP_VIEW = "sitrep.view"
    SITREP_DRAFT = "sitrep.draft"
    SITREP_CLEAR = "sitrep.clear"
    SITREP_DISTRIBUTE = "sitrep.distribute"
    PARTNER_FIGURE_ADD = "sitrep.partner_figure_add"
    # Diplomacy. These open the module's pages; compartmented records further need a
    # read-in (diplomacy/access.py), which no role grants, not even the administrator's.
    DIPLOMACY_VIEW = "diplomacy.view"
    DIPLOMACY_LOG = "diplomacy.log"
    DIPLOMACY_DECIDE = "diplomacy.decide"
    STATEMENT_LOG = "diplomacy.statement_log"
    LINE_TO_TAKE_APPROVE = "diplomacy.line_approve"
    COMPARTMENT_MANAGE = "diplomacy.compartment_manage"
    DIPLOMACY_AUDIT_VIEW = "diplomacy.audit_view"
    # Immigration requests. `case.view` opens the queues within the reader's scope
    # (cases/selectors.py); `case.assign` is the desk chief's, and sees every case.
    CASE_VIEW = "case.view"
    CASE_WORK = "case.work"
    CASE_ASSIGN = "case.assign"
    CASE_INTAKE = "case.intake"
    # Aid shipments. `aid.view` reads shipments, manifests and their papers; `aid.manage`
    # plans and moves them; `aid.override` lets one leave with its clearance incomplete.
    AID_VIEW = "aid.view"
    AID_MANAGE = "aid.manage"
    AID_OVERRIDE = "aid.override"
    # Bulk personal data leaving the system: a filtered registry list as CSV or XLSX
    # (the columns still follow person.view_contact), and PFIF 1.4 in and out.
    PERSON_EXPORT = "person.export"
    PFIF_EXCHANGE = "pfif.exchange"
    # Duplicate detection: `duplicate.review` reads the queue and merges, separates or
    # defers a pair (and undoes a merge); `duplicate.run` starts a detection run.
    DUPLICATE_REVIEW = "duplicate.review"
    DUPLICATE_RUN = "duplicate.run"


_P = Permission
# What everyone who works a crossing needs: the posts, the roster, their own shifts, the
# status of the points, and the field app's sync.
_DESK_STAFF = frozenset({_P.POST_VIEW, _P.CROSSING_STATUS_SET, _P.ROSTER_VIEW, _P.SHIFT_WORK, _P.DESK_SYNC})
_DIPLOMACY_STAFF = frozenset({_P.DIPLOMACY_VIEW, _P.DIPLOMACY_LOG, _P.STATEMENT_LOG})
_DIPLOMACY_SENIOR = frozenset(
    {_P.DIPLOMACY_DECIDE, _P.LINE_TO_TAKE_APPROVE, _P.COMPARTMENT_MANAGE, _P.DIPLOMACY_AUDIT_VIEW}
)
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.DESK_CHIEF: frozenset(
        {
            _P.PERSON_VIEW,
            _P.PERSON_VIEW_CONTACT,
            _P.PERSON_CREATE,
            _P.PERSON_CHANGE,
            _P.STATUS_EVENT_ADD,
            _P.AUDIT_VIEW_PERSON,
            _P.AUDIT_VIEW_ALL,
            _P.RISK_RULE_MANAGE,
            *_DESK_STAFF,
            _P.POST_MANAGE,
            _P.ROSTER_MANAGE,
            _P.DESK_BOARD_VIEW,
            _P.DESK_CONFLICT_REVIEW,
            _P.SITREP_VIEW,
            _P.SITREP_DRAFT,
            _P.SITREP_CLEAR,
            _P.SITREP_DISTRIBUTE,
            _P.PARTNER_FIGURE_ADD,
            _P.CASE_VIEW,
            _P.CASE_WORK,
            _P.CASE_ASSIGN,
            _P.CASE_INTAKE,
            _P.AID_VIEW,
            _P.PERSON_EXPORT,
            _P.PFIF_EXCHANGE,
            _P.DUPLICATE_REVIEW,
            _P.DUPLICATE_RUN,
        }
    ),
    Role.CONSULAR_OFFICER: frozenset(
        {
            _P.PERSON_VIEW,
            _P.PERSON_VIEW_CONTACT,
            _P.PERSON_CREATE,
            _P.PERSON_CHANGE,
            _P.STATUS_EVENT_ADD,
            _P.AUDIT_VIEW_PERSON,
            *_DESK_STAFF,
            _P.SITREP_VIEW,
            _P.PARTNER_FIGURE_ADD,
            _P.PERSON_EXPORT,
            _P.DUPLICATE_REVIEW,
        }
    ),
    # Border officers record what they see at the crossing; contact details and the
    # audit trail are need-to-know and stay with the consular desk.
    Role.BORDER_OFFICER: frozenset(
        {_P.PERSON_VIEW, _P.PERSON_CREATE, _P.STATUS_EVENT_ADD, *_DESK_STAFF, _P.SITREP_VIEW, _P.CASE_INTAKE}
    ),
    Role.CASE_OFFICER: frozenset(
        {
            _P.PERSON_VIEW,
            _P.PERSON_VIEW_CONTACT,
            _P.POST_VIEW,
            _P.SITREP_VIEW,
            _P.CASE_VIEW,
            _P.CASE_WORK,
            _P.CASE_INTAKE,
        }
    ),
    # Without person.view they read the sitrep as another ministry would: no names.
    Role.LOGISTICS_OFFICER: frozenset({_P.POST_VIEW, _P.SITREP_VIEW, _P.AID_VIEW, _P.AID_MANAGE, _P.AID_OVERRIDE}),
    Role.DIPLOMAT: frozenset({_P.POST_VIEW, _P.SITREP_VIEW, *_DIPLOMACY_STAFF}),
    Role.SENIOR_DIPLOMAT: frozenset({_P.POST_VIEW, _P.SITREP_VIEW, *_DIPLOMACY_STAFF, *_DIPLOMACY_SENIOR}),
    Role.POLITICAL_DIRECTOR: frozenset({_P.POST_VIEW, _P.SITREP_VIEW, *_DIPLOMACY_STAFF, *_DIPLOMACY_SENIOR}),
}

# Who may approve a channel request: a rank above the requester's (diplomacy/services.py).
# The administrator is outside this ladder: running the system is not deciding on talks.
DIPLOMATIC_RANK: dict[str, int] = {Role.DIPLOMAT: 1, Role.SENIOR_DIPLOMAT: 2, Role.POLITICAL_DIRECTOR: 3}


def has_permission(user, permission: Permission) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def permissions_of(user) -> frozenset[Permission]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return ROLE_PERMISSIONS.get(user.role, frozenset())
