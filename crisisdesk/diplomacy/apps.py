from django.apps import AppConfig


class DiplomacyConfig(AppConfig):
    name = "crisisdesk.diplomacy"
    label = "diplomacy"
    verbose_name = "Diplomacy"

    def ready(self) -> None:
        from crisisdesk.diplomacy.sitrep import STATEMENTS_SECTION
        from crisisdesk.sitrep.sections import section_register

        section_register(STATEMENTS_SECTION)
