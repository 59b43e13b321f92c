"""The diplomacy tests' world: two compartments and the people read into them.

Personas (on top of the suite's one user per role):
- `diplomat` (Role.DIPLOMAT) is read into LANTERN and BRIDGE: "diplomat_alpha" in the style guide;
- `diplomat_beta`, another diplomat, is read into LANTERN only;
- `senior_diplomat` and `political_director` are read into both;
- `admin` has every permission but is read into nothing: roles do not open compartments.

Each compartment holds one of every compartmented record, so that a test can ask for the
one it cannot see beside one it can.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import persona_create_named
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelRequest,
    Compartment,
    ContactEntry,
    Counterpart,
    FollowUp,
    MediationRequest,
    Official,
)


@dataclass
class CompartmentWorld:
    compartment: Compartment
    channel: Channel
    entry: ContactEntry
    follow_up: FollowUp
    channel_request: ChannelRequest
    mediation_request: MediationRequest
    approach: Approach
    # Text that appears only in this compartment's records: no page outside may show it.
    secret_text: str


@dataclass
class DiplomacyWorld:
    own: Counterpart
    ukraine: Counterpart
    russia: Counterpart
    our_minister: Official
    their_minister: Official
    russian_envoy: Official
    lantern: CompartmentWorld
    bridge: CompartmentWorld


def _compartment_world(*, codeword, creator, readers, own, ukraine, russia, officials, secret_text) -> CompartmentWorld:
    our_minister, their_minister, russian_envoy = officials
    compartment = services.compartment_create(actor=creator, origin=SYSTEM, codeword=codeword)
    for reader in readers:
        services.compartment_read_in(
            actor=creator, origin=SYSTEM, compartment=compartment, user=reader, reason="needs to know"
        )
    request = services.channel_request_submit(
        actor=readers[0] if readers else creator,
        origin=SYSTEM,
        kind="open",
        compartment=compartment,
        counterpart=ukraine,
        level="working",
        name=f"{codeword} working channel",
        purpose=f"Consular coordination {secret_text}",
        reason="keep the working level open",
    )
    request = services.channel_request_decide(
        actor=creator, origin=SYSTEM, request=request, approve=True, reason="agreed"
    )
    channel = request.channel
    entry = services.contact_log(
        actor=creator,
        origin=SYSTEM,
        channel=channel,
        occurred_at=timezone.now() - timedelta(hours=3),
        form="call",
        summary=f"Call about the crossings, {secret_text}",
        classification="secret",
        own_participants=[our_minister],
        their_participants=[their_minister],
    )
    follow_up = services.follow_up_add(
        actor=creator,
        origin=SYSTEM,
        entry=entry,
        action=f"Send the list {secret_text}",
        owner=readers[0] if readers else creator,
        due_on=timezone.localdate() - timedelta(days=1),
    )
    pending = services.channel_request_submit(
        actor=readers[0] if readers else creator,
        origin=SYSTEM,
        kind="escalate",
        compartment=compartment,
        counterpart=ukraine,
        channel=channel,
        level="ministers",
        reason=f"Ministers should talk {secret_text}",
    )
    mediation = services.mediation_request_record(
        actor=creator,
        origin=SYSTEM,
        compartment=compartment,
        kind="host_talks",
        requested_by=their_minister,
        requested_of=our_minister,
        parties=[ukraine, russia],
        asked_on=date(2022, 2, 25),
        channel=channel,
        summary=f"Asked to host talks {secret_text}",
    )
    approach = services.approach_record(
        actor=creator,
        origin=SYSTEM,
        request=mediation,
        approached_by=our_minister,
        approached=russian_envoy,
        on_behalf_of=ukraine,
        on=date(2022, 2, 26),
        summary=f"Approach {secret_text}",
    )
    return CompartmentWorld(compartment, channel, entry, follow_up, pending, mediation, approach, secret_text)


@pytest.fixture
def diplomat_beta(db):
    return persona_create_named("diplomat_beta", "diplomat")


@pytest.fixture
def world(users, diplomat_beta) -> DiplomacyWorld:
    own = services.counterpart_create(actor=users["diplomat"], origin=SYSTEM, name="Israel", kind="state", is_own=True)
    ukraine = services.counterpart_create(actor=users["diplomat"], origin=SYSTEM, name="Ukraine", kind="state")
    russia = services.counterpart_create(actor=users["diplomat"], origin=SYSTEM, name="Russia", kind="state")
    post = services.PostInput
    our_minister = services.official_create(
        actor=users["diplomat"],
        origin=SYSTEM,
        name="Dana Levin",
        counterpart=own,
        posts=[post("Foreign minister", date(2021, 6, 1))],
    )
    their_minister = services.official_create(
        actor=users["diplomat"],
        origin=SYSTEM,
        name="Ostap Hrytsenko",
        counterpart=ukraine,
        posts=[post("Deputy foreign minister", date(2020, 1, 1))],
    )
    russian_envoy = services.official_create(
        actor=users["diplomat"],
        origin=SYSTEM,
        name="Pavel Orlov",
        counterpart=russia,
        posts=[post("Ambassador", date(2019, 3, 1))],
    )
    director, senior, alpha = users["political_director"], users["senior_diplomat"], users["diplomat"]
    common = {
        "own": own,
        "ukraine": ukraine,
        "russia": russia,
        "officials": (our_minister, their_minister, russian_envoy),
    }
    lantern = _compartment_world(
        codeword="LANTERN",
        creator=director,
        readers=[alpha, diplomat_beta, senior],
        secret_text="lantern-7f3a",
        **common,
    )
    bridge = _compartment_world(
        codeword="BRIDGE", creator=director, readers=[alpha, senior], secret_text="bridge-c91d", **common
    )
    return DiplomacyWorld(own, ukraine, russia, our_minister, their_minister, russian_envoy, lantern, bridge)
