from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from crisisdesk.accounts import views as account_views
from crisisdesk.api import api
from crisisdesk.common import views as common_views

urlpatterns = [
    path("api/", api.urls),
    path("", include("crisisdesk.registry.urls")),
    path("immigrate/", include("crisisdesk.cases.public_urls")),
    path("staff/border/", include("crisisdesk.border.urls")),
    path("desk/", include("crisisdesk.border.desk_urls")),
    path("sitrep/", include("crisisdesk.sitrep.urls")),
    path("staff/diplomacy/", include("crisisdesk.diplomacy.urls")),
    path("staff/cases/", include("crisisdesk.cases.urls")),
    path("staff/aid/", include("crisisdesk.aid.urls")),
    path("staff/pfif/", include("crisisdesk.pfif.urls")),
    path("staff/", include("crisisdesk.accounts.urls")),
    path("staff/", include("crisisdesk.common.urls")),
    path("staff/", account_views.staff_home, name="staff_home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
if settings.CRISISDESK_BENCH_ENDPOINTS:
    urlpatterns.append(path("bench/", include("crisisdesk.common.bench_urls")))

handler403 = common_views.permission_denied
handler404 = common_views.page_not_found
handler500 = common_views.server_error
