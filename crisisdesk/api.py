"""The JSON API: /api/v1/..., its OpenAPI document and its docs page.

Callers authenticate with a bearer token (`Authorization: Bearer cdk_…`, issued with
`manage.py token_issue`); there is no session or cookie authentication here, so the API
needs no CSRF token. Every error body has the same shape, `{"code", "field", "message"}`,
with `code` from the app's error enum where there is one.
"""

import json

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.accounts.tokens import token_authenticate
from crisisdesk.border.api import router as desk_router
from crisisdesk.border.errors import BorderValidationError
from crisisdesk.cases.api import router as cases_router
from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.diplomacy.api import router as diplomacy_router
from crisisdesk.diplomacy.errors import DiplomacyValidationError
from crisisdesk.pfif.api import router as pfif_router
from crisisdesk.registry.api import router as registry_router
from crisisdesk.registry.api import search_router as person_search_router
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.sitrep.api import router as sitrep_router
from crisisdesk.sitrep.errors import SitrepValidationError


class ApiTokenAuth(HttpBearer):
    """Bearer tokens from accounts.tokens. Unknown, revoked and inactive-user tokens are
    all plain 401. With a `permission`, a user without it is 403 `forbidden` before the
    path, the query or the body is read, so that answer never depends on them."""

    def __init__(self, permission: Permission | None = None):
        super().__init__()
        self.permission = permission

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is None:
            return None
        if self.permission is not None and not has_permission(user, self.permission):
            raise PermissionDenied
        request.user = user
        return user


class CspSwagger(Swagger):
    """Swagger UI under the site's strict CSP (script-src 'self', no inline code).

    ninja's own page keeps its settings in an inline `<script type="application/json">`;
    ours passes them in a data- attribute instead and starts Swagger UI from a static file
    (crisisdesk/api-docs.js). Scripts and styles are ninja's bundled copies, served from
    /static/ninja/. The online validator is off, so the page never calls another host.
    """

    template = "api/docs.html"
    default_settings = {"layout": "BaseLayout", "deepLinking": True, "validatorUrl": None}

    def render_page(self, request, api, **kwargs):
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"api": api, "swagger_settings": json.dumps(settings)})


api = NinjaAPI(
    title="Crisis Desk API",
    version="1",
    description="Registry of nationals for the crisis desk. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs=CspSwagger(),
    auth=ApiTokenAuth(),
)
api.add_router("/v1/registry/", registry_router)
api.add_router("/v1/persons/", person_search_router)
api.add_router("/v1/desk/", desk_router)
api.add_router("/v1/sitrep/", sitrep_router)
# A role that may not open the module is 403 before any input is read (crisisdesk/diplomacy/api.py).
api.add_router("/v1/diplomacy/", diplomacy_router, auth=ApiTokenAuth(permission=Permission.DIPLOMACY_VIEW))
# GET needs case.view and POST /cases case.intake on the same path: each endpoint refuses a role
# without its permission before it reads any input (crisisdesk/cases/api.py).
api.add_router("/v1/cases", cases_router)
api.add_router("/v1/pfif/", pfif_router, auth=ApiTokenAuth(permission=Permission.PFIF_EXCHANGE))


def _error(request, status: int, code: str, message: str, field: str | None = None, **extra):
    return api.create_response(request, {"code": code, "field": field, "message": message, **extra}, status=status)


@api.exception_handler(RegistryValidationError)
def _registry_invalid(request, error: RegistryValidationError):
    status = 409 if error.code == RegistryError.VERSION_CONFLICT else 422
    return _error(request, status, error.code.value, error.message, error.field)


@api.exception_handler(BorderValidationError)
def _border_invalid(request, error: BorderValidationError):
    return _error(request, 422, error.code.value, error.message, error.field)


@api.exception_handler(SitrepValidationError)
def _sitrep_invalid(request, error: SitrepValidationError):
    return _error(request, 422, error.code.value, error.message, error.field)


@api.exception_handler(DiplomacyValidationError)
def _diplomacy_invalid(request, error: DiplomacyValidationError):
    return _error(request, 422, error.code.value, error.message, error.field)


@api.exception_handler(CaseValidationError)
def _case_invalid(request, error: CaseValidationError):
    status = 409 if error.code == CaseError.STALE else 422
    return _error(request, status, error.code.value, error.message, error.field)


@api.exception_handler(InputValidationError)
def _input_invalid(request, error: InputValidationError):
    """Schema errors (wrong type, unknown choice, missing field). `errors` keeps the full
    list; `field` names the first, without its location prefix ("body", "payload")."""
    first = error.errors[0] if error.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    field = ".".join(location[2:] if location[:1] == ["body"] else location[1:]) or None
    return _error(request, 422, "invalid", first.get("msg", "Invalid input."), field, errors=error.errors)


@api.exception_handler(ModelValidationError)
def _model_invalid(request, error: ModelValidationError):
    fields = list(getattr(error, "message_dict", {}) or {})
    return _error(request, 422, "invalid", " ".join(error.messages), fields[0] if fields else None)


@api.exception_handler(AuthenticationError)
def _not_authenticated(request, error: AuthenticationError):
    response = _error(request, 401, "not_authenticated", "Send a valid API token: Authorization: Bearer <token>.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request, error: PermissionDenied):
    return _error(request, 403, "forbidden", "Your role does not allow this.")


@api.exception_handler(Http404)
def _not_found(request, error: Http404):
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return _error(request, error.status_code, "error", str(error))
