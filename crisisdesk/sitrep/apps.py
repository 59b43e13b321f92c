from django.apps import AppConfig


class SitrepConfig(AppConfig):
    name = "crisisdesk.sitrep"
    label = "sitrep"
    verbose_name = "Situation reports"
