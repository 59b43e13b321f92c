"""The demo scenario's requests: every stage of the pipeline, ageing cases, a pool, a
rejection waiting for review, documents; reloading replaces them."""

from io import StringIO

import pytest
from django.core.management import call_command

from crisisdesk.cases.demo import DEMO_CASES
from crisisdesk.cases.models import Case, CaseDocument, Stage

pytestmark = pytest.mark.django_db


def _load() -> None:
    call_command("demo_load", "--size", "400", stdout=StringIO())


def test_the_demo_has_requests_at_every_stage():
    _load()

    assert Case.objects.count() == DEMO_CASES
    stages = set(Case.objects.values_list("stage", flat=True))
    assert stages >= {
        Stage.RECEIVED,
        Stage.ELIGIBILITY_REVIEW,
        Stage.DOCUMENTS_PENDING,
        Stage.DECISION,
        Stage.APPROVED,
        Stage.TRAVEL_ARRANGED,
        Stage.ARRIVED,
        Stage.WITHDRAWN,
    }
    assert Case.objects.filter(officer__isnull=True).exists()
    assert Case.objects.filter(officer__username="caseworker").exists()
    assert Case.objects.filter(rejection_proposed_by__username="caseworker").exists()
    assert any(case.is_ageing() for case in Case.objects.select_related("request_type"))
    assert CaseDocument.objects.filter(content_type="application/pdf").exists()
    assert Case.objects.filter(origin=Case.Origin.BORDER).exists()


def test_reloading_replaces_the_demo_requests():
    _load()
    first = set(Case.objects.values_list("reference", flat=True))
    _load()

    assert Case.objects.count() == DEMO_CASES
    assert not first & set(Case.objects.values_list("reference", flat=True))
