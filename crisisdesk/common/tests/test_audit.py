"""The audit log: append-only, browsable only by those allowed, itself audited, and
recording the client address without trusting headers a client can forge."""

import pytest
from django.test import RequestFactory

from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent, AuditLogIsAppendOnly
from crisisdesk.common.origin import SYSTEM, Origin, client_ip
from crisisdesk.common.testing.personas import ALL_PERSONAS
from crisisdesk.common.views import audit_list

AUDIT_URL = "/staff/audit/"


def _row(**fields) -> AuditEvent:
    values = {"actor": None, "origin": SYSTEM, "action": AuditEvent.Action.PERSON_VIEWED}
    values.update(fields)
    return audit_record(**values)


@pytest.mark.django_db
class TestAppendOnly:
    def test_saving_an_existing_row_is_refused(self):
        """A recorded event cannot be edited."""
        row = _row()
        row.actor_label = "someone else"

        with pytest.raises(AuditLogIsAppendOnly):
            row.save()

        assert AuditEvent.objects.get(pk=row.pk).actor_label == "anonymous"

    def test_deleting_a_row_is_refused(self):
        """A recorded event cannot be deleted."""
        row = _row()

        with pytest.raises(AuditLogIsAppendOnly):
            row.delete()

        assert AuditEvent.objects.filter(pk=row.pk).exists()

    def test_queryset_update_is_refused(self):
        """Nor changed in bulk."""
        row = _row()

        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.filter(pk=row.pk).update(action=AuditEvent.Action.AUDIT_VIEWED)

        assert AuditEvent.objects.get(pk=row.pk).action == AuditEvent.Action.PERSON_VIEWED

    def test_queryset_delete_is_refused(self):
        """Nor deleted in bulk."""
        _row()
        _row()

        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.all().delete()

        assert AuditEvent.objects.count() == 2

    def test_new_rows_can_be_added(self):
        """Appending is the one thing allowed, one at a time or in bulk."""
        _row()
        AuditEvent.objects.bulk_create([AuditEvent(actor_label="x", action="person.listed", channel="web")])

        assert AuditEvent.objects.count() == 2


EXPECTED_STATUS = {
    "admin": 200,
    "desk_chief": 200,
    "consul": 403,
    "border_officer": 403,
    "case_officer": 403,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 302,
}


def test_matrix_covers_every_persona():
    """Every persona has an expected answer below."""
    assert set(EXPECTED_STATUS) == set(ALL_PERSONAS)


def test_audit_view_declares_its_permission():
    """The audit browser is behind the audit.view_all permission."""
    assert audit_list.required_permission == "audit.view_all"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_audit_page_permission_matrix(as_persona, persona):
    """Only the administrator and the desk chief browse the whole log."""
    response = as_persona(persona).get(AUDIT_URL)

    assert response.status_code == EXPECTED_STATUS[persona]
    if response.status_code == 302:
        assert response["Location"].startswith("/staff/login/?next=")
    if response.status_code != 200:
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_VIEWED).exists()


@pytest.mark.django_db
def test_filter_by_user(as_persona, users):
    """?user= shows only what that user did."""
    # given
    _row(actor=users["consul"], person_id=1)
    _row(actor=users["consul"], person_id=2)
    _row(actor=users["border_officer"], person_id=1)

    # when
    response = as_persona("desk_chief").get(AUDIT_URL, {"user": users["consul"].pk})

    # then
    rows = list(response.context["page"].object_list)
    assert len(rows) == 2
    assert {row.actor_id for row in rows} == {users["consul"].pk}


@pytest.mark.django_db
def test_filter_by_person(as_persona, users):
    """?person= shows everything done to one person's record."""
    _row(actor=users["consul"], person_id=7)
    _row(actor=users["border_officer"], person_id=7)
    _row(actor=users["consul"], person_id=8)

    response = as_persona("admin").get(AUDIT_URL, {"person": 7})

    rows = list(response.context["page"].object_list)
    assert len(rows) == 2
    assert {row.person_id for row in rows} == {7}


@pytest.mark.django_db
def test_filter_by_action(as_persona, users):
    """?action= narrows to one kind of action."""
    _row(actor=users["consul"], action=AuditEvent.Action.PERSON_LISTED)
    _row(actor=users["consul"], action=AuditEvent.Action.PERSON_VIEWED)

    response = as_persona("admin").get(AUDIT_URL, {"action": "person.listed", "user": users["consul"].pk})

    assert [row.action for row in response.context["page"].object_list] == ["person.listed"]


@pytest.mark.django_db
def test_viewing_the_log_is_audited(as_persona, users):
    """Looking at the audit log leaves a row saying who looked and with which filters."""
    as_persona("desk_chief").get(AUDIT_URL, {"person": 42}, REMOTE_ADDR="192.0.2.10")

    row = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_VIEWED)
    assert row.actor == users["desk_chief"]
    assert row.ip_address == "192.0.2.10"
    assert row.changes == {"user_id": None, "person_id": 42, "action": "", "page": 1}


def _request(remote_addr="203.0.113.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


class TestClientIp:
    def test_forwarded_header_is_ignored_without_trusted_proxies(self, settings):
        """By default a client cannot choose the address recorded for it."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 0

        assert client_ip(_request(forwarded="198.51.100.7")) == "203.0.113.5"

    def test_one_trusted_proxy_uses_the_address_it_saw(self, settings):
        """Behind one proxy, the last X-Forwarded-For entry is the client; earlier ones are the client's own claims."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 1

        assert client_ip(_request(remote_addr="10.0.0.1", forwarded="1.2.3.4, 198.51.100.7")) == "198.51.100.7"

    def test_two_trusted_proxies(self, settings):
        """Behind two proxies, the second entry from the end is the client."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 2

        assert (
            client_ip(_request(remote_addr="10.0.0.2", forwarded="1.2.3.4, 198.51.100.7, 10.0.0.1")) == "198.51.100.7"
        )

    def test_missing_header_falls_back_to_the_peer(self, settings):
        """Too few entries for the configured hops: use the connection's address."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 2

        assert client_ip(_request(remote_addr="10.0.0.2", forwarded="198.51.100.7")) == "10.0.0.2"
        assert client_ip(_request(remote_addr="10.0.0.2")) == "10.0.0.2"

    def test_garbage_is_not_recorded_as_an_address(self, settings):
        """A forged header that is not an address gives no address rather than an error."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 1

        assert client_ip(_request(forwarded="<script>")) is None

    def test_ipv6_is_normalised(self, settings):
        """IPv6 addresses are stored in their canonical form."""
        settings.CRISISDESK_TRUSTED_PROXY_COUNT = 0

        assert client_ip(_request(remote_addr="2001:DB8:0:0::1")) == "2001:db8::1"


@pytest.mark.django_db
def test_audit_rows_record_the_forwarded_address_only_behind_a_trusted_proxy(as_persona, settings):
    """The address in the audit row follows the same rule as client_ip."""
    client = as_persona("desk_chief")

    settings.CRISISDESK_TRUSTED_PROXY_COUNT = 0
    client.get(AUDIT_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    settings.CRISISDESK_TRUSTED_PROXY_COUNT = 1
    client.get(AUDIT_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")

    rows = AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_VIEWED).order_by("id")
    assert [row.ip_address for row in rows] == ["10.0.0.1", "198.51.100.7"]


def test_origin_is_a_plain_value():
    """An origin is immutable, so a service cannot rewrite where an action came from."""
    origin = Origin(channel="web", ip_address="192.0.2.1")

    with pytest.raises(AttributeError):
        origin.ip_address = "192.0.2.2"  # type: ignore[misc]
