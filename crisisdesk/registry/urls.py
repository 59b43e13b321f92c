from django.urls import path

from crisisdesk.registry import import_views, public_views, views

app_name = "registry"
urlpatterns = [
    path("", public_views.home, name="home"),
    path("register/", public_views.register, name="register"),
    path("register/done/", public_views.register_done, name="register_done"),
    path("register/person-form/", public_views.person_form_fragment, name="person_form_fragment"),
    path("u/<str:token>/", public_views.self_update, name="self_update"),
    path("staff/persons/", views.person_list, name="person_list"),
    path("staff/persons/new/", views.household_register, name="household_register"),
    path("staff/registrations/intake/", views.registration_intake, name="registration_intake"),
    path("staff/imports/", import_views.import_list, name="import_list"),
    path("staff/imports/check/", import_views.import_preview, name="import_preview"),
    path("staff/imports/<int:batch_id>/", import_views.import_detail, name="import_detail"),
    path("staff/imports/<int:batch_id>/rows/<int:row_id>/", import_views.import_row_correct, name="import_row_correct"),
    path("staff/imports/<int:batch_id>/rejected.csv", import_views.import_errors, name="import_errors"),
    path("staff/persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("staff/persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("staff/persons/<int:person_id>/events/new/", views.status_event_create, name="status_event_create"),
]
