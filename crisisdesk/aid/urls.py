"""The module's staff pages, mounted at /staff/aid/.

The permission matrix (tests/test_aid_views.py) collects these patterns: a new page joins it
by being listed here, and its path keywords are filled in by the suite."""

from django.urls import path

from crisisdesk.aid import views

app_name = "aid"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("new/", views.shipment_new, name="shipment_new"),
    path("<int:shipment_id>/", views.detail, name="detail"),
    path("<int:shipment_id>/edit/", views.shipment_edit, name="shipment_edit"),
    path("<int:shipment_id>/move/", views.move, name="move"),
    path("<int:shipment_id>/override/", views.override, name="override"),
    path("<int:shipment_id>/clearances/<int:item_id>/", views.clearance, name="clearance"),
    path("<int:shipment_id>/clearances/<int:item_id>/document/", views.clearance_document, name="clearance_document"),
    path("<int:shipment_id>/lines/", views.line_add, name="line_add"),
    path("<int:shipment_id>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("<int:shipment_id>/imports/", views.import_upload, name="import_upload"),
    path("<int:shipment_id>/imports/<int:import_id>/errors.csv", views.import_errors, name="import_errors"),
    path("<int:shipment_id>/rows/<int:row_id>/", views.row_correct, name="row_correct"),
    path("<int:shipment_id>/handover/", views.handover, name="handover"),
    path("<int:shipment_id>/handover/<str:which>/", views.handover_file, name="handover_file"),
    path("<int:shipment_id>/discrepancies/", views.discrepancy_add, name="discrepancy_add"),
    path("<int:shipment_id>/<str:document>.<str:file_format>", views.export, name="export"),
]
