"""The sitrep's "Immigration requests" section: aggregates only, as of the sitrep's moment.

Figures are read off the cases' timelines, so a sitrep as of an earlier moment counts what
was true then: a case counts as open at a moment when it had been received and no event up
to then had closed it."""

from django.utils.translation import gettext_lazy as _

from crisisdesk.sitrep.sections import SectionContext, SectionRow, SitrepSection


def _case_rows(context: SectionContext) -> list[SectionRow]:
    from django.db.models import Exists, OuterRef

    from crisisdesk.cases.models import CLOSED_STAGES, Case, CaseEvent, Stage

    as_of = context.as_of
    received = Case.objects.filter(created_at__lte=as_of)
    closing = CaseEvent.objects.filter(case=OuterRef("pk"), to_stage__in=CLOSED_STAGES, at__lte=as_of)
    open_cases = received.filter(~Exists(closing)).count()
    events = CaseEvent.objects.filter(at__lte=as_of)
    if context.window_start is not None:
        received = received.filter(created_at__gte=context.window_start)
        events = events.filter(at__gte=context.window_start)

    def reached(stage: str) -> int:
        return events.filter(to_stage=stage).values("case").distinct().count()

    return [
        SectionRow(str(_("Requests received")), received.count()),
        SectionRow(str(_("Requests open")), open_cases),
        SectionRow(str(_("Requests approved")), reached(Stage.APPROVED)),
        SectionRow(str(_("Requests rejected")), reached(Stage.REJECTED)),
        SectionRow(str(_("Applicants' families arrived")), reached(Stage.ARRIVED)),
    ]


CASES_SECTION = SitrepSection(
    key="immigration_requests",
    title=lambda: str(_("Immigration requests")),
    rows=_case_rows,
    order=40,
)
