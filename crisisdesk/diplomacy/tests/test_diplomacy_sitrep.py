"""The module's sitrep section counts public statements and lines in force, and nothing from a
compartment: a sitrep travels beyond need-to-know."""

from datetime import UTC, date, datetime

from crisisdesk.common.origin import SYSTEM
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.sitrep import STATEMENTS_SECTION
from crisisdesk.sitrep.sections import SectionContext, section_by_key


def _rows(as_of, window_start=None):
    return {
        row.label: row.value for row in STATEMENTS_SECTION.rows(SectionContext(as_of=as_of, window_start=window_start))
    }


def test_the_section_is_registered_and_counts_statements_in_the_window(world, users):
    assert section_by_key("diplomacy_statements") is STATEMENTS_SECTION
    for said_on, speaker in [(date(2022, 2, 25), world.their_minister), (date(2022, 2, 27), world.our_minister)]:
        services.statement_log(
            actor=users["diplomat"],
            origin=SYSTEM,
            speaker=speaker,
            outlet="KAN",
            said_on=said_on,
            quote="quote",
            stance="neutral",
        )
    line = services.line_draft(
        actor=users["diplomat"], origin=SYSTEM, topic="mediation", text="Quietly.", valid_from=date(2022, 2, 26)
    )
    services.line_approve(actor=users["senior_diplomat"], origin=SYSTEM, line=line)

    whole = _rows(datetime(2022, 2, 28, tzinfo=UTC))
    assert whole["Public statements by our officials"] == 1
    assert whole["Public statements by foreign officials"] == 1
    assert whole["Lines-to-take in force"] == 1
    early = _rows(datetime(2022, 2, 25, 23, tzinfo=UTC))
    assert early["Public statements by our officials"] == 0
    assert early["Lines-to-take in force"] == 0
    windowed = _rows(datetime(2022, 2, 28, tzinfo=UTC), window_start=datetime(2022, 2, 26, tzinfo=UTC))
    assert windowed["Public statements by foreign officials"] == 0
