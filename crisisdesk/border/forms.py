"""Staff forms of the border desk. They parse and validate; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import ROLE_PERMISSIONS, Permission
from crisisdesk.border.models import CrossingPoint, Post
from crisisdesk.common.forms import DateTimeLocalInput


class PostOpenForm(forms.ModelForm):
    """A new post; choosing the post it replaces makes it a relocation (that one closes)."""

    relocating = forms.ModelChoiceField(
        label=_("Relocating from"),
        queryset=Post.objects.filter(closed_at__isnull=True).select_related("mission"),
        required=False,
        help_text=_("The post the mission leaves. It closes when this one opens."),
    )

    class Meta:
        model = Post
        fields = ["mission", "kind", "name", "city", "country", "latitude", "longitude", "opened_at", "note"]
        widgets = {"opened_at": DateTimeLocalInput()}
        labels = {"mission": _("Mission"), "latitude": _("Latitude"), "longitude": _("Longitude")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].required = False
        self.fields["opened_at"].input_formats = ["%Y-%m-%dT%H:%M"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("mission") and not cleaned.get("relocating"):
            self.add_error("mission", _("Choose the mission, or the post it relocates from."))
        return cleaned


class CrossingStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CrossingPoint.Status.choices)
    expected_wait_minutes = forms.IntegerField(
        label=_("Expected wait (minutes)"), min_value=0, max_value=7 * 24 * 60, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


def _shift_workers():
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.SHIFT_WORK in permissions]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")


class ShiftForm(forms.Form):
    point = forms.ModelChoiceField(label=_("Crossing point"), queryset=CrossingPoint.objects.order_by("name"))
    officer = forms.ModelChoiceField(label=_("Officer"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = _shift_workers()


class ShiftEndForm(forms.Form):
    handover_note = forms.CharField(
        label=_("Handover note for the next shift"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the next shift at this point must know: queue, open cases, who is waiting."),
    )


class ConflictResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How was it resolved?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
