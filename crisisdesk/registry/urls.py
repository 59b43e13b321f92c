from django.urls import path

from crisisdesk.registry import public_views, views

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
    path("staff/persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("staff/persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("staff/persons/<int:person_id>/events/new/", views.status_event_create, name="status_event_create"),
]
