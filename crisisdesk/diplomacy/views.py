"""Staff pages of the diplomacy module: channels and their requests, the contact log and its
follow-ups, the mediation track, the directory, public statements and lines-to-take,
compartments and the module's audit trail.

Two rules keep these pages from telling anyone what they may not know
(docs/subsystems/access-control.md):
- a view with a compartmented record in its path loads it first, through `access` or a
  selector, so a hidden record and a missing one both answer 404 before anything else is
  checked; only then come the action's permission and the form. Those views are gated on
  `diplomacy.view` and check the action's own permission once the record has loaded;
- every page carries the classification marking of what it shows, at the top and the
  bottom (`selectors.marking_for`).
"""

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.diplomacy import access, forms, selectors, services
from crisisdesk.diplomacy.errors import DiplomacyValidationError
from crisisdesk.diplomacy.models import (
    LEVEL_ORDER,
    Approach,
    Channel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactEntry,
    MediationRequest,
    PublicStatement,
)

P = Permission


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


def _permit(request, permission: Permission) -> None:
    """The action's own permission, checked after the record in the path has loaded."""
    if not has_permission(request.user, permission):
        raise PermissionDenied


def _form_error(form, error, aliases: dict | None = None) -> None:
    """A service's refusal, shown on the field it concerns (or above the form)."""
    if isinstance(error, ValidationError):
        form.add_error(None, error.messages)
        return
    field = (aliases or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def _page(request, template: str, context: dict, *, records=(), floor: str | None = None, status: int = 200):
    context["marking"] = selectors.marking_for(actor=request.user, records=records, floor=floor)
    return render(request, template, context, status=status)


def _choice_records(*page_forms) -> list:
    """The compartmented records a form offers as choices: a page listing channel names in a
    select shows them as surely as a table does, and is marked for them."""
    records = []
    for form in page_forms:
        for field in form.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and queryset.model in access.GUARDED_MODELS:
                records.extend(queryset)
    return records


def _querystring(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _form_submit(request, form, *, save, done: str, then, aliases: dict | None = None):
    """On a valid POST, `save(cleaned_data)` calls the service: on success the user is told
    `done` and redirected to `then(result)`. None means the form is to be shown again, with
    the service's refusal on it."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except (DiplomacyValidationError, ValidationError) as error:
        _form_error(form, error, aliases)
        return None
    messages.success(request, done)
    return redirect(then(result))


def _form_flow(request, form, *, save, done: str, then, aliases: dict | None = None, **page):
    """A plain form on the module's form page (`page` as for _form_page)."""
    submitted = _form_submit(request, form, save=save, done=done, then=then, aliases=aliases)
    return submitted or _form_page(request, form, **page)


def _form_page(request, form, *, title: str, submit: str, cancel: str, records=(), floor=None, intro: str = ""):
    """The one template for the module's plain forms; `cancel` is the page to go back to."""
    context = {"form": form, "title": title, "submit": submit, "cancel_url": cancel, "intro": intro}
    records = [*records, *_choice_records(form)]
    return _page(request, "diplomacy/form_page.html", context, records=records, floor=floor)


# --- Overview -----------------------------------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def home(request):
    overview = selectors.overview(actor=request.user)
    return _page(request, "diplomacy/home.html", {"overview": overview}, records=overview.records)


# --- Channels -----------------------------------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def channel_list(request):
    form = forms.ChannelFilterForm(request.GET or None)
    values = form.values()
    counterpart = values.get("counterpart")
    filters = selectors.ChannelFilters(
        counterpart_id=counterpart.pk if counterpart else None,
        status=values.get("status", ""),
        level=values.get("level", ""),
        q=values.get("q", ""),
    )
    page = selectors.channel_page(
        actor=request.user, origin=_origin(request), filters=filters, page_number=request.GET.get("page", 1)
    )
    context = {"form": form, "page": page, "querystring": _querystring(request)}
    return _page(request, "diplomacy/channel_list.html", context, records=page.object_list)


@staff_required(P.DIPLOMACY_VIEW)
def channel_autocomplete(request):
    """Visible channels whose name starts a word with `q`: JSON, or `<option>`s for HTMX."""
    channels = selectors.channel_autocomplete(actor=request.user, q=request.GET.get("q", "")[:100])
    if request.headers.get("HX-Request"):
        if not request.GET.get("q", "").strip():
            channels = forms.loggable_channel_choices(request.user)
        return render(request, "diplomacy/_channel_options.html", {"channels": channels})
    return JsonResponse(
        {
            "results": [
                {
                    "id": str(channel.pk),
                    "name": channel.name,
                    "counterpart": channel.counterpart.name,
                    "level": channel.level,
                    "status": channel.status,
                }
                for channel in channels
            ]
        }
    )


def _may_close(user, channel: Channel) -> bool:
    return (
        channel.status != Channel.Status.CLOSED
        and has_permission(user, P.DIPLOMACY_LOG)
        and (channel.owner_id == user.pk or has_permission(user, P.DIPLOMACY_DECIDE))
    )


@staff_required(P.DIPLOMACY_VIEW)
def channel_detail(request, channel_id):
    channel = selectors.channel_detail(actor=request.user, origin=_origin(request), channel_id=channel_id)
    entries = selectors.channel_entries(actor=request.user, channel=channel)
    requests = list(selectors.channel_requests(actor=request.user, channel=channel))
    context = {
        "channel": channel,
        "entries": entries,
        "requests": requests,
        "may_log": has_permission(request.user, P.DIPLOMACY_LOG),
        "close_form": forms.ChannelCloseForm() if _may_close(request.user, channel) else None,
    }
    return _page(request, "diplomacy/channel_detail.html", context, records=[channel, *entries, *requests])


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def channel_close(request, channel_id):
    channel = access.access_by_id(Channel, request.user, channel_id)
    _permit(request, P.DIPLOMACY_LOG)
    form = forms.ChannelCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The channel was not closed: give a reason."))
        return redirect("diplomacy:channel_detail", channel_id=channel.pk)
    try:
        services.channel_close(
            actor=request.user, origin=_origin(request), channel=channel, reason=form.cleaned_data["reason"]
        )
    except DiplomacyValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Channel closed."))
    return redirect("diplomacy:channel_detail", channel_id=channel.pk)


@staff_required(P.DIPLOMACY_LOG)
def channel_request_open(request):
    """Ask for a new channel. It opens when someone senior enough approves."""
    return _form_flow(
        request,
        forms.ChannelOpenRequestForm(request.POST or None, actor=request.user),
        save=lambda data: services.channel_request_submit(
            actor=request.user, origin=_origin(request), kind=ChannelRequest.Kind.OPEN, **data
        ),
        done=_("Request sent for a decision."),
        then=_channel_request_url,
        title=_("Ask to open a channel"),
        submit=_("Send the request"),
        cancel=reverse("diplomacy:channel_list"),
        intro=_("A new channel needs the approval of a role above yours. Say why it is needed."),
    )


@staff_required(P.DIPLOMACY_VIEW)
def channel_request_change(request, channel_id):
    """Ask to escalate a channel to a higher level, or to reopen a closed one."""
    channel = access.access_by_id(Channel, request.user, channel_id, Channel.objects.select_related("counterpart"))
    _permit(request, P.DIPLOMACY_LOG)
    closed = channel.status == Channel.Status.CLOSED
    higher = LEVEL_ORDER[min(LEVEL_ORDER.index(channel.level) + 1, len(LEVEL_ORDER) - 1)]
    initial = {"kind": ChannelRequest.Kind.REOPEN if closed else ChannelRequest.Kind.ESCALATE}
    initial["level"] = channel.level if closed else higher
    return _form_flow(
        request,
        forms.ChannelChangeRequestForm(request.POST or None, initial=initial),
        save=lambda data: services.channel_request_submit(
            actor=request.user,
            origin=_origin(request),
            kind=data["kind"],
            compartment=channel.compartment,
            counterpart=channel.counterpart,
            channel=channel,
            level=data["level"],
            reason=data["reason"],
        ),
        done=_("Request sent for a decision."),
        then=_channel_request_url,
        aliases={"channel": "kind"},
        title=_("Escalate or reopen: %(channel)s") % {"channel": channel.name},
        submit=_("Send the request"),
        cancel=reverse("diplomacy:channel_detail", kwargs={"channel_id": channel.pk}),
        records=[channel],
        intro=_("It is at the level “%(level)s” and %(status)s. A role above yours decides.")
        % {"level": channel.get_level_display(), "status": channel.get_status_display().lower()},
    )


def _channel_request_url(channel_request: ChannelRequest) -> str:
    return reverse("diplomacy:channel_request_detail", kwargs={"channel_request_id": channel_request.pk})


def _channel_request_page(request, channel_request: ChannelRequest, decide_form=None, status: int = 200):
    may_decide = (
        channel_request.state == ChannelRequest.State.PENDING
        and has_permission(request.user, P.DIPLOMACY_DECIDE)
        and services.may_decide(request.user, channel_request)
    )
    # A refusal (rank, own request, already decided) is shown even where no form is offered.
    refusals = decide_form.non_field_errors() if decide_form is not None and not may_decide else []
    if may_decide and decide_form is None:
        decide_form = forms.ChannelDecideForm()
    context = {
        "channel_request": channel_request,
        "decide_form": decide_form if may_decide else None,
        "refusals": refusals,
    }
    return _page(request, "diplomacy/channel_request_detail.html", context, records=[channel_request], status=status)


@staff_required(P.DIPLOMACY_VIEW)
def channel_request_detail(request, channel_request_id):
    channel_request = selectors.channel_request_detail(actor=request.user, request_id=channel_request_id)
    return _channel_request_page(request, channel_request)


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def channel_request_decide(request, channel_request_id):
    channel_request = selectors.channel_request_detail(actor=request.user, request_id=channel_request_id)
    _permit(request, P.DIPLOMACY_DECIDE)
    form = forms.ChannelDecideForm(request.POST)
    if form.is_valid():
        try:
            decided = services.channel_request_decide(
                actor=request.user,
                origin=_origin(request),
                request=channel_request,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except DiplomacyValidationError as error:
            _form_error(form, error)
        else:
            if decided.state == ChannelRequest.State.APPROVED:
                messages.success(request, _("Approved. The channel has been changed."))
                return redirect("diplomacy:channel_detail", channel_id=decided.channel_id)
            messages.success(request, _("Rejected."))
            return redirect("diplomacy:channel_request_detail", channel_request_id=decided.pk)
    channel_request = selectors.channel_request_detail(actor=request.user, request_id=channel_request.pk)
    return _channel_request_page(request, channel_request, decide_form=form)


# --- The contact log ----------------------------------------------------------------------


def _entry_filters(form) -> selectors.EntryFilters:
    values = form.values()
    counterpart, channel = values.get("counterpart"), values.get("channel")
    return selectors.EntryFilters(
        q=values.get("q", ""),
        channel_id=str(channel.pk) if channel else "",
        counterpart_id=counterpart.pk if counterpart else None,
        classification=values.get("classification", ""),
        since=values.get("since"),
        until=values.get("until"),
    )


@staff_required(P.DIPLOMACY_VIEW)
def entry_list(request):
    form = forms.EntryFilterForm(request.GET or None, actor=request.user)
    page = selectors.entry_page(
        actor=request.user,
        origin=_origin(request),
        filters=_entry_filters(form),
        page_number=request.GET.get("page", 1),
    )
    context = {"form": form, "page": page, "querystring": _querystring(request)}
    records = [*page.object_list, *_choice_records(form)]
    return _page(request, "diplomacy/entry_list.html", context, records=records)


# A spreadsheet runs a cell that starts like a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


@staff_required(P.DIPLOMACY_VIEW)
def entry_export(request):
    """The contact log as filtered, as CSV: the marking first and last, and the reader's name
    and the time as a watermark, so a copy that travels says whose it was."""
    form = forms.EntryFilterForm(request.GET or None, actor=request.user)
    entries = selectors.entries_for_export(actor=request.user, origin=_origin(request), filters=_entry_filters(form))
    marking = selectors.marking_for(actor=request.user, records=entries)
    now = timezone.localtime()
    reader = request.user.get_full_name() or request.user.get_username()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = [
        [marking.label],
        [_("Exported for %(reader)s at %(time)s") % {"reader": reader, "time": now.strftime("%Y-%m-%d %H:%M:%S %Z")}],
        [],
        [
            _("Date and time"),
            _("Counterpart"),
            _("Channel"),
            _("Form"),
            _("Intermediary"),
            _("Our side"),
            _("Their side"),
            _("Summary"),
            _("Classification"),
            _("Compartment"),
            _("Follow-ups"),
        ],
    ]
    for entry in entries:
        rows.append(
            [
                timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M"),
                entry.channel.counterpart.name,
                entry.channel.name,
                entry.get_form_display(),
                entry.intermediary,
                "; ".join(official.name for official in entry.own_participants.all()),
                "; ".join(official.name for official in entry.their_participants.all()),
                entry.summary,
                entry.get_classification_display(),
                entry.compartment.codeword,
                "; ".join(
                    f"{follow_up.action} ({follow_up.owner.get_username()}, {follow_up.due_on:%Y-%m-%d})"
                    for follow_up in entry.follow_ups.all()
                ),
            ]
        )
    rows += [[], [marking.label]]
    writer.writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contacts-{now:%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required(P.DIPLOMACY_LOG)
def entry_create(request):
    """Log a contact, with its follow-ups, in one go."""
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    if request.GET.get("channel"):
        initial["channel"] = request.GET["channel"]  # a choice outside the reader's channels selects nothing
    form = forms.ContactEntryForm(request.POST or None, actor=request.user, initial=initial)
    follow_ups = forms.FollowUpFormSet(request.POST or None, actor=request.user, prefix=forms.FOLLOW_UPS_PREFIX)
    if request.method == "POST" and all([form.is_valid(), follow_ups.is_valid()]):
        data = form.cleaned_data
        try:
            entry = services.contact_log(
                actor=request.user,
                origin=_origin(request),
                channel=data["channel"],
                occurred_at=data["occurred_at"],
                form=data["form"],
                summary=data["summary"],
                classification=data["classification"],
                own_participants=data["own_participants"],
                their_participants=data["their_participants"],
                intermediary=data["intermediary"],
                compartment=data["compartment"],
                follow_ups=[
                    services.FollowUpInput(action=row["action"], owner=row["owner"], due_on=row["due_on"])
                    for row in follow_ups.rows
                ],
            )
        except DiplomacyValidationError as error:
            _form_error(form, error, aliases={"participants": "their_participants"})
        else:
            messages.success(request, _("Contact logged."))
            return redirect("diplomacy:entry_detail", entry_id=entry.pk)
    context = {"form": form, "follow_ups": follow_ups}
    return _page(request, "diplomacy/entry_form.html", context, records=_choice_records(form))


def _entry_page(request, entry: ContactEntry, follow_up_form=None, status: int = 200):
    may_log = has_permission(request.user, P.DIPLOMACY_LOG)
    if may_log and follow_up_form is None:
        follow_up_form = forms.FollowUpForm(actor=request.user, prefix="follow_up")
    context = {"entry": entry, "follow_up_form": follow_up_form if may_log else None, "may_log": may_log}
    follow_ups = list(entry.follow_ups.all())
    return _page(request, "diplomacy/entry_detail.html", context, records=[entry, *follow_ups], status=status)


@staff_required(P.DIPLOMACY_VIEW)
def entry_detail(request, entry_id):
    entry = selectors.entry_detail(actor=request.user, origin=_origin(request), entry_id=entry_id)
    return _entry_page(request, entry)


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def follow_up_create(request, entry_id):
    entry = access.access_by_id(ContactEntry, request.user, entry_id)
    _permit(request, P.DIPLOMACY_LOG)
    form = forms.FollowUpForm(request.POST, actor=request.user, prefix="follow_up")
    submitted = _form_submit(
        request,
        form,
        save=lambda data: services.follow_up_add(actor=request.user, origin=_origin(request), entry=entry, **data),
        done=_("Follow-up added."),
        then=lambda _follow_up: reverse("diplomacy:entry_detail", kwargs={"entry_id": entry.pk}),
    )
    if submitted:
        return submitted
    entry = selectors.entry_detail(actor=request.user, origin=_origin(request), entry_id=entry.pk)
    return _entry_page(request, entry, follow_up_form=form)


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def follow_up_done(request, follow_up_id):
    follow_up = selectors.follow_up_detail(actor=request.user, follow_up_id=follow_up_id)
    _permit(request, P.DIPLOMACY_LOG)
    try:
        services.follow_up_complete(actor=request.user, origin=_origin(request), follow_up=follow_up)
    except DiplomacyValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Follow-up marked done."))
    if request.POST.get("return_to") == "queue":
        return redirect("diplomacy:follow_up_queue")
    return redirect("diplomacy:entry_detail", entry_id=follow_up.entry_id)


@staff_required(P.DIPLOMACY_VIEW)
def follow_up_queue(request):
    """My follow-ups not yet done: those due today or earlier first, then the upcoming."""
    follow_ups = list(selectors.follow_up_queue(actor=request.user))
    today = timezone.localdate()
    context = {
        "due": [follow_up for follow_up in follow_ups if follow_up.due_on <= today],
        "upcoming": [follow_up for follow_up in follow_ups if follow_up.due_on > today],
        "may_log": has_permission(request.user, P.DIPLOMACY_LOG),
    }
    return _page(request, "diplomacy/follow_up_queue.html", context, records=follow_ups)


# --- Mediation ----------------------------------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def mediation_list(request):
    form = forms.MediationFilterForm(request.GET or None)
    page = selectors.mediation_list(
        actor=request.user, outcome=form.values().get("outcome", ""), page_number=request.GET.get("page", 1)
    )
    context = {"form": form, "page": page, "querystring": _querystring(request)}
    return _page(request, "diplomacy/mediation_list.html", context, records=page.object_list)


@staff_required(P.DIPLOMACY_LOG)
def mediation_create(request):
    return _form_flow(
        request,
        forms.MediationRequestForm(request.POST or None, actor=request.user),
        save=lambda data: services.mediation_request_record(actor=request.user, origin=_origin(request), **data),
        done=_("Mediation request recorded."),
        then=lambda mediation: reverse("diplomacy:mediation_detail", kwargs={"mediation_request_id": mediation.pk}),
        title=_("Record a mediation request"),
        submit=pgettext("button: save what happened", "Record"),
        cancel=reverse("diplomacy:mediation_list"),
        intro=_(
            "Who asked whom to mediate, or to host talks, between which parties. A request made again names the earlier one."
        ),
    )


def _mediation_page(request, mediation: MediationRequest, outcome_form=None, status: int = 200):
    chain = selectors.request_chain(actor=request.user, request=mediation)
    timeline = selectors.request_timeline(actor=request.user, request=mediation)
    approaches = [item.record for item in timeline if item.kind == "approach"]
    may_log = has_permission(request.user, P.DIPLOMACY_LOG)
    if may_log and outcome_form is None:
        outcome_form = forms.MediationOutcomeForm(initial={"on": timezone.localdate()})
    context = {
        "mediation": mediation,
        "chain": chain,
        "timeline": timeline,
        "approaches": approaches,
        "may_log": may_log,
        "outcome_form": outcome_form if may_log else None,
    }
    return _page(request, "diplomacy/mediation_detail.html", context, records=[*chain, *approaches], status=status)


@staff_required(P.DIPLOMACY_VIEW)
def mediation_detail(request, mediation_request_id):
    mediation = selectors.mediation_detail(actor=request.user, origin=_origin(request), request_id=mediation_request_id)
    return _mediation_page(request, mediation)


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def mediation_outcome(request, mediation_request_id):
    mediation = access.access_by_id(MediationRequest, request.user, mediation_request_id)
    _permit(request, P.DIPLOMACY_LOG)
    form = forms.MediationOutcomeForm(request.POST)
    submitted = _form_submit(
        request,
        form,
        save=lambda data: services.mediation_outcome_set(
            actor=request.user, origin=_origin(request), request=mediation, **data
        ),
        done=_("Outcome recorded."),
        then=lambda _change: reverse("diplomacy:mediation_detail", kwargs={"mediation_request_id": mediation.pk}),
    )
    if submitted:
        return submitted
    mediation = selectors.mediation_detail(actor=request.user, origin=_origin(request), request_id=mediation.pk)
    return _mediation_page(request, mediation, outcome_form=form)


def _approach_home_url(approach: Approach) -> str:
    """An approach made for a mediation request is read on the request's page."""
    if approach.request_id:
        return reverse("diplomacy:mediation_detail", kwargs={"mediation_request_id": approach.request_id})
    return reverse("diplomacy:approach_detail", kwargs={"approach_id": approach.pk})


@staff_required(P.DIPLOMACY_VIEW)
def approach_create(request, mediation_request_id=None):
    """Record an approach: on its own, or for a mediation request (the path names it)."""
    mediation = None
    if mediation_request_id is not None:
        mediation = access.access_by_id(MediationRequest, request.user, mediation_request_id)
    _permit(request, P.DIPLOMACY_LOG)
    initial = {"request": mediation, "on": timezone.localdate()}

    return _form_flow(
        request,
        forms.ApproachForm(request.POST or None, actor=request.user, initial=initial),
        save=lambda data: services.approach_record(actor=request.user, origin=_origin(request), **data),
        done=_("Approach recorded."),
        then=_approach_home_url,
        title=_("Record an approach"),
        submit=pgettext("button: save what happened", "Record"),
        cancel=reverse("diplomacy:mediation_detail", kwargs={"mediation_request_id": mediation.pk})
        if mediation
        else reverse("diplomacy:mediation_list"),
        records=[mediation] if mediation else [],
        intro=_("Who approached whom, on whose behalf, and what came back."),
    )


def _approach_page(request, approach: Approach, response_form=None, status: int = 200):
    may_log = has_permission(request.user, P.DIPLOMACY_LOG)
    if may_log and response_form is None:
        response_form = forms.ApproachResponseForm(
            initial={"response": approach.response, "on": approach.response_on or timezone.localdate()}
        )
    context = {"approach": approach, "response_form": response_form if may_log else None}
    return _page(request, "diplomacy/approach_detail.html", context, records=[approach], status=status)


@staff_required(P.DIPLOMACY_VIEW)
def approach_detail(request, approach_id):
    return _approach_page(request, selectors.approach_detail(actor=request.user, approach_id=approach_id))


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def approach_response(request, approach_id):
    approach = selectors.approach_detail(actor=request.user, approach_id=approach_id)
    _permit(request, P.DIPLOMACY_LOG)
    form = forms.ApproachResponseForm(request.POST)
    submitted = _form_submit(
        request,
        form,
        save=lambda data: services.approach_response_set(
            actor=request.user, origin=_origin(request), approach=approach, **data
        ),
        done=_("Response recorded."),
        then=lambda _result: _approach_home_url(approach),
    )
    return submitted or _approach_page(request, approach, response_form=form)


# --- Counterparts and the directory -------------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def counterpart_list(request):
    form = None
    if has_permission(request.user, P.DIPLOMACY_LOG):
        form = forms.CounterpartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.counterpart_create(actor=request.user, origin=_origin(request), **form.cleaned_data)
            except (DiplomacyValidationError, ValidationError) as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Counterpart added."))
                return redirect("diplomacy:counterpart_list")
    elif request.method == "POST":
        raise PermissionDenied
    counterparts = list(selectors.counterpart_list(actor=request.user))
    # A count of channels is drawn from compartments, though it names none of them.
    floor = Classification.CONFIDENTIAL if any(c.channels_visible for c in counterparts) else None
    context = {"counterparts": counterparts, "form": form}
    return _page(request, "diplomacy/counterpart_list.html", context, floor=floor)


@staff_required(P.DIPLOMACY_VIEW)
def counterpart_timeline(request, counterpart_id: int):
    counterpart, items = selectors.counterpart_timeline(
        actor=request.user, origin=_origin(request), counterpart_id=counterpart_id
    )
    context = {"counterpart": counterpart, "timeline": items}
    records = [item.record for item in items]
    return _page(request, "diplomacy/counterpart_timeline.html", context, records=records, floor=_restricted(items))


def _restricted(items) -> str | None:
    """Statements were said in public, but what we file beside them is for official use."""
    return Classification.RESTRICTED if any(item.kind == "statement" for item in items) else None


@staff_required(P.DIPLOMACY_VIEW)
def official_list(request):
    form = forms.OfficialFilterForm(request.GET or None)
    values = form.values()
    counterpart = values.get("counterpart")
    officials = selectors.official_list(
        actor=request.user, counterpart_id=counterpart.pk if counterpart else None, q=values.get("q", "")
    )
    context = {
        "form": form,
        "officials": officials,
        "today": timezone.localdate(),
        "may_log": has_permission(request.user, P.DIPLOMACY_LOG),
    }
    return _page(request, "diplomacy/official_list.html", context)


@staff_required(P.DIPLOMACY_LOG)
def official_create(request):
    def save(data):
        posts = []
        if data["title"]:
            posts.append(services.PostInput(title=data["title"], starts_on=data["starts_on"], ends_on=data["ends_on"]))
        return services.official_create(
            actor=request.user, origin=_origin(request), name=data["name"], counterpart=data["counterpart"], posts=posts
        )

    return _form_flow(
        request,
        forms.OfficialForm(request.POST or None),
        save=save,
        done=_("Official added to the directory."),
        then=lambda _official: reverse("diplomacy:official_list"),
        title=_("Add an official"),
        submit=_("Add"),
        cancel=reverse("diplomacy:official_list"),
    )


@staff_required(P.DIPLOMACY_LOG)
def official_post_add(request, official_id: int):
    official = selectors.official_detail(actor=request.user, official_id=official_id)
    return _form_flow(
        request,
        forms.OfficialPostForm(request.POST or None),
        save=lambda data: services.official_post_add(
            actor=request.user, origin=_origin(request), official=official, post=services.PostInput(**data)
        ),
        done=_("Post added."),
        then=lambda _post: reverse("diplomacy:official_list"),
        title=_("A new post for %(name)s") % {"name": official.name},
        submit=_("Add the post"),
        cancel=reverse("diplomacy:official_list"),
        intro=_("The post held until now ends the day before the new one starts."),
    )


# --- Public statements and lines-to-take --------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def statement_list(request):
    form = forms.StatementFilterForm(request.GET or None)
    page, rows = selectors.statement_rows(
        actor=request.user, topic=form.values().get("topic", ""), page_number=request.GET.get("page", 1)
    )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "querystring": _querystring(request),
        "may_assess": has_permission(request.user, P.LINE_TO_TAKE_APPROVE),
        "adherence_choices": PublicStatement.Adherence.choices,
    }
    return _page(request, "diplomacy/statement_list.html", context, floor=Classification.RESTRICTED)


@staff_required(P.STATEMENT_LOG)
def statement_create(request):
    return _form_flow(
        request,
        forms.StatementForm(request.POST or None),
        save=lambda data: services.statement_log(actor=request.user, origin=_origin(request), **data),
        done=_("Statement logged."),
        then=lambda _statement: reverse("diplomacy:statement_list"),
        title=_("Log a public statement"),
        submit=_("Log"),
        cancel=reverse("diplomacy:statement_list"),
        floor=Classification.RESTRICTED,
    )


@staff_required(P.LINE_TO_TAKE_APPROVE)
@require_POST
def statement_assess(request, statement_id: int):
    statement = selectors.statement_detail(actor=request.user, statement_id=statement_id)
    form = forms.StatementAssessForm(request.POST)
    if form.is_valid():
        services.statement_assess(
            actor=request.user, origin=_origin(request), statement=statement, adherence=form.cleaned_data["adherence"]
        )
        messages.success(request, _("Assessment saved."))
    else:
        messages.error(request, _("Choose whether the statement kept to the line."))
    return redirect("diplomacy:statement_list")


@staff_required(P.DIPLOMACY_VIEW)
def line_list(request):
    context = {
        "lines": selectors.line_list(actor=request.user),
        "today": timezone.localdate(),
        "may_approve": has_permission(request.user, P.LINE_TO_TAKE_APPROVE),
    }
    return _page(request, "diplomacy/line_list.html", context, floor=Classification.RESTRICTED)


@staff_required(P.STATEMENT_LOG)
def line_create(request):
    return _form_flow(
        request,
        forms.LineForm(request.POST or None, initial={"valid_from": timezone.localdate()}),
        save=lambda data: services.line_draft(actor=request.user, origin=_origin(request), **data),
        done=_("Line drafted. Someone else approves it before it is in force."),
        then=lambda _line: reverse("diplomacy:line_list"),
        title=_("Draft a line-to-take"),
        submit=_("Save the draft"),
        cancel=reverse("diplomacy:line_list"),
        floor=Classification.RESTRICTED,
    )


@staff_required(P.LINE_TO_TAKE_APPROVE)
@require_POST
def line_approve(request, line_id: int):
    line = selectors.line_detail(actor=request.user, line_id=line_id)
    try:
        services.line_approve(actor=request.user, origin=_origin(request), line=line)
    except DiplomacyValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Line approved."))
    return redirect("diplomacy:line_list")


# --- Compartments -------------------------------------------------------------------------


@staff_required(P.DIPLOMACY_VIEW)
def compartment_list(request):
    compartments = list(selectors.compartment_list(actor=request.user))
    context = {"compartments": compartments, "may_manage": has_permission(request.user, P.COMPARTMENT_MANAGE)}
    return _page(request, "diplomacy/compartment_list.html", context, records=compartments)


@staff_required(P.COMPARTMENT_MANAGE)
def compartment_create(request):
    return _form_flow(
        request,
        forms.CompartmentForm(request.POST or None),
        save=lambda data: services.compartment_create(actor=request.user, origin=_origin(request), **data),
        done=_("Compartment created. You are read in; read in the others who need to know."),
        then=lambda compartment: reverse("diplomacy:compartment_detail", kwargs={"compartment_id": compartment.pk}),
        title=_("Create a compartment"),
        submit=_("Create"),
        cancel=reverse("diplomacy:compartment_list"),
        intro=_("Nobody but you will know it exists until you read them in."),
    )


def _compartment_page(request, compartment: Compartment, read_in_form=None, read_out_form=None, status=200):
    may_manage = has_permission(request.user, P.COMPARTMENT_MANAGE)
    if may_manage:
        read_in_form = read_in_form or forms.ReadInForm(compartment=compartment, prefix="read_in")
        read_out_form = read_out_form or forms.ReadOutForm(compartment=compartment, prefix="read_out")
    context = {
        "compartment": compartment,
        "read_ins": selectors.compartment_read_ins(actor=request.user, compartment=compartment),
        "read_in_form": read_in_form if may_manage else None,
        "read_out_form": read_out_form if may_manage else None,
    }
    return _page(request, "diplomacy/compartment_detail.html", context, records=[compartment], status=status)


@staff_required(P.DIPLOMACY_VIEW)
def compartment_detail(request, compartment_id):
    return _compartment_page(request, access.access_by_id(Compartment, request.user, compartment_id))


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def compartment_read_in(request, compartment_id):
    compartment = access.access_by_id(Compartment, request.user, compartment_id)
    _permit(request, P.COMPARTMENT_MANAGE)
    form = forms.ReadInForm(request.POST, compartment=compartment, prefix="read_in")
    submitted = _form_submit(
        request,
        form,
        save=lambda data: services.compartment_read_in(
            actor=request.user, origin=_origin(request), compartment=compartment, **data
        ),
        done=_("Read in."),
        then=lambda _read_in: reverse("diplomacy:compartment_detail", kwargs={"compartment_id": compartment.pk}),
    )
    return submitted or _compartment_page(request, compartment, read_in_form=form)


@staff_required(P.DIPLOMACY_VIEW)
@require_POST
def compartment_read_out(request, compartment_id):
    compartment = access.access_by_id(Compartment, request.user, compartment_id)
    _permit(request, P.COMPARTMENT_MANAGE)
    form = forms.ReadOutForm(request.POST, compartment=compartment, prefix="read_out")

    def then(_read_in) -> str:
        # Reading oneself out leaves a page one may no longer open.
        if access.is_read_in(request.user, compartment.pk):
            return reverse("diplomacy:compartment_detail", kwargs={"compartment_id": compartment.pk})
        return reverse("diplomacy:compartment_list")

    submitted = _form_submit(
        request,
        form,
        save=lambda data: services.compartment_read_out(
            actor=request.user, origin=_origin(request), compartment=compartment, **data
        ),
        done=_("Read out."),
        then=then,
    )
    return submitted or _compartment_page(request, compartment, read_out_form=form)


# --- The module's audit trail -------------------------------------------------------------


@staff_required(P.DIPLOMACY_AUDIT_VIEW)
def audit(request):
    page = selectors.audit_page(actor=request.user, origin=_origin(request), page_number=request.GET.get("page", 1))
    context = {"page": page, "querystring": _querystring(request)}
    return _page(request, "diplomacy/audit.html", context, records=page.object_list)
