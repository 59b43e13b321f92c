"""Staff login with a second factor, logout, and TOTP enrolment."""

import base64

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from crisisdesk.accounts.access import staff_session_required
from crisisdesk.accounts.errors import AccountMessage
from crisisdesk.accounts.forms import StaffLoginForm, TotpConfirmForm
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.accounts.services import totp_device_confirm, totp_device_start
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.common.qr import qr_svg_data_uri

# Where each role starts its day: the first of these its permissions open. A diplomat lands
# on the diplomacy desk, not on a registry its role may not read.
LANDING_PAGES: tuple[tuple[Permission, str], ...] = (
    (Permission.PERSON_VIEW, "registry:person_list"),
    (Permission.DIPLOMACY_VIEW, "diplomacy:home"),
    (Permission.AID_MANAGE, "aid:overview"),
    (Permission.SITREP_VIEW, "sitrep:dashboard"),
    (Permission.POST_VIEW, "border:post_history"),
)


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@sensitive_post_parameters("password", "otp_token")
@csrf_protect
@never_cache
def login_view(request):
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        device = getattr(form, "otp_device", None)
        if device is not None:
            otp_login(request, device)
        return redirect(_safe_next(request) or "staff_home")
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request) or ""})


@require_POST
def logout_view(request):
    auth_logout(request)
    response = redirect("accounts:login")
    # The border desk's field pack and queue live in this browser's storage (IndexedDB, the
    # service worker's cache): logging out wipes them, on a shared or lost device too. The
    # page asks first when events still wait to sync (app.js, form[data-logout]).
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@login_required
@never_cache
def otp_setup_view(request):
    """Enrol an authenticator app: scan the QR code, type one code to confirm."""
    device = totp_device_start(user=request.user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(
            user=request.user,
            origin=origin_from_request(request, channel=AuditEvent.Channel.WEB),
            device=device,
            token=form.cleaned_data["token"].strip(),
        ):
            otp_login(request, device)
            messages.success(request, AccountMessage.OTP_CONFIRMED)
            return redirect("staff_home")
        form.add_error("token", AccountMessage.OTP_INVALID)
    qr_data_uri = qr_svg_data_uri(device.config_url)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/otp_setup.html", {"form": form, "qr_data_uri": qr_data_uri, "secret": secret})


@staff_session_required
def staff_home(request):
    for permission, page in LANDING_PAGES:
        if has_permission(request.user, permission):
            return redirect(page)
    raise PermissionDenied
