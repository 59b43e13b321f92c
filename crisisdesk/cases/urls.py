"""The module's staff pages, mounted at /staff/cases/.

The permission matrix (tests/test_case_views.py) collects these patterns: a new page joins
it by being listed here, and its path keywords (`case_id`, `document_id`) are filled in
by the suite."""

from django.urls import path

from crisisdesk.cases import views

app_name = "cases"
urlpatterns = [
    # The work queues
    path("", views.queue, name="queue"),
    path("board/", views.board, name="board"),
    path("report/", views.report, name="report"),
    path("new/", views.intake, name="intake"),
    # A case and the actions on it
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/take/", views.take, name="take"),
    path("<int:case_id>/assign/", views.assign, name="assign"),
    path("<int:case_id>/move/", views.move, name="move"),
    path("<int:case_id>/decide/", views.decide, name="decide"),
    path("<int:case_id>/rejection-review/", views.rejection_review, name="rejection_review"),
    path("<int:case_id>/notes/", views.note_add, name="note_add"),
    path("<int:case_id>/priority/", views.priority_set, name="priority_set"),
    path("<int:case_id>/status-link/", views.status_link_issue, name="status_link_issue"),
    # Its documents
    path("<int:case_id>/documents/", views.document_upload, name="document_upload"),
    path("<int:case_id>/documents/<int:document_id>/", views.document_download, name="document_download"),
    path("<int:case_id>/documents/<int:document_id>/review/", views.document_review, name="document_review"),
]
