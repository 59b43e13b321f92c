"""Fixtures of the cases tests.

Personas: `case_officer` and `case_officer_two` (a second officer, for rejections),
`desk_chief` (assigns, sees every case), `border_officer` (intake only), and the rest of
the suite's personas, who may do nothing here.

`sample_pdf`, `sample_png` and `sample_jpeg` are real files made here (pypdf, Pillow), so
the content checks meet what an officer's scanner would produce."""

import io
from dataclasses import dataclass

import pytest

from crisisdesk.common.origin import SYSTEM


@pytest.fixture(autouse=True)
def _own_document_root(settings, tmp_path):
    """Each test sees only the document files it wrote."""
    settings.CRISISDESK_DOCUMENT_ROOT = tmp_path / "documents"


def _person(given: str, family: str, *, birth_year: int = 1985, sex: str = "F", vulnerabilities=()):
    from crisisdesk.registry.inputs import PersonInput

    return PersonInput(
        given_name=given, family_name=family, sex=sex, birth_year=birth_year, vulnerabilities=tuple(vulnerabilities)
    )


@pytest.fixture
def immigration(db):
    from crisisdesk.cases.models import RequestType

    return RequestType.objects.get(code="immigration")


@pytest.fixture
def jewish_basis(db):
    from crisisdesk.cases.models import EligibilityBasis

    return EligibilityBasis.objects.get(code="jewish")


@pytest.fixture
def case_officer_two(db):
    from crisisdesk.common.testing.personas import persona_create_named

    return persona_create_named("case_officer_two", "case_officer")


@dataclass
class CaseMaker:
    request_type: object
    basis: object

    def __call__(self, *, family=(("Olena", "Kovalenko"),), vulnerabilities=(), actor=None, **extra):
        from crisisdesk.cases.models import Case, CaseMember
        from crisisdesk.cases.services import MemberInput, case_open

        members = [
            MemberInput(
                role=CaseMember.Role.APPLICANT if index == 0 else CaseMember.Role.CHILD,
                new_person=_person(given, family_name, vulnerabilities=vulnerabilities if index == 0 else ()),
            )
            for index, (given, family_name) in enumerate(family)
        ]
        opened = case_open(
            actor=actor,
            origin=SYSTEM,
            request_type=self.request_type,
            members=members,
            case_origin=extra.pop("case_origin", Case.Origin.WEB),
            basis=self.basis,
            basis_note=extra.pop("basis_note", "Grandmother was Jewish."),
            **extra,
        )
        return opened.case


@pytest.fixture
def make_case(immigration, jewish_basis):
    return CaseMaker(immigration, jewish_basis)


def case_walk_to(case, stage, *, actor):
    """Move `case` forward through its pipeline until it reaches `stage` (a review stage)."""
    from crisisdesk.cases.services import case_move

    pipeline = case.request_type.stages()
    while case.stage != stage:
        case = case_move(actor=actor, origin=SYSTEM, case=case, to_stage=pipeline[pipeline.index(case.stage) + 1])
    return case


@pytest.fixture
def sample_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _image(kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture
def sample_png() -> bytes:
    return _image("PNG")


@pytest.fixture
def sample_jpeg() -> bytes:
    return _image("JPEG")
