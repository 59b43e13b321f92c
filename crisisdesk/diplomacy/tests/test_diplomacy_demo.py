"""The diplomacy demo: counterparts, channels at working and leaders' level, the public
statements of the report, compartments with the demo diplomats read in, and the mediation
story told with fictional officials only. It loads with `demo_load` and reloads without
duplicating anything."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from crisisdesk.accounts.permissions import Role
from crisisdesk.common.origin import CLI
from crisisdesk.diplomacy import access
from crisisdesk.diplomacy.audit import audit_chain_verify
from crisisdesk.diplomacy.demo import DEMO_CODEWORDS, OFFICIALS, demo_compartments, diplomacy_demo_ensure
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelLevel,
    ChannelRequest,
    Compartment,
    ContactEntry,
    Counterpart,
    FollowUp,
    LineToTake,
    MediationOutcome,
    MediationOutcomeChange,
    MediationRequest,
    Official,
    PublicStatement,
)
from crisisdesk.diplomacy.services import contact_log
from crisisdesk.registry.demo import DEMO_LOGINS
from crisisdesk.registry.demo.loader import demo_staff_ensure

# Real officials the report names. None may appear in a confidential record.
REAL_OFFICIALS = ("Koren", "Brodsky", "Zelensky", "Zelenskyy", "Bennett", "Putin", "Netanyahu", "Korniychuk")
REAL_NAME = re.compile(r"\b(" + "|".join(REAL_OFFICIALS) + r")\b", re.IGNORECASE)
SIDES = {"Ukraine", "Russia", "United States", "Germany", "France", "United Kingdom"}


@pytest.fixture
def staff(db):
    return {account.login.username: account.user for account in demo_staff_ensure(origin=CLI)}


def demo_ensure(staff):
    return diplomacy_demo_ensure(
        origin=CLI, diplomat=staff["diplomat"], senior=staff["senior"], director=staff["director"]
    )


@pytest.fixture
def demo(staff):
    return demo_ensure(staff)


def totals() -> dict[str, int]:
    models = (
        Counterpart,
        Official,
        Compartment,
        Channel,
        ChannelRequest,
        ContactEntry,
        FollowUp,
        MediationRequest,
        MediationOutcomeChange,
        Approach,
        PublicStatement,
        LineToTake,
    )
    return {model.__name__: model.objects.count() for model in models}


def test_demo_load_writes_the_diplomacy_demo(db):
    call_command("demo_load", "--size", "30", stdout=StringIO())

    assert set(Counterpart.objects.values_list("name", flat=True)) == {"Israel", *SIDES}
    assert Counterpart.objects.get(is_own=True).name == "Israel"
    assert sorted(Compartment.objects.values_list("codeword", flat=True)) == sorted(DEMO_CODEWORDS)
    assert PublicStatement.objects.filter(outlet="KAN").count() >= 3
    assert audit_chain_verify().intact


def test_demo_logins_include_the_senior_roles(db):
    roles = {login.username: login.role for login in DEMO_LOGINS}
    assert roles["diplomat"] == Role.DIPLOMAT
    assert roles["senior"] == Role.SENIOR_DIPLOMAT
    assert roles["director"] == Role.POLITICAL_DIRECTOR


def test_every_side_has_a_working_channel_and_the_two_parties_a_leaders_one(demo):
    channels = Channel.objects.select_related("counterpart")
    working = {channel.counterpart.name for channel in channels.filter(level=ChannelLevel.WORKING)}
    leaders = {channel.counterpart.name for channel in channels.filter(level=ChannelLevel.LEADERS)}
    assert working == SIDES
    assert leaders == {"Ukraine", "Russia"}
    assert ContactEntry.objects.count() >= 8
    # the escalation waiting for a decision above the senior diplomat's rank
    pending = ChannelRequest.objects.get(state=ChannelRequest.State.PENDING)
    assert (pending.kind, pending.level) == (ChannelRequest.Kind.ESCALATE, ChannelLevel.MINISTERS)
    # follow-ups: one done, some due
    assert FollowUp.objects.filter(done_at__isnull=False).exists()
    assert FollowUp.objects.filter(done_at__isnull=True).count() >= 3


def test_public_statements_come_from_the_report_with_lines_beside_them(demo):
    statements = PublicStatement.objects.select_related("speaker")
    by_speaker = {statement.speaker.name for statement in statements}
    assert by_speaker == {"Gary Koren", "Michael Brodsky", "Yevgen Korniychuk"}
    assert set(statements.values_list("said_on", flat=True)) == {date(2022, 2, 25), date(2022, 2, 27)}
    quiet = statements.get(quote__startswith="There are some things")
    assert (quiet.outlet, quiet.said_on, quiet.speaker.name) == ("KAN", date(2022, 2, 27), "Gary Koren")
    assert "mediation" in quiet.topics
    assert all(statement.topics and statement.stance for statement in statements)
    approved = LineToTake.objects.filter(approved_at__isnull=False)
    assert approved.filter(topic="mediation").get().valid_on(date(2022, 2, 27))
    assert LineToTake.objects.filter(approved_at__isnull=True).count() == 1  # a draft to approve


def test_the_mediation_story_reads_as_one_chain(demo):
    """Asked before, of the previous prime minister, who approached the other side twice to no
    avail; refused in October; asked again on the Friday, pending."""
    first, second, third = MediationRequest.objects.order_by("asked_on")
    assert (second.repeat_of, third.repeat_of) == (first, second)
    assert first.requested_of != second.requested_of == third.requested_of
    assert first.requested_of.post_on(date(2022, 2, 25)).title == "Leader of the opposition"
    first_approaches = list(first.approaches.all())
    assert len(first_approaches) == 2
    assert {approach.response for approach in first_approaches} <= {
        Approach.Response.NO_ANSWER,
        Approach.Response.DECLINED,
    }
    assert (second.outcome, second.outcome_on.month) == (MediationOutcome.REFUSED, 10)
    assert (third.outcome, third.asked_on) == (MediationOutcome.PENDING, date(2022, 2, 25))
    assert {party.name for party in third.parties.all()} == {"Ukraine", "Russia"}


def test_the_demo_diplomats_are_read_in_on_a_need_to_know(demo, staff):
    """The senior diplomat and the political director into both compartments; the diplomat
    into the working level only; the administrator into none."""
    keel, olive = (Compartment.objects.get(codeword=codeword) for codeword in ("KEEL", "OLIVE"))
    assert set(access.read_in_compartment_ids(staff["senior"])) == {keel.pk, olive.pk}
    assert set(access.read_in_compartment_ids(staff["director"])) == {keel.pk, olive.pk}
    assert access.read_in_compartment_ids(staff["diplomat"]) == [keel.pk]
    assert access.read_in_compartment_ids(staff["admin"]) == []
    assert not access.visible(MediationRequest, staff["diplomat"]).exists()
    assert access.visible(Channel, staff["diplomat"]).count() == 6
    assert access.visible(MediationRequest, staff["senior"]).count() == 3


def _confidential_texts():
    yield from Compartment.objects.values_list("codeword", "description")
    yield from Channel.objects.values_list("name", "purpose")
    yield from ChannelRequest.objects.values_list("name", "purpose", "reason", "decision_reason")
    yield from ContactEntry.objects.values_list("summary", "intermediary")
    yield from FollowUp.objects.values_list("action")
    yield from MediationRequest.objects.values_list("summary")
    yield from MediationOutcomeChange.objects.values_list("note")
    yield from Approach.objects.values_list("summary", "response_note")


def _officials_in_confidential_records() -> set[Official]:
    officials = set()
    for entry in ContactEntry.objects.prefetch_related("own_participants", "their_participants"):
        officials |= set(entry.own_participants.all()) | set(entry.their_participants.all())
    for request in MediationRequest.objects.select_related("requested_by", "requested_of"):
        officials |= {request.requested_by, request.requested_of}
    for approach in Approach.objects.select_related("approached_by", "approached"):
        officials |= {approach.approached_by, approach.approached}
    return officials


def test_confidential_records_name_fictional_officials_only(demo):
    """No confidential text mentions a real official from the report, and every person in a
    confidential record is one of the demo's fictional officials."""
    for texts in _confidential_texts():
        for text in texts:
            assert not REAL_NAME.search(text or ""), text
    officials = _officials_in_confidential_records()
    assert len(officials) >= 10
    fictional = {spec.name for spec in OFFICIALS.values() if not spec.real}
    for official in officials:
        assert official.name in fictional, official.name
        assert not REAL_NAME.search(official.name), official.name
    # the real officials are in the directory as the speakers of public statements only
    real = Official.objects.filter(name__in=[spec.name for spec in OFFICIALS.values() if spec.real])
    assert real.count() == 3
    assert not set(real) & officials


def test_running_twice_keeps_one_copy(demo, staff):
    """The directory, statements and lines are kept; the compartments are replaced whole."""
    # given the demo, and a contact a visitor logged on one of its channels
    channel = Channel.objects.filter(compartment__codeword="KEEL").first()
    contact_log(
        actor=staff["diplomat"],
        origin=CLI,
        channel=channel,
        occurred_at=channel.opened_at.replace(year=2022, month=2, day=26),
        form="call",
        summary="A visitor's note",
        classification="confidential",
    )
    before = totals()
    old_compartments = {compartment.pk for compartment in demo_compartments(staff.values())}

    # when it is written again
    demo_ensure(staff)

    # then every count is as it was (the visitor's contact went with the old compartment)
    after = totals()
    assert after == {**before, "ContactEntry": before["ContactEntry"] - 1}
    assert not ContactEntry.objects.filter(summary="A visitor's note").exists()
    new_compartments = {compartment.pk for compartment in demo_compartments(staff.values())}
    assert len(new_compartments) == len(DEMO_CODEWORDS)
    assert not new_compartments & old_compartments
    assert audit_chain_verify().intact
