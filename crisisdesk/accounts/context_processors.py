from crisisdesk.accounts.permissions import permissions_of


def staff_permissions(request):
    """Templates show only the links the user may follow: `{% if "person.view" in perms_cd %}`."""
    user = getattr(request, "user", None)
    return {"perms_cd": {str(p) for p in permissions_of(user)}}
