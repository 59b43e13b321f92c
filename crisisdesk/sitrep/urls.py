from django.urls import path

from crisisdesk.sitrep import views

app_name = "sitrep"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("snapshots/", views.snapshot_list, name="snapshot_list"),
    path("snapshots/<int:number>/", views.snapshot_detail, name="snapshot_detail"),
    path("snapshots/<int:number>/clear/", views.snapshot_clear, name="snapshot_clear"),
    path("snapshots/<int:number>/distribute/", views.snapshot_distribute, name="snapshot_distribute"),
    path("partners/", views.partner_figures, name="partner_figures"),
]
