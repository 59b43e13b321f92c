from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "crisisdesk.advisories"
    label = "advisories"
    verbose_name = "Advisories"
