from django.urls import path

from crisisdesk.common import views

app_name = "common"
urlpatterns = [path("audit/", views.audit_list, name="audit_list")]
