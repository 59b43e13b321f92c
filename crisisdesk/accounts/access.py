"""The gate every staff view passes through: logged in, second factor, then permission."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django_otp import user_has_device

from crisisdesk.accounts.permissions import Permission, has_permission


def second_factor_satisfied(request) -> bool:
    user = request.user
    if not settings.CRISISDESK_OTP_REQUIRED:
        return True
    if settings.CRISISDESK_DEMO_USERS_SKIP_OTP and getattr(user, "is_demo", False):
        return True
    return user.is_verified()


def _staff_session_problem(request):
    """The answer to a request that has no verified staff session yet, or None."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not second_factor_satisfied(request):
        if user_has_device(user, confirmed=True):
            return redirect_to_login(request.get_full_path())
        return redirect("accounts:otp_setup")
    return None


def staff_session_required(view):
    """Logged in with the second factor, whatever the role: for pages that choose by role."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _staff_session_problem(request) or view(request, *args, **kwargs)

    return wrapper


def staff_required(permission: Permission):
    """Deny by default: anonymous users go to the login page, users without a second
    factor go to enrolment, and users whose role lacks `permission` get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            problem = _staff_session_problem(request)
            if problem is not None:
                return problem
            if not has_permission(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission  # read by the permission-matrix tests
        return wrapper

    return decorator
