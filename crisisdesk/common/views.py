"""The audit log browser, and the error pages."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.common.selectors import audit_page


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.all(), required=False)
    person = forms.IntegerField(label=_("Person record"), required=False, min_value=1)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *AuditEvent.Action.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )


@staff_required(Permission.AUDIT_VIEW_ALL)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    user = values.get("user")
    page = audit_page(
        actor=request.user,
        origin=origin_from_request(request, channel=AuditEvent.Channel.WEB),
        user_id=user.pk if user else None,
        person_id=values.get("person"),
        action=values.get("action", ""),
        page_number=request.GET.get("page", 1),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "common/audit_list.html", {"form": form, "page": page, "querystring": query.urlencode()})


def permission_denied(request, exception=None):
    return render(request, "common/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "common/404.html", status=404)


def server_error(request):
    return render(request, "common/500.html", status=500)
