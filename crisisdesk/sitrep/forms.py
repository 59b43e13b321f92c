"""Staff forms of the sitrep. They parse and validate; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.forms import BootstrapFormMixin, DateTimeLocalInput
from crisisdesk.sitrep.models import Audience

_MINUTES = ["%Y-%m-%dT%H:%M"]


class SitrepQueryForm(BootstrapFormMixin, forms.Form):
    as_of = forms.DateTimeField(
        label=_("As of"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=_MINUTES,
        help_text=_("Leave empty for now. A past moment gives the figures as they were known then."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, required=False)

    def __init__(self, *args, audiences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [choice for choice in Audience.choices if choice[0] in audiences]


class SnapshotForm(SitrepQueryForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PartnerFigureForm(BootstrapFormMixin, forms.Form):
    source = forms.CharField(
        label=_("Source"), max_length=200, help_text=_("Who counted, e.g. the host country's border guard.")
    )
    crossed = forms.IntegerField(label=_("Nationals crossed"), min_value=0)
    period_start = forms.DateTimeField(label=_("Period from"), widget=DateTimeLocalInput(), input_formats=_MINUTES)
    period_end = forms.DateTimeField(label=_("Period to"), widget=DateTimeLocalInput(), input_formats=_MINUTES)
    point = forms.ModelChoiceField(
        label=_("Crossing point"),
        queryset=CrossingPoint.objects.order_by("name"),
        required=False,
        empty_label=_("All points"),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
