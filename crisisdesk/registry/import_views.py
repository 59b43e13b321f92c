"""Staff pages of the person import, at /staff/imports/: upload a file, map its columns
(with saved mappings) and see the first rows as they will be imported, import, and work the
rejected rows of a batch (correct them here, or download them with their reasons).

Between the upload and the import the file waits encrypted in the document store
(common/documents.py), named in the uploader's session; it is removed once imported or
when another file is uploaded. Every step is a call to registry/imports.py, which checks
the permission (`person.create`) and audits.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.documents import document_discard, document_read, document_store
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.registry import imports
from crisisdesk.registry.errors import ImportRefused, RegistryValidationError, import_field_messages
from crisisdesk.registry.import_forms import FIELD_LABELS, ColumnMapForm, ImportUploadForm, RowCorrectionForm
from crisisdesk.registry.models import ColumnMapping, ImportBatch, ImportRejectedRow

P = Permission
PENDING = "registry_import_pending"
# Values a reader without `person.view_contact` does not see on a rejected row.
CONTACT_FIELDS = frozenset({"phone", "email", "passport_number"})


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


def _pending(request) -> dict | None:
    return request.session.get(PENDING)


def _pending_drop(request) -> None:
    pending = request.session.pop(PENDING, None)
    if pending:
        document_discard(pending["key"])


def _refusal_text(error) -> str:
    details = getattr(error, "details", None) or {}
    extra = ""
    if details.get("missing"):
        extra = " " + ", ".join(str(FIELD_LABELS.get(name, name)) for name in details["missing"])
    elif details.get("duplicated"):
        extra = " " + "; ".join(" / ".join(headers) for headers in details["duplicated"].values())
    return f"{error.message}{extra}"


def _shown_values(request, values: dict) -> dict:
    may_see = has_permission(request.user, P.PERSON_VIEW_CONTACT)
    return {
        FIELD_LABELS.get(name, name): ("•••" if name in CONTACT_FIELDS and value and not may_see else value)
        for name, value in values.items()
    }


@staff_required(P.PERSON_CREATE)
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        _pending_drop(request)
        request.session[PENDING] = {
            "key": document_store(upload.read()),
            "name": upload.name[:200],
            "mapping": form.cleaned_data["mapping"].pk if form.cleaned_data["mapping"] else None,
        }
        return redirect("registry:import_preview")
    batches = ImportBatch.objects.select_related("imported_by").order_by("-imported_at")[:50]
    return render(request, "registry/imports/list.html", {"form": form, "batches": batches})


def _mapping_from(request, pending: dict, header: tuple[str, ...]) -> ColumnMapping | None:
    """The mapping the screen asks for: the columns as chosen on it (unsaved, or saved under a
    name), else the saved mapping chosen with the upload."""
    if request.method == "POST":
        form = ColumnMapForm(request.POST, header=header)
        if form.is_valid():
            columns = form.columns()
            name = form.cleaned_data["save_as"].strip()
            if name:
                return imports.column_mapping_save(
                    actor=request.user, origin=_origin(request), name=name, columns=columns
                )
            return ColumnMapping(name="", columns=columns)
    if pending.get("mapping"):
        return ColumnMapping.objects.filter(pk=pending["mapping"]).first()
    return None


@staff_required(P.PERSON_CREATE)
def import_preview(request):
    """The mapping screen: each column and the field it fills, the first rows as they will
    be imported, the first rejected rows with their reasons; then the import itself."""
    pending = _pending(request)
    if pending is None:
        return redirect("registry:import_list")
    content = document_read(pending["key"])
    try:
        header = imports.sheet_header(content)
    except ImportRefused as error:  # not a file we read: back to the upload, with why
        messages.error(request, _refusal_text(error))
        _pending_drop(request)
        return redirect("registry:import_list")
    try:
        mapping = _mapping_from(request, pending, header)
        importing = request.method == "POST" and request.POST.get("action") == "import"
        result = imports.person_import(
            actor=request.user,
            origin=_origin(request),
            file_name=pending["name"],
            content=content,
            mapping=mapping,
            dry_run=not importing,
        )
    except (ImportRefused, RegistryValidationError) as error:
        # A mapping without a name column, two columns for one field, a file imported before.
        messages.error(request, _refusal_text(error))
        map_form = ColumnMapForm(request.POST or None, header=header)
        return render(request, "registry/imports/preview.html", {"pending": pending, "map_form": map_form})
    if not result.dry_run:
        _pending_drop(request)
        messages.success(
            request,
            _("%(imported)s persons imported, %(rejected)s rows rejected, %(skipped)s already in the registry.")
            % {
                "imported": result.rows_imported,
                "rejected": result.rows_rejected,
                "skipped": result.rows_skipped_duplicate,
            },
        )
        return redirect("registry:import_detail", batch_id=result.batch.pk)
    chosen = {text: result.columns.get(text, "") for text in header}
    context = {
        "pending": pending,
        "result": result,
        "map_form": ColumnMapForm(header=header, initial_columns=chosen),
        "accepted": list(result.first_accepted),
        "rejected": [
            (
                row.row_number,
                {FIELD_LABELS.get(name, name): texts for name, texts in import_field_messages(row.errors).items()},
                _shown_values(request, row.values),
            )
            for row in result.first_rejected
        ],
    }
    return render(request, "registry/imports/preview.html", context)


def _batch(batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_related("imported_by").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


def _detail_page(request, batch: ImportBatch, *, bound: dict | None = None):
    may_correct = has_permission(request.user, P.PERSON_VIEW_CONTACT) or batch.imported_by_id == request.user.pk
    rows = list(batch.rejected_rows.filter(resolved_person__isnull=True).order_by("row_number")[:200])
    for row in rows:
        row.messages = {
            FIELD_LABELS.get(name, name): texts for name, texts in import_field_messages(row.errors).items()
        }
        row.shown = _shown_values(request, row.values)
        row.form = (bound or {}).get(row.pk) or (
            RowCorrectionForm(prefix=f"row-{row.pk}", initial=row.values, labels=FIELD_LABELS) if may_correct else None
        )
    context = {"batch": batch, "rows": rows}
    return render(request, "registry/imports/detail.html", context)


@staff_required(P.PERSON_CREATE)
def import_detail(request, batch_id: int):
    return _detail_page(request, _batch(batch_id))


@staff_required(P.PERSON_CREATE)
@require_POST
def import_row_correct(request, batch_id: int, row_id: int):
    batch = _batch(batch_id)
    row = ImportRejectedRow.objects.filter(pk=row_id, batch=batch).first()
    if row is None:
        raise Http404
    form = RowCorrectionForm(request.POST, prefix=f"row-{row.pk}", labels=FIELD_LABELS)
    if form.is_valid():
        try:
            imports.import_row_correct(actor=request.user, origin=_origin(request), row=row, values=form.cleaned_data)
        except RegistryValidationError as error:
            form.add_error(None, error.message)
            for name, texts in import_field_messages(getattr(error, "details", None) or {}).items():
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
        else:
            messages.success(request, _("Row corrected and imported."))
            return redirect("registry:import_detail", batch_id=batch.pk)
    return _detail_page(request, batch, bound={row.pk: form})


@staff_required(P.PERSON_CREATE)
def import_errors(request, batch_id: int):
    batch = _batch(batch_id)
    content = imports.import_rejected_csv(actor=request.user, origin=_origin(request), batch=batch)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"rejected-rows-{batch.pk}.csv")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
