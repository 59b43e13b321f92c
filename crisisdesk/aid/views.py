"""Staff pages of aid shipments, mounted at /staff/aid/: the overview of every shipment
(tonnage dispatched and delivered, what is in the air or on the road now), a new shipment,
and a shipment's page with its manifest, clearance checklist, handover and timeline.

Reading needs `aid.view` (desk chiefs read); every write needs `aid.manage` (logistics
officers), checked after the shipment in the path has loaded. Each write is one service
call; a refusal is shown on the form that asked for it, on the shipment's page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.aid import forms, manifest_import, selectors, services
from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.lines import line_error_messages
from crisisdesk.aid.models import (
    CANCELLABLE,
    MANIFEST_LOCKED,
    STATUS_ORDER,
    ClearanceItem,
    LineDiscrepancy,
    ManifestImport,
    ManifestLine,
    RejectedRow,
    ShipmentEvent,
    Status,
)
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request

P = Permission
# (document, format) in the path → the function of aid/exports.py that makes it.
EXPORTS = {
    ("manifest", "pdf"): "manifest_pdf",
    ("manifest", "xlsx"): "manifest_xlsx",
    ("packing-list", "pdf"): "packing_list_pdf",
    ("packing-list", "xlsx"): "packing_list_xlsx",
}


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


def _permit(request, permission: Permission) -> None:
    if not has_permission(request.user, permission):
        raise PermissionDenied


def _form_error(form, error: AidValidationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)
    if error.code == AidError.LINE_INVALID:
        for name, messages_of_field in line_error_messages(error.details).items():
            for message in messages_of_field:
                form.add_error(name if name in form.fields else None, message)
    elif error.details.get("missing"):
        form.add_error(None, ", ".join(error.details["missing"]))
    elif error.details.get("duplicated"):
        form.add_error(None, "; ".join(" / ".join(headers) for headers in error.details["duplicated"].values()))


def _file_response(name: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _shipment(request, shipment_id: int):
    try:
        return selectors.shipment_detail(actor=request.user, pk=shipment_id)
    except AidValidationError:
        raise Http404 from None


# --- The overview and a new shipment ---------------------------------------------------------


@staff_required(P.AID_VIEW)
def overview(request):
    form = forms.ShipmentFilterForm(request.GET or None)
    values = form.values()
    summary = selectors.overview(actor=request.user)
    rows = summary["shipments"]
    if values.get("status") or values.get("mode") or values.get("q"):
        wanted = {
            shipment.pk
            for shipment in selectors.shipment_list(
                actor=request.user,
                status=values.get("status", ""),
                mode=values.get("mode", ""),
                search=values.get("q", ""),
            )
        }
        rows = [(shipment, totals) for shipment, totals in rows if shipment.pk in wanted]
    context = {
        "form": form,
        "rows": rows,
        "summary": summary,
        "delivered_statuses": (Status.HANDED_OVER, Status.DISTRIBUTED),
    }
    return render(request, "aid/overview.html", context)


def _consignee_of(request, form):
    data = form.cleaned_data
    if data.get("consignee"):
        return data["consignee"]
    return services.consignee_create(
        actor=request.user,
        origin=_origin(request),
        name=data["new_consignee"],
        contact_name=data["consignee_contact"],
        contact_phone=data["consignee_phone"],
        contact_email=data["consignee_email"],
    )


@staff_required(P.AID_MANAGE)
def shipment_new(request):
    form = forms.ShipmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a new consignee only with its shipment
                shipment = services.shipment_create(
                    actor=request.user, origin=_origin(request), data=form.shipment_input(_consignee_of(request, form))
                )
        except AidValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Shipment %(reference)s planned.") % {"reference": shipment.reference})
            return redirect("aid:detail", shipment_id=shipment.pk)
    return render(request, "aid/shipment_form.html", {"form": form})


# --- A shipment ------------------------------------------------------------------------------


def _next_statuses(shipment) -> list[tuple[str, str]]:
    labels = dict(Status.choices)
    choices = []
    if shipment.status in STATUS_ORDER:
        index = STATUS_ORDER.index(shipment.status)
        if index + 1 < len(STATUS_ORDER) and STATUS_ORDER[index + 1] != Status.HANDED_OVER:
            choices.append((STATUS_ORDER[index + 1], labels[STATUS_ORDER[index + 1]]))
    if shipment.status in CANCELLABLE:
        choices.append((Status.CANCELLED, labels[Status.CANCELLED]))
    return choices


def _timeline(shipment) -> list[ShipmentEvent]:
    kinds = dict(ClearanceItem.Kind.choices)
    states = dict(ClearanceItem.State.choices)
    discrepancies = dict(LineDiscrepancy.Kind.choices)
    events = list(shipment.events.all())
    for event in events:
        event.clearance_label = kinds.get(event.data.get("kind", ""), "")
        event.state_label = states.get(event.data.get("to", ""), "")
        event.discrepancy_label = discrepancies.get(event.data.get("kind", ""), "")
    return events


def _detail_page(request, shipment_id: int, *, bound: dict | None = None):
    user = request.user
    shipment = _shipment(request, shipment_id)
    manage = has_permission(user, P.AID_MANAGE)
    lines = list(shipment.lines.all())
    figures = selectors.line_figures(lines)
    totals = selectors.shipment_totals([shipment])[shipment.pk]
    clearances = list(shipment.clearances.all())
    handover = selectors.handover_of(shipment)
    open_status = shipment.status not in (Status.CANCELLED, Status.DISTRIBUTED)
    version = {"version": shipment.version}
    manifest_open = shipment.status not in MANIFEST_LOCKED
    page_forms = {}
    if manage:
        statuses = _next_statuses(shipment)
        page_forms = {
            "move_form": forms.MoveForm(prefix="move", statuses=statuses, initial=version) if statuses else None,
            "override_form": forms.OverrideForm(prefix="override", initial=version)
            if manifest_open
            and has_permission(user, P.AID_OVERRIDE)
            and not shipment.clearance_override_reason
            and not all(item.done for item in clearances)
            else None,
            "line_form": forms.LineForm(prefix="line", initial=version) if manifest_open else None,
            "import_form": forms.ImportForm(prefix="import") if manifest_open else None,
            "handover_form": forms.HandoverForm(prefix="handover", initial=version)
            if shipment.status == Status.ARRIVED
            else None,
            "discrepancy_form": forms.DiscrepancyForm(prefix="discrepancy", lines=lines)
            if shipment.status in (Status.ARRIVED, Status.HANDED_OVER) and lines
            else None,
        }
    page_forms.update(bound or {})
    clearance_forms = {}
    if manage and open_status:
        clearance_forms = {
            item.pk: forms.ClearanceForm(
                prefix=f"clearance-{item.pk}",
                initial={
                    "state": item.state,
                    "date": item.date,
                    "reference_number": item.reference_number,
                    "note": item.note,
                },
            )
            for item in clearances
        }
        clearance_forms.update((bound or {}).get("clearance_forms", {}))
    for item in clearances:
        item.form = clearance_forms.get(item.pk)
    rejected = selectors.rejected_rows_open(actor=user, shipment=shipment)
    correction_forms = (bound or {}).get("correction_forms", {})
    for row in rejected:
        row.form = correction_forms.get(row.pk) or (
            forms.RowCorrectionForm(prefix=f"row-{row.pk}", row=row) if manage and manifest_open else None
        )
    category_labels = dict(ManifestLine._meta.get_field("category").choices)
    context = {
        "shipment": shipment,
        "figures": figures,
        "totals": totals,
        "by_category": [(category_labels[key], value) for key, value in sorted(totals.by_category.items())],
        "clearances": clearances,
        "clearance_complete": all(item.done for item in clearances),
        "handover": handover,
        "delivered": shipment.status in (Status.HANDED_OVER, Status.DISTRIBUTED),
        "imports": list(shipment.imports.all()),
        "rejected_rows": rejected,
        "events": _timeline(shipment),
        "manage": manage,
        "manifest_open": manifest_open,
        "steps": _steps(shipment),
        **page_forms,
    }
    return render(request, "aid/detail.html", context)


def _steps(shipment) -> list[tuple[str, str, str]]:
    labels = dict(Status.choices)
    if shipment.status == Status.CANCELLED:
        return [(Status.CANCELLED, labels[Status.CANCELLED], "closed")]
    here = STATUS_ORDER.index(shipment.status)
    return [
        (status, labels[status], "done" if index < here else "current" if index == here else "todo")
        for index, status in enumerate(STATUS_ORDER)
    ]


@staff_required(P.AID_VIEW)
def detail(request, shipment_id: int):
    return _detail_page(request, shipment_id)


def _act(request, shipment_id: int, *, name: str, build, save, done: str, permission: Permission = P.AID_MANAGE):
    """One action: load the shipment (404), check the permission (403), parse, call the
    service; on success back to the shipment with `done`, else the form with its refusal."""
    shipment = _shipment(request, shipment_id)
    _permit(request, permission)
    form = build(shipment)
    if form.is_valid():
        try:
            save(shipment, form.cleaned_data, form)
        except AidValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, done)
            return redirect("aid:detail", shipment_id=shipment.pk)
    if name.startswith("clearance_forms:") or name.startswith("correction_forms:"):
        group, key = name.split(":")
        return _detail_page(request, shipment.pk, bound={group: {int(key): form}})
    return _detail_page(request, shipment.pk, bound={name: form})


@staff_required(P.AID_MANAGE)
def shipment_edit(request, shipment_id: int):
    shipment = _shipment(request, shipment_id)
    initial = {
        name: getattr(shipment, name)
        for name in (
            "mode",
            "carrier",
            "vehicle_number",
            "origin",
            "destination",
            "planned_departure",
            "planned_arrival",
            "consignee",
            "receiving_post",
            "note",
            "version",
        )
    }
    form = forms.ShipmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a new consignee only with the change
                services.shipment_update(
                    actor=request.user,
                    origin=_origin(request),
                    shipment=shipment,
                    data=form.shipment_input(_consignee_of(request, form)),
                    expected_version=form.cleaned_data["version"],
                )
        except AidValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Shipment saved."))
            return redirect("aid:detail", shipment_id=shipment.pk)
    return render(request, "aid/shipment_form.html", {"form": form, "shipment": shipment})


@staff_required(P.AID_VIEW)
@require_POST
def move(request, shipment_id: int):
    return _act(
        request,
        shipment_id,
        name="move_form",
        build=lambda shipment: forms.MoveForm(request.POST, prefix="move", statuses=_next_statuses(shipment)),
        save=lambda shipment, data, form: services.shipment_move(
            actor=request.user,
            origin=_origin(request),
            shipment=shipment,
            to_status=data["to_status"],
            note=data["note"],
            at=data["at"],
            expected_version=data["version"],
        ),
        done=_("Status changed."),
    )


@staff_required(P.AID_VIEW)
@require_POST
def override(request, shipment_id: int):
    return _act(
        request,
        shipment_id,
        name="override_form",
        permission=P.AID_OVERRIDE,
        build=lambda shipment: forms.OverrideForm(request.POST, prefix="override"),
        save=lambda shipment, data, form: services.clearance_override(
            actor=request.user,
            origin=_origin(request),
            shipment=shipment,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        done=_("Override recorded: the shipment may clear with its checklist incomplete."),
    )


@staff_required(P.AID_VIEW)
@require_POST
def clearance(request, shipment_id: int, item_id: int):
    def save(shipment, data, form):
        item = next((item for item in shipment.clearances.all() if item.pk == item_id), None)
        if item is None:
            raise Http404
        upload = data.get("document")
        services.clearance_update(
            actor=request.user,
            origin=_origin(request),
            item=item,
            state=data["state"],
            on=data["date"],
            reference_number=data["reference_number"],
            note=data["note"],
            document_name=upload.name if upload else "",
            document_content=upload.read() if upload else None,
        )

    return _act(
        request,
        shipment_id,
        name=f"clearance_forms:{item_id}",
        build=lambda shipment: forms.ClearanceForm(request.POST, request.FILES, prefix=f"clearance-{item_id}"),
        save=save,
        done=_("Clearance updated."),
    )


@staff_required(P.AID_VIEW)
@require_POST
def line_add(request, shipment_id: int):
    return _act(
        request,
        shipment_id,
        name="line_form",
        build=lambda shipment: forms.LineForm(request.POST, prefix="line"),
        save=lambda shipment, data, form: services.line_add(
            actor=request.user,
            origin=_origin(request),
            shipment=shipment,
            line=form.line,
            expected_version=data["version"],
        ),
        done=_("Line added."),
    )


@staff_required(P.AID_VIEW)
@require_POST
def line_remove(request, shipment_id: int, line_id: int):
    shipment = _shipment(request, shipment_id)
    _permit(request, P.AID_MANAGE)
    line = next((line for line in shipment.lines.all() if line.pk == line_id), None)
    if line is None:
        raise Http404
    try:
        services.line_remove(actor=request.user, origin=_origin(request), line=line)
    except AidValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Line removed."))
    return redirect("aid:detail", shipment_id=shipment.pk)


@staff_required(P.AID_VIEW)
@require_POST
def import_upload(request, shipment_id: int):
    def save(shipment, data, form):
        upload = data["file"]
        batch = manifest_import.manifest_import(
            actor=request.user, origin=_origin(request), shipment=shipment, file_name=upload.name, content=upload.read()
        )
        form.batch = batch

    shipment = _shipment(request, shipment_id)
    _permit(request, P.AID_MANAGE)
    form = forms.ImportForm(request.POST, request.FILES, prefix="import")
    if form.is_valid():
        try:
            save(shipment, form.cleaned_data, form)
        except AidValidationError as error:
            _form_error(form, error)
        else:
            batch = form.batch
            text = _("%(imported)s lines imported, %(rejected)s rows rejected (kept below with their reasons).") % {
                "imported": batch.rows_imported,
                "rejected": batch.rows_rejected,
            }
            (messages.warning if batch.rows_rejected else messages.success)(request, text)
            return redirect("aid:detail", shipment_id=shipment.pk)
    return _detail_page(request, shipment.pk, bound={"import_form": form})


@staff_required(P.AID_VIEW)
@require_POST
def row_correct(request, shipment_id: int, row_id: int):
    def save(shipment, data, form):
        row = RejectedRow.objects.filter(pk=row_id, manifest_import__shipment=shipment).first()
        if row is None:
            raise Http404
        manifest_import.rejected_row_correct(actor=request.user, origin=_origin(request), row=row, values=data)

    return _act(
        request,
        shipment_id,
        name=f"correction_forms:{row_id}",
        build=lambda shipment: forms.RowCorrectionForm(request.POST, prefix=f"row-{row_id}"),
        save=save,
        done=_("Row corrected and imported."),
    )


@staff_required(P.AID_VIEW)
def import_errors(request, shipment_id: int, import_id: int):
    shipment = _shipment(request, shipment_id)
    batch = ManifestImport.objects.filter(pk=import_id, shipment=shipment).first()
    if batch is None:
        raise Http404
    content = manifest_import.rejected_rows_csv(actor=request.user, origin=_origin(request), manifest_import=batch)
    return _file_response(f"rejected-rows-{shipment.reference}-{batch.pk}.csv", "text/csv; charset=utf-8", content)


@staff_required(P.AID_VIEW)
@require_POST
def handover(request, shipment_id: int):
    def save(shipment, data, form):
        receipt = data.get("receipt")
        services.handover_record(
            actor=request.user,
            origin=_origin(request),
            shipment=shipment,
            receiver_name=data["receiver_name"],
            receiver_organisation=data["receiver_organisation"],
            handed_over_at=data["handed_over_at"],
            signature_png=data["signature"],
            receipt_name=receipt.name if receipt else "",
            receipt_content=receipt.read() if receipt else None,
            note=data["note"],
            expected_version=data["version"],
        )

    return _act(
        request,
        shipment_id,
        name="handover_form",
        build=lambda shipment: forms.HandoverForm(request.POST, request.FILES, prefix="handover"),
        save=save,
        done=_("Handover recorded."),
    )


@staff_required(P.AID_VIEW)
@require_POST
def discrepancy_add(request, shipment_id: int):
    def save(shipment, data, form):
        line = next((line for line in shipment.lines.all() if line.pk == data["line"]), None)
        if line is None:
            raise Http404
        services.discrepancy_add(
            actor=request.user,
            origin=_origin(request),
            line=line,
            kind=data["kind"],
            quantity=data["quantity"],
            note=data["note"],
        )

    return _act(
        request,
        shipment_id,
        name="discrepancy_form",
        build=lambda shipment: forms.DiscrepancyForm(
            request.POST, prefix="discrepancy", lines=list(shipment.lines.all())
        ),
        save=save,
        done=_("Discrepancy recorded."),
    )


# --- Files -----------------------------------------------------------------------------------


@staff_required(P.AID_VIEW)
def clearance_document(request, shipment_id: int, item_id: int):
    shipment = _shipment(request, shipment_id)
    item = next((item for item in shipment.clearances.all() if item.pk == item_id), None)
    if item is None or not item.document_key:
        raise Http404
    item.shipment = shipment
    return _file_response(*selectors.clearance_document_open(actor=request.user, origin=_origin(request), item=item))


@staff_required(P.AID_VIEW)
def handover_file(request, shipment_id: int, which: str):
    shipment = _shipment(request, shipment_id)
    handover = selectors.handover_of(shipment)
    if handover is None:
        raise Http404
    try:
        return _file_response(
            *selectors.handover_file_open(actor=request.user, origin=_origin(request), handover=handover, which=which)
        )
    except AidValidationError:
        raise Http404 from None


@staff_required(P.AID_VIEW)
def export(request, shipment_id: int, document: str, file_format: str):
    from crisisdesk.aid import exports  # WeasyPrint loads only when a file is asked for

    name = EXPORTS.get((document, file_format))
    if name is None:
        raise Http404
    render_export = getattr(exports, name)
    shipment = _shipment(request, shipment_id)
    return _file_response(*render_export(actor=request.user, origin=_origin(request), shipment=shipment))
