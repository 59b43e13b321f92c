"""Staff forms of the diplomacy module. They parse and validate; the services write.

Every choice of a compartmented record (a channel, a compartment, a mediation request) is
scoped to the reader when the form is built, so an id the reader may not see is refused
with Django's own "Select a valid choice", word for word the answer for an id that does not
exist (docs/subsystems/access-control.md).
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import ROLE_PERMISSIONS, Permission
from crisisdesk.common.forms import BootstrapFormMixin, DateTimeLocalInput
from crisisdesk.diplomacy import access
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelLevel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactForm,
    Counterpart,
    MediationOutcome,
    MediationRequest,
    Official,
    PublicStatement,
    ReadIn,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label, *, required=True, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE_INPUT, input_formats=["%Y-%m-%d"], **kwargs)


def _reason_field(label=None) -> forms.CharField:
    return forms.CharField(label=label or _("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


# --- Scoped choices ---------------------------------------------------------------------


def channel_choices(actor):
    """Channels the actor sees, with their counterparts (the choice label names both)."""
    return access.visible(Channel, actor).select_related("counterpart")


def loggable_channel_choices(actor):
    """Contacts are logged on open and dormant channels; a closed one must be reopened."""
    return channel_choices(actor).exclude(status=Channel.Status.CLOSED)


def compartment_choices(actor):
    return access.visible(Compartment, actor)


def mediation_request_choices(actor):
    return access.visible(MediationRequest, actor).order_by("-asked_on", "id")


def module_users():
    """Everyone whose role opens the module, whatever they are read into."""
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.DIPLOMACY_VIEW in permissions]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")


def follow_up_owner_choices(actor):
    """Users read into at least one compartment the actor is read into: who could be asked
    to do something here, without showing who is read into what else."""
    shared = ReadIn.objects.filter(
        compartment_id__in=access.read_in_compartment_ids(actor), read_out_at__isnull=True
    ).values("user_id")
    return module_users().filter(pk__in=shared)


class ChannelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return f"{obj.counterpart.name} · {obj.name} ({obj.get_level_display()})"


class OfficialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Official) -> str:
        return f"{obj.name} ({obj.counterpart.name})"


class OfficialMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Official) -> str:
        return f"{obj.name} ({obj.counterpart.name})"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


def _officials():
    return Official.objects.select_related("counterpart").order_by("name")


# --- Filters ------------------------------------------------------------------------------


class _FilterForm(forms.Form):
    """List filters: unknown values are ignored, not errors (a stale link still opens)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            small = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = small

    def values(self) -> dict:
        """The filters that parsed; a bad one is dropped alone, the others still apply."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data


class ChannelFilterForm(_FilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    counterpart = forms.ModelChoiceField(
        label=_("Counterpart"), queryset=Counterpart.objects.all(), required=False, empty_label=_("Any counterpart")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Channel.Status.choices]
    )
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", _("Any level")), *ChannelLevel.choices])


class EntryFilterForm(_FilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    counterpart = forms.ModelChoiceField(
        label=_("Counterpart"), queryset=Counterpart.objects.all(), required=False, empty_label=_("Any counterpart")
    )
    channel = ChannelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), required=False, empty_label=_("Any channel")
    )
    classification = forms.ChoiceField(
        label=_("Classification"), required=False, choices=[("", _("Any marking")), *Classification.choices]
    )
    since = _date_field(pgettext_lazy("start of a date range", "From"), required=False)
    until = _date_field(_("Until"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channel_choices(actor)


class MediationFilterForm(_FilterForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any outcome")), *MediationOutcome.choices]
    )


class OfficialFilterForm(_FilterForm):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    counterpart = forms.ModelChoiceField(
        label=_("Counterpart"), queryset=Counterpart.objects.all(), required=False, empty_label=_("Any counterpart")
    )


class StatementFilterForm(_FilterForm):
    topic = forms.CharField(label=_("Topic"), required=False, max_length=60)


# --- Channels ---------------------------------------------------------------------------


class ChannelOpenRequestForm(BootstrapFormMixin, forms.Form):
    compartment = forms.ModelChoiceField(label=_("Compartment"), queryset=Compartment.objects.none())
    counterpart = forms.ModelChoiceField(label=_("Counterpart"), queryset=Counterpart.objects.filter(is_own=False))
    name = forms.CharField(label=_("Channel name"), max_length=150)
    level = forms.ChoiceField(label=_("Level"), choices=ChannelLevel.choices)
    purpose = forms.CharField(label=_("Purpose"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    reason = _reason_field(_("Why it is needed"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compartment"].queryset = compartment_choices(actor)


class ChannelChangeRequestForm(BootstrapFormMixin, forms.Form):
    """Escalate a channel to a higher level, or ask for a closed one to be reopened."""

    kind = forms.ChoiceField(
        label=_("Request"),
        choices=[(ChannelRequest.Kind.ESCALATE, _("Escalate")), (ChannelRequest.Kind.REOPEN, _("Reopen"))],
    )
    level = forms.ChoiceField(label=_("Level"), choices=ChannelLevel.choices)
    reason = _reason_field(_("Why it is needed"))


class ChannelCloseForm(BootstrapFormMixin, forms.Form):
    reason = _reason_field(_("Why close it"))


class ChannelDecideForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = _reason_field()


# --- The contact log --------------------------------------------------------------------


class ContactEntryForm(BootstrapFormMixin, forms.Form):
    channel = ChannelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    occurred_at = forms.DateTimeField(
        label=_("Date and time"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    form = forms.ChoiceField(label=_("Form"), choices=ContactForm.choices)
    intermediary = forms.CharField(
        label=_("Intermediary"), max_length=150, required=False, help_text=_("When the contact went through one.")
    )
    own_participants = OfficialMultipleChoiceField(
        label=_("Our side"), queryset=Official.objects.none(), required=False
    )
    their_participants = OfficialMultipleChoiceField(
        label=_("Their side"), queryset=Official.objects.none(), required=False
    )
    summary = forms.CharField(label=_("Summary"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))
    classification = forms.ChoiceField(
        label=_("Classification"), choices=Classification.choices, initial=Classification.CONFIDENTIAL
    )
    compartment = forms.ModelChoiceField(
        label=_("Compartment"),
        queryset=Compartment.objects.none(),
        required=False,
        empty_label=_("The channel's compartment"),
        help_text=_("Leave as it is to keep the entry in the channel's compartment."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = loggable_channel_choices(actor)
        self.fields["compartment"].queryset = compartment_choices(actor)
        self.fields["own_participants"].queryset = _officials().filter(counterpart__is_own=True)
        self.fields["their_participants"].queryset = _officials().filter(counterpart__is_own=False)
        self.fields["channel"].widget.attrs["data-testid"] = "channel-select"


class FollowUpForm(BootstrapFormMixin, forms.Form):
    """A follow-up row: all three fields, or none (the row is left out)."""

    action = forms.CharField(label=_("Follow-up"), max_length=2000)
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = _date_field(pgettext_lazy("column: due date", "Due"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = follow_up_owner_choices(actor)


class _FollowUpFormSet(forms.BaseFormSet):
    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "actor": self.actor}

    @property
    def rows(self) -> list[dict]:
        """The filled rows, once valid."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


FollowUpFormSet = forms.formset_factory(FollowUpForm, formset=_FollowUpFormSet, extra=2, max_num=10, validate_max=True)
FOLLOW_UPS_PREFIX = "follow_ups"


# --- Mediation --------------------------------------------------------------------------


class MediationRequestForm(BootstrapFormMixin, forms.Form):
    compartment = forms.ModelChoiceField(label=_("Compartment"), queryset=Compartment.objects.none())
    kind = forms.ChoiceField(label=_("Asked to"), choices=MediationRequest.Kind.choices)
    requested_by = OfficialChoiceField(label=_("Asked by"), queryset=Official.objects.none())
    requested_of = OfficialChoiceField(label=_("Asked"), queryset=Official.objects.none())
    parties = forms.ModelMultipleChoiceField(label=_("Between"), queryset=Counterpart.objects.all())
    asked_on = _date_field(_("When"))
    channel = ChannelChoiceField(label=_("Through the channel"), queryset=Channel.objects.none(), required=False)
    repeat_of = forms.ModelChoiceField(
        label=_("Made before as"),
        queryset=MediationRequest.objects.none(),
        required=False,
        help_text=_("The earlier making of the same request, if it was made before."),
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compartment"].queryset = compartment_choices(actor)
        self.fields["requested_by"].queryset = _officials()
        self.fields["requested_of"].queryset = _officials()
        self.fields["channel"].queryset = channel_choices(actor)
        self.fields["repeat_of"].queryset = mediation_request_choices(actor).select_related(
            "requested_by", "requested_of"
        )
        self.fields["repeat_of"].label_from_instance = _mediation_label


def _mediation_label(request: MediationRequest) -> str:
    return f"{request.asked_on:%Y-%m-%d}: {request.requested_by.name} → {request.requested_of.name}"


class MediationOutcomeForm(BootstrapFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=MediationOutcome.choices)
    on = _date_field(_("On"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ApproachForm(BootstrapFormMixin, forms.Form):
    request = forms.ModelChoiceField(
        label=_("For the mediation request"), queryset=MediationRequest.objects.none(), required=False
    )
    compartment = forms.ModelChoiceField(
        label=_("Compartment"),
        queryset=Compartment.objects.none(),
        required=False,
        empty_label=_("The request's compartment"),
    )
    approached_by = OfficialChoiceField(label=_("Approached by"), queryset=Official.objects.none())
    approached = OfficialChoiceField(label=_("Approached"), queryset=Official.objects.none())
    on_behalf_of = forms.ModelChoiceField(label=_("On behalf of"), queryset=Counterpart.objects.all(), required=False)
    on = _date_field(_("When"))
    channel = ChannelChoiceField(label=_("Through the channel"), queryset=Channel.objects.none(), required=False)
    summary = forms.CharField(
        label=_("Summary"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    response = forms.ChoiceField(
        label=_("Response"), choices=Approach.Response.choices, initial=Approach.Response.AWAITED
    )
    response_on = _date_field(_("Response on"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = mediation_request_choices(actor).select_related(
            "requested_by", "requested_of"
        )
        self.fields["request"].label_from_instance = _mediation_label
        self.fields["compartment"].queryset = compartment_choices(actor)
        self.fields["approached_by"].queryset = _officials()
        self.fields["approached"].queryset = _officials()
        self.fields["channel"].queryset = channel_choices(actor)


class ApproachResponseForm(BootstrapFormMixin, forms.Form):
    response = forms.ChoiceField(label=_("Response"), choices=Approach.Response.choices)
    on = _date_field(_("On"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- The directory ----------------------------------------------------------------------


class CounterpartForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("name of a state or organisation", "Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Counterpart.Kind.choices)
    country = forms.CharField(label=_("Country code"), max_length=2, required=False)


class OfficialForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    counterpart = forms.ModelChoiceField(label=_("Side"), queryset=Counterpart.objects.all())
    title = forms.CharField(label=pgettext_lazy("an official's office", "Post"), max_length=150, required=False)
    starts_on = _date_field(_("Holds it from"), required=False)
    ends_on = _date_field(_("Until"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("title") and not cleaned.get("starts_on"):
            self.add_error("starts_on", _("Give the date the post was taken up."))
        return cleaned


class OfficialPostForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=pgettext_lazy("an official's office", "Post"), max_length=150)
    starts_on = _date_field(pgettext_lazy("start of a date range", "From"))
    ends_on = _date_field(_("Until"), required=False)


# --- Statements and lines ---------------------------------------------------------------


class StatementForm(BootstrapFormMixin, forms.Form):
    speaker = OfficialChoiceField(label=_("Speaker"), queryset=Official.objects.none())
    outlet = forms.CharField(label=_("Outlet"), max_length=120)
    said_on = _date_field(_("Date"))
    quote = forms.CharField(label=_("Quote"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    topics = forms.CharField(
        label=_("Topics"), max_length=300, required=False, help_text=_("Separate topics with commas.")
    )
    stance = forms.ChoiceField(label=_("Stance"), choices=PublicStatement.Stance.choices)
    source_url = forms.URLField(label=_("Source"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = _officials()

    def clean_topics(self) -> list[str]:
        return [topic.strip() for topic in self.cleaned_data["topics"].split(",") if topic.strip()]


class StatementAssessForm(BootstrapFormMixin, forms.Form):
    adherence = forms.ChoiceField(
        label=_("Against the line"), choices=PublicStatement.Adherence.choices, required=False
    )


class LineForm(BootstrapFormMixin, forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=60)
    text = forms.CharField(label=_("Line"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    valid_from = _date_field(_("Valid from"))
    valid_until = _date_field(_("Valid until"), required=False)


# --- Compartments -----------------------------------------------------------------------


class CompartmentForm(BootstrapFormMixin, forms.Form):
    codeword = forms.CharField(label=_("Codeword"), max_length=40)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReadInForm(BootstrapFormMixin, forms.Form):
    user = UserChoiceField(label=_("Read in"), queryset=User.objects.none())
    reason = _reason_field(_("Why they need to know"))

    def __init__(self, *args, compartment, **kwargs):
        super().__init__(*args, **kwargs)
        current = ReadIn.objects.filter(compartment=compartment, read_out_at__isnull=True).values("user_id")
        self.fields["user"].queryset = module_users().exclude(pk__in=current)


class ReadOutForm(BootstrapFormMixin, forms.Form):
    user = UserChoiceField(label=_("Read out"), queryset=User.objects.none())
    reason = _reason_field()

    def __init__(self, *args, compartment, **kwargs):
        super().__init__(*args, **kwargs)
        current = ReadIn.objects.filter(compartment=compartment, read_out_at__isnull=True).values("user_id")
        self.fields["user"].queryset = User.objects.filter(pk__in=current).order_by("username")
