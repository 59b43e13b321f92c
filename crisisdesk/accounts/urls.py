from django.urls import path

from crisisdesk.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", views.otp_setup_view, name="otp_setup"),
]
