"""Document uploads: checked by content, limited in size, named safely, stored encrypted
outside the web root, and read back only through an audited selector."""

from pathlib import Path

import pytest
from django.http import Http404

from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import CaseDocument, DocumentKind
from crisisdesk.cases.selectors import case_document_open
from crisisdesk.cases.services import case_assign, case_document_add, document_kinds_missing
from crisisdesk.common.documents import display_name_of
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db


def _upload(case, *, name: str, content: bytes, actor=None, kind=DocumentKind.PASSPORT):
    return case_document_add(actor=actor, origin=SYSTEM, case=case, kind=kind, name=name, content=content)


def _stored_files(settings) -> list[Path]:
    root = Path(settings.CRISISDESK_DOCUMENT_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


class TestContentChecks:
    @pytest.mark.parametrize(
        ("fixture", "content_type", "shown"),
        [
            ("sample_pdf", "application/pdf", "scan.pdf"),
            ("sample_png", "image/png", "scan.png"),
            ("sample_jpeg", "image/jpeg", "scan.jpg"),
        ],
    )
    def test_real_files_are_accepted_with_the_type_their_content_shows(
        self, make_case, request, fixture, content_type, shown
    ):
        document = _upload(make_case(), name="scan", content=request.getfixturevalue(fixture))

        assert (document.content_type, document.display_name) == (content_type, shown)

    def test_a_script_renamed_pdf_is_refused(self, make_case, settings):
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(make_case(), name="passport.pdf", content=b"#!/bin/sh\nrm -rf /\n")
        assert (excinfo.value.code, excinfo.value.field) == (CaseError.FILE_TYPE, "file")
        assert _stored_files(settings) == []

    def test_html_renamed_png_is_refused(self, make_case):
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(make_case(), name="photo.png", content=b"<html><script>alert(1)</script></html>")
        assert excinfo.value.code == CaseError.FILE_TYPE

    def test_magic_bytes_without_a_real_file_are_refused(self, make_case):
        """A PNG signature followed by anything else is not a PNG."""
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(make_case(), name="x.png", content=b"\x89PNG\r\n\x1a\n" + b"not an image" * 10)
        assert excinfo.value.code == CaseError.FILE_DAMAGED

    def test_a_jpeg_inside_a_png_name_is_stored_as_jpeg(self, make_case, sample_jpeg):
        document = _upload(make_case(), name="photo.png", content=sample_jpeg)
        assert (document.content_type, document.display_name) == ("image/jpeg", "photo.jpg")

    def test_oversize_and_empty_files_are_refused(self, make_case, settings, sample_pdf):
        settings.CRISISDESK_DOCUMENT_MAX_BYTES = len(sample_pdf) - 1
        case = make_case()
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(case, name="big.pdf", content=sample_pdf)
        assert excinfo.value.code == CaseError.FILE_TOO_LARGE
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(case, name="empty.pdf", content=b"")
        assert excinfo.value.code == CaseError.FILE_EMPTY
        assert CaseDocument.objects.count() == 0


class TestNamesAndStorage:
    @pytest.mark.parametrize(
        ("uploaded", "shown"),
        [
            ("../../etc/passwd.png", "passwd.png"),
            ("..\\..\\windows\\system32\\evil.png", "evil.png"),
            ("/absolute/path/scan.png", "scan.png"),
            ("pass\u202eport\u0000.png", "passport.png"),
            ("..", "document.png"),
            ("", "document.png"),
            ("паспорт Олени.png", "паспорт Олени.png"),
        ],
    )
    def test_the_display_name_keeps_no_path_and_no_control_characters(self, uploaded, shown):
        assert display_name_of(uploaded, "image/png") == shown

    def test_a_traversal_name_never_reaches_the_file_system(self, make_case, settings, sample_png):
        document = _upload(make_case(), name="../../../../tmp/owned.png", content=sample_png)

        files = _stored_files(settings)
        assert len(files) == 1
        root = Path(settings.CRISISDESK_DOCUMENT_ROOT).resolve()
        assert files[0].resolve().is_relative_to(root)
        assert files[0].name == document.storage_key
        assert not any(root.parent.rglob("owned.png"))

    def test_the_file_is_encrypted_at_rest(self, make_case, settings, sample_pdf):
        _upload(make_case(), name="p.pdf", content=sample_pdf)

        (stored,) = _stored_files(settings)
        assert b"%PDF" not in stored.read_bytes()

    def test_the_web_root_does_not_hold_the_files(self, settings):
        root = Path(settings.CRISISDESK_DOCUMENT_ROOT).resolve()
        assert not root.is_relative_to(Path(settings.STATIC_ROOT).resolve())
        assert not root.is_relative_to((Path(settings.BASE_DIR) / "crisisdesk" / "static").resolve())


class TestChecklist:
    def test_missing_documents_are_the_checklist_less_what_arrived(self, make_case, sample_pdf):
        case = make_case()
        assert document_kinds_missing(case) == [
            "passport",
            "birth_certificate",
            "eligibility_proof",
            "marriage_certificate",
        ]
        _upload(case, name="p.pdf", content=sample_pdf, kind=DocumentKind.PASSPORT)
        refused = _upload(case, name="b.pdf", content=sample_pdf, kind=DocumentKind.BIRTH_CERTIFICATE)
        refused.state = CaseDocument.State.REJECTED
        refused.save(update_fields=["state"])

        assert document_kinds_missing(case) == ["birth_certificate", "eligibility_proof", "marriage_certificate"]


class TestReading:
    def test_a_permitted_reader_gets_the_content_and_the_view_is_audited(self, make_case, users, sample_pdf):
        case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["case_officer"])
        document = _upload(case, name="p.pdf", content=sample_pdf, actor=users["case_officer"])

        opened, content = case_document_open(
            actor=users["case_officer"], origin=SYSTEM, case_id=case.pk, document_id=document.pk
        )

        assert (opened, content) == (document, sample_pdf)
        row = AuditEvent.objects.get(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED)
        assert (row.actor, row.target_id) == (users["case_officer"], str(document.pk))
        assert row.person_id == case.members.get(role="applicant").person_id

    def test_an_officer_outside_the_case_gets_not_found_and_nothing_is_audited(
        self, make_case, users, case_officer_two, sample_pdf
    ):
        case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["case_officer"])
        document = _upload(case, name="p.pdf", content=sample_pdf)

        with pytest.raises(Http404):
            case_document_open(actor=case_officer_two, origin=SYSTEM, case_id=case.pk, document_id=document.pk)
        with pytest.raises(Http404):
            case_document_open(
                actor=users["case_officer"], origin=SYSTEM, case_id=case.pk, document_id=document.pk + 99
            )
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED).exists()

    def test_an_upload_the_case_refuses_leaves_no_file_behind(self, make_case, users, settings, sample_pdf):
        """The file is written before its row; a refusal inside the transaction removes it."""
        from crisisdesk.cases.models import Stage
        from crisisdesk.cases.services import case_decide

        case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["case_officer"])
        case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="Stays.")

        with pytest.raises(CaseValidationError) as excinfo:
            _upload(case, name="p.pdf", content=sample_pdf)
        assert excinfo.value.code == CaseError.CLOSED
        assert _stored_files(settings) == []


class TestWhoAddsDocuments:
    def test_papers_go_on_a_pool_case_or_ones_own_but_not_a_colleagues(
        self, make_case, users, case_officer_two, sample_pdf
    ):
        pool = make_case()
        assert _upload(pool, name="p.pdf", content=sample_pdf, actor=case_officer_two).case == pool

        theirs = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["case_officer"])
        with pytest.raises(CaseValidationError) as excinfo:
            _upload(theirs, name="p.pdf", content=sample_pdf, actor=case_officer_two)
        assert excinfo.value.code == CaseError.NOT_YOURS
        assert _upload(theirs, name="p.pdf", content=sample_pdf, actor=users["desk_chief"]).case == theirs

    def test_a_closed_cases_documents_are_not_reviewed_again(self, make_case, users, sample_pdf):
        from crisisdesk.cases.models import Stage
        from crisisdesk.cases.services import case_decide, case_document_review

        case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["case_officer"])
        document = _upload(case, name="p.pdf", content=sample_pdf, actor=users["case_officer"])
        case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="Stays.")

        with pytest.raises(CaseValidationError) as excinfo:
            case_document_review(actor=users["case_officer"], origin=SYSTEM, document=document, state="accepted")
        assert excinfo.value.code == CaseError.CLOSED
