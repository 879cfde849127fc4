"""Who is looking at a page: the browser's session cookie, or nobody; and what every
signed-in page shows besides its content (the page extras of `habitus.registry`, such
as the header's Inbox badge)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from habitus.auth.dependencies import OptionalPrincipal, Principal
from habitus.errors import Forbidden, Unauthorized
from habitus.http.dependencies import DbSession
from habitus.kit import csrf
from habitus.models import User
from habitus.registry import registry


async def page_principal(principal: OptionalPrincipal) -> Principal | None:
    return principal


async def require_page_user(
    request: Request, principal: OptionalPrincipal, session: DbSession
) -> User:
    if principal is None or principal.via != "cookie":
        raise Unauthorized()
    if request.method == "GET" and "hx-request" not in request.headers:
        # The header's badges and such: only for full pages (not HTMX partials).
        for provide in registry.page_extras.values():
            for name, value in (await provide(session, principal.user)).items():
                setattr(request.state, name, value)
    return principal.user


async def require_page_admin(user: Annotated[User, Depends(require_page_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("This page is for administrators.", code="admin-only")
    return user


async def csrf_form(request: Request, _principal: OptionalPrincipal) -> dict[str, str]:
    """The submitted form fields, after the CSRF check. Depends on the principal so the
    check knows the browser's session (its token is bound to it)."""
    return await csrf.verified_form(request)


MaybePageUser = Annotated[Principal | None, Depends(page_principal)]
PageUser = Annotated[User, Depends(require_page_user)]
PageAdmin = Annotated[User, Depends(require_page_admin)]
Form = Annotated[dict[str, str], Depends(csrf_form)]
# For handlers that need no field, only the check.
CsrfChecked = Depends(csrf_form)
