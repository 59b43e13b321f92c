"""Forms of the PFIF page. They parse; imports.py and exports.py decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.forms import BootstrapFormMixin


class PfifUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("PFIF 1.4 file (XML)"))


class PfifExportForm(BootstrapFormMixin, forms.Form):
    since = forms.DateField(
        label=_("Entered or changed since (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("From midnight UTC of that day. Leave empty for every person."),
    )
