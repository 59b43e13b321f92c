"""The diplomacy module's part of the demo scenario (late February 2022).

Two kinds of content, kept apart on purpose (issue 6, ../shared/scenario.md):

* **Public**: statements that real officials made on the air, quoted from the report in
  `scenario-article.txt` (speaker, outlet and day as the report gives them). Their speakers
  are in the directory, with the post the report names, dated from the report rather than
  from an appointment nobody here has checked.
* **Confidential**: everything in a compartment, the channels, the contact log, follow-ups,
  mediation requests and approaches. It is invented, and every person in it is fictional. It
  mirrors the shape of the report's mediation story (a president asks the prime minister to
  host talks; he had asked before, including the previous prime minister, who approached
  the other side twice to no avail; the other side's president refused in October), never
  its people or their words.

Two compartments show need-to-know: KEEL holds the working-level channels with every side,
and the demo diplomat, the senior diplomat and the political director are read in; OLIVE
holds the leaders' channels and the mediation track, and only the senior diplomat and the
political director are. The administrator is read into neither: roles do not open
compartments.

Everything is written through the module's services, so the demo's records have the audit
rows real ones would. Running it again replaces the demo compartments and what is in them
(their audit rows stay, as every audit row does) and keeps one copy of the directory, the
statements and the lines.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from crisisdesk.common.origin import Origin
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelLevel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactEntry,
    ContactForm,
    Counterpart,
    FollowUp,
    LineToTake,
    MediationOutcome,
    MediationOutcomeChange,
    MediationRequest,
    Official,
    PublicStatement,
    ReadIn,
)
from crisisdesk.diplomacy.services import PostInput

ISRAEL = ZoneInfo("Asia/Jerusalem")
DEMO_CODEWORDS = ("KEEL", "OLIVE")
# The demo staff by the part they play: `diplomacy_demo_ensure` takes one user for each.
DIPLOMAT, SENIOR, DIRECTOR = "diplomat", "senior", "director"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ISRAEL)


FRIDAY, SATURDAY, SUNDAY = date(2022, 2, 25), date(2022, 2, 26), date(2022, 2, 27)


# --- The directory ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CounterpartSpec:
    name: str
    country: str
    is_own: bool = False


COUNTERPARTS = {
    "IL": CounterpartSpec("Israel", "IL", is_own=True),
    "UA": CounterpartSpec("Ukraine", "UA"),
    "RU": CounterpartSpec("Russia", "RU"),
    "US": CounterpartSpec("United States", "US"),
    "DE": CounterpartSpec("Germany", "DE"),
    "FR": CounterpartSpec("France", "FR"),
    "GB": CounterpartSpec("United Kingdom", "GB"),
}


@dataclass(frozen=True, slots=True)
class OfficialSpec:
    name: str
    counterpart: str
    posts: tuple[PostInput, ...]
    # A real person named in the report: quoted in public statements, never in a compartment.
    real: bool = False


def _post(title: str, starts_on: date, ends_on: date | None = None) -> PostInput:
    return PostInput(title=title, starts_on=starts_on, ends_on=ends_on)


OFFICIALS = {
    # Real officials, as the report names them (their posts dated from the report).
    "koren": OfficialSpec(
        "Gary Koren", "IL", (_post("Deputy Director-General for Eurasia, Foreign Ministry", SUNDAY),), real=True
    ),
    "brodsky": OfficialSpec("Michael Brodsky", "IL", (_post("Ambassador to Ukraine", SUNDAY),), real=True),
    "korniychuk": OfficialSpec("Yevgen Korniychuk", "UA", (_post("Ambassador to Israel", FRIDAY),), real=True),
    # Fictional officials: the only people in confidential records.
    "marom": OfficialSpec("Eitan Marom", "IL", (_post("Prime minister", date(2021, 6, 14)),)),
    "alon": OfficialSpec(
        "Raphael Alon",
        "IL",
        (
            _post("Prime minister", date(2016, 1, 10), date(2021, 6, 13)),
            _post("Leader of the opposition", date(2021, 6, 14)),
        ),
    ),
    "sela": OfficialSpec("Gideon Sela", "IL", (_post("Political director, Foreign Ministry", date(2020, 9, 1)),)),
    "ofek": OfficialSpec("Tamar Ofek", "IL", (_post("Head of the Eurasia crisis cell", date(2022, 2, 14)),)),
    "carmeli": OfficialSpec("Yael Carmeli", "IL", (_post("Minister-counsellor, Embassy in Moscow", date(2020, 8, 1)),)),
    "kovalenko": OfficialSpec("Taras Kovalenko", "UA", (_post("President", date(2019, 5, 20)),)),
    "melnyk": OfficialSpec(
        "Oksana Melnyk", "UA", (_post("Head of the consular department, Foreign Ministry", date(2021, 2, 1)),)
    ),
    "arkhipov": OfficialSpec("Lev Arkhipov", "RU", (_post("President", date(2012, 5, 7)),)),
    "sedov": OfficialSpec("Oleg Sedov", "RU", (_post("Foreign-policy aide to the president", date(2018, 6, 1)),)),
    "belov": OfficialSpec("Arkady Belov", "RU", (_post("Head of division, Foreign Ministry", date(2019, 3, 1)),)),
    "whitfield": OfficialSpec(
        "Laura Whitfield", "US", (_post("Deputy assistant secretary, State Department", date(2021, 3, 1)),)
    ),
    "vogel": OfficialSpec("Katrin Vogel", "DE", (_post("Head of the Eastern Europe division", date(2020, 10, 1)),)),
    "fontaine": OfficialSpec(
        "Claire Fontaine", "FR", (_post("Deputy director, Continental Europe", date(2021, 9, 1)),)
    ),
    "pemberton": OfficialSpec("James Pemberton", "GB", (_post("Director, Eastern Europe", date(2021, 1, 4)),)),
}


# --- Compartments and channels ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompartmentSpec:
    codeword: str
    description: str
    readers: tuple[str, ...]  # read in by the political director, who creates it


COMPARTMENTS = (
    CompartmentSpec("KEEL", "Working-level channels with every side.", readers=(DIPLOMAT, SENIOR)),
    CompartmentSpec("OLIVE", "Leaders' channels and the mediation track.", readers=(SENIOR,)),
)


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    compartment: str
    counterpart: str
    level: str
    name: str
    purpose: str
    opened_on: date
    requested_by: str


CHANNELS = {
    "ua-working": ChannelSpec(
        "KEEL",
        "UA",
        ChannelLevel.WORKING,
        "Consular coordination, Foreign Ministry",
        "Help for nationals and their families at the border crossings; lists for the border guard.",
        date(2022, 2, 14),
        DIPLOMAT,
    ),
    "ru-working": ChannelSpec(
        "KEEL",
        "RU",
        ChannelLevel.WORKING,
        "Embassy in Moscow, working level",
        "Keep the working level open: the safety of nationals and communities, humanitarian passage.",
        date(2022, 2, 14),
        DIPLOMAT,
    ),
    "us-working": ChannelSpec(
        "KEEL",
        "US",
        ChannelLevel.WORKING,
        "Desk-to-desk consultations",
        "Compare notes on the evacuation of nationals through Poland.",
        date(2022, 2, 15),
        DIPLOMAT,
    ),
    "de-working": ChannelSpec(
        "KEEL",
        "DE",
        ChannelLevel.WORKING,
        "Desk-to-desk consultations",
        "Humanitarian aid through Poland and onward.",
        date(2022, 2, 15),
        DIPLOMAT,
    ),
    "fr-working": ChannelSpec(
        "KEEL",
        "FR",
        ChannelLevel.WORKING,
        "Desk-to-desk consultations",
        "Evacuation transport from western Ukraine.",
        date(2022, 2, 15),
        DIPLOMAT,
    ),
    "gb-working": ChannelSpec(
        "KEEL",
        "GB",
        ChannelLevel.WORKING,
        "Desk-to-desk consultations",
        "Consular coordination at the Polish border.",
        date(2022, 2, 16),
        DIPLOMAT,
    ),
    "ua-leaders": ChannelSpec(
        "OLIVE",
        "UA",
        ChannelLevel.LEADERS,
        "Prime minister and the president of Ukraine",
        "Leaders' calls; requests to mediate or host talks.",
        date(2021, 3, 1),
        SENIOR,
    ),
    "ru-leaders": ChannelSpec(
        "OLIVE",
        "RU",
        ChannelLevel.LEADERS,
        "Prime minister and the president of Russia",
        "Leaders' calls and meetings; military coordination stays with the defence channels.",
        date(2021, 3, 1),
        SENIOR,
    ),
}

# A request waiting for a decision: ministers are above what a senior diplomat may approve.
PENDING_ESCALATION = (
    "de-working",
    ChannelLevel.MINISTERS,
    DIPLOMAT,
    "The foreign ministers should speak before the aid flight leaves on Monday.",
)


# --- The contact log ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUpSpec:
    action: str
    owner: str
    due_on: date
    done: bool = False


@dataclass(frozen=True, slots=True)
class EntrySpec:
    channel: str
    occurred_at: datetime
    form: str
    summary: str
    classification: str
    own: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()
    intermediary: str = ""
    recorded_by: str = DIPLOMAT
    follow_ups: tuple[FollowUpSpec, ...] = field(default=())


ENTRIES = (
    EntrySpec(
        "ua-working",
        _at(FRIDAY, 11, 30),
        ContactForm.CALL,
        "Asked for help for nationals and their families queuing at Shehyni and Rava-Ruska. The Ukrainian "
        "side will pass our lists to the border guard. Men aged 18 to 60 with Ukrainian citizenship stay "
        "under the exit ban; no exception for dual nationals.",
        Classification.CONFIDENTIAL,
        own=("ofek",),
        theirs=("melnyk",),
        follow_ups=(
            FollowUpSpec("Send the list of families waiting at Shehyni.", DIPLOMAT, FRIDAY, done=True),
            FollowUpSpec("Ask again about dual nationals of military age.", DIPLOMAT, date(2022, 2, 28)),
        ),
    ),
    EntrySpec(
        "ua-working",
        _at(SUNDAY, 9, 15),
        ContactForm.MESSAGE,
        "Lists for Krakovets and Yahodyn sent; the consular department acknowledged them.",
        Classification.CONFIDENTIAL,
        own=("ofek",),
        theirs=("melnyk",),
    ),
    EntrySpec(
        "ru-working",
        _at(SATURDAY, 14, 0),
        ContactForm.MEETING,
        "Raised the safety of nationals and of the Jewish communities in the east, and asked that "
        "humanitarian convoys be let through. The Russian side took note and promised an answer through "
        "this channel.",
        Classification.SECRET,
        own=("carmeli",),
        theirs=("belov",),
        follow_ups=(FollowUpSpec("Chase the promised answer on convoys.", SENIOR, date(2022, 3, 1)),),
    ),
    EntrySpec(
        "us-working",
        _at(SATURDAY, 17, 30),
        ContactForm.CALL,
        "Compared notes on the evacuation through Poland; agreed to share waiting times at the crossings twice a day.",
        Classification.CONFIDENTIAL,
        own=("ofek",),
        theirs=("whitfield",),
    ),
    EntrySpec(
        "de-working",
        _at(SUNDAY, 12, 0),
        ContactForm.MESSAGE,
        "Asked whether Germany would carry part of the humanitarian cargo onward from Rzeszów. Answer "
        "expected on Monday.",
        Classification.CONFIDENTIAL,
        own=("sela",),
        theirs=("vogel",),
        recorded_by=SENIOR,
    ),
    EntrySpec(
        "fr-working",
        _at(SATURDAY, 10, 45),
        ContactForm.INTERMEDIARY,
        "Passed on a request for seats on French evacuation buses from Lviv for nationals without cars.",
        Classification.RESTRICTED,
        theirs=("fontaine",),
        intermediary="The French embassy's consular section",
    ),
    # The mediation track (OLIVE). Invented throughout, fictional people only.
    EntrySpec(
        "ru-leaders",
        _at(date(2021, 10, 19), 16, 0),
        ContactForm.MEETING,
        "Meeting in person. The prime minister raised the Ukrainian request to host talks between the two "
        "presidents. President Arkhipov refused.",
        Classification.SECRET,
        own=("marom",),
        theirs=("arkhipov",),
        recorded_by=SENIOR,
    ),
    EntrySpec(
        "ua-leaders",
        _at(FRIDAY, 20, 0),
        ContactForm.CALL,
        "President Kovalenko asked the prime minister to host talks between him and President Arkhipov, "
        "as he had asked before. The prime minister said he would look into it, and spoke of support for "
        "the Ukrainian people.",
        Classification.SECRET,
        own=("marom",),
        theirs=("kovalenko",),
        recorded_by=SENIOR,
        follow_ups=(
            FollowUpSpec("Options for hosting talks: venue, format, who sits at the table.", SENIOR, date(2022, 2, 28)),
            FollowUpSpec("Decide what allies are told, and at which level.", DIRECTOR, date(2022, 3, 1)),
        ),
    ),
    EntrySpec(
        "ru-leaders",
        _at(SATURDAY, 21, 30),
        ContactForm.CALL,
        "The prime minister conveyed the Ukrainian request to the presidential aide, who promised to put it "
        "to the president.",
        Classification.SECRET,
        own=("marom",),
        theirs=("sedov",),
        recorded_by=SENIOR,
    ),
)


# --- The mediation track ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApproachSpec:
    approached_by: str
    approached: str
    on: date
    summary: str
    response: str
    response_on: date | None = None
    response_note: str = ""


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    outcome: str
    on: date
    note: str


@dataclass(frozen=True, slots=True)
class MediationSpec:
    requested_by: str
    requested_of: str
    asked_on: date
    summary: str
    approaches: tuple[ApproachSpec, ...] = ()
    outcome: OutcomeSpec | None = None


# Each request repeats the one before it: the chain reads as one history.
MEDIATION_CHAIN = (
    MediationSpec(
        "kovalenko",
        "alon",
        date(2021, 4, 14),
        "President Kovalenko asked Prime Minister Alon to host a meeting between him and President Arkhipov.",
        approaches=(
            ApproachSpec(
                "alon",
                "arkhipov",
                date(2021, 4, 22),
                "Put the request to President Arkhipov on a call.",
                Approach.Response.NO_ANSWER,
            ),
            ApproachSpec(
                "alon",
                "sedov",
                date(2021, 5, 20),
                "Asked again through the presidential aide.",
                Approach.Response.DECLINED,
                date(2021, 5, 27),
                "The aide said the time was not right.",
            ),
        ),
        outcome=OutcomeSpec(
            MediationOutcome.OVERTAKEN,
            date(2021, 6, 13),
            "The government changed before an answer came; the request passed to the new prime minister.",
        ),
    ),
    MediationSpec(
        "kovalenko",
        "marom",
        date(2021, 7, 5),
        "President Kovalenko repeated the request to the new prime minister.",
        approaches=(
            ApproachSpec(
                "marom",
                "arkhipov",
                date(2021, 10, 19),
                "Raised the request when the two met in October.",
                Approach.Response.DECLINED,
                date(2021, 10, 19),
                "President Arkhipov refused.",
            ),
        ),
        outcome=OutcomeSpec(MediationOutcome.REFUSED, date(2021, 10, 19), "Refused at the October meeting."),
    ),
    MediationSpec(
        "kovalenko",
        "marom",
        FRIDAY,
        "On a call, President Kovalenko asked the prime minister again to host talks with President Arkhipov.",
        approaches=(
            ApproachSpec(
                "marom",
                "sedov",
                SATURDAY,
                "Conveyed the request through the presidential aide.",
                Approach.Response.AWAITED,
            ),
        ),
    ),
)


# --- Public statements and lines-to-take ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementSpec:
    speaker: str
    outlet: str
    said_on: date
    quote: str
    stance: str
    topics: tuple[str, ...]


# Quoted from the report (scenario-article.txt). It names KAN as the outlet for Koren and
# Brodsky ("on Sunday"); for Korniychuk ("on Friday") it names none.
STATEMENTS = (
    StatementSpec(
        "koren",
        "KAN",
        SUNDAY,
        "There are some things we are continuing to do, and these things are done quietly.",
        PublicStatement.Stance.NEUTRAL,
        ("mediation", "diplomacy"),
    ),
    StatementSpec(
        "koren",
        "KAN",
        SUNDAY,
        "We are in touch with all sides: Ukraine, Western states and also Putin’s government. Israel has an "
        "interest to keep this channel open, first of all at the working levels [of diplomats]…When it is "
        "needed and decided, we will have talks on other channels.",
        PublicStatement.Stance.NEUTRAL,
        ("channels", "mediation"),
    ),
    StatementSpec(
        "koren",
        "KAN",
        SUNDAY,
        "It is important for us to maintain all channels with all states. We have Jewish communities in both "
        "countries we have necessary military coordination with Russia that is important to Israel’s security.",
        PublicStatement.Stance.NEUTRAL,
        ("channels", "jewish communities", "security"),
    ),
    StatementSpec(
        "brodsky",
        "KAN",
        SUNDAY,
        "There is no window of opportunity for talks between Russia and Ukraine with Israeli mediation at this time.",
        PublicStatement.Stance.NEUTRAL,
        ("mediation",),
    ),
    StatementSpec(
        "korniychuk",
        "Public remarks, as reported in the press",
        FRIDAY,
        "[Israel is] one of the most prominent possible intermediaries for Mr. Putin.",
        PublicStatement.Stance.SUPPORTIVE,
        ("mediation",),
    ),
)


@dataclass(frozen=True, slots=True)
class LineSpec:
    topic: str
    text: str
    valid_from: date
    valid_until: date | None
    drafted_by: str
    approved_by: str | None


# Written for the demo: the ministry's own lines, attributed to nobody.
LINES = (
    LineSpec(
        "mediation",
        "Israel keeps its channels with all sides open. We do not comment on diplomatic contacts.",
        date(2022, 2, 24),
        date(2022, 3, 31),
        DIPLOMAT,
        DIRECTOR,
    ),
    LineSpec(
        "ukraine",
        "Israel stands with the Ukrainian people and is sending humanitarian aid. Our first concern is the "
        "safety of Israelis and of the Jewish communities.",
        date(2022, 2, 24),
        None,
        DIPLOMAT,
        SENIOR,
    ),
    LineSpec(
        "immigration",
        "Requests to immigrate are taken at the border and by the consulate; each is answered.",
        date(2022, 2, 27),
        None,
        DIPLOMAT,
        None,  # a draft waiting for approval
    ),
)


# --- Writing it ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiplomacyDemo:
    counterparts: dict[str, Counterpart]
    officials: dict[str, Official]
    compartments: dict[str, Compartment]
    channels: dict[str, Channel]
    mediation_requests: list[MediationRequest]
    statements: list[PublicStatement]
    lines: list[LineToTake]


def demo_compartments(staff) -> list[Compartment]:
    """The demo's compartments: its codewords, created by demo staff."""
    return list(Compartment.objects.filter(codeword__in=DEMO_CODEWORDS, created_by__in=staff, created_by__is_demo=True))


@transaction.atomic
def diplomacy_demo_clear(*, staff) -> int:
    """Remove the demo compartments and everything in or on them. Returns how many went.

    Compartmented records are never deleted in normal work; demo records are the exception, as
    the registry's timeline is in `demo_clear`. The module's audit rows stay."""
    compartments = demo_compartments(staff)
    channels = Channel.objects.filter(compartment__in=compartments)
    requests = MediationRequest.objects.filter(compartment__in=compartments) | MediationRequest.objects.filter(
        channel__in=channels
    )
    request_ids = list(requests.values_list("id", flat=True))
    entries = ContactEntry.objects.filter(compartment__in=compartments) | ContactEntry.objects.filter(
        channel__in=channels
    )
    entry_ids = list(entries.values_list("id", flat=True))
    (FollowUp.objects.filter(compartment__in=compartments) | FollowUp.objects.filter(entry__in=entry_ids)).delete()
    (
        Approach.objects.filter(compartment__in=compartments)
        | Approach.objects.filter(channel__in=channels)
        | Approach.objects.filter(request__in=request_ids)
    ).delete()
    # The outcome history is append-only; it goes with its requests here only.
    changes = MediationOutcomeChange.objects.filter(request__in=request_ids)
    changes._raw_delete(changes.db)
    MediationRequest.objects.filter(repeat_of__in=request_ids).update(repeat_of=None)
    MediationRequest.objects.filter(id__in=request_ids).delete()
    ContactEntry.objects.filter(id__in=entry_ids).delete()
    (
        ChannelRequest.objects.filter(compartment__in=compartments)
        | ChannelRequest.objects.filter(channel__in=channels)
    ).delete()
    channels.delete()
    ReadIn.objects.filter(compartment__in=compartments).delete()
    return Compartment.objects.filter(id__in=[c.pk for c in compartments]).delete()[1].get(Compartment._meta.label, 0)


@transaction.atomic
def diplomacy_demo_ensure(*, origin: Origin, diplomat, senior, director) -> DiplomacyDemo:
    """Write the diplomacy demo: the directory, statements and lines once; the compartments
    afresh each time (see the module docstring)."""
    staff = {DIPLOMAT: diplomat, SENIOR: senior, DIRECTOR: director}
    diplomacy_demo_clear(staff=list(staff.values()))
    counterparts = _counterparts_ensure(origin=origin, actor=diplomat)
    officials = _officials_ensure(origin=origin, actor=diplomat, counterparts=counterparts)
    compartments = {spec.codeword: _compartment_create(origin=origin, spec=spec, staff=staff) for spec in COMPARTMENTS}
    channels = {
        key: _channel_open(origin=origin, spec=spec, staff=staff, compartments=compartments, counterparts=counterparts)
        for key, spec in CHANNELS.items()
    }
    channel_key, level, requester, reason = PENDING_ESCALATION
    channel = channels[channel_key]
    services.channel_request_submit(
        actor=staff[requester],
        origin=origin,
        kind=ChannelRequest.Kind.ESCALATE,
        compartment=channel.compartment,
        counterpart=channel.counterpart,
        channel=channel,
        level=level,
        reason=reason,
    )
    for spec in ENTRIES:
        _entry_log(origin=origin, spec=spec, staff=staff, channels=channels, officials=officials)
    mediation_requests = _mediation_chain_record(
        origin=origin,
        actor=senior,
        compartment=compartments["OLIVE"],
        asked_through=channels["ua-leaders"],
        approached_through=channels["ru-leaders"],
        officials=officials,
        counterparts=counterparts,
    )
    statements = [
        _statement_ensure(origin=origin, actor=diplomat, spec=spec, officials=officials) for spec in STATEMENTS
    ]
    lines = [_line_ensure(origin=origin, spec=spec, staff=staff) for spec in LINES]
    return DiplomacyDemo(
        counterparts=counterparts,
        officials=officials,
        compartments=compartments,
        channels=channels,
        mediation_requests=mediation_requests,
        statements=statements,
        lines=lines,
    )


def _counterparts_ensure(*, origin: Origin, actor) -> dict[str, Counterpart]:
    counterparts = {}
    for key, spec in COUNTERPARTS.items():
        existing = (
            Counterpart.objects.filter(is_own=True) if spec.is_own else Counterpart.objects.filter(name=spec.name)
        )
        counterpart = existing.order_by("pk").first() or services.counterpart_create(
            actor=actor,
            origin=origin,
            name=spec.name,
            kind=Counterpart.Kind.STATE,
            country=spec.country,
            is_own=spec.is_own,
        )
        counterparts[key] = counterpart
    return counterparts


def _officials_ensure(*, origin: Origin, actor, counterparts) -> dict[str, Official]:
    officials = {}
    for key, spec in OFFICIALS.items():
        counterpart = counterparts[spec.counterpart]
        official = Official.objects.filter(name=spec.name, counterpart=counterpart).order_by("pk").first()
        if official is None:
            official = services.official_create(
                actor=actor, origin=origin, name=spec.name, counterpart=counterpart, posts=spec.posts
            )
        officials[key] = official
    return officials


def _compartment_create(*, origin: Origin, spec: CompartmentSpec, staff) -> Compartment:
    director = staff[DIRECTOR]
    compartment = services.compartment_create(
        actor=director, origin=origin, codeword=spec.codeword, description=spec.description
    )
    for reader in spec.readers:
        services.compartment_read_in(
            actor=director, origin=origin, compartment=compartment, user=staff[reader], reason="demo: needs to know"
        )
    return compartment


def _channel_open(*, origin: Origin, spec: ChannelSpec, staff, compartments, counterparts) -> Channel:
    requester = staff[spec.requested_by]
    request = services.channel_request_submit(
        actor=requester,
        origin=origin,
        kind=ChannelRequest.Kind.OPEN,
        compartment=compartments[spec.compartment],
        counterpart=counterparts[spec.counterpart],
        level=spec.level,
        name=spec.name,
        purpose=spec.purpose,
        reason="Opened for the crisis." if spec.level == ChannelLevel.WORKING else "The leaders speak directly.",
    )
    # Working-level channels are the senior diplomat's to approve, leaders' the director's.
    decider = staff[SENIOR] if spec.level == ChannelLevel.WORKING else staff[DIRECTOR]
    request = services.channel_request_decide(
        actor=decider, origin=origin, request=request, approve=True, reason="Agreed."
    )
    # The services date a channel from its approval, today; the demo's channels are as old as
    # its story, so their contact log can begin before today (as the sitrep demo dates its figures).
    opened = _at(spec.opened_on, 9)
    ChannelRequest.objects.filter(pk=request.pk).update(requested_at=opened, decided_at=opened)
    Channel.objects.filter(pk=request.channel_id).update(opened_at=opened, status_changed_at=opened)
    return Channel.objects.select_related("compartment", "counterpart").get(pk=request.channel_id)


def _entry_log(*, origin: Origin, spec: EntrySpec, staff, channels, officials) -> ContactEntry:
    entry = services.contact_log(
        actor=staff[spec.recorded_by],
        origin=origin,
        channel=channels[spec.channel],
        occurred_at=spec.occurred_at,
        form=spec.form,
        summary=spec.summary,
        classification=spec.classification,
        own_participants=[officials[key] for key in spec.own],
        their_participants=[officials[key] for key in spec.theirs],
        intermediary=spec.intermediary,
    )
    for follow_up_spec in spec.follow_ups:
        follow_up = services.follow_up_add(
            actor=staff[spec.recorded_by],
            origin=origin,
            entry=entry,
            action=follow_up_spec.action,
            owner=staff[follow_up_spec.owner],
            due_on=follow_up_spec.due_on,
        )
        if follow_up_spec.done:
            services.follow_up_complete(actor=staff[follow_up_spec.owner], origin=origin, follow_up=follow_up)
    return entry


def _mediation_chain_record(
    *, origin: Origin, actor, compartment, asked_through, approached_through, officials, counterparts
) -> list[MediationRequest]:
    requests: list[MediationRequest] = []
    for spec in MEDIATION_CHAIN:
        request = services.mediation_request_record(
            actor=actor,
            origin=origin,
            compartment=compartment,
            kind=MediationRequest.Kind.HOST_TALKS,
            requested_by=officials[spec.requested_by],
            requested_of=officials[spec.requested_of],
            parties=[counterparts["UA"], counterparts["RU"]],
            asked_on=spec.asked_on,
            channel=asked_through,
            summary=spec.summary,
            repeat_of=requests[-1] if requests else None,
        )
        for approach in spec.approaches:
            services.approach_record(
                actor=actor,
                origin=origin,
                request=request,
                approached_by=officials[approach.approached_by],
                approached=officials[approach.approached],
                on_behalf_of=counterparts["UA"],
                on=approach.on,
                channel=approached_through,
                summary=approach.summary,
                response=approach.response,
                response_on=approach.response_on,
                response_note=approach.response_note,
            )
        if spec.outcome is not None:
            request = services.mediation_outcome_set(
                actor=actor,
                origin=origin,
                request=request,
                outcome=spec.outcome.outcome,
                on=spec.outcome.on,
                note=spec.outcome.note,
            )
        requests.append(request)
    return requests


def _statement_ensure(*, origin: Origin, actor, spec: StatementSpec, officials) -> PublicStatement:
    speaker = officials[spec.speaker]
    existing = PublicStatement.objects.filter(speaker=speaker, said_on=spec.said_on, quote=spec.quote).first()
    return existing or services.statement_log(
        actor=actor,
        origin=origin,
        speaker=speaker,
        outlet=spec.outlet,
        said_on=spec.said_on,
        quote=spec.quote,
        stance=spec.stance,
        topics=spec.topics,
    )


def _line_ensure(*, origin: Origin, spec: LineSpec, staff) -> LineToTake:
    line = LineToTake.objects.filter(topic=spec.topic, valid_from=spec.valid_from, text=spec.text).first()
    if line is None:
        line = services.line_draft(
            actor=staff[spec.drafted_by],
            origin=origin,
            topic=spec.topic,
            text=spec.text,
            valid_from=spec.valid_from,
            valid_until=spec.valid_until,
        )
    if spec.approved_by is not None and line.approved_at is None:
        line = services.line_approve(actor=staff[spec.approved_by], origin=origin, line=line)
    return line
