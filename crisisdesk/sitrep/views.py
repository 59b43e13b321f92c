"""Staff pages of the sitrep: the live dashboard (/sitrep/), snapshots and their workflow,
partner figures, and the PDF and Markdown of either."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.sitrep import selectors, services
from crisisdesk.sitrep.errors import SitrepValidationError
from crisisdesk.sitrep.forms import PartnerFigureForm, SitrepQueryForm, SnapshotForm
from crisisdesk.sitrep.models import Audience, SitrepSnapshot
from crisisdesk.sitrep.render import report_charts, report_markdown, report_pdf
from crisisdesk.sitrep.report import report_build


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


def _audiences(user) -> list[str]:
    if selectors.audience_for(user) == Audience.INTERNAL:
        return list(Audience.values)
    return [Audience.INTER_MINISTRY, Audience.PUBLIC]


def _previous(user, snapshot=None):
    return selectors.previous_snapshot_figures(snapshot, actor=user) or (None, None)


def _report(request, figures: dict, *, live: bool, snapshot: SitrepSnapshot | None = None) -> dict:
    previous_number, previous = _previous(request.user, snapshot)
    links = live and has_permission(request.user, Permission.PERSON_VIEW) and figures["audience"] == Audience.INTERNAL
    report = report_build(figures, links=links, snapshot=snapshot, previous=previous, previous_number=previous_number)
    report["charts"] = report_charts(report)
    return report


def _as_download(request, report: dict, *, stem: str):
    wanted = request.GET.get("format")
    if wanted == "pdf":
        response = HttpResponse(report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    if wanted == "md":
        response = HttpResponse(report_markdown(report), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.md"'
        return response
    return None


@staff_required(Permission.SITREP_VIEW)
def dashboard(request):
    """The sitrep of now, refreshed in place every minute; or of a past moment, which stays put."""
    form = SitrepQueryForm(request.GET or None, audiences=_audiences(request.user))
    as_of, audience = None, None
    if form.is_bound and form.is_valid():
        as_of, audience = form.cleaned_data["as_of"], form.cleaned_data["audience"] or None
    try:
        figures = selectors.sitrep_for(actor=request.user, origin=_origin(request), as_of=as_of, audience=audience)
    except SitrepValidationError as error:
        form.add_error("as_of" if error.field == "as_of" else None, error.message)
        figures = selectors.sitrep_for(actor=request.user, origin=_origin(request))
        as_of = None
    report = _report(request, figures, live=as_of is None)
    download = _as_download(request, report, stem=f"sitrep-{timezone.localtime(timezone.now()):%Y%m%d-%H%M}")
    if download is not None:
        return download
    return render(
        request,
        "sitrep/dashboard.html",
        {
            "report": report,
            "form": form,
            "live": as_of is None,
            "refresh_seconds": settings.CRISISDESK_SITREP_REFRESH_SECONDS,
            "may_save": has_permission(request.user, Permission.SITREP_DRAFT),
            "snapshot_form": SnapshotForm(audiences=_audiences(request.user)),
            "query": request.GET.urlencode(),
        },
    )


@staff_required(Permission.SITREP_VIEW)
def snapshot_list(request):
    form = None
    if has_permission(request.user, Permission.SITREP_DRAFT):
        form = SnapshotForm(request.POST or None, audiences=_audiences(request.user))
        if request.method == "POST" and form.is_valid():
            try:
                snapshot = services.sitrep_snapshot_save(
                    actor=request.user,
                    origin=_origin(request),
                    audience=form.cleaned_data["audience"] or Audience.INTERNAL,
                    as_of=form.cleaned_data["as_of"],
                    note=form.cleaned_data["note"],
                )
            except SitrepValidationError as error:
                form.add_error("as_of" if error.field == "as_of" else None, error.message)
            else:
                messages.success(request, _("Sitrep #%(number)s saved as a draft.") % {"number": snapshot.number})
                return redirect("sitrep:snapshot_detail", number=snapshot.number)
    elif request.method == "POST":
        raise Http404
    return render(
        request, "sitrep/snapshot_list.html", {"snapshots": selectors.snapshot_list(actor=request.user), "form": form}
    )


def _snapshot_or_404(request, number: int) -> SitrepSnapshot:
    snapshot = selectors.snapshot_get(actor=request.user, number=number)
    if snapshot is None:
        raise Http404
    return snapshot


@staff_required(Permission.SITREP_VIEW)
def snapshot_detail(request, number: int):
    snapshot = _snapshot_or_404(request, number)
    figures = selectors.snapshot_figures(actor=request.user, origin=_origin(request), snapshot=snapshot)
    report = _report(request, figures, live=False, snapshot=snapshot)
    download = _as_download(request, report, stem=f"sitrep-{snapshot.number}")
    if download is not None:
        return download
    user = request.user
    return render(
        request,
        "sitrep/snapshot_detail.html",
        {
            "report": report,
            "snapshot": snapshot,
            "may_clear": snapshot.state == SitrepSnapshot.State.DRAFT
            and has_permission(user, Permission.SITREP_CLEAR)
            and snapshot.created_by_id != user.pk,
            "may_distribute": snapshot.state == SitrepSnapshot.State.CLEARED
            and has_permission(user, Permission.SITREP_DISTRIBUTE),
        },
    )


def _snapshot_step(request, number: int, step, done_message: str):
    if request.method != "POST":
        raise Http404
    snapshot = _snapshot_or_404(request, number)
    try:
        step(actor=request.user, origin=_origin(request), snapshot=snapshot)
    except SitrepValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done_message % {"number": snapshot.number})
    return redirect("sitrep:snapshot_detail", number=number)


@staff_required(Permission.SITREP_CLEAR)
def snapshot_clear(request, number: int):
    return _snapshot_step(request, number, services.sitrep_snapshot_clear, _("Sitrep #%(number)s cleared."))


@staff_required(Permission.SITREP_DISTRIBUTE)
def snapshot_distribute(request, number: int):
    return _snapshot_step(
        request, number, services.sitrep_snapshot_distribute, _("Sitrep #%(number)s marked as distributed.")
    )


@staff_required(Permission.SITREP_VIEW)
def partner_figures(request):
    form = None
    if has_permission(request.user, Permission.PARTNER_FIGURE_ADD):
        form = PartnerFigureForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.partner_figure_add(
                    actor=request.user,
                    origin=_origin(request),
                    source=data["source"],
                    crossed=data["crossed"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    point=data["point"],
                    note=data["note"],
                )
            except SitrepValidationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Partner figure entered."))
                return redirect("sitrep:partner_figures")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "sitrep/partner_figures.html",
        {"figures": selectors.partner_figures_recent(actor=request.user), "form": form},
    )
