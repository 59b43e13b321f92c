"""Staff forms of the cases module. They parse; the services decide.

The action forms leave the guards to the services (a decision's reason, a rejection's
second officer, the stage that may follow): a refusal comes back as a `CaseValidationError`
and is shown on the field it names, so there is one statement of each rule.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.border.models import Post
from crisisdesk.cases.models import Case, CaseDocument, CaseMember, DocumentKind, EligibilityBasis, RequestType, Stage
from crisisdesk.common.forms import BootstrapFormMixin
from crisisdesk.registry.models import Sex

QUEUES = (
    ("mine", _("My queue")),
    ("pool", _("Unassigned pool")),
    ("reviews", _("Rejections to review")),
    ("all", pgettext_lazy("queue of every case", "All")),
)


def _text(label, *, required: bool = False, rows: int = 3, max_length: int = 2000) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows, "dir": "auto"}),
    )


def _version_field() -> forms.IntegerField:
    """The case's version when the page was drawn: a change made meanwhile is refused."""
    return forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


# --- Filters ---------------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    """Queue filters. A value that does not parse is dropped alone (a stale link still opens)."""

    queue = forms.ChoiceField(required=False, choices=QUEUES, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Reference"), required=False, max_length=20)
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=[("", _("Any open stage")), *Stage.choices])
    min_days = forms.IntegerField(label=_("Days in stage (at least)"), required=False, min_value=0, max_value=3650)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *Case.Priority.choices],
    )
    post = forms.ModelChoiceField(
        label=_("Post"), required=False, queryset=Post.objects.order_by("name"), empty_label=_("Any post")
    )
    basis = forms.ModelChoiceField(
        label=_("Basis"),
        required=False,
        queryset=EligibilityBasis.objects.filter(active=True),
        empty_label=_("Any basis"),
    )
    request_type = forms.ModelChoiceField(
        label=_("Request type"),
        required=False,
        queryset=RequestType.objects.filter(active=True),
        empty_label=_("Any type"),
    )
    ageing_only = forms.BooleanField(label=_("Ageing only"), required=False)
    include_closed = forms.BooleanField(label=_("Include closed"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs["class"] = "form-control form-control-sm"
        self.fields["q"].widget.attrs.update({"dir": "ltr", "placeholder": "C-…"})

    def values(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data


class BoardFilterForm(CaseFilterForm):
    """The board's columns are the stages of one request type's pipeline."""

    request_type = forms.ModelChoiceField(
        label=_("Request type"), required=False, queryset=RequestType.objects.filter(active=True), empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["stage"]
        del self.fields["include_closed"]


# --- Actions on a case -----------------------------------------------------------------------


class TakeForm(forms.Form):
    """Nothing to fill in: the button is the whole form."""


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignForm(BootstrapFormMixin, forms.Form):
    officer = OfficerChoiceField(
        label=_("Officer"), required=False, queryset=None, empty_label=_("Nobody (back to the pool)")
    )

    def __init__(self, *args, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers


class StageField(forms.ChoiceField):
    """Offers the choices the page computed, and accepts any stage: whether the case may
    go there is the service's to say, in its own words."""

    def valid_value(self, value) -> bool:
        return value in Stage.values


class MoveForm(BootstrapFormMixin, forms.Form):
    to_stage = StageField(label=_("Move to"))
    note = _text(_("Note (required when sending a case back)"))
    version = _version_field()

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = stages


class DecideForm(BootstrapFormMixin, forms.Form):
    outcome = StageField(label=_("Decision"), widget=forms.RadioSelect)
    reason = _text(_("Reason"), rows=4)
    version = _version_field()

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes


class RejectionReviewForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Your review"),
        widget=forms.RadioSelect,
        choices=[("confirm", _("Confirm the rejection")), ("return", _("Send it back for a new decision"))],
    )
    note = _text(_("Note (required when sending it back)"))


class NoteForm(BootstrapFormMixin, forms.Form):
    note = _text(_("Internal note"), required=True)


class PriorityForm(BootstrapFormMixin, forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Case.Priority.choices)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CaseMember) -> str:
        name = f"{obj.person.given_name} {obj.person.family_name}".strip()
        return f"{name} ({obj.get_role_display()})"


class DocumentUploadForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=[("", "—"), *DocumentKind.choices])
    member = MemberChoiceField(label=_("Whose"), required=False, queryset=None, empty_label=_("The whole request"))
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = CaseMember.objects.filter(case=case).select_related("person").order_by("id")
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class DocumentReviewForm(BootstrapFormMixin, forms.Form):
    state = forms.ChoiceField(
        choices=[(CaseDocument.State.ACCEPTED, _("Accept")), (CaseDocument.State.REJECTED, _("Do not accept"))]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


# --- Intake by staff (at a post, or from a registry person's page) ---------------------------


class IntakeForm(BootstrapFormMixin, forms.Form):
    request_type = forms.ModelChoiceField(
        label=_("Request type"), queryset=RequestType.objects.filter(active=True), empty_label=None
    )
    basis = forms.ModelChoiceField(
        label=_("Basis of eligibility"), queryset=EligibilityBasis.objects.filter(active=True), required=False
    )
    basis_note = _text(_("The basis, in the applicant's words"))
    post = forms.ModelChoiceField(
        label=_("Post taking the request"), queryset=Post.objects.filter(closed_at__isnull=True), required=False
    )
    note = _text(_("Internal note (never shown to the applicant)"))

    def __init__(self, *args, household=(), **kwargs):
        super().__init__(*args, **kwargs)
        if household:
            self.fields["relatives"] = forms.MultipleChoiceField(
                label=_("Family members already registered with the applicant"),
                required=False,
                choices=[(str(person.pk), f"{person.given_name} {person.family_name}".strip()) for person in household],
                widget=forms.CheckboxSelectMultiple,
            )


class IntakePersonForm(BootstrapFormMixin, forms.Form):
    """A person not yet in the registry. A row left empty is ignored."""

    role = forms.ChoiceField(label=_("Role"), choices=CaseMember.Role.choices)
    given_name = forms.CharField(label=_("Given name"), max_length=200, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=200, required=False)
    birth_year = forms.IntegerField(label=_("Year of birth"), min_value=1900, max_value=2100, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and not (cleaned.get("given_name", "").strip() or cleaned.get("family_name", "").strip()):
            raise forms.ValidationError(_("Give at least a given name or a family name."))
        return cleaned

    def has_changed(self) -> bool:
        return any(self[name].value() for name in ("given_name", "family_name", "birth_year"))


IntakePeopleFormSet = forms.formset_factory(IntakePersonForm, extra=4, max_num=20, validate_max=True)
