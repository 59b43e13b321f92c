from django.urls import path

from crisisdesk.border import views

app_name = "border"
urlpatterns = [
    path("posts/", views.post_history, name="post_history"),
    path("points/", views.point_list, name="point_list"),
    path("points/<slug:code>/status/", views.point_status, name="point_status"),
    path("roster/", views.roster, name="roster"),
    path("shifts/", views.my_shifts, name="my_shifts"),
    path("shifts/<int:shift_id>/start/", views.shift_start, name="shift_start"),
    path("shifts/<int:shift_id>/end/", views.shift_end, name="shift_end"),
    path("board/", views.desk_board, name="desk_board"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/<int:conflict_id>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("devices/", views.device_list, name="device_list"),
    path("devices/<int:token_id>/revoke/", views.device_revoke, name="device_revoke"),
]
