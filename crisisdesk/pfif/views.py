"""The PFIF exchange page at /staff/pfif/: upload a PFIF 1.4 file to import, download the
registry as PFIF 1.4 (everyone, or what entered or changed since a day), and each import's
counts and rejected records with their reasons. Permission `pfif.exchange`; imports.py and
exports.py check it again and audit."""

from datetime import UTC, datetime, time

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.pfif.errors import PfifError, PfifRefused, pfif_message
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.forms import PfifExportForm, PfifUploadForm
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.models import PfifBatch


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


@staff_required(Permission.PFIF_EXCHANGE)
def exchange(request):
    form = PfifUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.PFIF_IMPORT_MAX_BYTES:  # before reading it into memory
                raise PfifRefused(PfifError.FILE_TOO_LARGE)
            result = pfif_import(
                actor=request.user, origin=_origin(request), file_name=upload.name, content=upload.read()
            )
        except PfifRefused as refused:
            form.add_error("file", refused.message)
        else:
            return redirect("pfif:batch_detail", batch_id=result.batch.pk)
    batches = PfifBatch.objects.select_related("imported_by")[:50]
    context = {"form": form, "export_form": PfifExportForm(), "batches": batches, "domain": settings.PFIF_DOMAIN}
    return render(request, "pfif/exchange.html", context, status=422 if form.errors else 200)


@staff_required(Permission.PFIF_EXCHANGE)
def export_download(request):
    form = PfifExportForm(request.GET)
    if not form.is_valid():
        batches = PfifBatch.objects.select_related("imported_by")[:50]
        context = {"form": PfifUploadForm(), "export_form": form, "batches": batches, "domain": settings.PFIF_DOMAIN}
        return render(request, "pfif/exchange.html", context, status=422)
    day = form.cleaned_data["since"]
    since = datetime.combine(day, time(0), tzinfo=UTC) if day else None
    export = pfif_export(actor=request.user, origin=_origin(request), since=since)
    name = f"pfif-{settings.PFIF_DOMAIN}" + (f"-since-{day:%Y-%m-%d}" if day else "") + ".xml"
    response = HttpResponse(export.content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@staff_required(Permission.PFIF_EXCHANGE)
def batch_detail(request, batch_id: int):
    batch = get_object_or_404(PfifBatch.objects.select_related("imported_by"), pk=batch_id)
    rejected = [
        {
            "row": row,
            "name": row.received.get("full_name", ""),
            "messages": {field: [pfif_message(code) for code in codes] for field, codes in row.errors.items()},
        }
        for row in batch.rejected.all()
    ]
    return render(request, "pfif/batch.html", {"batch": batch, "rejected": rejected, "title": _("PFIF import")})
