from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "crisisdesk.cases"
    label = "cases"
    verbose_name = "Immigration requests"

    def ready(self) -> None:
        from crisisdesk.cases.sitrep import CASES_SECTION
        from crisisdesk.sitrep.sections import section_register

        section_register(CASES_SECTION)
