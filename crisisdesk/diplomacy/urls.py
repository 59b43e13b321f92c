"""The module's staff pages, mounted at /staff/diplomacy/.

Path keywords name the record kind (`channel_id`, `entry_id`, …): the non-leakage suite
(tests/test_non_leakage.py) reads them to swap in hidden and missing records, so a new page
joins it by using the same names."""

from django.urls import path

from crisisdesk.diplomacy import views

app_name = "diplomacy"
urlpatterns = [
    path("", views.home, name="home"),
    # Channels and the requests that open, escalate or reopen them
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/autocomplete/", views.channel_autocomplete, name="channel_autocomplete"),
    path("channels/request/", views.channel_request_open, name="channel_request_open"),
    path("channels/<uuid:channel_id>/", views.channel_detail, name="channel_detail"),
    path("channels/<uuid:channel_id>/request/", views.channel_request_change, name="channel_request_change"),
    path("channels/<uuid:channel_id>/close/", views.channel_close, name="channel_close"),
    path("channel-requests/<uuid:channel_request_id>/", views.channel_request_detail, name="channel_request_detail"),
    path(
        "channel-requests/<uuid:channel_request_id>/decide/",
        views.channel_request_decide,
        name="channel_request_decide",
    ),
    # The contact log and follow-ups
    path("contacts/", views.entry_list, name="entry_list"),
    path("contacts/export.csv", views.entry_export, name="entry_export"),
    path("contacts/new/", views.entry_create, name="entry_create"),
    path("contacts/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("contacts/<uuid:entry_id>/follow-ups/new/", views.follow_up_create, name="follow_up_create"),
    path("follow-ups/", views.follow_up_queue, name="follow_up_queue"),
    path("follow-ups/<uuid:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    # The mediation track
    path("mediation/", views.mediation_list, name="mediation_list"),
    path("mediation/new/", views.mediation_create, name="mediation_create"),
    path("mediation/<uuid:mediation_request_id>/", views.mediation_detail, name="mediation_detail"),
    path("mediation/<uuid:mediation_request_id>/outcome/", views.mediation_outcome, name="mediation_outcome"),
    path(
        "mediation/<uuid:mediation_request_id>/approaches/new/",
        views.approach_create,
        name="mediation_approach_create",
    ),
    path("approaches/new/", views.approach_create, name="approach_create"),
    path("approaches/<uuid:approach_id>/", views.approach_detail, name="approach_detail"),
    path("approaches/<uuid:approach_id>/response/", views.approach_response, name="approach_response"),
    # Counterparts and the directory of officials
    path("counterparts/", views.counterpart_list, name="counterpart_list"),
    path("counterparts/<int:counterpart_id>/", views.counterpart_timeline, name="counterpart_timeline"),
    path("officials/", views.official_list, name="official_list"),
    path("officials/new/", views.official_create, name="official_create"),
    path("officials/<int:official_id>/posts/new/", views.official_post_add, name="official_post_add"),
    # Public statements and lines-to-take
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/new/", views.statement_create, name="statement_create"),
    path("statements/<int:statement_id>/assess/", views.statement_assess, name="statement_assess"),
    path("lines/", views.line_list, name="line_list"),
    path("lines/new/", views.line_create, name="line_create"),
    path("lines/<int:line_id>/approve/", views.line_approve, name="line_approve"),
    # Compartments
    path("compartments/", views.compartment_list, name="compartment_list"),
    path("compartments/new/", views.compartment_create, name="compartment_create"),
    path("compartments/<uuid:compartment_id>/", views.compartment_detail, name="compartment_detail"),
    path("compartments/<uuid:compartment_id>/read-in/", views.compartment_read_in, name="compartment_read_in"),
    path("compartments/<uuid:compartment_id>/read-out/", views.compartment_read_out, name="compartment_read_out"),
    # The module's audit trail
    path("audit/", views.audit, name="audit"),
]
