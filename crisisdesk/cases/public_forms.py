"""Forms of the public request page (/immigrate/) and of the private status link.

A request is one submission: the applicant, the family members (a formset), what they ask
for and why, how to reach them, and consent. The person fields are the registry's own
pieces (`NameField`, the citizenship choices, the rules for names and birth years), so a
name typed here is cleaned and checked exactly as in the self-registration, with the same
messages; the service receives `MemberInput`s carrying registry `PersonInput`s.

Family rows are added without JavaScript: a fresh form has a few empty rows, and the "more
rows" button sends the form back, unsaved, with more (`RequestForms.with_more_rows`).
"""

import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import CaseMember, DocumentKind, EligibilityBasis, RequestType
from crisisdesk.cases.services import MemberInput
from crisisdesk.common.forms import BootstrapFormMixin
from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.forms import (
    COMMON_CITIZENSHIPS,
    CodeMultipleChoiceField,
    NameField,
    PersonIdentityMixin,
    country_choices,
)
from crisisdesk.registry.inputs import ContactInput, PersonInput
from crisisdesk.registry.models import ContactPoint, Relationship, Sex, Vulnerability
from crisisdesk.registry.services import MAX_PEOPLE_PER_REGISTRATION
from crisisdesk.registry.validation import normalize_phone

Role = CaseMember.Role

# The applicant plus family: as many people as one household registration holds.
MAX_FAMILY_MEMBERS = MAX_PEOPLE_PER_REGISTRATION - 1
FAMILY_ROWS = 3  # empty rows of a fresh form
MORE_ROWS = 3  # rows the "more rows" button adds
MORE_ROWS_BUTTON = "more_rows"

# A case member's role as the registry's relationship to the head of the household.
ROLE_RELATIONSHIP = {
    Role.APPLICANT: Relationship.SELF,
    Role.SPOUSE: Relationship.SPOUSE,
    Role.CHILD: Relationship.CHILD,
    Role.PARENT: Relationship.PARENT,
    Role.OTHER: Relationship.OTHER,
}

# Request types and bases are data the ministry edits, named in its own words. The ones a
# new installation starts with are offered to the public in plain words, in the visitor's
# language; any other shows its configured name.
PLAIN_REQUEST_TYPES = {
    "immigration": _("To immigrate to Israel (aliyah)"),
    "entry": _("To enter Israel (an entry permit)"),
}
PLAIN_BASES = {
    "jewish": _("I am Jewish"),
    "jewish_descent": _("My parent or grandparent is or was Jewish"),
    "spouse": _("My husband or wife is eligible"),
    "family_reunification": _("I want to join my family, who are Israeli citizens"),
    "humanitarian": _("Humanitarian reasons"),
}
# The kinds of document, in the words the status page uses.
PLAIN_DOCUMENT_KINDS = {
    DocumentKind.PASSPORT: _("Passport"),
    DocumentKind.BIRTH_CERTIFICATE: _("Birth certificate"),
    DocumentKind.ELIGIBILITY_PROOF: _("A document that shows your eligibility (for example a parent's birth record)"),
    DocumentKind.MARRIAGE_CERTIFICATE: _("Marriage certificate"),
    DocumentKind.OTHER: _("Another document"),
}


class PlainNameChoiceField(forms.ModelChoiceField):
    """A configured object shown by its plain public label when it has one."""

    def __init__(self, *args, plain_labels, **kwargs):
        self.plain_labels = plain_labels
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return str(self.plain_labels.get(obj.code, obj.name))


class PersonFields(PersonIdentityMixin, BootstrapFormMixin, forms.Form):
    """One person on the request, in the registry's terms."""

    given_name = NameField(label=_("Given name"), required=False, help_text=_("As you write it, in any alphabet."))
    family_name = NameField(label=_("Family name"), required=False)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1, max_value=9999)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    citizenships_common = CodeMultipleChoiceField(
        label=_("Citizenships"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(code, countries.name(code)) for code in COMMON_CITIZENSHIPS],
        codes=COMMON_CITIZENSHIPS,
    )
    citizenships_other = CodeMultipleChoiceField(
        label=_("Other citizenships"),
        required=False,
        choices=country_choices,
        codes=countries,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Needs"), required=False, widget=forms.CheckboxSelectMultiple, choices=Vulnerability.Kind.choices
    )

    def clean(self):
        cleaned = super().clean()
        self.check_names_and_birth(cleaned)
        return cleaned

    def member_role(self) -> str:
        return Role.APPLICANT

    def to_member(self, *, contacts: tuple[ContactInput, ...] = ()) -> MemberInput:
        data = self.cleaned_data
        role = self.member_role()
        return MemberInput(
            role=role,
            new_person=PersonInput(
                given_name=data["given_name"],
                family_name=data["family_name"],
                sex=data.get("sex") or Sex.UNKNOWN,
                birth_year=data.get("birth_year"),
                relationship=ROLE_RELATIONSHIP[role],
                citizenships=tuple(
                    dict.fromkeys([*data.get("citizenships_common", []), *data.get("citizenships_other", [])])
                ),
                contacts=contacts,
                vulnerabilities=tuple(data.get("vulnerabilities", [])),
            ),
        )


class ApplicantForm(PersonFields):
    """The person the request is for. Their year of birth is needed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_year"].required = True


class FamilyMemberForm(PersonFields):
    """A family member on the same request. A row left empty is skipped: nothing in it has
    an initial value, so an untouched row has not changed."""

    role = forms.ChoiceField(
        label=_("Who is this person to you?"),
        choices=[("", "—"), *((value, label) for value, label in Role.choices if value != Role.APPLICANT)],
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", "—"), *Sex.choices])

    field_order = ["role"]

    def member_role(self) -> str:
        return self.cleaned_data["role"]


class FamilyFormSetBase(BaseFormSet):
    """Every row is a new person: none is an "initial" (existing) form, so a row filled in
    from an earlier submission (`initial=`) is still skipped when left empty."""

    def initial_form_count(self) -> int:
        return 0


def family_formset_class(*, rows: int) -> type[BaseFormSet]:
    return formset_factory(
        FamilyMemberForm,
        formset=FamilyFormSetBase,
        extra=max(0, min(rows, MAX_FAMILY_MEMBERS)),
        max_num=MAX_FAMILY_MEMBERS,
        validate_max=True,
        absolute_max=MAX_FAMILY_MEMBERS,
    )


class RequestForm(BootstrapFormMixin, forms.Form):
    """What the request asks for and why, how to reach the applicant, and consent."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    request_type = PlainNameChoiceField(
        label=_("What are you asking for?"),
        queryset=RequestType.objects.filter(active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        plain_labels=PLAIN_REQUEST_TYPES,
    )
    basis = PlainNameChoiceField(
        label=_("Why are you eligible?"),
        queryset=EligibilityBasis.objects.filter(active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        required=False,
        plain_labels=PLAIN_BASES,
    )
    basis_note = forms.CharField(
        label=_("Tell us more in your own words"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_(
            "For example, who in your family is or was Jewish, or whom you want to join. Not sure? Say so here."
        ),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )
    email = forms.EmailField(
        label=_("Email"), required=False, max_length=254, widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    consent = forms.BooleanField(
        label=_("I agree that the ministry stores this information to handle our request and contacts us about it."),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = self.fields["request_type"].queryset
        if not self.is_bound and len(types) == 1:
            self.initial.setdefault("request_type", types[0].pk)

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except RegistryValidationError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("consent"):
            self.add_error("consent", _("We can only take your request with your consent."))
        if "basis" in cleaned and not cleaned.get("basis") and not cleaned.get("basis_note"):
            self.add_error("basis", CaseValidationError(CaseError.UNKNOWN_BASIS).message)
        return cleaned

    def contacts(self) -> tuple[ContactInput, ...]:
        data = self.cleaned_data
        contacts = []
        if data.get("phone"):
            contacts.append(ContactInput(kind=ContactPoint.Kind.PHONE, value=data["phone"]))
        if data.get("email"):
            contacts.append(ContactInput(kind=ContactPoint.Kind.EMAIL, value=data["email"].lower()))
        return tuple(contacts)


@dataclass
class RequestForms:
    """The three parts of the request page, bound or fresh, handled together."""

    request: RequestForm
    applicant: ApplicantForm
    family: BaseFormSet

    @classmethod
    def fresh(cls, *, rows: int = FAMILY_ROWS) -> "RequestForms":
        return cls(
            request=RequestForm(),
            applicant=ApplicantForm(prefix="applicant"),
            family=family_formset_class(rows=rows)(prefix="family"),
        )

    @classmethod
    def bound(cls, data) -> "RequestForms":
        return cls(
            request=RequestForm(data),
            applicant=ApplicantForm(data, prefix="applicant"),
            family=family_formset_class(rows=0)(data, prefix="family"),
        )

    def with_more_rows(self) -> "RequestForms":
        """The same answers on unbound forms (so no errors show yet), with more empty rows."""

        def answers(form) -> dict:
            return {name: form[name].data for name in form.fields}

        rows = [answers(form) for form in self.family.forms]
        return RequestForms(
            request=RequestForm(initial=answers(self.request)),
            applicant=ApplicantForm(initial=answers(self.applicant), prefix="applicant"),
            family=family_formset_class(rows=len(rows) + MORE_ROWS)(prefix="family", initial=rows),
        )

    def is_valid(self) -> bool:
        results = [self.request.is_valid(), self.applicant.is_valid(), self.family.is_valid()]
        return all(results)

    def has_errors(self) -> bool:
        return bool(self.request.errors or self.applicant.errors or self.family.total_error_count())

    def members(self) -> list[MemberInput]:
        """The applicant (with the contacts) and each family row filled in."""
        return [
            self.applicant.to_member(contacts=self.request.contacts()),
            *(form.to_member() for form in self.family.forms if form.cleaned_data),
        ]

    def show_error(self, error: CaseValidationError | RegistryValidationError) -> None:
        """A refusal from the service, on the field it names, or above the form."""
        field = error.field if error.field in self.request.fields else None
        self.request.add_error(field, error.message)


class StatusDocumentForm(BootstrapFormMixin, forms.Form):
    """A document sent through the private link: what it is (a kind the checklist asks for,
    or another) and the file. The content is checked by the service."""

    kind = forms.ChoiceField(label=_("Which document is this?"))
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"), allow_empty_file=True)

    def __init__(self, *args, checklist: list[str], missing: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [*dict.fromkeys([*checklist, DocumentKind.OTHER])]
        self.fields["kind"].choices = [(kind, PLAIN_DOCUMENT_KINDS[kind]) for kind in kinds]
        self.fields["kind"].initial = missing[0] if missing else DocumentKind.OTHER
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

    def clean_file(self):
        """Refuse an oversize file before reading it into memory; the service checks again."""
        uploaded = self.cleaned_data["file"]
        if uploaded.size > settings.CRISISDESK_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(CaseValidationError(CaseError.FILE_TOO_LARGE).message)
        return uploaded

    def show_error(self, error: CaseValidationError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)
