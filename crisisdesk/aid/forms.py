"""Staff forms of aid shipments. They parse; the services decide.

A manifest line is parsed by `lines.line_parse`, as an imported row is, so the form and the
import accept the same values. The guards (a manifest before departure, a receipt for the
handover, a complete checklist or an override) are the services', and their refusals are
shown on the field they name.
"""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.aid.lines import FIELDS, LINE_MESSAGES, LineError, LineInvalid, line_parse
from crisisdesk.aid.models import Category, ClearanceItem, Consignee, LineDiscrepancy, Mode, Status, Unit
from crisisdesk.aid.services import SIGNATURE_MAX_BYTES, ShipmentInput
from crisisdesk.border.models import Post
from crisisdesk.common.forms import BootstrapFormMixin, DateTimeLocalInput


def _version_field() -> forms.IntegerField:
    """The shipment's version when the page was drawn: a change made meanwhile is refused."""
    return forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ShipmentFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(label=_("Reference, flight, destination or consignee"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices])
    mode = forms.ChoiceField(label=_("Mode"), required=False, choices=[("", _("Any mode")), *Mode.choices])

    def values(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


class ShipmentForm(BootstrapFormMixin, forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    carrier = forms.CharField(label=_("Carrier"), required=False, max_length=200)
    vehicle_number = forms.CharField(label=_("Flight or vehicle number"), required=False, max_length=40)
    origin = forms.CharField(label=pgettext_lazy("shipment route", "From"), max_length=120)
    destination = forms.CharField(label=pgettext_lazy("shipment route", "To"), max_length=120)
    planned_departure = forms.DateTimeField(label=_("Planned departure"), required=False, widget=DateTimeLocalInput)
    planned_arrival = forms.DateTimeField(label=_("Planned arrival"), required=False, widget=DateTimeLocalInput)
    consignee = forms.ModelChoiceField(
        label=_("Consignee organisation"), queryset=Consignee.objects.all(), required=False
    )
    new_consignee = forms.CharField(label=_("Or a new consignee organisation"), required=False, max_length=200)
    consignee_contact = forms.CharField(label=_("Its contact person"), required=False, max_length=200)
    consignee_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=40)
    consignee_email = forms.EmailField(label=_("Contact email"), required=False)
    receiving_post = forms.ModelChoiceField(
        label=_("Receiving post"), queryset=Post.objects.filter(closed_at__isnull=True), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"})
    )
    version = _version_field()

    def clean(self):
        data = super().clean()
        if not data.get("consignee") and not (data.get("new_consignee") or "").strip():
            self.add_error("consignee", _("Choose the consignee organisation, or name a new one."))
        return data

    def shipment_input(self, consignee) -> ShipmentInput:
        data = self.cleaned_data
        return ShipmentInput(
            mode=data["mode"],
            origin=data["origin"],
            destination=data["destination"],
            consignee=consignee,
            carrier=data["carrier"],
            vehicle_number=data["vehicle_number"],
            planned_departure=data["planned_departure"],
            planned_arrival=data["planned_arrival"],
            receiving_post=data["receiving_post"],
            note=data["note"],
        )


class MoveForm(BootstrapFormMixin, forms.Form):
    to_status = forms.ChoiceField(label=_("Move to"))
    at = forms.DateTimeField(label=_("When (if not now)"), required=False, widget=DateTimeLocalInput)
    note = forms.CharField(
        label=_("Note (the reason, to cancel)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )
    version = _version_field()

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = list(statuses)


class OverrideForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the shipment may leave with its checklist incomplete"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )
    version = _version_field()


class ClearanceForm(BootstrapFormMixin, forms.Form):
    state = forms.ChoiceField(label=_("Status"), choices=ClearanceItem.State.choices)
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reference_number = forms.CharField(label=_("Reference number"), required=False, max_length=80)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    document = forms.FileField(label=_("Document (PDF, JPEG or PNG)"), required=False)


class LineForm(BootstrapFormMixin, forms.Form):
    """The fields are text, as in a spreadsheet; `line_parse` reads them."""

    item = forms.CharField(label=_("Item"), max_length=400)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    quantity = forms.CharField(label=_("Quantity"), max_length=30)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    gross_weight_kg = forms.CharField(label=_("Gross weight (kg)"), max_length=30)
    pallets = forms.CharField(label=_("Pallets"), required=False, max_length=30)
    volume_m3 = forms.CharField(label=_("Volume (m³)"), required=False, max_length=30)
    lot = forms.CharField(label=_("Lot"), required=False, max_length=120)
    expiry_date = forms.CharField(
        label=_("Expiry date"), required=False, max_length=30, widget=forms.DateInput(attrs={"type": "date"})
    )
    cold_chain = forms.BooleanField(label=_("Cold chain"), required=False)
    donor = forms.CharField(label=_("Donor"), required=False, max_length=400)
    version = _version_field()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        raw = {name: data.get(name, "") for name in FIELDS}
        raw["cold_chain"] = "yes" if data.get("cold_chain") else "no"
        try:
            self.line = line_parse(raw)
        except LineInvalid as invalid:
            for name, codes in invalid.errors.items():
                for code in codes:
                    self.add_error(name if name in self.fields else None, str(LINE_MESSAGES[LineError(code)]))
        return data


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Manifest file (XLSX or CSV)"))


class RowCorrectionForm(BootstrapFormMixin, forms.Form):
    """A rejected row's values, to correct and import; the same fields as a line."""

    def __init__(self, *args, row=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {name: LineForm.base_fields[name].label for name in FIELDS}
        for name in FIELDS:
            initial = (row.values.get(name) or "") if row is not None else ""
            self.fields[name] = forms.CharField(label=labels[name], required=False, max_length=400, initial=initial)


class HandoverForm(BootstrapFormMixin, forms.Form):
    receiver_name = forms.CharField(label=_("Received by (name)"), max_length=200)
    receiver_organisation = forms.CharField(label=_("Organisation"), max_length=200)
    handed_over_at = forms.DateTimeField(
        label=_("Handed over at (if not now)"), required=False, widget=DateTimeLocalInput
    )
    # The canvas's drawing as a data: URL, filled in by signature.js.
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    receipt = forms.FileField(label=_("Or a signed receipt (PDF, JPEG or PNG)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
    version = _version_field()

    def clean_signature(self) -> bytes | None:
        value = self.cleaned_data.get("signature") or ""
        if not value:
            return None
        prefix = "data:image/png;base64,"
        if not value.startswith(prefix) or len(value) > SIGNATURE_MAX_BYTES * 4 // 3 + len(prefix) + 4:
            raise forms.ValidationError(_("The signature could not be read. Sign again."))
        try:
            return base64.b64decode(value[len(prefix) :], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(_("The signature could not be read. Sign again.")) from None


class DiscrepancyForm(BootstrapFormMixin, forms.Form):
    line = forms.TypedChoiceField(label=pgettext_lazy("manifest line", "Line"), coerce=int)
    kind = forms.ChoiceField(label=_("What"), choices=LineDiscrepancy.Kind.choices)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, max_digits=12, decimal_places=3)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, f"{line.line_number}. {line.item}") for line in lines]
