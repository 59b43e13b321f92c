"""The applicant's side of the cases module, mounted at /immigrate/: the public request form
and the private status link. No account is needed.

The status link carries its token in the URL, so every page under it is sent with
`Cache-Control: no-store` (no browser or proxy keeps a copy) and a referrer policy under
which no request made from the page, a link followed or its own stylesheets, carries the
URL away (`PRIVATE_LINK_REFERRER_POLICY`).
The page shows what the applicant may know: the stage in plain words, the documents still
missing, the kinds and dates of those received, and the names on the request; never an
internal note, a decision's reasons, an officer or anything of another request.
"""

from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import Case, Stage
from crisisdesk.cases.public_forms import (
    FAMILY_ROWS,
    MAX_FAMILY_MEMBERS,
    MORE_ROWS_BUTTON,
    PLAIN_DOCUMENT_KINDS,
    RequestForms,
    StatusDocumentForm,
)
from crisisdesk.cases.selectors import case_by_status_token, case_for_status_token
from crisisdesk.cases.services import CaseOpened, case_document_add, case_open, document_kinds_missing
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.common.ratelimit import public_rate_limit
from crisisdesk.registry.errors import RegistryValidationError

# As for the self-registration, the done page reads the reference and the link from a
# short-lived signed cookie scoped to that page: the applicant needs no session, and a
# reload of the page after the redirect still shows them.
DONE_COOKIE = "crisisdesk_case_requested"
DONE_COOKIE_SALT = "crisisdesk.cases.request_done"
DONE_COOKIE_MAX_AGE = 30 * 60
# Tokens are 32 characters; a longer one is not looked up at all.
TOKEN_MAX_LENGTH = 64
# Never a path, so never the token: requests from the page name only the site. Not
# "no-referrer": under it browsers send `Origin: null` with the page's own form posts (the
# upload, the language switcher), which Django's CSRF check refuses as cross-site.
PRIVATE_LINK_REFERRER_POLICY = "strict-origin"

# The stage as the applicant reads it, and what it means for them.
PLAIN_STAGES = {
    Stage.RECEIVED: _("We have received your request."),
    Stage.ELIGIBILITY_REVIEW: _("We are checking whether you are eligible."),
    Stage.DOCUMENTS_PENDING: _("We are waiting for documents."),
    Stage.DECISION: _("Your request is being decided."),
    Stage.APPROVED: _("Your request is approved."),
    Stage.REJECTED: _("Your request was not approved."),
    Stage.WITHDRAWN: _("Your request was withdrawn."),
    Stage.TRAVEL_ARRANGED: _("Your travel is arranged."),
    Stage.ARRIVED: _("You have arrived."),
}
PLAIN_STAGE_HELP = {
    Stage.RECEIVED: _("An officer will look at your request soon."),
    Stage.ELIGIBILITY_REVIEW: _("An officer may contact you if something is unclear."),
    Stage.DOCUMENTS_PENDING: _("Please send the documents listed below through this page."),
    Stage.DECISION: _("You do not need to do anything now."),
    Stage.APPROVED: _("We will contact you about your travel."),
    Stage.TRAVEL_ARRANGED: _("We will contact you with the details of your journey."),
    Stage.REJECTED: _("If you have questions, call the embassy and give your reference."),
    Stage.WITHDRAWN: _("If you have questions, call the embassy and give your reference."),
}


def private_link_page(view):
    """The headers every response under a private link carries, errors included."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = PRIVATE_LINK_REFERRER_POLICY
        return response

    return wrapper


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.PUBLIC)


# --- The request form ------------------------------------------------------------------------


def _rows_requested(request) -> int:
    try:
        return max(1, min(int(request.GET.get("rows", FAMILY_ROWS)), MAX_FAMILY_MEMBERS))
    except ValueError:
        return FAMILY_ROWS


def _render_form(request, forms: RequestForms):
    return render(
        request,
        "cases/public/request.html",
        {
            "form": forms.request,
            "applicant": forms.applicant,
            "family": forms.family,
            "has_errors": forms.has_errors(),
            "can_add_rows": forms.family.total_form_count() < MAX_FAMILY_MEMBERS,
            "more_rows_button": MORE_ROWS_BUTTON,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("case_request")
def request_form(request):
    """One submission opens the request for the applicant and their family. A resent form
    (same hidden submission key) opens nothing new."""
    if request.method != "POST":
        return _render_form(request, RequestForms.fresh(rows=_rows_requested(request)))
    forms = RequestForms.bound(request.POST)
    if MORE_ROWS_BUTTON in request.POST:
        return _render_form(request, forms.with_more_rows())
    if forms.is_valid():
        data = forms.request.cleaned_data
        try:
            opened = case_open(
                actor=None,
                origin=_origin(request),
                request_type=data["request_type"],
                members=forms.members(),
                case_origin=Case.Origin.WEB,
                basis=data["basis"],
                basis_note=data["basis_note"],
                language=get_language() or "",
                submission_key=data["submission_key"],
            )
        except (CaseValidationError, RegistryValidationError) as error:
            forms.show_error(error)
        else:
            return _requested(request, opened)
    return _render_form(request, forms)


def _done_shown(request) -> dict | None:
    try:
        return signing.loads(request.COOKIES[DONE_COOKIE], salt=DONE_COOKIE_SALT, max_age=DONE_COOKIE_MAX_AGE)
    except (KeyError, signing.BadSignature):
        return None


def _requested(request, opened: CaseOpened):
    shown = {"reference": opened.case.reference, "token": opened.status_token}
    if not opened.created:
        # A resent form: the link was shown the first time (only its digest is kept). If
        # this browser still holds that first answer, it is shown again.
        previous = _done_shown(request)
        if previous is not None and previous.get("reference") == opened.case.reference:
            shown = previous
    done_path = reverse("cases_public:request_done")
    response = HttpResponseRedirect(done_path)
    response.set_cookie(
        DONE_COOKIE,
        signing.dumps(shown, salt=DONE_COOKIE_SALT),
        max_age=DONE_COOKIE_MAX_AGE,
        path=done_path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@private_link_page
@require_http_methods(["GET"])
def request_done(request):
    shown = _done_shown(request)
    if shown is None:
        return redirect("cases_public:request")
    token = shown.get("token") or ""
    status_url = request.build_absolute_uri(reverse("cases_public:status", args=[token])) if token else ""
    return render(request, "cases/public/done.html", {"reference": shown["reference"], "status_url": status_url})


# --- The private status link -----------------------------------------------------------------


def _link_unknown(request):
    """The same plain page for every token that names no request."""
    return render(request, "cases/public/link_unknown.html", status=404)


def _status_page(request, token: str, *, form: StatusDocumentForm | None = None, refused_closed=False, status=200):
    view = case_for_status_token(token=token, origin=_origin(request)) if len(token) <= TOKEN_MAX_LENGTH else None
    if view is None:
        return _link_unknown(request)
    case = view.case
    closed = case.is_closed
    missing_kinds = [kind for kind, _label in view.missing]
    if form is None and not closed:
        form = StatusDocumentForm(checklist=case.request_type.checklist, missing=missing_kinds)
    in_pipeline = any(stage == view.stage for stage, _label, _reached in view.steps)
    return render(
        request,
        "cases/public/status.html",
        {
            "token": token,
            "reference": case.reference,
            "created_at": case.created_at,
            "stage": view.stage,
            "stage_text": PLAIN_STAGES[view.stage],
            "stage_help": PLAIN_STAGE_HELP.get(view.stage, ""),
            # A rejected or withdrawn request shows its outcome, not steps it will not take.
            "steps": [
                {"label": label, "reached": reached, "current": stage == view.stage}
                for stage, label, reached in view.steps
            ]
            if in_pipeline
            else [],
            "missing": [PLAIN_DOCUMENT_KINDS[kind] for kind in missing_kinds],
            "received": [(PLAIN_DOCUMENT_KINDS[document.kind], document.uploaded_at) for document in view.received],
            "names": view.names,
            "closed": closed,
            "refused_closed": refused_closed,
            "form": form,
            "max_megabytes": max(1, settings.CRISISDESK_DOCUMENT_MAX_BYTES // (1024 * 1024)),
            "sent": request.method == "GET" and request.GET.get("sent") == "1",
        },
        status=status,
    )


@private_link_page
@require_http_methods(["GET"])
@public_rate_limit("case_status", methods=("GET",))
def status(request, token: str):
    """Where the request is. Every view is audited (`case.status_viewed`)."""
    return _status_page(request, token)


@private_link_page
@require_http_methods(["GET", "POST"])
@public_rate_limit("case_document", methods=("GET", "POST"))
def document_upload(request, token: str):
    """A document sent through the private link, checked by its content like any other.
    (A GET, e.g. after switching the language on a refused upload, goes back to the page.)"""
    case = case_by_status_token(token=token) if len(token) <= TOKEN_MAX_LENGTH else None
    if case is None:
        return _link_unknown(request)
    if request.method != "POST":
        return redirect("cases_public:status", token=token)
    if case.is_closed:
        return _status_page(request, token, refused_closed=True, status=409)
    form = StatusDocumentForm(
        request.POST, request.FILES, checklist=case.request_type.checklist, missing=document_kinds_missing(case)
    )
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            case_document_add(
                actor=None,
                origin=_origin(request),
                case=case,
                kind=form.cleaned_data["kind"],
                name=uploaded.name,
                content=uploaded.read(),
            )
        except CaseValidationError as error:
            if error.code == CaseError.CLOSED:  # closed meanwhile
                return _status_page(request, token, refused_closed=True, status=409)
            form.show_error(error)
        else:
            return redirect(f"{reverse('cases_public:status', args=[token])}?sent=1")
    return _status_page(request, token, form=form)
