from django.urls import path

from crisisdesk.pfif import views

app_name = "pfif"
urlpatterns = [
    path("", views.exchange, name="exchange"),
    path("export.xml", views.export_download, name="export"),
    path("imports/<int:batch_id>/", views.batch_detail, name="batch_detail"),
]
