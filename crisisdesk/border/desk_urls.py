"""The field app at /desk/: its shell, service worker, manifest and device sign-in."""

from django.urls import path

from crisisdesk.border import views

app_name = "desk"
urlpatterns = [
    path("", views.desk_app, name="app"),
    path("sw.js", views.desk_service_worker, name="service_worker"),
    path("manifest.webmanifest", views.desk_manifest, name="manifest"),
    path("device/", views.desk_device_issue, name="device_issue"),
    path("name-tables.json", views.desk_name_tables, name="name_tables"),
]
