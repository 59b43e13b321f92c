"""Forms of the person import's pages. They parse; registry/imports.py decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.forms import BootstrapFormMixin
from crisisdesk.registry.models import ColumnMapping

# The person fields a column can fill, as the import's pages name them.
FIELD_LABELS = {
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "passport_given_name": _("Given name (passport, Latin)"),
    "passport_family_name": _("Family name (passport, Latin)"),
    "sex": _("Sex"),
    "birth_date": _("Date of birth"),
    "citizenships": _("Citizenships"),
    "phone": _("Phone"),
    "email": _("Email"),
    "passport_number": _("Passport number"),
    "region": _("Region"),
    "city": _("City"),
    "intent": _("Intends to"),
    "needs_note": _("Needs"),
}


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Spreadsheet of persons (CSV or XLSX)"))
    mapping = forms.ModelChoiceField(
        label=_("Saved column mapping"),
        queryset=ColumnMapping.objects.all(),
        required=False,
        empty_label=_("Recognise the columns by their headers"),
    )


class ColumnMapForm(BootstrapFormMixin, forms.Form):
    """One choice per column of the file: the person field it fills, or none."""

    save_as = forms.CharField(label=_("Save this mapping as (optional)"), required=False, max_length=100)

    def __init__(self, *args, header=(), initial_columns=None, **kwargs):
        from crisisdesk.registry.imports import FIELDS

        super().__init__(*args, **kwargs)
        self.header = tuple(header)
        choices = [("", _("— not imported —")), *((name, FIELD_LABELS.get(name, name)) for name in FIELDS)]
        for index, text in enumerate(self.header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=text or _("(column without a header)"),
                choices=choices,
                required=False,
                initial=(initial_columns or {}).get(text, ""),
            )
        self.order_fields([*(f"column_{index}" for index in range(len(self.header))), "save_as"])

    def columns(self) -> dict[str, str]:
        return {
            text: self.cleaned_data.get(f"column_{index}", "") for index, text in enumerate(self.header) if text.strip()
        }


class RowCorrectionForm(BootstrapFormMixin, forms.Form):
    """A rejected row's values, to correct and import: every person field, as text."""

    def __init__(self, *args, labels=None, **kwargs):
        from crisisdesk.registry.imports import FIELDS

        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[name] = forms.CharField(label=(labels or {}).get(name, name), required=False, max_length=2000)
