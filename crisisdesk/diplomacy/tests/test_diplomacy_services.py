"""The module's writes: escalation approval rules, read-ins, the contact log, follow-ups, the
mediation track and lines-to-take.

Personas: see conftest.py. `diplomat` (rank 1), `senior_diplomat` (2), `political_director` (3);
`admin` holds every permission and no rank, and is read into nothing.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisisdesk.common.origin import SYSTEM
from crisisdesk.diplomacy import access, services
from crisisdesk.diplomacy.errors import DiplomacyError, DiplomacyValidationError
from crisisdesk.diplomacy.models import (
    Channel,
    ChannelLevel,
    ChannelRequest,
    DiplomacyAuditEntry,
    FollowUp,
    MediationOutcome,
    ReadIn,
)


def _request(world, actor, *, level="senior_officials", kind="escalate"):
    return services.channel_request_submit(
        actor=actor,
        origin=SYSTEM,
        kind=kind,
        compartment=world.lantern.compartment,
        counterpart=world.ukraine,
        channel=world.lantern.channel,
        level=level,
        reason="the working level is not enough",
    )


# --- Escalation approval rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("requester", "level", "decider", "allowed"),
    [
        # A diplomat's request to senior officials: a senior diplomat or above decides.
        ("diplomat", "senior_officials", "senior_diplomat", True),
        ("diplomat", "senior_officials", "political_director", True),
        # Ministers, leaders and back channels need the political director, whoever asks.
        ("diplomat", "ministers", "senior_diplomat", False),
        ("diplomat", "leaders", "political_director", True),
        ("diplomat", "back_channel", "senior_diplomat", False),
        # Above the requester: a senior diplomat's request is not for a senior diplomat.
        ("senior_diplomat", "senior_officials", "political_director", True),
        # The top of the ladder: a peer at the top decides (tested below with a second director).
    ],
)
def test_a_request_needs_a_decider_above_the_requester_and_the_level(  # noqa: PLR0917 - parametrised
    world, users, requester, level, decider, allowed
):
    request = _request(world, users[requester], level=level)
    if allowed:
        decided = services.channel_request_decide(
            actor=users[decider], origin=SYSTEM, request=request, approve=True, reason="needed now"
        )
        assert decided.state == ChannelRequest.State.APPROVED
        assert Channel.objects.get(pk=world.lantern.channel.pk).level == level
    else:
        with pytest.raises(DiplomacyValidationError) as raised:
            services.channel_request_decide(
                actor=users[decider], origin=SYSTEM, request=request, approve=True, reason="needed now"
            )
        assert raised.value.code == DiplomacyError.RANK_TOO_LOW
        assert ChannelRequest.objects.get(pk=request.pk).state == ChannelRequest.State.PENDING


def test_nobody_decides_their_own_request_not_even_at_the_top(world, users):
    request = _request(world, users["political_director"], level="leaders")
    with pytest.raises(DiplomacyValidationError) as raised:
        services.channel_request_decide(
            actor=users["political_director"], origin=SYSTEM, request=request, approve=True, reason="mine"
        )
    assert raised.value.code == DiplomacyError.OWN_REQUEST


def test_a_second_political_director_decides_the_first_ones_request(world, users, diplomat_beta):
    from crisisdesk.common.testing.personas import persona_create_named

    other_director = persona_create_named("director_two", "political_director")
    services.compartment_read_in(
        actor=users["political_director"],
        origin=SYSTEM,
        compartment=world.lantern.compartment,
        user=other_director,
        reason="deputy",
    )
    request = _request(world, users["political_director"], level="leaders")
    decided = services.channel_request_decide(
        actor=other_director, origin=SYSTEM, request=request, approve=False, reason="not yet"
    )
    assert decided.state == ChannelRequest.State.REJECTED
    assert decided.decided_by == other_director
    assert decided.decision_reason == "not yet"
    assert Channel.objects.get(pk=world.lantern.channel.pk).level == ChannelLevel.WORKING


def test_the_administrator_has_no_rank_and_cannot_decide(world, users):
    request = _request(world, users["diplomat"])
    with pytest.raises(DiplomacyValidationError):
        services.channel_request_decide(actor=users["admin"], origin=SYSTEM, request=request, approve=True, reason="x")


def test_a_decision_needs_a_reason_and_happens_once(world, users):
    request = _request(world, users["diplomat"])
    with pytest.raises(DiplomacyValidationError) as raised:
        services.channel_request_decide(
            actor=users["senior_diplomat"], origin=SYSTEM, request=request, approve=True, reason="  "
        )
    assert raised.value.code == DiplomacyError.REASON_REQUIRED
    services.channel_request_decide(
        actor=users["senior_diplomat"], origin=SYSTEM, request=request, approve=True, reason="ok"
    )
    with pytest.raises(DiplomacyValidationError) as raised:
        services.channel_request_decide(
            actor=users["political_director"], origin=SYSTEM, request=request, approve=False, reason="no"
        )
    assert raised.value.code == DiplomacyError.REQUEST_DECIDED


def test_an_escalation_must_raise_the_level(world, users):
    with pytest.raises(DiplomacyValidationError) as raised:
        _request(world, users["diplomat"], level="working")
    assert raised.value.code == DiplomacyError.LEVEL_NOT_HIGHER


def test_opening_a_channel_needs_approval_and_the_requester_owns_it(world, users):
    request = services.channel_request_submit(
        actor=users["diplomat"],
        origin=SYSTEM,
        kind="open",
        compartment=world.bridge.compartment,
        counterpart=world.russia,
        level="working",
        name="Humanitarian corridor desk",
        purpose="Passage of nationals",
        reason="nationals in the east",
    )
    assert request.channel is None
    decided = services.channel_request_decide(
        actor=users["senior_diplomat"], origin=SYSTEM, request=request, approve=True, reason="agreed"
    )
    channel = decided.channel
    assert (channel.owner, channel.compartment, channel.status) == (
        users["diplomat"],
        world.bridge.compartment,
        Channel.Status.OPEN,
    )


def test_a_closed_channel_is_reopened_only_by_an_approved_request(world, users):
    services.channel_close(actor=users["diplomat"], origin=SYSTEM, channel=world.lantern.channel, reason="done")
    with pytest.raises(DiplomacyValidationError) as raised:
        services.contact_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            channel=world.lantern.channel,
            occurred_at=timezone.now(),
            form="call",
            summary="a call",
            classification="restricted",
        )
    assert raised.value.code == DiplomacyError.CHANNEL_CLOSED
    request = _request(world, users["diplomat"], kind="reopen", level="working")
    services.channel_request_decide(
        actor=users["senior_diplomat"], origin=SYSTEM, request=request, approve=True, reason="ok"
    )
    assert Channel.objects.get(pk=world.lantern.channel.pk).status == Channel.Status.OPEN


def test_requests_through_a_hidden_channel_are_not_found(world, diplomat_beta):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.channel_request_submit(
            actor=diplomat_beta,
            origin=SYSTEM,
            kind="escalate",
            compartment=world.lantern.compartment,
            counterpart=world.ukraine,
            channel=world.bridge.channel,
            level="ministers",
            reason="probe",
        )
    assert raised.value.code == DiplomacyError.NOT_FOUND


# --- Compartments -------------------------------------------------------------------------


def test_read_in_and_read_out_are_recorded_with_who_authorised_them(world, users, diplomat_beta):
    director = users["political_director"]
    bridge = world.bridge.compartment
    assert not access.is_read_in(diplomat_beta, bridge.pk)
    services.compartment_read_in(actor=director, origin=SYSTEM, compartment=bridge, user=diplomat_beta, reason="desk")
    assert access.visible(Channel, diplomat_beta).filter(pk=world.bridge.channel.pk).exists()
    services.compartment_read_out(actor=director, origin=SYSTEM, compartment=bridge, user=diplomat_beta, reason="moved")
    assert not access.visible(Channel, diplomat_beta).filter(pk=world.bridge.channel.pk).exists()
    history = ReadIn.objects.get(compartment=bridge, user=diplomat_beta)
    assert (history.read_in_by, history.read_out_by, history.read_out_reason) == (director, director, "moved")
    actions = list(
        DiplomacyAuditEntry.objects.filter(compartment_id=bridge.pk, target_id=str(history.pk)).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["compartment.read_in", "compartment.read_out"]


def test_only_someone_read_in_may_read_others_in(world, users, diplomat_beta):
    # admin manages compartments by role, but is not read into BRIDGE
    with pytest.raises(DiplomacyValidationError) as raised:
        services.compartment_read_in(
            actor=users["admin"], origin=SYSTEM, compartment=world.bridge.compartment, user=diplomat_beta, reason="x"
        )
    assert raised.value.code == DiplomacyError.NOT_READ_IN
    with pytest.raises(PermissionDenied):  # a diplomat's role does not manage compartments
        services.compartment_read_in(
            actor=users["diplomat"], origin=SYSTEM, compartment=world.bridge.compartment, user=diplomat_beta, reason="x"
        )


def test_roles_without_the_module_are_never_read_in(world, users):
    with pytest.raises(PermissionDenied):
        services.compartment_read_in(
            actor=users["political_director"],
            origin=SYSTEM,
            compartment=world.bridge.compartment,
            user=users["consul"],
            reason="curious",
        )


def test_a_read_in_user_whose_role_loses_the_module_sees_nothing(world, users):
    alpha = users["diplomat"]
    assert access.visible(Channel, alpha).count() == 2
    alpha.role = "consular_officer"
    alpha.save(update_fields=["role"])
    assert access.visible(Channel, alpha).count() == 0


# --- The contact log and follow-ups -------------------------------------------------------


def test_a_contact_on_a_dormant_channel_opens_it_and_moves_its_last_contact(world, users):
    channel = world.lantern.channel
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.DORMANT)
    channel.refresh_from_db()
    when = timezone.now() - timedelta(minutes=1)
    services.contact_log(
        actor=users["diplomat"],
        origin=SYSTEM,
        channel=channel,
        occurred_at=when,
        form="message",
        summary="Checked in",
        classification="restricted",
    )
    channel.refresh_from_db()
    assert (channel.status, channel.last_contact_at) == (Channel.Status.OPEN, when)


def test_participants_sit_on_their_side(world, users):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.contact_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            channel=world.lantern.channel,
            occurred_at=timezone.now(),
            form="meeting",
            summary="x",
            classification="restricted",
            own_participants=[world.their_minister],
        )
    assert raised.value.code == DiplomacyError.PARTICIPANT_SIDE


def test_an_intermediary_contact_names_the_intermediary(world, users):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.contact_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            channel=world.lantern.channel,
            occurred_at=timezone.now(),
            form="intermediary",
            summary="x",
            classification="restricted",
        )
    assert raised.value.code == DiplomacyError.INTERMEDIARY_REQUIRED


def test_a_follow_up_owner_must_be_read_in(world, users, diplomat_beta):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.follow_up_add(
            actor=users["diplomat"],
            origin=SYSTEM,
            entry=world.bridge.entry,
            action="call back",
            owner=diplomat_beta,
            due_on=timezone.localdate(),
        )
    assert raised.value.code == DiplomacyError.OWNER_NOT_READ_IN


def test_a_follow_up_is_done_once(world, users):
    follow_up = world.lantern.follow_up
    services.follow_up_complete(actor=users["diplomat"], origin=SYSTEM, follow_up=follow_up)
    assert FollowUp.objects.get(pk=follow_up.pk).done_by == users["diplomat"]
    with pytest.raises(DiplomacyValidationError):
        services.follow_up_complete(actor=users["diplomat"], origin=SYSTEM, follow_up=follow_up)


def test_a_contact_cannot_be_dated_in_the_future(world, users):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.contact_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            channel=world.lantern.channel,
            occurred_at=timezone.now() + timedelta(days=1),
            form="call",
            summary="x",
            classification="restricted",
        )
    assert raised.value.code == DiplomacyError.DATE_IN_FUTURE


# --- Mediation --------------------------------------------------------------------------


def test_outcomes_keep_their_history_and_the_request_shows_the_latest(world, users):
    request = world.lantern.mediation_request
    services.mediation_outcome_set(
        actor=users["diplomat"], origin=SYSTEM, request=request, outcome="refused", on=date(2022, 3, 1)
    )
    services.mediation_outcome_set(
        actor=users["diplomat"], origin=SYSTEM, request=request, outcome="accepted", on=date(2022, 3, 5)
    )
    request.refresh_from_db()
    assert (request.outcome, request.outcome_on) == (MediationOutcome.ACCEPTED, date(2022, 3, 5))
    assert [change.outcome for change in request.outcome_changes.all()] == ["pending", "refused", "accepted"]


def test_a_repeated_request_reads_as_one_chain(world, users):
    from crisisdesk.diplomacy import selectors

    first = world.lantern.mediation_request
    again = services.mediation_request_record(
        actor=users["diplomat"],
        origin=SYSTEM,
        compartment=world.lantern.compartment,
        kind="host_talks",
        requested_by=world.their_minister,
        requested_of=world.our_minister,
        parties=[world.ukraine, world.russia],
        asked_on=date(2022, 3, 2),
        repeat_of=first,
    )
    assert [item.pk for item in selectors.request_chain(actor=users["diplomat"], request=first)] == [first.pk, again.pk]
    assert [item.pk for item in selectors.request_chain(actor=users["diplomat"], request=again)] == [first.pk, again.pk]


def test_mediation_needs_two_parties(world, users):
    with pytest.raises(DiplomacyValidationError) as raised:
        services.mediation_request_record(
            actor=users["diplomat"],
            origin=SYSTEM,
            compartment=world.lantern.compartment,
            kind="mediate",
            requested_by=world.their_minister,
            requested_of=world.our_minister,
            parties=[world.ukraine],
            asked_on=date(2022, 3, 2),
        )
    assert raised.value.code == DiplomacyError.PARTIES_REQUIRED


# --- Lines-to-take ----------------------------------------------------------------------


def test_a_line_is_approved_by_someone_else_and_then_valid_in_its_period(users):
    line = services.line_draft(
        actor=users["senior_diplomat"],
        origin=SYSTEM,
        topic="Mediation",
        text="We keep all channels open.",
        valid_from=date(2022, 2, 24),
        valid_until=date(2022, 3, 31),
    )
    assert not line.valid_on(date(2022, 3, 1))
    with pytest.raises(DiplomacyValidationError) as raised:
        services.line_approve(actor=users["senior_diplomat"], origin=SYSTEM, line=line)
    assert raised.value.code == DiplomacyError.LINE_OWN_DRAFT
    line = services.line_approve(actor=users["political_director"], origin=SYSTEM, line=line)
    assert line.topic == "mediation"
    assert line.valid_on(date(2022, 3, 1))
    assert not line.valid_on(date(2022, 4, 1))
    assert not line.valid_on(date(2022, 2, 23))
    with pytest.raises(PermissionDenied):
        services.line_approve(actor=users["diplomat"], origin=SYSTEM, line=line)
