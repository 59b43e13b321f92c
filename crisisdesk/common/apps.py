from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "crisisdesk.common"
    label = "common"
    verbose_name = "Common"
