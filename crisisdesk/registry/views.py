"""Staff pages of the registry: list, person, edit, timeline events, audit."""

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.forms import PersonContactsForm, PersonEditForm, PersonFilterForm, StatusEventForm
from crisisdesk.registry.inputs import ContactInput
from crisisdesk.registry.models import (
    Channel,
    ContactPoint,
    IntakeState,
    Person,
    Registration,
    RiskRule,
    StatusEvent,
    StatusKind,
)
from crisisdesk.registry.public_views import registration_form_context, registration_form_handle
from crisisdesk.registry.risk import explain_reason
from crisisdesk.registry.selectors import (
    PersonFilters,
    household_members,
    person_audit_trail,
    person_get,
    person_page,
    person_possible_duplicates,
    registration_intake_summary,
    registrations_not_added,
)
from crisisdesk.registry.services import (
    person_update,
    registration_add_retry,
    registration_submit,
    registrations_add_received,
    status_event_add,
)
from crisisdesk.registry.validation import region_name


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


@staff_required(Permission.PERSON_VIEW)
def person_list(request):
    rules = list(RiskRule.objects.filter(is_active=True))
    form = PersonFilterForm(request.GET or None, risk_rules=rules)
    values = form.cleaned_data if form.is_valid() else {}
    filters = PersonFilters(
        status=values.get("status", ""),
        region=values.get("region", ""),
        intent=values.get("intent", ""),
        citizenship=values.get("citizenship", ""),
        risk_flag=values.get("risk_flag", ""),
        vulnerability=values.get("vulnerability", ""),
        possible_duplicate=bool(values.get("possible_duplicate")),
        query=values.get("q", ""),
    )
    page = person_page(
        actor=request.user, origin=_origin(request), filters=filters, page_number=request.GET.get("page", 1)
    )
    query = request.GET.copy()
    query.pop("page", None)
    template = (
        "registry/staff/_person_table.html" if request.headers.get("HX-Request") else "registry/staff/person_list.html"
    )
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "region_name": region_name,
            "intake": registration_intake_summary(actor=request.user),
        },
    )


# How many waiting registrations one click of "add them now" handles, so that the
# request ends in seconds even with a long queue; the worker takes the rest.
ADD_NOW_LIMIT = 500


@staff_required(Permission.PERSON_CREATE)
def registration_intake(request):
    """Public registrations not in the registry yet: waiting for the worker, or failed,
    with a way to add them now or send a failed one again. Shows no one's data."""
    if request.method == "POST":
        if request.POST.get("action") == "retry":
            registration = Registration.objects.filter(
                pk=request.POST.get("registration") or 0, intake_state=IntakeState.FAILED
            ).first()
            if registration is None:
                raise Http404
            state = registration_add_retry(actor=request.user, origin=_origin(request), registration=registration)
            if state == IntakeState.ADDED:
                messages.success(request, _("Added to the registry."))
            else:
                messages.error(request, _("It still cannot be added. The reason is shown in the list."))
        else:
            result = registrations_add_received(limit=ADD_NOW_LIMIT)
            messages.success(
                request,
                _("%(added)d added to the registry, %(failed)d could not be added.")
                % {"added": result.added, "failed": result.failed},
            )
        return redirect("registry:registration_intake")
    return render(
        request,
        "registry/staff/registration_intake.html",
        {
            "intake": registration_intake_summary(actor=request.user),
            "registrations": registrations_not_added(actor=request.user),
            "failed_state": IntakeState.FAILED,
        },
    )


@staff_required(Permission.PERSON_CREATE)
def household_register(request):
    """Staff register a household, e.g. people who reach the border unregistered."""
    result, form, people, duplicates = registration_form_handle(
        request,
        save=partial(registration_submit, channel=Channel.STAFF, actor=request.user),
        audit_channel=AuditEvent.Channel.WEB,
        warn_duplicates=True,
    )
    if result is not None:
        first = result.registration.persons.order_by("id").first()
        messages.success(
            request, _("Registered. Reference %(reference)s.") % {"reference": result.registration.reference_display}
        )
        return redirect("registry:person_detail", person_id=first.pk)
    return render(
        request, "registry/public/register.html", registration_form_context(form, people, duplicates, staff=True)
    )


@staff_required(Permission.PERSON_VIEW)
def person_detail(request, person_id: int):
    person = person_get(actor=request.user, origin=_origin(request), person_id=person_id)
    flags = [
        {"rule": flag.rule, "reasons": [explain_reason(reason) for reason in flag.reasons]}
        for flag in person.risk_flags.all()
    ]
    corrected_ids = {event.corrects_id for event in person.timeline.all() if event.corrects_id}
    return render(
        request,
        "registry/staff/person_detail.html",
        {
            "person": person,
            "flags": flags,
            "members": household_members(actor=request.user, person=person),
            "possible_duplicates": person_possible_duplicates(actor=request.user, person=person),
            "audit_trail": person_audit_trail(actor=request.user, person=person),
            "can_view_contact": has_permission(request.user, Permission.PERSON_VIEW_CONTACT),
            "can_change": has_permission(request.user, Permission.PERSON_CHANGE),
            "can_add_event": has_permission(request.user, Permission.STATUS_EVENT_ADD),
            "can_view_audit": has_permission(request.user, Permission.AUDIT_VIEW_PERSON),
            "corrected_ids": corrected_ids,
            "region_label": region_name(person.region),
        },
    )


def _person_for_write(request, person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


@staff_required(Permission.PERSON_CHANGE)
def person_edit(request, person_id: int):
    person = _person_for_write(request, person_id)
    initial = {
        "version": person.version,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "relationship": person.relationship,
        "birth_year": person.birth_year,
        "birth_month": person.birth_month,
        "birth_day": person.birth_day,
        "sex": person.sex,
        "citizenships": list(person.citizenships.values_list("country", flat=True)),
        "region": person.region,
        "city": person.city,
        "location_note": person.location_note,
        "intent": person.intent,
        "vulnerabilities": list(person.vulnerabilities.values_list("kind", flat=True)),
        "needs_note": person.needs_note,
    }
    form = PersonEditForm(request.POST or None, initial=initial)
    contacts = list(person.contacts.all())
    contacts_form = None
    if has_permission(request.user, Permission.PERSON_VIEW_CONTACT):
        contacts_form = PersonContactsForm(
            request.POST or None,
            initial={
                "phones": "\n".join(c.value for c in contacts if c.kind == ContactPoint.Kind.PHONE),
                "emails": "\n".join(c.value for c in contacts if c.kind == ContactPoint.Kind.EMAIL),
            },
        )
    if request.method == "POST" and form.is_valid() and (contacts_form is None or contacts_form.is_valid()):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        citizenships = data.pop("citizenships")
        vulnerabilities = data.pop("vulnerabilities")
        try:
            person_update(
                actor=request.user,
                origin=_origin(request),
                person=person,
                changes=data,
                citizenships=citizenships,
                vulnerabilities=vulnerabilities,
                contacts=contacts_form.to_inputs(
                    [
                        ContactInput(kind=c.kind, value=c.value, messenger=c.messenger)
                        for c in contacts
                        if c.kind == ContactPoint.Kind.MESSENGER
                    ]
                )
                if contacts_form is not None
                else None,
                expected_version=version,
            )
        except RegistryValidationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:person_detail", person_id=person.pk)
    return render(
        request, "registry/staff/person_edit.html", {"person": person, "form": form, "contacts_form": contacts_form}
    )


@staff_required(Permission.STATUS_EVENT_ADD)
def status_event_create(request, person_id: int):
    person = _person_for_write(request, person_id)
    events = list(StatusEvent.objects.filter(person=person).order_by("-occurred_at", "-id"))
    form = StatusEventForm(request.POST or None, events=events)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        corrects = next((event for event in events if event.pk == data["corrects"]), None)
        try:
            status_event_add(
                actor=request.user,
                origin=_origin(request),
                person=person,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                source=StatusEvent.Source.STAFF,
                crossing_point=data["crossing_point"],
                place_note=data["place_note"],
                note=data["note"],
                corrects=corrects,
            )
        except RegistryValidationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Added to the timeline."))
            return redirect("registry:person_detail", person_id=person.pk)
    return render(
        request, "registry/staff/status_event_form.html", {"person": person, "form": form, "kinds": StatusKind}
    )
