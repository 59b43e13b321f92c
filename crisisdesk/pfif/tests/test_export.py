"""The PFIF 1.4 export: golden files, what is never exported, the incremental feed and its
pages."""

import os

import pytest

from crisisdesk.common.origin import SYSTEM
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.tests.conftest import GOLDEN, event_tokens, golden, golden_tokens

pytestmark = pytest.mark.django_db


def _export(users, **kwargs) -> bytes:
    return pfif_export(actor=users["desk_chief"], origin=SYSTEM, **kwargs).content


def test_export_matches_the_golden_file(users, world):
    content = _export(users)
    tokens = {"persons": world, "events": event_tokens()}
    if os.environ.get("PFIF_GOLDEN_WRITE"):
        (GOLDEN / "export_world.xml").write_text(golden_tokens(content, **tokens), encoding="utf-8")
    assert content == golden("export_world.xml", **tokens)
