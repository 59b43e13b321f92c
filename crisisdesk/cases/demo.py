"""The cases module's part of the demo scenario: requests to immigrate from families in the
demo registry, at every stage of the pipeline.

Cases are opened and moved through the real services, so their timelines and audit rows are
what an officer's work leaves. A few are then dated back a few days (a demo-only write), so
that the queues show ageing cases. Documents are small generated PDFs."""

import io
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crisisdesk.cases import services
from crisisdesk.cases.models import Case, CaseDocument, CaseEvent, CaseMember, EligibilityBasis, RequestType, Stage
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import Person

DEMO_CASES = 36
# How far along the pipeline the demo's cases are, in the order they are opened.
DEMO_STAGES = (
    [Stage.RECEIVED] * 8
    + [Stage.ELIGIBILITY_REVIEW] * 7
    + [Stage.DOCUMENTS_PENDING] * 7
    + [Stage.DECISION] * 5
    + [Stage.APPROVED] * 3
    + [Stage.TRAVEL_ARRANGED] * 2
    + [Stage.ARRIVED] * 2
    + [Stage.WITHDRAWN] * 2
)
BASIS_NOTES = (
    "Mother's birth certificate names her as Jewish.",
    "Grandfather registered with the Jewish community of Kharkiv.",
    "Married to an Israeli citizen since 2015.",
    "Asks to join a daughter who lives in Haifa.",
)


def cases_demo_clear(persons) -> None:
    """The demo's cases go with the demo persons they name (called before those are deleted)."""
    from crisisdesk.common.documents import document_discard

    case_ids = list(Case.objects.filter(members__person__in=persons).values_list("pk", flat=True).distinct())
    documents = CaseDocument.objects.filter(case_id__in=case_ids)
    for storage_key in documents.values_list("storage_key", flat=True):
        document_discard(storage_key)
    documents.delete()
    events = CaseEvent.objects.filter(case_id__in=case_ids)
    events._raw_delete(events.db)  # append-only: only the demo takes history away
    CaseMember.objects.filter(case_id__in=case_ids).delete()
    Case.objects.filter(pk__in=case_ids).delete()


def _demo_pdf(title: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _families(count: int, rng: random.Random) -> list[list[Person]]:
    heads = list(
        Person.objects.filter(relationship="self", household__isnull=False)
        .order_by("id")
        .values_list("household_id", flat=True)[: count * 4]
    )
    chosen = rng.sample(heads, min(count, len(heads)))
    families = []
    for household_id in chosen:
        members = list(Person.objects.filter(household_id=household_id).order_by("id")[:5])
        members.sort(key=lambda person: person.relationship != "self")
        families.append(members)
    return families


@transaction.atomic
def cases_demo_ensure(*, origin: Origin, chief, officer, border_officer, seed: int = 2022) -> int:
    """Open the demo's cases; returns how many. Needs the demo registry loaded first."""
    rng = random.Random(seed)  # noqa: S311 - a demo's choices, not a secret
    immigration = RequestType.objects.get(code="immigration")
    bases = list(EligibilityBasis.objects.filter(active=True))
    opened = 0
    for index, (family, stage) in enumerate(zip(_families(DEMO_CASES, rng), DEMO_STAGES, strict=False)):
        members = [services.MemberInput(role=services.member_role_for(person), person=person) for person in family]
        if members[0].role != CaseMember.Role.APPLICANT:
            members[0] = services.MemberInput(role=CaseMember.Role.APPLICANT, person=family[0])
        at_border = index % 3 == 0
        case = services.case_open(
            actor=border_officer if at_border else None,
            origin=origin,
            request_type=immigration,
            members=members,
            case_origin=Case.Origin.BORDER if at_border else Case.Origin.WEB,
            basis=bases[index % len(bases)],
            basis_note=BASIS_NOTES[index % len(BASIS_NOTES)],
            language=rng.choice(["uk", "ru", "he", "en"]),
        ).case
        opened += 1
        _advance(case, stage=stage, origin=origin, chief=chief, officer=officer, index=index)
    # Some cases waited: the queues show them as ageing (a demo-only backdating).
    waiting = Case.objects.filter(stage__in=[Stage.RECEIVED, Stage.DOCUMENTS_PENDING]).order_by("id")[::3]
    for case in waiting:
        entered = timezone.now() - timedelta(days=rng.randint(2, 9))
        Case.objects.filter(pk=case.pk).update(stage_entered_at=entered, created_at=entered - timedelta(days=1))
    return opened


def _advance(case: Case, *, stage: str, origin: Origin, chief, officer, index: int) -> None:
    if stage == Stage.RECEIVED and index % 2:
        return  # left in the unassigned pool
    case = services.case_assign(actor=chief, origin=origin, case=case, officer=officer)
    if stage == Stage.WITHDRAWN:
        services.case_decide(
            actor=officer, origin=origin, case=case, outcome=Stage.WITHDRAWN, reason="The family decided to stay."
        )
        return
    pipeline = case.request_type.stages()
    target = pipeline.index(stage) if stage in pipeline else 0
    for next_stage in pipeline[1 : target + 1]:
        if next_stage == Stage.APPROVED:
            case = services.case_decide(
                actor=officer, origin=origin, case=case, outcome=Stage.APPROVED, reason="Eligibility shown."
            )
            continue
        if next_stage == Stage.DOCUMENTS_PENDING:
            case = services.case_move(actor=officer, origin=origin, case=case, to_stage=next_stage)
            services.case_document_add(
                actor=officer,
                origin=origin,
                case=case,
                kind="passport",
                name="passport-scan.pdf",
                content=_demo_pdf("Passport (demo)"),
            )
            continue
        case = services.case_move(actor=officer, origin=origin, case=case, to_stage=next_stage)
    if stage == Stage.DECISION and index % 5 == 0:
        services.case_decide(
            actor=officer,
            origin=origin,
            case=case,
            outcome=Stage.REJECTED,
            reason="No document shows the basis claimed.",
        )
