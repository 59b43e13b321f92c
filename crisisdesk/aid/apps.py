from django.apps import AppConfig


class AidConfig(AppConfig):
    name = "crisisdesk.aid"
    label = "aid"
    verbose_name = "Humanitarian aid shipments"

    def ready(self) -> None:
        from crisisdesk.aid.sitrep import AID_SECTION
        from crisisdesk.sitrep.sections import section_register

        section_register(AID_SECTION)
