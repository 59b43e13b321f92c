from django.apps import AppConfig


class BorderConfig(AppConfig):
    name = "crisisdesk.border"
    label = "border"
    verbose_name = "Border desk"
