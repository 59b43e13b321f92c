"""Benchmark-only endpoints, included by config/urls.py when CRISISDESK_BENCH_ENDPOINTS is on."""

from django.urls import path

from crisisdesk.common import bench_views

app_name = "bench"
urlpatterns = [path("insert/", bench_views.insert, name="insert")]
