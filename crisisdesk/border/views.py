"""Staff pages of the border desk: posts and their history, crossing points, the roster and
its gaps, one's own shifts, the desk chief's board and the conflicts to review."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.models import ApiToken
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.accounts.services import token_issue, token_revoke
from crisisdesk.border import selectors, services
from crisisdesk.border.access import own_shift
from crisisdesk.border.errors import BorderValidationError
from crisisdesk.border.forms import ConflictResolveForm, CrossingStatusForm, PostOpenForm, ShiftEndForm, ShiftForm
from crisisdesk.border.models import CrossingPoint, DeskConflict
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from namebridge import offline_tables


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


@staff_required(Permission.POST_VIEW)
def post_history(request):
    form = None
    if has_permission(request.user, Permission.POST_MANAGE):
        form = PostOpenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            post = form.save(commit=False)
            try:
                services.post_open(
                    actor=request.user, origin=_origin(request), post=post, relocating=form.cleaned_data["relocating"]
                )
            except BorderValidationError as error:
                form.add_error(error.field, error.message)
            else:
                messages.success(request, _("Post opened."))
                return redirect("border:post_history")
    elif request.method == "POST":
        raise Http404
    return render(
        request, "border/post_history.html", {"missions": selectors.mission_posts(actor=request.user), "form": form}
    )


@staff_required(Permission.ROSTER_VIEW)
def point_list(request):
    points = selectors.crossing_point_list(actor=request.user)
    can_set = has_permission(request.user, Permission.CROSSING_STATUS_SET)
    rows = [
        {
            "point": point,
            "history": selectors.crossing_point_history(actor=request.user, point=point, limit=3),
            "form": CrossingStatusForm(
                initial={"status": point.status, "expected_wait_minutes": point.expected_wait_minutes},
                prefix=point.code,
            )
            if can_set
            else None,
        }
        for point in points
    ]
    return render(request, "border/point_list.html", {"rows": rows})


@staff_required(Permission.CROSSING_STATUS_SET)
def point_status(request, code: str):
    point = get_object_or_404(CrossingPoint, code=code)
    if request.method != "POST":
        return redirect("border:point_list")
    form = CrossingStatusForm(request.POST, prefix=point.code)
    if form.is_valid():
        services.crossing_status_set(actor=request.user, origin=_origin(request), point=point, **form.cleaned_data)
        messages.success(request, _("Status of %(point)s updated.") % {"point": point})
    else:
        messages.error(request, _("The status was not changed: check the expected wait."))
    return redirect("border:point_list")


@staff_required(Permission.ROSTER_VIEW)
def roster(request):
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows = selectors.roster(actor=request.user, start=start)
    hours = [start + timedelta(hours=offset) for offset in range(selectors.ROSTER_HOURS)]
    for row in rows:
        row.hour_cells = [
            {
                "at": hour,
                "gap": any(gap_start < hour + timedelta(hours=1) and gap_end > hour for gap_start, gap_end in row.gaps),
            }
            for hour in hours
        ]
    form = None
    if has_permission(request.user, Permission.ROSTER_MANAGE):
        form = ShiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.shift_schedule(actor=request.user, origin=_origin(request), **form.cleaned_data)
            except BorderValidationError as error:
                form.add_error("ends_at", error.message)
            else:
                messages.success(request, _("Shift added to the roster."))
                return redirect("border:roster")
    elif request.method == "POST":
        raise Http404
    return render(request, "border/roster.html", {"rows": rows, "start": start, "form": form})


@staff_required(Permission.SHIFT_WORK)
def my_shifts(request):
    return render(
        request,
        "border/my_shifts.html",
        {"rows": selectors.my_shifts(actor=request.user), "end_form": ShiftEndForm()},
    )


@staff_required(Permission.SHIFT_WORK)
def shift_start(request, shift_id: int):
    if request.method != "POST":
        return redirect("border:my_shifts")
    try:
        services.shift_start(
            actor=request.user, origin=_origin(request), shift=own_shift(actor=request.user, shift_id=shift_id)
        )
    except BorderValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Shift started. Read the handover note first."))
    return redirect("border:my_shifts")


@staff_required(Permission.SHIFT_WORK)
def shift_end(request, shift_id: int):
    shift = own_shift(actor=request.user, shift_id=shift_id)
    if request.method != "POST":
        return redirect("border:my_shifts")
    form = ShiftEndForm(request.POST)
    if form.is_valid():
        try:
            services.shift_end(
                actor=request.user,
                origin=_origin(request),
                shift=shift,
                handover_note=form.cleaned_data["handover_note"],
            )
        except BorderValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Shift ended. The next shift at this point will read your note."))
            return redirect("border:my_shifts")
    else:
        messages.error(request, _("Write a handover note for the next shift."))
    return redirect("border:my_shifts")


@staff_required(Permission.DESK_BOARD_VIEW)
def desk_board(request):
    return render(
        request, "border/board.html", {"board": selectors.desk_board(actor=request.user), "now_local": timezone.now()}
    )


@staff_required(Permission.DESK_CONFLICT_REVIEW)
def conflict_list(request):
    state = request.GET.get("state", DeskConflict.State.OPEN)
    if state not in DeskConflict.State.values:
        state = DeskConflict.State.OPEN
    return render(
        request,
        "border/conflict_list.html",
        {
            "conflicts": selectors.desk_conflict_list(actor=request.user, origin=_origin(request), state=state),
            "state": state,
            "form": ConflictResolveForm(),
        },
    )


@staff_required(Permission.DESK_CONFLICT_REVIEW)
def conflict_resolve(request, conflict_id: int):
    conflict = selectors.desk_conflict_get(actor=request.user, conflict_id=conflict_id)
    if conflict is None:
        raise Http404
    if request.method != "POST":
        return redirect("border:conflict_list")
    form = ConflictResolveForm(request.POST)
    if form.is_valid():
        try:
            services.desk_conflict_resolve(
                actor=request.user,
                origin=_origin(request),
                conflict=conflict,
                resolution=form.cleaned_data["resolution"],
            )
        except BorderValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Conflict resolved."))
    else:
        messages.error(request, _("Say how the conflict was resolved."))
    return redirect("border:conflict_list")


# --- the field app (/desk/) ---------------------------------------------------------------

DESK_DEVICE_LABEL_PREFIX = "desk: "  # marks the API tokens that field devices hold


@staff_required(Permission.DESK_SYNC)
def desk_app(request):
    """The field app's shell. The service worker keeps a copy, so it opens offline too."""
    points = selectors.crossing_point_list(actor=request.user)
    # Only those who may open a request see the intake form: for anyone else the sync keeps
    # an intake without opening a case (border/services.py), which nobody at the desk expects.
    can_intake = has_permission(request.user, Permission.CASE_INTAKE)
    return render(request, "border/desk_app.html", {"points": points, "can_intake": can_intake})


@staff_required(Permission.DESK_SYNC)
def desk_device_issue(request):
    """A bearer token for this device, issued once after an online login; the app keeps it
    in IndexedDB to sync and download its field pack while the session is gone."""
    if request.method != "POST":
        raise Http404
    label = (request.POST.get("device") or "").strip()[:80] or _("field device")
    _token, raw = token_issue(
        actor=request.user, origin=_origin(request), user=request.user, label=f"{DESK_DEVICE_LABEL_PREFIX}{label}"
    )
    response = JsonResponse({"token": raw, "user": request.user.get_username()})
    response["Cache-Control"] = "no-store"
    return response


def desk_service_worker(request):
    """The service worker, served from /desk/ so that its scope is the field app."""
    body = (finders.find("crisisdesk/desk/sw.js") or "").strip()
    if not body:
        raise Http404
    with open(body, encoding="utf-8") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/desk/"
    return response


def desk_manifest(request):
    manifest = {
        "name": _("Crisis Desk — border desk"),
        "short_name": _("Border desk"),
        "start_url": reverse("desk:app"),
        "scope": reverse("desk:app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#212529",
        "icons": [{"src": static("crisisdesk/desk/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


@staff_required(Permission.DESK_SYNC)
def device_list(request):
    """Field devices (their tokens): everyone sees their own; the desk chief sees all, and
    revokes a lost one here."""
    tokens = ApiToken.objects.filter(label__startswith=DESK_DEVICE_LABEL_PREFIX).select_related("user")
    if not has_permission(request.user, Permission.DESK_BOARD_VIEW):
        tokens = tokens.filter(user=request.user)
    return render(request, "border/device_list.html", {"tokens": tokens.order_by("-created_at")[:200]})


@staff_required(Permission.DESK_SYNC)
def device_revoke(request, token_id: int):
    tokens = ApiToken.objects.filter(label__startswith=DESK_DEVICE_LABEL_PREFIX, revoked_at__isnull=True)
    if not has_permission(request.user, Permission.DESK_BOARD_VIEW):
        tokens = tokens.filter(user=request.user)
    token = tokens.filter(pk=token_id).first()
    if token is None or request.method != "POST":
        raise Http404
    token_revoke(actor=request.user, origin=_origin(request), token=token)
    messages.success(request, _("Device signed out. Its field pack expires on its own."))
    return redirect("border:device_list")


@staff_required(Permission.DESK_SYNC)
def desk_name_tables(request):
    """The letter tables of the name keys (`namebridge._offline.offline_tables`), which the
    field app's `NameKeys.init` takes: data kept once, in Python, and shipped to the device."""
    response = JsonResponse(offline_tables())
    response["Cache-Control"] = "private, max-age=3600"
    return response
