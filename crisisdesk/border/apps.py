from django.apps import AppConfig


class BorderConfig(AppConfig):
    name = "crisisdesk.border"
    label = "border"
    verbose_name = "Border desk"

    def ready(self) -> None:
        from crisisdesk.border.sitrep import FIELD_DEVICES_SECTION
        from crisisdesk.sitrep.sections import section_register

        section_register(FIELD_DEVICES_SECTION)
