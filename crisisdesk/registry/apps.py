from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "crisisdesk.registry"
    label = "registry"
    verbose_name = "Registry"
