"""Forms for the public self-registration, the private update link and staff editing.

Validation happens here, at the edge, with messages in the user's language next to the
field. The services receive clean `inputs` dataclasses.
"""

import uuid

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.forms import BootstrapFormMixin
from crisisdesk.registry.errors import MESSAGES, RegistryError, RegistryValidationError
from crisisdesk.registry.inputs import (
    ContactInput,
    DocumentInput,
    NameInput,
    PersonInput,
    RegistrationInput,
    ReporterInput,
)
from crisisdesk.registry.models import (
    ContactPoint,
    IdentityDocument,
    Intent,
    PersonName,
    Relationship,
    Sex,
    StatusKind,
    Vulnerability,
)
from crisisdesk.registry.services import MAX_PEOPLE_PER_REGISTRATION
from crisisdesk.registry.validation import normalize_phone, region_choices, validate_birth_date
from namebridge import clean_name

NAME_MAX_LENGTH = 200
# Citizenships most registrants hold, offered as checkboxes before the full list.
COMMON_CITIZENSHIPS = ("IL", "UA", "RU")
MONTHS = [(str(n), str(n)) for n in range(1, 13)]


def country_choices():
    return [(code, name) for code, name in countries]


class CodeChoiceMixin:
    """Checks a submitted code by lookup in `codes` instead of walking the choice list.

    Django's ChoiceField.valid_value walks every (translated) choice for every submitted
    value. For the ~250 countries that was about a quarter of the public form's
    validation time (docs/benchmarks.md). `codes` must hold exactly the choice keys.
    """

    def __init__(self, *, codes, **kwargs):
        self.codes = codes
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return str(value) in self.codes


class CodeChoiceField(CodeChoiceMixin, forms.ChoiceField):
    pass


class CodeMultipleChoiceField(CodeChoiceMixin, forms.MultipleChoiceField):
    pass


def _region_field(required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Region (oblast)"),
        required=required,
        choices=lambda: [("", "—"), *region_choices()],
    )


class NameField(forms.CharField):
    """A name as the person writes it: any script; invisible and bidi-control characters
    removed (they can make a name display as something it is not). Also used for the short
    texts the services store through `clean_name` (places, relationships), so that the
    length check applies to the cleaned text, which NFC can make longer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value):
        return clean_name(super().to_python(value) or "")


class PersonIdentityMixin:
    """The rules a person's names and birth date follow in every form."""

    def check_names_and_birth(self, cleaned: dict) -> None:
        if (
            "given_name" in cleaned
            and "family_name" in cleaned
            and not (cleaned["given_name"] or cleaned["family_name"])
        ):
            self.add_error("given_name", MESSAGES[RegistryError.NAME_EMPTY])
        try:
            validate_birth_date(cleaned.get("birth_year"), cleaned.get("birth_month"), cleaned.get("birth_day"))
        except RegistryValidationError as error:
            self.add_error(error.field, forms.ValidationError(error.message, code=error.code))


class PersonForm(PersonIdentityMixin, BootstrapFormMixin, forms.Form):
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices, initial=Relationship.SELF)
    # One of the two is enough: some people have a single name.
    given_name = NameField(label=_("Given name"), required=False, help_text=_("As you write it, in any alphabet."))
    family_name = NameField(label=_("Family name"), required=False)
    passport_given_name = NameField(label=_("Given name in the passport"), required=False)
    passport_family_name = NameField(label=_("Family name in the passport"), required=False)
    other_names = forms.CharField(
        label=_("Other spellings or former names"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, for example a name in Hebrew or Cyrillic, or a maiden name."),
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1, max_value=9999)
    birth_month = forms.TypedChoiceField(
        label=_("Month"), required=False, choices=[("", "—"), *MONTHS], coerce=int, empty_value=None
    )
    birth_day = forms.IntegerField(label=_("Day"), required=False, min_value=1, max_value=31)
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
    document_kind = forms.ChoiceField(
        label=_("Identity document"), required=False, choices=[("", "—"), *IdentityDocument.Kind.choices]
    )
    document_number = forms.CharField(label=_("Document number"), required=False, max_length=40)
    document_country = CodeChoiceField(
        label=_("Issued by"), required=False, choices=lambda: [("", "—"), *country_choices()], codes=countries
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    messenger = forms.ChoiceField(
        label=_("Messenger"), required=False, choices=[("", "—"), *ContactPoint.Messenger.choices]
    )
    messenger_handle = forms.CharField(label=_("Messenger name or number"), required=False, max_length=100)
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Needs"), required=False, widget=forms.CheckboxSelectMultiple, choices=Vulnerability.Kind.choices
    )
    needs_note = forms.CharField(
        label=_("Anything else we should know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_other_names(self):
        """Each line becomes a stored name, so each is held to the length of a name."""
        value = self.cleaned_data.get("other_names", "")
        for line in value.splitlines():
            MaxLengthValidator(NAME_MAX_LENGTH)(clean_name(line))
        return value

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
        self.check_names_and_birth(cleaned)
        if cleaned.get("document_number") and not cleaned.get("document_kind"):
            cleaned["document_kind"] = IdentityDocument.Kind.OTHER
        if cleaned.get("messenger_handle") and not cleaned.get("messenger"):
            cleaned["messenger"] = ContactPoint.Messenger.OTHER
        return cleaned

    def to_input(self, *, region: str, city: str, location_note: str, intent: str) -> PersonInput:
        data = self.cleaned_data
        other_names = []
        if data.get("passport_given_name") or data.get("passport_family_name"):
            other_names.append(
                NameInput(
                    kind=PersonName.Kind.PASSPORT,
                    given_name=data["passport_given_name"],
                    family_name=data["passport_family_name"],
                )
            )
        for raw_line in (data.get("other_names") or "").splitlines():
            line = clean_name(raw_line)
            if line:
                given, _space, family = line.rpartition(" ")
                other_names.append(NameInput(kind=PersonName.Kind.OTHER, given_name=given, family_name=family))
        contacts = []
        if data.get("phone"):
            contacts.append(ContactInput(kind=ContactPoint.Kind.PHONE, value=data["phone"]))
        if data.get("email"):
            contacts.append(ContactInput(kind=ContactPoint.Kind.EMAIL, value=data["email"].lower()))
        if data.get("messenger_handle"):
            contacts.append(
                ContactInput(
                    kind=ContactPoint.Kind.MESSENGER, value=data["messenger_handle"], messenger=data["messenger"]
                )
            )
        documents = []
        if data.get("document_number"):
            documents.append(
                DocumentInput(
                    kind=data["document_kind"],
                    number=data["document_number"],
                    issuing_country=data.get("document_country") or "",
                )
            )
        return PersonInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            sex=data["sex"],
            birth_year=data.get("birth_year"),
            birth_month=data.get("birth_month"),
            birth_day=data.get("birth_day"),
            relationship=data["relationship"],
            other_names=tuple(other_names),
            citizenships=tuple(
                dict.fromkeys([*data.get("citizenships_common", []), *data.get("citizenships_other", [])])
            ),
            documents=tuple(documents),
            contacts=tuple(contacts),
            vulnerabilities=tuple(data.get("vulnerabilities", [])),
            needs_note=data.get("needs_note", ""),
            region=region,
            city=city,
            location_note=location_note,
            intent=intent,
        )


PersonFormSet = formset_factory(
    PersonForm,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_PEOPLE_PER_REGISTRATION,
    validate_max=True,
    absolute_max=MAX_PEOPLE_PER_REGISTRATION,
)


class RegistrationForm(BootstrapFormMixin, forms.Form):
    """What the household shares: where they are, what they intend, and consent."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    region = _region_field(required=False)
    city = NameField(label=_("City or town"), required=False)
    location_note = NameField(
        label=_("Where exactly"),
        required=False,
        max_length=500,
        help_text=_("A district, a shelter, a street. Only staff see this."),
    )
    intent = forms.ChoiceField(
        label=_("What do you intend to do?"), choices=Intent.choices, widget=forms.RadioSelect, initial=Intent.UNDECIDED
    )
    for_someone_else = forms.BooleanField(
        label=_("I am registering someone else (for example a relative I cannot reach)"), required=False
    )
    reporter_name = NameField(label=_("Your name"), required=False)
    reporter_contact = forms.CharField(label=_("How we can reach you"), required=False, max_length=200)
    reporter_relationship = NameField(label=_("Your relationship to them"), required=False, max_length=100)
    consent = forms.BooleanField(
        label=_("I agree that the ministry stores this information to help us and contacts us about our safety."),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("consent"):
            self.add_error("consent", MESSAGES[RegistryError.CONSENT_REQUIRED])
        if cleaned.get("for_someone_else") and not cleaned.get("reporter_name"):
            self.add_error("reporter_name", MESSAGES[RegistryError.REPORTER_REQUIRED])
        return cleaned

    def reporter(self) -> ReporterInput | None:
        data = self.cleaned_data
        if not data.get("for_someone_else"):
            return None
        return ReporterInput(
            name=data["reporter_name"],
            contact=data.get("reporter_contact", ""),
            relationship=data.get("reporter_relationship", ""),
        )


def registration_forms_input(form: RegistrationForm, people, *, language: str) -> RegistrationInput:
    """What a valid household form (`form` and its `people` formset) registers."""
    data = form.cleaned_data
    return RegistrationInput(
        people=tuple(
            person_form.to_input(
                region=data["region"], city=data["city"], location_note=data["location_note"], intent=data["intent"]
            )
            for person_form in people.forms
            # An added person block left untouched is skipped, not an error.
            if person_form.cleaned_data
        ),
        submission_key=str(data["submission_key"]),
        language=language,
        consent_given=data["consent"],
        reporter=form.reporter(),
    )


class SelfUpdateForm(BootstrapFormMixin, forms.Form):
    """What a registrant can report through the private link, for chosen household members."""

    class Report:
        INTENT = "intent"
        LOCATION = "location"
        CROSSED = "crossed"
        STAYING = "staying"

    REPORTS = ("intent", "location", "crossed", "staying")

    report = forms.ChoiceField(
        choices=[("intent", "intent"), ("location", "location"), ("crossed", "crossed"), ("staying", "staying")],
        widget=forms.HiddenInput,
    )
    persons = forms.MultipleChoiceField(label=_("Who does this concern?"), widget=forms.CheckboxSelectMultiple)
    intent = forms.ChoiceField(label=_("What do you intend to do?"), choices=Intent.choices, required=False)
    region = _region_field(required=False)
    city = NameField(label=_("City or town"), required=False)
    location_note = NameField(label=_("Where exactly"), required=False, max_length=500)
    crossing_point = forms.ModelChoiceField(
        label=_("Where did you cross?"), queryset=CrossingPoint.objects.all(), required=False, to_field_name="code"
    )
    crossed_at = forms.DateTimeField(
        label=_("When?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, persons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persons"].choices = [(str(p.pk), p.full_name) for p in persons]
        self.fields["persons"].initial = [str(p.pk) for p in persons]

    def clean(self):
        cleaned = super().clean()
        report = cleaned.get("report")
        if report == self.Report.INTENT and not cleaned.get("intent"):
            self.add_error("intent", _("Choose one."))
        if report == self.Report.CROSSED:
            if not cleaned.get("crossing_point"):
                self.add_error("crossing_point", MESSAGES[RegistryError.CROSSING_NEEDS_PLACE])
            crossed_at = cleaned.get("crossed_at")
            if crossed_at and crossed_at > timezone.now() + timezone.timedelta(minutes=10):
                self.add_error("crossed_at", MESSAGES[RegistryError.EVENT_IN_FUTURE])
        return cleaned


class PersonFilterForm(forms.Form):
    """The staff registry list's filters. Unknown values are ignored, not errors."""

    q = forms.CharField(label=_("Name or reference"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *StatusKind.choices])
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=lambda: [("", _("Any region")), *region_choices()]
    )
    intent = forms.ChoiceField(label=_("Intent"), required=False, choices=[("", _("Any intent")), *Intent.choices])
    citizenship = forms.ChoiceField(
        label=_("Citizenship"), required=False, choices=lambda: [("", _("Any citizenship")), *country_choices()]
    )
    risk_flag = forms.ChoiceField(label=_("Risk flag"), required=False)
    vulnerability = forms.ChoiceField(
        label=_("Need"), required=False, choices=[("", _("Any need")), *Vulnerability.Kind.choices]
    )
    possible_duplicate = forms.BooleanField(label=_("Possibly registered twice"), required=False)

    def __init__(self, *args, risk_rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_flag"].choices = [("", _("Any flag")), *((rule.code, rule.label) for rule in risk_rules)]
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"


class PersonEditForm(PersonIdentityMixin, BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    given_name = NameField(label=_("Given name"), required=False)
    family_name = NameField(label=_("Family name"), required=False)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1, max_value=9999)
    birth_month = forms.TypedChoiceField(
        label=_("Month"), required=False, choices=[("", "—"), *MONTHS], coerce=int, empty_value=None
    )
    birth_day = forms.IntegerField(label=_("Day"), required=False, min_value=1, max_value=31)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    citizenships = forms.MultipleChoiceField(
        label=_("Citizenships"),
        required=False,
        choices=country_choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    region = _region_field(required=False)
    city = NameField(label=_("City or town"), required=False)
    location_note = NameField(label=_("Where exactly"), required=False, max_length=500)
    intent = forms.ChoiceField(label=_("Intent"), choices=Intent.choices)
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Needs"), required=False, widget=forms.CheckboxSelectMultiple, choices=Vulnerability.Kind.choices
    )
    needs_note = forms.CharField(
        label=_("Needs, in their words"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        self.check_names_and_birth(cleaned)
        return cleaned


class PersonContactsForm(BootstrapFormMixin, forms.Form):
    """Phones and emails, one per line; shown only to roles that may see contacts."""

    phones = forms.CharField(
        label=_("Phone numbers, one per line"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )
    emails = forms.CharField(
        label=_("Email addresses, one per line"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )

    def clean_phones(self):
        numbers = []
        for line in self.cleaned_data["phones"].splitlines():
            if line.strip():
                try:
                    numbers.append(normalize_phone(line.strip()))
                except RegistryValidationError as error:
                    raise forms.ValidationError(f"{line.strip()}: {error.message}", code=error.code) from None
        return numbers

    def clean_emails(self):
        validator = forms.EmailField()
        return [
            validator.clean(line.strip()).lower() for line in self.cleaned_data["emails"].splitlines() if line.strip()
        ]

    def to_inputs(self, messengers: list[ContactInput]) -> list[ContactInput]:
        data = self.cleaned_data
        return [
            *(ContactInput(kind=ContactPoint.Kind.PHONE, value=number) for number in data["phones"]),
            *(ContactInput(kind=ContactPoint.Kind.EMAIL, value=email) for email in data["emails"]),
            *messengers,
        ]


class StatusEventForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=StatusKind.choices)
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=timezone.now,
    )
    crossing_point = forms.ModelChoiceField(
        label=_("Crossing point"), queryset=CrossingPoint.objects.all(), required=False
    )
    place_note = forms.CharField(label=_("Place"), required=False, max_length=300)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    corrects = forms.TypedChoiceField(
        label=_("This corrects an earlier entry"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["corrects"].choices = [("", "—")] + [
            (event.pk, f"{event.get_kind_display()} · {timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M}")
            for event in events
        ]
