from django.apps import AppConfig


class DuplicatesConfig(AppConfig):
    name = "crisisdesk.duplicates"
    label = "duplicates"
    verbose_name = "Duplicate detection"
