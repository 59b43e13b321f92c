from django import forms
from django.contrib.auth import user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device

from crisisdesk.accounts.errors import AccountMessage


class StaffLoginForm(AuthenticationForm):
    """Password and, for users with a confirmed device, a TOTP code, in one step.

    A wrong code counts as a failed login for django-axes, so guessing codes is
    throttled exactly like guessing passwords.
    """

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user, confirmed=True):
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        device = match_token(user, token) if token else None
        if device is None:
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=self.request)
            raise forms.ValidationError(AccountMessage.OTP_INVALID, code="otp_invalid")
        self.otp_device = device
        return cleaned


class TotpConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
