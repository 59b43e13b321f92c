"""Public pages: self-registration and the private update link. No account needed."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.common.ratelimit import public_rate_limit
from crisisdesk.registry.duplicates import possible_matches
from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.forms import PersonForm, PersonFormSet, RegistrationForm, SelfUpdateForm
from crisisdesk.registry.inputs import RegistrationInput
from crisisdesk.registry.models import Channel, Person, StatusKind
from crisisdesk.registry.selectors import registration_by_token
from crisisdesk.registry.services import MAX_PEOPLE_PER_REGISTRATION, registration_self_report, registration_submit

SESSION_RESULT_KEY = "registration_result"


def home(request):
    return render(request, "registry/public/home.html")


def _people_requested(request) -> int:
    try:
        return max(1, min(int(request.GET.get("people", 1)), MAX_PEOPLE_PER_REGISTRATION))
    except ValueError:
        return 1


def registration_form_handle(request, *, actor, channel: str, audit_channel: str, warn_duplicates: bool = False):
    """The household form, shared by the public page and the staff page.

    Returns (result, form, people, duplicates): a RegistrationResult when saved, else None
    and the bound or fresh forms to render again. With `warn_duplicates` (staff), people
    who may already be registered stop the save until the form is re-sent with
    `confirm_new`; `duplicates` then lists, per person, who they may be.
    """
    if request.method != "POST":
        form = RegistrationForm()
        people = PersonFormSet(prefix="person", initial=[{}] * _people_requested(request))
        return None, form, people, []
    form = RegistrationForm(request.POST)
    people = PersonFormSet(request.POST, prefix="person")
    if not (form.is_valid() and people.is_valid()):
        return None, form, people, []
    data = form.cleaned_data
    registration_input = RegistrationInput(
        people=tuple(
            person_form.to_input(
                region=data["region"], city=data["city"], location_note=data["location_note"], intent=data["intent"]
            )
            for person_form in people.forms
            # An added person block left untouched is skipped, not an error.
            if person_form.cleaned_data
        ),
        submission_key=str(data["submission_key"]),
        language=get_language() or "",
        consent_given=data["consent"],
        reporter=form.reporter(),
    )
    if warn_duplicates and not request.POST.get("confirm_new"):
        duplicates = possible_matches(registration_input.people)
        if any(duplicates):
            return None, form, people, list(zip(registration_input.people, duplicates, strict=True))
    try:
        result = registration_submit(
            origin=origin_from_request(request, channel=audit_channel),
            data=registration_input,
            channel=channel,
            actor=actor,
        )
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
    """One submission registers the whole household (formset of people)."""
    result, form, people, _duplicates = registration_form_handle(
        request, actor=None, channel=Channel.PUBLIC, audit_channel=AuditEvent.Channel.PUBLIC
    )
    if result is not None:
        request.session[SESSION_RESULT_KEY] = {
            "reference": result.registration.reference_display,
            "token": result.update_token,
            "people": sum(1 for form in people.forms if form.cleaned_data)
            if result.created
            else result.registration.persons.count(),
        }
        return redirect("registry:register_done")
    return render(request, "registry/public/register.html", registration_form_context(form, people))


@never_cache
def register_done(request):
    result = request.session.get(SESSION_RESULT_KEY)
    if not result:
        return redirect("registry:register")
    update_url = request.build_absolute_uri(reverse("registry:self_update", args=[result["token"]]))
    return render(request, "registry/public/done.html", {"result": result, "update_url": update_url})


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
        },
    )
