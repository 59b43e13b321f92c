from django.utils.translation import gettext_lazy as _


class AccountMessage:
    OTP_INVALID = _("That authenticator code is not valid. Check the time on your phone and try again.")
    OTP_CONFIRMED = _("Two-factor login is now set up for your account.")
