"""The signed-in user's own pages: onboarding (first sign-in) and settings."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus import db
from habitus.auth import identifiers, onboarding, service
from habitus.auth.pages import Form, MaybePageUser, PageUser
from habitus.auth.schemas import UserPatch
from habitus.auth.settings_port import IMPORT_FORM
from habitus.core.time import MAX_DAY_START_HOUR
from habitus.errors import AppError, FieldError
from habitus.http.dependencies import SESSION_COOKIE, Context, DbSession, client_address
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import WEEKDAY_WORDS, render
from habitus.kit.zones import selectable_zones
from habitus.models import User
from habitus.registry import registry

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
# Settings → Your data → Import (its own module: the upload's limits and checks).

WEEK_STARTS = list(WEEKDAY_WORDS.items())
THEMES = [
    ("system", "Same as my device"),
    ("light", "Light"),
    ("dark", "Dark"),
]
BAD_DAY_START = "choose when your day ends: between midnight and 6 am"


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """The zones a person would pick: the canonical Region/City names, and UTC."""
    return sorted(zone for zone in selectable_zones() if not zone.startswith("Etc/"))


def day_start_choices() -> list[tuple[int, str]]:
    """(hour, words): "My day ends at 3 am"."""
    return [
        (hour, "At midnight" if hour == 0 else f"At {hour} am")
        for hour in range(MAX_DAY_START_HOUR + 1)
    ]


def _hour(text: str) -> int | None:
    try:
        hour = int(text)
    except ValueError:
        return None
    return hour if 0 <= hour <= MAX_DAY_START_HOUR else None


# --- onboarding ---------------------------------------------------------------------------


def _onboarding_context(user: User, values: dict[str, Any], errors: dict[str, str]) -> Any:
    day_part = values.get("day_part") or ""
    names = values.get("habit_names") or list(onboarding.starter_habits(day_part))
    picked = values.get("picked") or set(range(onboarding.STARTER_COUNT))
    return {
        "values": values,
        "errors": errors,
        "zones": time_zones(),
        "day_starts": day_start_choices(),
        "starters": [
            {"index": index, "name": names[index], "picked": index in picked}
            for index in range(onboarding.STARTER_COUNT)
        ],
        "suggestions": {
            part or "none": list(names_) for part, names_ in onboarding.STARTER_HABITS.items()
        },
        "display_name": user.display_name,
    }


@router.get("/onboarding", response_class=HTMLResponse)
async def onboarding_page(request: Request, user: PageUser) -> Response:
    if user.onboarded_at is not None:
        return RedirectResponse("/today", status_code=303)
    values = {
        # "UTC" is the default of an account made without a zone: let the browser say.
        "timezone": "" if user.timezone == "UTC" else user.timezone,
        "day_start_hour": user.day_start_hour,
        "day_part": user.day_part or "",
    }
    return render(request, "account/onboarding.html", _onboarding_context(user, values, {}))


@router.post("/onboarding", response_class=HTMLResponse)
async def onboarding_submit(
    request: Request, user: PageUser, form: Form, session: DbSession
) -> Response:
    if form.get("action") == "skip":
        await service.mark_onboarded(session, user=user)
        response = RedirectResponse("/today", status_code=303)
        flash.show(response, request, "You can change these any time in Settings.", "info")
        return response
    day_part = form.get("day_part", "")
    names = [form.get(f"habit_name_{i}", "").strip() for i in range(onboarding.STARTER_COUNT)]
    picked = {i for i in range(onboarding.STARTER_COUNT) if form.get(f"habit_pick_{i}")}
    timezone = form.get("timezone", "").strip() or user.timezone
    hour = _hour(form.get("day_start_hour", ""))
    values = {
        "timezone": timezone,
        "day_start_hour": form.get("day_start_hour", ""),
        "day_part": day_part,
        "habit_names": names,
        "picked": picked,
    }
    errors: dict[str, str] = {}
    if hour is None:
        errors["day_start_hour"] = BAD_DAY_START
    if day_part not in ("", "morning", "evening"):
        errors["day_part"] = "choose morning or evening"
    created: list[str] = []
    if not errors:
        try:
            created = await onboarding.finish(
                session,
                user=user,
                choices=onboarding.OnboardingChoices(
                    timezone=timezone,
                    day_start_hour=hour or 0,
                    # A form str, checked against the choices above (mypy cannot narrow it).
                    day_part=day_part or None,  # type: ignore[arg-type]
                    habits=[(i, names[i]) for i in sorted(picked)],
                ),
            )
        except AppError as error:
            errors = form_errors(error.errors)
    if errors:
        return render(
            request,
            "account/onboarding.html",
            _onboarding_context(user, values, errors),
            status_code=422,
        )
    response = RedirectResponse("/today", status_code=303)
    if created:
        count = "one habit" if len(created) == 1 else f"{len(created)} habits"
        text = f"You're all set: {count} to start with. Tap one when it's done."
    else:
        text = "You're all set. Add your first habit when you're ready."
    flash.show(response, request, text, "success")
    return response


# --- settings -----------------------------------------------------------------------------


def _settings_values(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name or "",
        "timezone": user.timezone,
        "day_start_hour": user.day_start_hour,
        "week_start": user.week_start,
        "theme": user.theme or "system",
    }


def _settings_page(
    request: Request,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "values": {**_settings_values(user), **(values or {})},
        "errors": errors or {},
        "email": identifiers.shown(user),  # a phone-only user (issue 20): the number
        "zones": time_zones(),
        "day_starts": day_start_choices(),
        "week_starts": WEEK_STARTS,
        "themes": THEMES,
        **registry.port(IMPORT_FORM)(request.app.state.settings.import_max_bytes),
    }
    return render(request, "account/settings.html", context, status_code=status_code)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, user: PageUser) -> Response:
    return _settings_page(request, user)


SAVED = {
    "profile": "Your name is saved.",
    "calendar": "Your calendar is saved.",
    "appearance": "Your theme is saved.",
    "password": "Your password is changed. Your other sign-ins have ended.",
}


# Changing the password checks the current one with Argon2 first: the handler takes its
# writer turn itself (issue 11, item 4); the other sections take it before they write.
@router.post("/settings", response_class=HTMLResponse)
@db.prepares_before_writing
async def settings_submit(
    request: Request,
    user: PageUser,
    principal: MaybePageUser,
    form: Form,
    session: DbSession,
    ctx: Context,
) -> Response:
    section = form.get("section", "")
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    if section != "password":
        await db.start_writing(session)
    try:
        if section == "profile":
            values = {"display_name": form.get("display_name", "").strip()}
            patch = UserPatch(display_name=values["display_name"] or None)
            await service.update_profile(session, user=user, changes=patch.changes())
        elif section == "calendar":
            values = {
                "timezone": form.get("timezone", "").strip(),
                "day_start_hour": form.get("day_start_hour", ""),
                "week_start": form.get("week_start", ""),
            }
            hour = _hour(values["day_start_hour"])
            if hour is None:
                errors.append(FieldError("day_start_hour", BAD_DAY_START))
            if not values["timezone"]:
                errors.append(FieldError("timezone", "choose your time zone"))
            if not errors:
                patch = UserPatch(
                    timezone=values["timezone"],
                    day_start_hour=hour,
                    week_start=values["week_start"],
                )
                await service.update_profile(session, user=user, changes=patch.changes())
        elif section == "appearance":
            values = {"theme": form.get("theme", "")}
            patch = UserPatch(theme=values["theme"])
            await service.update_profile(session, user=user, changes=patch.changes())
        elif section == "password":
            await service.change_password(
                session,
                ctx,
                user=user,
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
                keep_session_id=principal.session.id if principal and principal.session else None,
                ip=client_address(request),
            )
        else:
            errors.append(
                FieldError("form", "Something went wrong; reload the page and try again.")
            )
    except (ValidationError, AppError) as error:
        by_field = form_errors(error)
    else:
        by_field = form_errors(errors)
    if by_field:
        return _settings_page(
            request,
            user,
            values=values,
            errors={**by_field, "section": section},
            status_code=400 if "form" in by_field else 422,
        )
    response = RedirectResponse(f"/settings#{section}", status_code=303)
    flash.show(response, request, SAVED[section], "success")
    return response


@router.post("/settings/delete", response_class=HTMLResponse)
@db.prepares_before_writing
async def delete_account(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    try:
        await service.delete_account(
            session, ctx, user=user, password=form.get("password", ""), ip=client_address(request)
        )
    except AppError as error:
        errors = form_errors(error, {"password": "delete_password"}, fallback="delete_password")
        return _settings_page(
            request, user, errors={**errors, "section": "delete"}, status_code=error.status_code
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash.show(response, request, "Your account and everything in it are deleted. Goodbye!", "info")
    return response
