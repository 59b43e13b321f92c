"""Public pages: self-registration and the private update link. No account needed."""

from functools import cache

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.common.qr import qr_svg_data_uri
from crisisdesk.common.ratelimit import public_rate_limit
from crisisdesk.registry.duplicates import possible_matches
from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.forms import (
    PersonForm,
    PersonFormSet,
    RegistrationForm,
    SelfUpdateForm,
    registration_forms_input,
)
from crisisdesk.registry.models import IntakeState, Person, StatusKind
from crisisdesk.registry.registration_post import registration_input_from_post
from crisisdesk.registry.selectors import registration_by_token
from crisisdesk.registry.services import (
    MAX_PEOPLE_PER_REGISTRATION,
    RegistrationResult,
    registration_add_received,
    registration_receive,
    registration_self_report,
)

# The done page reads what it shows from a signed cookie rather than a session row: a
# registrant needs no session, and a surge of registrations then writes one row each,
# not two (docs/benchmarks.md). It holds the reference and the private link, which the
# page shows anyway, for a short while, only for that page.
DONE_COOKIE = "crisisdesk_registered"
DONE_COOKIE_SALT = "crisisdesk.registry.register_done"
DONE_COOKIE_MAX_AGE = 30 * 60


def home(request):
    return render(request, "registry/public/home.html")


def _people_requested(request) -> int:
    try:
        return max(1, min(int(request.GET.get("people", 1)), MAX_PEOPLE_PER_REGISTRATION))
    except ValueError:
        return 1


def registration_form_handle(request, *, save, audit_channel: str, warn_duplicates: bool = False):
    """The household form, shared by the public page and the staff page.

    Returns (result, form, people, duplicates): a RegistrationResult when saved, else None
    and the bound or fresh forms to render again. `save(origin=, data=)` writes it.
    With `warn_duplicates` (staff), people who may already be registered stop the save
    until the form is re-sent with `confirm_new`; `duplicates` then lists, per person,
    who they may be.
    """
    if request.method != "POST":
        form = RegistrationForm()
        people = PersonFormSet(prefix="person", initial=[{}] * _people_requested(request))
        return None, form, people, []
    form = RegistrationForm(request.POST)
    people = PersonFormSet(request.POST, prefix="person")
    if not (form.is_valid() and people.is_valid()):
        return None, form, people, []
    registration_input = registration_forms_input(form, people, language=get_language() or "")
    if warn_duplicates and not request.POST.get("confirm_new"):
        duplicates = possible_matches(registration_input.people)
        if any(duplicates):
            return None, form, people, list(zip(registration_input.people, duplicates, strict=True))
    try:
        result = save(origin=origin_from_request(request, channel=audit_channel), data=registration_input)
    except RegistryValidationError as error:
        form.add_error(None, error.message)
        return None, form, people, []
    return result, form, people, []


def registration_form_context(form, people, duplicates=(), **extra) -> dict:
    return {
        "duplicates": duplicates,
        "form": form,
        "people": people,
        "empty_person": people.empty_form,
        "max_people": MAX_PEOPLE_PER_REGISTRATION,
        **extra,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("register")
def register(request):
    """One submission registers the whole household. A well-formed one is read directly
    (`registration_post`); anything else goes through the forms, which explain errors."""
    if request.method == "POST":
        data = registration_input_from_post(request.POST, language=get_language() or "")
        if data is not None:
            origin = origin_from_request(request, channel=AuditEvent.Channel.PUBLIC)
            try:
                return _registered(registration_receive(origin=origin, data=data))
            except RegistryValidationError:
                pass  # the forms below render the reason next to the form
    result, form, people, _duplicates = registration_form_handle(
        request, save=registration_receive, audit_channel=AuditEvent.Channel.PUBLIC
    )
    if result is not None:
        return _registered(result)
    return render(request, "registry/public/register.html", registration_form_context(form, people))


@cache
def _done_path(script_prefix: str) -> str:
    """reverse() costs more than the rest of the redirect; the answer only changes with the
    script prefix, which reverse() reads from the request."""
    return reverse("registry:register_done")


def _registered(result: RegistrationResult):
    registration = result.registration
    shown = {
        "reference": registration.reference_display,
        "token": result.update_token,
        "people": registration.people_count,
    }
    done_path = _done_path(get_script_prefix())
    response = HttpResponseRedirect(done_path)
    response.set_cookie(
        DONE_COOKIE,
        signing.dumps(shown, salt=DONE_COOKIE_SALT),
        max_age=DONE_COOKIE_MAX_AGE,
        path=done_path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@never_cache
def register_done(request):
    try:
        result = signing.loads(request.COOKIES[DONE_COOKIE], salt=DONE_COOKIE_SALT, max_age=DONE_COOKIE_MAX_AGE)
    except (KeyError, signing.BadSignature):
        return redirect("registry:register")
    update_url = request.build_absolute_uri(reverse("registry:self_update", args=[result["token"]]))
    reference = result["reference"]
    return render(
        request,
        "registry/public/done.html",
        # The code border staff scan: the reference, never the private link.
        {"result": result, "update_url": update_url, "reference_qr": qr_svg_data_uri(reference, box_size=6)},
    )


def person_form_fragment(request):
    """An empty person block for the household form (HTMX "add another person")."""
    try:
        index = int(request.GET.get("index", "0"))
    except ValueError:
        index = 0
    if not 0 <= index < MAX_PEOPLE_PER_REGISTRATION:
        raise Http404
    form = PersonForm(prefix=f"person-{index}", initial={"relationship": "other"})
    return render(
        request,
        "registry/public/_person_fragment.html",
        {"person": form, "index": index, "max_people": MAX_PEOPLE_PER_REGISTRATION},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("self_update", methods=("GET", "POST"))
def self_update(request, token: str):
    """The private link: see what is registered and report a change, without an account."""
    registration = registration_by_token(token=token)
    if registration is None:
        return render(request, "registry/public/link_unknown.html", status=404)
    if registration.is_waiting:
        # Used before the worker came to it: add it now, so the registrant sees their people.
        registration.intake_state = registration_add_received(registration_id=registration.pk)
    persons = list(Person.objects.filter(registration=registration).order_by("id"))
    origin = origin_from_request(request, channel=AuditEvent.Channel.PUBLIC)
    report = request.POST.get("report") or request.GET.get("report", "")
    form = SelfUpdateForm(request.POST or None, persons=persons, initial={"report": report})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [person for person in persons if str(person.pk) in data["persons"]]
        report = data["report"]
        with transaction.atomic():
            registration_self_report(
                origin=origin,
                registration=registration,
                persons=chosen,
                intent=data["intent"] if report == SelfUpdateForm.Report.INTENT else None,
                location=(
                    {"region": data["region"], "city": data["city"], "location_note": data["location_note"]}
                    if report == SelfUpdateForm.Report.LOCATION
                    else None
                ),
                crossed_point=data["crossing_point"] if report == SelfUpdateForm.Report.CROSSED else None,
                crossed_at=(data.get("crossed_at") or timezone.now())
                if report == SelfUpdateForm.Report.CROSSED
                else None,
                staying=report == SelfUpdateForm.Report.STAYING,
            )
        return redirect(f"{reverse('registry:self_update', args=[token])}?saved=1")
    audit_record(
        actor=None,
        origin=origin,
        action=AuditEvent.Action.REGISTRATION_VIEWED,
        target=registration,
        actor_label="registrant (private link)",
    )
    return render(
        request,
        "registry/public/self_update.html",
        {
            "registration": registration,
            "persons": persons,
            "form": form,
            "crossing_points": CrossingPoint.objects.all(),
            "saved": request.GET.get("saved") == "1",
            "report": report if report in SelfUpdateForm.REPORTS else "",
            "crossed_kind": StatusKind.CROSSED,
            "not_added": registration.intake_state == IntakeState.FAILED,
        },
    )
