from django.apps import AppConfig


class PfifConfig(AppConfig):
    name = "crisisdesk.pfif"
    label = "pfif"
    verbose_name = "PFIF 1.4 interchange"
