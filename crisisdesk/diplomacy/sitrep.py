"""The module's sitrep section: public statements only.

A sitrep is cleared and distributed beyond any compartment, so no compartmented figure goes
into it, not even a count of channels: a count that moves tells an outsider that something
happened. Statements were said in public."""

from django.utils.translation import gettext_lazy as _

from crisisdesk.sitrep.sections import SectionContext, SectionRow, SitrepSection


def _statement_rows(context: SectionContext) -> list[SectionRow]:
    from crisisdesk.diplomacy.models import LineToTake, PublicStatement

    statements = PublicStatement.objects.filter(said_on__lte=context.as_of.date())
    if context.window_start is not None:
        statements = statements.filter(said_on__gte=context.window_start.date())
    day = context.as_of.date()
    lines_in_force = sum(line.valid_on(day) for line in LineToTake.objects.filter(approved_at__isnull=False))
    return [
        SectionRow(
            str(_("Public statements by our officials")), statements.filter(speaker__counterpart__is_own=True).count()
        ),
        SectionRow(
            str(_("Public statements by foreign officials")),
            statements.filter(speaker__counterpart__is_own=False).count(),
        ),
        SectionRow(
            str(_("Our statements that departed from the line")),
            statements.filter(speaker__counterpart__is_own=True, adherence=PublicStatement.Adherence.DEPARTED).count(),
        ),
        SectionRow(str(_("Lines-to-take in force")), lines_in_force),
    ]


STATEMENTS_SECTION = SitrepSection(
    key="diplomacy_statements",
    title=lambda: str(_("Public statements")),
    rows=_statement_rows,
    audiences=frozenset({"internal"}),
    order=60,
)
