"""Staff pages of the diplomacy module: who may open each, the main flows through them, the
export, the markings and the follow-ups-due notification.

Personas (see conftest.py): `diplomat` is read into LANTERN and BRIDGE, `diplomat_beta` into
LANTERN only, `senior_diplomat` and `political_director` into both; `admin` has every
permission and is read into nothing; the desk and registry roles cannot open the module.
"""

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS, client_for
from crisisdesk.diplomacy import services, views
from crisisdesk.diplomacy.models import (
    Channel,
    ChannelRequest,
    ContactEntry,
    FollowUp,
    LineToTake,
    MediationRequest,
    PublicStatement,
    ReadIn,
)

pytestmark = pytest.mark.django_db

MODULE = {"admin", "diplomat", "senior_diplomat", "political_director"}
SENIOR = {"admin", "senior_diplomat", "political_director"}
READ_INTO_LANTERN = {"diplomat", "senior_diplomat", "political_director"}


def _today() -> str:
    return timezone.localdate().isoformat()


def _marking_count(page: str) -> int:
    return page.count('data-testid="marking"')


# --- The permission matrix ------------------------------------------------------------


def _lantern_kwargs(world, keyword: str):
    records = {
        "channel_id": world.lantern.channel.pk,
        "channel_request_id": world.lantern.channel_request.pk,
        "entry_id": world.lantern.entry.pk,
        "follow_up_id": world.lantern.follow_up.pk,
        "mediation_request_id": world.lantern.mediation_request.pk,
        "approach_id": world.lantern.approach.pk,
        "compartment_id": world.lantern.compartment.pk,
        "counterpart_id": world.ukraine.pk,
        "official_id": world.our_minister.pk,
    }
    return {keyword: records[keyword]} if keyword else {}


# Pages without a compartmented record in their path: the role decides.
PAGES = [
    ("diplomacy:home", "", MODULE),
    ("diplomacy:channel_list", "", MODULE),
    ("diplomacy:channel_autocomplete", "", MODULE),
    ("diplomacy:channel_request_open", "", MODULE),
    ("diplomacy:entry_list", "", MODULE),
    ("diplomacy:entry_export", "", MODULE),
    ("diplomacy:entry_create", "", MODULE),
    ("diplomacy:follow_up_queue", "", MODULE),
    ("diplomacy:mediation_list", "", MODULE),
    ("diplomacy:mediation_create", "", MODULE),
    ("diplomacy:approach_create", "", MODULE),
    ("diplomacy:counterpart_list", "", MODULE),
    ("diplomacy:counterpart_timeline", "counterpart_id", MODULE),
    ("diplomacy:official_list", "", MODULE),
    ("diplomacy:official_create", "", MODULE),
    ("diplomacy:official_post_add", "official_id", MODULE),
    ("diplomacy:statement_list", "", MODULE),
    ("diplomacy:statement_create", "", MODULE),
    ("diplomacy:line_list", "", MODULE),
    ("diplomacy:line_create", "", MODULE),
    ("diplomacy:compartment_list", "", MODULE),
    ("diplomacy:compartment_create", "", SENIOR),
    ("diplomacy:audit", "", SENIOR),
]
# Pages of one compartmented record: beyond the role, the read-in decides, and the
# administrator (read into nothing) meets a 404 as for a record that does not exist.
RECORD_PAGES = [
    ("diplomacy:channel_detail", "channel_id"),
    ("diplomacy:channel_request_change", "channel_id"),
    ("diplomacy:channel_request_detail", "channel_request_id"),
    ("diplomacy:entry_detail", "entry_id"),
    ("diplomacy:mediation_detail", "mediation_request_id"),
    ("diplomacy:mediation_approach_create", "mediation_request_id"),
    ("diplomacy:approach_detail", "approach_id"),
    ("diplomacy:compartment_detail", "compartment_id"),
]


def _expect_denied(response, persona):
    if persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "keyword", "allowed"), PAGES, ids=[page[0] for page in PAGES])
def test_page_permission_matrix(world, as_persona, url_name, keyword, allowed, persona):  # noqa: PLR0917 - parametrised
    response = as_persona(persona).get(reverse(url_name, kwargs=_lantern_kwargs(world, keyword)))

    if persona in allowed:
        assert response.status_code == 200
    else:
        _expect_denied(response, persona)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "keyword"), RECORD_PAGES, ids=[page[0] for page in RECORD_PAGES])
def test_record_page_permission_matrix(world, as_persona, url_name, keyword, persona):
    response = as_persona(persona).get(reverse(url_name, kwargs=_lantern_kwargs(world, keyword)))

    if persona in READ_INTO_LANTERN:
        assert response.status_code == 200
    elif persona == "admin":
        assert response.status_code == 404
    else:
        _expect_denied(response, persona)


# Actions (POST only), sent with an empty form: who gets through to the form's own answer.
# "ok" is that answer for those allowed: a redirect with a message, or the page again with
# the form's errors.
ACTIONS = [
    ("diplomacy:channel_close", "channel_id", READ_INTO_LANTERN, 302),
    ("diplomacy:channel_request_decide", "channel_request_id", {"senior_diplomat", "political_director"}, 200),
    ("diplomacy:follow_up_create", "entry_id", READ_INTO_LANTERN, 200),
    ("diplomacy:follow_up_done", "follow_up_id", READ_INTO_LANTERN, 302),
    ("diplomacy:mediation_outcome", "mediation_request_id", READ_INTO_LANTERN, 200),
    ("diplomacy:approach_response", "approach_id", READ_INTO_LANTERN, 200),
    ("diplomacy:compartment_read_in", "compartment_id", {"senior_diplomat", "political_director"}, 200),
    ("diplomacy:compartment_read_out", "compartment_id", {"senior_diplomat", "political_director"}, 200),
]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "keyword", "allowed", "ok"), ACTIONS, ids=[action[0] for action in ACTIONS])
def test_action_permission_matrix(world, as_persona, url_name, keyword, allowed, ok, persona):  # noqa: PLR0917 - parametrised
    """The record loads first: the administrator, read into nothing, gets 404 even where
    the role would allow the action; a reader whose role may not act gets 403 after."""
    client = as_persona(persona)
    url = reverse(url_name, kwargs=_lantern_kwargs(world, keyword))

    response = client.post(url, {})

    if persona in allowed:
        assert response.status_code == ok
    elif persona == "admin":
        assert response.status_code == 404
    elif persona in READ_INTO_LANTERN:
        assert response.status_code == 403
    else:
        _expect_denied(response, persona)
    if persona in MODULE:
        assert client.get(url).status_code == 405


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("url_name", ["diplomacy:statement_assess", "diplomacy:line_approve"])
def test_statement_and_line_actions_need_the_approvers_role(world, users, as_persona, url_name, persona):
    statement = services.statement_log(
        actor=users["diplomat"],
        origin=SYSTEM,
        speaker=world.our_minister,
        outlet="KAN",
        said_on=date(2022, 3, 1),
        quote="We keep every channel open.",
        stance="neutral",
    )
    line = services.line_draft(
        actor=users["diplomat"], origin=SYSTEM, topic="mediation", text="Quietly.", valid_from=date(2022, 2, 24)
    )
    kwargs = {"statement_id": statement.pk} if url_name.endswith("assess") else {"line_id": line.pk}

    response = as_persona(persona).post(reverse(url_name, kwargs=kwargs), {"adherence": "kept"})

    if persona in SENIOR:
        assert response.status_code == 302
    else:
        _expect_denied(response, persona)


def test_views_declare_their_permission():
    """Record views open on diplomacy.view and check the action's permission once the record
    has loaded; the others are gated on the action's permission itself."""
    assert views.home.required_permission == "diplomacy.view"
    assert views.entry_create.required_permission == "diplomacy.log"
    assert views.channel_request_decide.required_permission == "diplomacy.view"
    assert views.compartment_create.required_permission == "diplomacy.compartment_manage"
    assert views.audit.required_permission == "diplomacy.audit_view"
    assert views.line_approve.required_permission == "diplomacy.line_approve"


# --- Flows ------------------------------------------------------------------------------


def _client(user):
    return client_for(user.get_username(), {user.get_username(): user})


def _contact_post(world, **overrides) -> dict:
    data = {
        "channel": world.lantern.channel.pk,
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "form": "meeting",
        "intermediary": "",
        "own_participants": [world.our_minister.pk],
        "their_participants": [world.their_minister.pk],
        "summary": "Met at the border crossing about the evacuation corridor.",
        "classification": "confidential",
        "compartment": "",
        "follow_ups-TOTAL_FORMS": "2",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "10",
        "follow_ups-0-action": "",
        "follow_ups-0-owner": "",
        "follow_ups-0-due_on": "",
        "follow_ups-1-action": "",
        "follow_ups-1-owner": "",
        "follow_ups-1-due_on": "",
    }
    data.update(overrides)
    return data


def test_a_contact_logged_with_a_follow_up_lands_in_the_owners_queue(world, as_persona, diplomat_beta):
    # given the contact form, with one follow-up row for diplomat_beta due today
    beta = _client(diplomat_beta)
    form_page = as_persona("diplomat").get(reverse("diplomacy:entry_create")).content.decode()
    before = beta.get(reverse("diplomacy:follow_up_queue")).content.decode()

    # when the diplomat logs the contact
    response = as_persona("diplomat").post(
        reverse("diplomacy:entry_create"),
        _contact_post(
            world,
            **{
                "follow_ups-0-action": "Send the corridor map to the embassy",
                "follow_ups-0-owner": diplomat_beta.pk,
                "follow_ups-0-due_on": _today(),
            },
        ),
    )

    # then the entry exists with its follow-up, and the follow-up is due in beta's queue
    entry = ContactEntry.objects.get(summary__startswith="Met at the border crossing")
    assert response.status_code == 302 and response["Location"] == reverse("diplomacy:entry_detail", args=[entry.pk])
    assert form_page.count('data-testid="follow-up-row"') == 2
    assert entry.compartment == world.lantern.compartment  # the channel's, by default
    follow_up = FollowUp.objects.get(entry=entry)
    assert follow_up.owner == diplomat_beta
    queue = beta.get(reverse("diplomacy:follow_up_queue")).content.decode()
    due = queue.split('data-testid="queue-due"')[1].split("</table>")[0]
    assert "Send the corridor map to the embassy" in due
    assert "Send the corridor map" not in before
    detail = as_persona("diplomat").get(reverse("diplomacy:entry_detail", args=[entry.pk])).content.decode()
    assert "Send the corridor map to the embassy" in detail and "Dana Levin" in detail


def test_a_follow_up_is_added_on_the_entry_and_marked_done_from_the_queue(world, as_persona, users):
    entry = world.lantern.entry
    diplomat = as_persona("diplomat")

    diplomat.post(
        reverse("diplomacy:follow_up_create", args=[entry.pk]),
        {
            "follow_up-action": "Call back on Monday",
            "follow_up-owner": users["diplomat"].pk,
            "follow_up-due_on": _today(),
        },
    )
    follow_up = FollowUp.objects.get(action="Call back on Monday")
    done = diplomat.post(reverse("diplomacy:follow_up_done", args=[follow_up.pk]), {"return_to": "queue"})

    assert done.status_code == 302 and done["Location"] == reverse("diplomacy:follow_up_queue")
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None and follow_up.done_by == users["diplomat"]
    assert "Call back on Monday" not in diplomat.get(reverse("diplomacy:follow_up_queue")).content.decode()


def test_a_service_refusal_is_shown_on_the_contact_form(world, as_persona, diplomat_beta):
    """The owner of a follow-up must be read into the entry's compartment (beta is not read
    into BRIDGE), and their side's participants must be the counterpart's: the services say
    so, and the form shows it; nothing is written."""
    not_read_in = as_persona("diplomat").post(
        reverse("diplomacy:entry_create"),
        _contact_post(
            world,
            channel=world.bridge.channel.pk,
            **{
                "follow_ups-0-action": "Brief the minister",
                "follow_ups-0-owner": diplomat_beta.pk,
                "follow_ups-0-due_on": _today(),
            },
        ),
    )
    wrong_side = as_persona("diplomat").post(
        reverse("diplomacy:entry_create"), _contact_post(world, their_participants=[world.russian_envoy.pk])
    )

    assert not_read_in.status_code == wrong_side.status_code == 200
    assert "The owner must be read into the compartment." in not_read_in.content.decode()
    error = wrong_side.content.decode().split('id="id_their_participants_error"')[1].split("</div>")[0]
    assert "Participants on our side must be our officials" in error
    assert not ContactEntry.objects.filter(summary__startswith="Met at the border crossing").exists()


def test_a_hidden_channel_posted_to_the_contact_form_reads_as_a_missing_one(world, diplomat_beta):
    beta = _client(diplomat_beta)

    hidden = beta.post(reverse("diplomacy:entry_create"), _contact_post(world, channel=world.bridge.channel.pk))
    missing = beta.post(reverse("diplomacy:entry_create"), _contact_post(world, channel=uuid.uuid4()))

    assert hidden.status_code == missing.status_code == 200
    error = "Select a valid choice. That choice is not one of the available choices."
    assert error in hidden.content.decode() and error in missing.content.decode()
    assert "BRIDGE" not in hidden.content.decode()


def test_an_escalation_is_approved_by_someone_senior_and_the_level_changes(world, as_persona):
    channel = world.lantern.channel
    # given the diplomat asks to raise the working channel to senior officials
    asked = as_persona("diplomat").post(
        reverse("diplomacy:channel_request_change", args=[channel.pk]),
        {"kind": "escalate", "level": "senior_officials", "reason": "The working level is stuck on the corridor."},
    )
    request = ChannelRequest.objects.get(channel=channel, level="senior_officials")
    detail_url = reverse("diplomacy:channel_request_detail", args=[request.pk])

    # then the requester is not offered the decision, the senior diplomat is
    own_view = as_persona("diplomat").get(detail_url).content.decode()
    senior_view = as_persona("senior_diplomat").get(detail_url).content.decode()
    home = as_persona("senior_diplomat").get(reverse("diplomacy:home")).content.decode()

    # when the senior diplomat approves
    decided = as_persona("senior_diplomat").post(
        reverse("diplomacy:channel_request_decide", args=[request.pk]),
        {"decision": "approve", "reason": "Agreed: talk at senior officials' level."},
    )

    assert asked.status_code == 302 and asked["Location"] == detail_url
    assert 'data-testid="decide-form"' not in own_view and 'data-testid="awaiting-decision"' in own_view
    assert 'data-testid="decide-form"' in senior_view
    assert detail_url in home.split('data-testid="requests-to-decide"')[1].split("</ul>")[0]
    assert decided.status_code == 302 and decided["Location"] == reverse("diplomacy:channel_detail", args=[channel.pk])
    channel.refresh_from_db()
    request.refresh_from_db()
    assert channel.level == "senior_officials"
    assert (request.state, request.decided_by.get_username()) == ("approved", "senior_diplomat")
    page = as_persona("diplomat").get(reverse("diplomacy:channel_detail", args=[channel.pk])).content.decode()
    assert 'data-testid="channel-level">Senior officials<' in page


def test_a_request_above_the_deciders_rank_is_not_offered_and_refused_if_posted(world, as_persona):
    """The conftest's pending request raises a channel to ministers: the political director's call."""
    request = world.lantern.channel_request
    url = reverse("diplomacy:channel_request_detail", args=[request.pk])

    page = as_persona("senior_diplomat").get(url).content.decode()
    posted = as_persona("senior_diplomat").post(
        reverse("diplomacy:channel_request_decide", args=[request.pk]), {"decision": "approve", "reason": "yes"}
    )

    assert 'data-testid="decide-form"' not in page
    assert posted.status_code == 200
    assert "This request needs the decision of a more senior role." in posted.content.decode()
    request.refresh_from_db()
    assert request.state == "pending"
    assert 'data-testid="decide-form"' in as_persona("political_director").get(url).content.decode()


def test_a_channel_is_asked_for_opened_and_closed(world, as_persona):
    asked = as_persona("diplomat").post(
        reverse("diplomacy:channel_request_open"),
        {
            "compartment": world.lantern.compartment.pk,
            "counterpart": world.russia.pk,
            "name": "Humanitarian pauses",
            "level": "working",
            "purpose": "Corridors and pauses",
            "reason": "Nobody talks about corridors yet.",
        },
    )
    request = ChannelRequest.objects.get(name="Humanitarian pauses")
    as_persona("senior_diplomat").post(
        reverse("diplomacy:channel_request_decide", args=[request.pk]), {"decision": "approve", "reason": "Go."}
    )
    channel = Channel.objects.get(name="Humanitarian pauses")
    closed = as_persona("diplomat").post(reverse("diplomacy:channel_close", args=[channel.pk]), {"reason": "Done."})

    assert asked.status_code == 302
    assert closed.status_code == 302
    channel.refresh_from_db()
    assert channel.status == "closed" and channel.owner.get_username() == "diplomat"
    page = as_persona("diplomat").get(reverse("diplomacy:channel_detail", args=[channel.pk])).content.decode()
    assert "Ask to reopen" in page


def test_a_mediation_request_made_again_and_its_outcome(world, as_persona):
    earlier = world.lantern.mediation_request
    # when the diplomat records the request made again, then that it was refused
    recorded = as_persona("diplomat").post(
        reverse("diplomacy:mediation_create"),
        {
            "compartment": world.lantern.compartment.pk,
            "kind": "host_talks",
            "requested_by": world.their_minister.pk,
            "requested_of": world.our_minister.pk,
            "parties": [world.ukraine.pk, world.russia.pk],
            "asked_on": "2022-03-05",
            "channel": world.lantern.channel.pk,
            "repeat_of": earlier.pk,
            "summary": "Asked again to host talks.",
        },
    )
    mediation = MediationRequest.objects.get(summary="Asked again to host talks.")
    outcome = as_persona("diplomat").post(
        reverse("diplomacy:mediation_outcome", args=[mediation.pk]),
        {"outcome": "refused", "on": "2022-10-10", "note": "Refused by the other side."},
    )
    page = as_persona("diplomat").get(reverse("diplomacy:mediation_detail", args=[mediation.pk])).content.decode()
    listing = as_persona("diplomat").get(reverse("diplomacy:mediation_list") + "?outcome=refused").content.decode()

    # then the detail shows the chain of both makings and the outcome on the timeline
    assert recorded.status_code == 302
    assert outcome.status_code == 302
    mediation.refresh_from_db()
    assert (mediation.outcome, mediation.outcome_on) == ("refused", date(2022, 10, 10))
    chain = page.split('data-testid="request-chain"')[1].split("</ol>")[0]
    assert chain.index("2022-02-25") < chain.index("2022-03-05")
    assert 'data-kind="outcome"' in page and "Refused by the other side." in page
    assert 'data-testid="mediation-outcome">Refused' in page
    assert listing.count('data-testid="mediation-row"') == 1


def test_an_approach_is_recorded_for_a_request_and_its_response_set(world, as_persona):
    mediation = world.lantern.mediation_request
    recorded = as_persona("diplomat").post(
        reverse("diplomacy:mediation_approach_create", args=[mediation.pk]),
        {
            "request": mediation.pk,
            "approached_by": world.our_minister.pk,
            "approached": world.russian_envoy.pk,
            "on_behalf_of": world.ukraine.pk,
            "on": "2022-03-02",
            "summary": "Second approach.",
            "response": "awaited",
        },
    )
    approach = mediation.approaches.get(summary="Second approach.")
    answered = as_persona("diplomat").post(
        reverse("diplomacy:approach_response", args=[approach.pk]), {"response": "declined", "on": "2022-03-04"}
    )

    assert recorded.status_code == 302
    assert answered.status_code == 302
    approach.refresh_from_db()
    assert approach.response == "declined" and approach.compartment == mediation.compartment
    page = as_persona("diplomat").get(reverse("diplomacy:mediation_detail", args=[mediation.pk])).content.decode()
    assert 'data-kind="approach_response"' in page


def test_a_statement_is_shown_beside_the_line_valid_that_day(world, as_persona, users):
    # given a line drafted by the senior diplomat, who may not approve it, approved by the director
    as_persona("senior_diplomat").post(
        reverse("diplomacy:line_create"),
        {"topic": "Mediation", "text": "We talk to all sides, quietly.", "valid_from": "2022-02-24"},
    )
    line = LineToTake.objects.get()
    own_approval = as_persona("senior_diplomat").post(reverse("diplomacy:line_approve", args=[line.pk]))
    line.refresh_from_db()
    unapproved = line.approved_at
    as_persona("political_director").post(reverse("diplomacy:line_approve", args=[line.pk]))
    # when statements by our minister and by a foreign official are logged
    for speaker, quote in ((world.our_minister, "We keep every channel open."), (world.russian_envoy, "No talks.")):
        as_persona("diplomat").post(
            reverse("diplomacy:statement_create"),
            {
                "speaker": speaker.pk,
                "outlet": "KAN",
                "said_on": "2022-03-01",
                "quote": quote,
                "topics": "mediation, corridors",
                "stance": "neutral",
            },
        )
    ours = PublicStatement.objects.get(speaker=world.our_minister)
    as_persona("senior_diplomat").post(reverse("diplomacy:statement_assess", args=[ours.pk]), {"adherence": "kept"})
    page = as_persona("diplomat").get(reverse("diplomacy:statement_list")).content.decode()

    # then our minister's row carries the line and the assessment; the foreign one none
    assert own_approval.status_code == 302 and unapproved is None
    line.refresh_from_db()
    assert line.approved_by == users["political_director"]
    rows = page.split('data-testid="statement-row"')[1:]
    own_row = next(row for row in rows if "We keep every channel open." in row)
    foreign_row = next(row for row in rows if "No talks." in row)
    assert "We talk to all sides, quietly." in own_row and 'data-testid="line-beside"' in own_row
    assert "Kept to the line" in own_row
    assert 'data-testid="line-beside"' not in foreign_row
    assert "RESTRICTED" in page.split('data-testid="marking"')[1]


def test_a_compartment_is_created_and_someone_read_in_and_out_with_reasons(world, as_persona, users):
    created = as_persona("senior_diplomat").post(
        reverse("diplomacy:compartment_create"), {"codeword": "harbour", "description": "Port talks"}
    )
    compartment_url = created["Location"]
    compartment_id = compartment_url.rstrip("/").rsplit("/", 1)[1]
    as_persona("senior_diplomat").post(
        reverse("diplomacy:compartment_read_in", args=[compartment_id]),
        {"read_in-user": users["diplomat"].pk, "read_in-reason": "Runs the port channel"},
    )
    visible_to_diplomat = as_persona("diplomat").get(compartment_url).status_code
    as_persona("senior_diplomat").post(
        reverse("diplomacy:compartment_read_out", args=[compartment_id]),
        {"read_out-user": users["diplomat"].pk, "read_out-reason": "Posted abroad"},
    )
    page = as_persona("senior_diplomat").get(compartment_url).content.decode()

    assert created.status_code == 302
    assert visible_to_diplomat == 200
    assert as_persona("diplomat").get(compartment_url).status_code == 404
    read_in = ReadIn.objects.get(compartment_id=compartment_id, user=users["diplomat"])
    assert (read_in.read_in_by, read_in.read_out_by) == (users["senior_diplomat"], users["senior_diplomat"])
    assert "Runs the port channel" in page and "Posted abroad" in page
    assert "CONFIDENTIAL // HARBOUR" in page


def test_the_directory_takes_an_official_and_a_new_post(world, as_persona):
    as_persona("diplomat").post(
        reverse("diplomacy:official_create"),
        {"name": "Mira Adler", "counterpart": world.own.pk, "title": "Prime minister", "starts_on": "2021-06-13"},
    )
    official = world.own.officials.get(name="Mira Adler")
    as_persona("diplomat").post(
        reverse("diplomacy:official_post_add", args=[official.pk]), {"title": "Alternate PM", "starts_on": "2022-07-01"}
    )

    page = as_persona("diplomat").get(reverse("diplomacy:official_list") + "?q=adler").content.decode()

    assert page.count('data-testid="official-row"') == 1
    assert "Prime minister" in page and "2022-06-30" in page and "Alternate PM" in page


def test_the_counterpart_timeline_shows_what_the_reader_may_see(world, as_persona, diplomat_beta):
    url = reverse("diplomacy:counterpart_timeline", args=[world.ukraine.pk])

    full = as_persona("diplomat").get(url).content.decode()
    partial = _client(diplomat_beta).get(url).content.decode()

    assert "lantern-7f3a" in full and "bridge-c91d" in full
    assert "lantern-7f3a" in partial and "bridge-c91d" not in partial and "BRIDGE" not in partial
    assert 'data-kind="mediation_request"' in partial and 'data-kind="approach"' in partial


def test_channel_autocomplete_answers_from_the_visible_channels_only(world, as_persona, diplomat_beta):
    url = reverse("diplomacy:channel_autocomplete")

    alpha = as_persona("diplomat").get(url, {"q": "BRIDGE"}).json()
    beta = _client(diplomat_beta).get(url, {"q": "BRIDGE"}).json()
    options = _client(diplomat_beta).get(url, {"q": "lan"}, headers={"HX-Request": "true"}).content.decode()

    assert [row["name"] for row in alpha["results"]] == ["BRIDGE working channel"]
    assert beta == {"results": []}
    assert "LANTERN working channel" in options and "<option" in options


def test_the_channel_list_filters_and_counts_only_visible_channels(world, as_persona, diplomat_beta):
    url = reverse("diplomacy:channel_list")

    alpha = as_persona("diplomat").get(url).content.decode()
    beta = _client(diplomat_beta).get(url).content.decode()
    filtered = as_persona("diplomat").get(url, {"q": "lantern-7f3a", "status": "open"}).content.decode()

    assert 'data-testid="total">2<' in alpha
    assert 'data-testid="total">1<' in beta
    assert 'data-testid="total">1<' in filtered and "LANTERN working channel" in filtered


# --- The export -------------------------------------------------------------------------


def test_the_export_carries_the_marking_and_the_watermark_and_defuses_formulas(world, users, as_persona):
    diplomat = users["diplomat"]
    diplomat.first_name, diplomat.last_name = "Alma", "Peretz"
    diplomat.save()
    services.contact_log(
        actor=diplomat,
        origin=SYSTEM,
        channel=world.lantern.channel,
        occurred_at=timezone.now() - timedelta(hours=1),
        form="message",
        summary='=HYPERLINK("http://evil.example","click")',
        classification="confidential",
        intermediary="@someone",
    )

    response = as_persona("diplomat").get(reverse("diplomacy:entry_export"), {"channel": world.lantern.channel.pk})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["SECRET // LANTERN"]
    assert rows[1][0].startswith("Exported for Alma Peretz at ")
    assert rows[-1] == ["SECRET // LANTERN"]
    body = [row for row in rows[4:-2] if row]
    assert len(body) == 2  # the conftest's call and the message, nothing from BRIDGE
    formula = next(row for row in body if "HYPERLINK" in row[7])
    assert formula[7].startswith("'=HYPERLINK") and formula[4] == "'@someone"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "bridge-c91d" not in response.content.decode()


def test_the_export_of_a_reader_read_into_nothing_is_empty_and_unclassified(world, as_persona):
    rows = list(csv.reader(io.StringIO(as_persona("admin").get(reverse("diplomacy:entry_export")).content.decode())))

    assert rows[0][0].endswith("UNCLASSIFIED")
    assert rows[1][0].startswith("Exported for admin at ")
    assert [row for row in rows[4:-2] if row] == []


def test_spreadsheet_safe_prefixes_every_formula_start():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert views.spreadsheet_safe(value) == "'" + value
    assert views.spreadsheet_safe("plain") == "plain" and views.spreadsheet_safe(None) == ""


# --- Markings and the notification ----------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "keyword", "marking"),
    [
        ("diplomacy:entry_detail", "entry_id", "SECRET // LANTERN"),
        ("diplomacy:channel_detail", "channel_id", "SECRET // LANTERN"),
        ("diplomacy:mediation_detail", "mediation_request_id", "CONFIDENTIAL // LANTERN"),
        ("diplomacy:compartment_detail", "compartment_id", "CONFIDENTIAL // LANTERN"),
        ("diplomacy:official_list", "", "UNCLASSIFIED"),
        ("diplomacy:statement_list", "", "RESTRICTED"),
        ("diplomacy:line_list", "", "RESTRICTED"),
        ("diplomacy:entry_create", "", "CONFIDENTIAL // LANTERN"),
        ("diplomacy:counterpart_list", "", "CONFIDENTIAL"),
    ],
)
def test_every_page_carries_its_marking_at_the_top_and_the_bottom(world, diplomat_beta, url_name, keyword, marking):
    page = _client(diplomat_beta).get(reverse(url_name, kwargs=_lantern_kwargs(world, keyword))).content.decode()

    assert _marking_count(page) == 2
    banners = [part.split("</div>")[0].split(">", 1)[1] for part in page.split('data-testid="marking"')[1:]]
    assert banners == [marking, marking]


def test_the_list_marking_follows_what_the_reader_sees(world, as_persona, diplomat_beta):
    url = reverse("diplomacy:entry_list")

    alpha = as_persona("diplomat").get(url).content.decode()
    beta = _client(diplomat_beta).get(url).content.decode()
    admin = as_persona("admin").get(url).content.decode()

    assert "SECRET // BRIDGE // LANTERN" in alpha
    assert "SECRET // LANTERN" in beta and "BRIDGE" not in beta
    assert ">UNCLASSIFIED</div>" in admin


def _beta_follow_ups(world, users, beta) -> None:
    for action, days in (("Due already lantern-7f3a", -1), ("Not due yet lantern-7f3a", 7)):
        services.follow_up_add(
            actor=users["political_director"],
            origin=SYSTEM,
            entry=world.lantern.entry,
            action=action,
            owner=beta,
            due_on=timezone.localdate() + timedelta(days=days),
        )


def test_the_nav_badge_counts_follow_ups_due_and_says_nothing_else(world, diplomat_beta, users):
    # given beta owns one follow-up due yesterday and one due next week
    _beta_follow_ups(world, users, diplomat_beta)

    page = _client(diplomat_beta).get(reverse("diplomacy:official_list")).content.decode()
    navbar = page.split('<nav class="navbar')[1].split("</nav>")[0]

    assert 'data-testid="follow-ups-due"' in navbar
    assert 'title="You have 1 follow-up due"' in navbar
    assert ">1</span>" in navbar
    assert "lantern-7f3a" not in page and "LANTERN" not in navbar


def test_the_nav_shows_no_badge_without_follow_ups_and_no_link_outside_the_module(world, as_persona):
    admin = as_persona("admin").get(reverse("diplomacy:home")).content.decode()
    consul = as_persona("consul").get(reverse("border:post_history")).content.decode()

    assert 'data-testid="nav-diplomacy"' in admin and 'data-testid="follow-ups-due"' not in admin
    assert 'data-testid="nav-diplomacy"' not in consul


def test_the_badge_is_counted_only_for_readers_of_the_module_and_once(world, users, diplomat_beta, rf):
    from crisisdesk.diplomacy.context_processors import follow_ups_due

    _beta_follow_ups(world, users, diplomat_beta)
    consul_request, beta_request = rf.get("/"), rf.get("/")
    consul_request.user, beta_request.user = users["consul"], diplomat_beta

    count = follow_ups_due(beta_request)["diplomacy_follow_ups_due"]

    assert follow_ups_due(consul_request) == {}
    assert count() == 1
    FollowUp.objects.update(due_on=timezone.localdate() + timedelta(days=1))
    assert count() == 1  # computed once per request


# --- Query counts -----------------------------------------------------------------------


def _more_contacts(world, users, count: int) -> None:
    for number in range(count):
        entry = services.contact_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            channel=world.lantern.channel,
            occurred_at=timezone.now() - timedelta(hours=2, minutes=number),
            form="call",
            summary=f"Call number {number}",
            classification="confidential",
            own_participants=[world.our_minister],
            their_participants=[world.their_minister],
        )
        services.follow_up_add(
            actor=users["diplomat"],
            origin=SYSTEM,
            entry=entry,
            action=f"Follow-up {number}",
            owner=users["diplomat"],
            due_on=timezone.localdate(),
        )


def _more_channels(world, users, count: int) -> None:
    for number in range(count):
        request = services.channel_request_submit(
            actor=users["diplomat"],
            origin=SYSTEM,
            kind="open",
            compartment=world.lantern.compartment,
            counterpart=world.russia,
            level="working",
            name=f"Extra channel {number}",
            purpose="More",
            reason="More",
        )
        services.channel_request_decide(
            actor=users["senior_diplomat"], origin=SYSTEM, request=request, approve=True, reason="ok"
        )


def _more_mediation(world, users, count: int) -> None:
    for number in range(count):
        mediation = services.mediation_request_record(
            actor=users["diplomat"],
            origin=SYSTEM,
            compartment=world.lantern.compartment,
            kind="mediate",
            requested_by=world.their_minister,
            requested_of=world.our_minister,
            parties=[world.ukraine, world.russia],
            asked_on=date(2022, 3, 1) + timedelta(days=number),
            repeat_of=world.lantern.mediation_request,
        )
        services.approach_record(
            actor=users["diplomat"],
            origin=SYSTEM,
            request=mediation,
            approached_by=world.our_minister,
            approached=world.russian_envoy,
            on=date(2022, 3, 2) + timedelta(days=number),
        )
        services.statement_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            speaker=world.our_minister,
            outlet="KAN",
            said_on=date(2022, 3, 1) + timedelta(days=number),
            quote=f"Statement {number}",
            stance="neutral",
            topics=["mediation"],
        )


@pytest.mark.parametrize(
    ("url_name", "keyword", "grow"),
    [
        ("diplomacy:home", "", _more_channels),
        ("diplomacy:channel_list", "", _more_channels),
        ("diplomacy:entry_list", "", _more_contacts),
        ("diplomacy:entry_export", "", _more_contacts),
        ("diplomacy:follow_up_queue", "", _more_contacts),
        ("diplomacy:channel_detail", "channel_id", _more_contacts),
        ("diplomacy:counterpart_timeline", "counterpart_id", _more_contacts),
        ("diplomacy:mediation_list", "", _more_mediation),
        ("diplomacy:mediation_detail", "mediation_request_id", _more_mediation),
        ("diplomacy:counterpart_list", "", _more_channels),
        ("diplomacy:statement_list", "", _more_mediation),
        ("diplomacy:audit", "", _more_contacts),
    ],
)
def test_list_query_count_does_not_grow_with_rows(  # noqa: PLR0917 - parametrised
    world, users, as_persona, django_assert_max_num_queries, url_name, keyword, grow
):
    client = as_persona("political_director")
    url = reverse(url_name, kwargs=_lantern_kwargs(world, keyword))
    grow(world, users, 1)
    client.get(url)  # warm: the session, the first page of everything
    with django_assert_max_num_queries(40) as few:
        client.get(url)

    grow(world, users, 6)

    with django_assert_max_num_queries(len(few)):
        client.get(url)
