"""The applicant's pages, mounted at /immigrate/: the request form and the private status link."""

from django.urls import path

from crisisdesk.cases import public_views

app_name = "cases_public"
urlpatterns = [
    path("", public_views.request_form, name="request"),
    path("done/", public_views.request_done, name="request_done"),
    path("status/<str:token>/", public_views.status, name="status"),
    path("status/<str:token>/documents/", public_views.document_upload, name="document_upload"),
]
