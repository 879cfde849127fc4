"""Challenge pages (D12.3): /challenges (mine, invitations, a form for a new one) and
/challenges/{id} (dates, days left, members, invite friends, join link, join, leave; the
owner ends the challenge and removes members). S4's leaderboard partial is included in
the challenge page (templates/social/_leaderboard.html).

Thin: the rules live in `social.challenges`. Each POST is a plain form post (CSRF
checked) answered with a redirect and a flash message; bad input re-renders the form
with the field named, never a 500.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.pages import CsrfChecked, PageUser
from habitus.errors import AppError, ValidationFailed
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.models import User
from habitus.plans import notes
from habitus.plans.dependencies import Plans
from habitus.plans.limits import PlanLimitReached
from habitus.social import access, challenges
from habitus.social.challenges_schemas import MAX_DAYS, ChallengeCreate

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

HABIT_ROWS = 3  # habit rows in the web form (the API takes up to 10)
# The schedules the web form offers, by their label (the API takes any schedule).
SCHEDULES: dict[str, tuple[str, dict[str, Any]]] = {
    "daily": ("Every day", {"type": "daily"}),
    "weekdays": (
        "Weekdays (Mon-Fri)",
        {"type": "weekdays", "days": ["mon", "tue", "wed", "thu", "fri"]},
    ),
    "weekends": ("Weekends", {"type": "weekdays", "days": ["sat", "sun"]}),
    "3_per_week": ("3 times a week", {"type": "times_per_period", "period": "week", "times": 3}),
    "every_2_days": ("Every other day", {"type": "every_n_days", "n": 2}),
}
# Form field names for the schema's error locations.
_FIELD_LABELS = {"name": "Name", "description": "Description", "start_date": "Start date"}


@dataclass(frozen=True, slots=True)
class Card:
    """One challenge in a list, in words."""

    id: uuid.UUID
    name: str
    dates: str
    status: str
    members: int


def date_words(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def status_words(challenge: Any, today: date) -> str:
    """Where the challenge stands, in words: starts in N days, N days left, ended."""
    end = challenges.end_date_of(challenge)
    if challenge.ended_at is not None or today > end:
        return "Ended"
    if today < challenge.start_date:
        wait = (challenge.start_date - today).days
        return "Starts tomorrow" if wait == 1 else f"Starts in {wait} days"
    left = (end - today).days + 1
    return "Last day today" if left == 1 else f"{left} days left"


def dates_words(challenge: Any) -> str:
    end = challenges.end_date_of(challenge)
    days = "1 day" if challenge.days == 1 else f"{challenge.days} days"
    return f"{date_words(challenge.start_date)} to {date_words(end)} ({days})"


async def _card(session: AsyncSession, user: User, challenge: Any, today: date) -> Card:
    view = await challenges.view_of(session, user, challenge)
    return Card(
        id=challenge.id,
        name=challenge.name,
        dates=dates_words(challenge),
        status=status_words(challenge, today),
        members=len(view.members),
    )


def _blank_form(today: date) -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        "start_date": today.isoformat(),
        "days": "30",
        "habits": [{"name": "", "schedule": "daily"} for _ in range(HABIT_ROWS)],
    }


async def _list_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    upgrade: notes.UpgradeNote | None = None,
    status_code: int = 200,
) -> Response:
    today = today_of(user)
    mine = await challenges.list_mine(session, user, limit=200, after=None)
    invited = await challenges.invitations(session, user)
    return render(
        request,
        "social/challenges.html",
        {
            "mine": [await _card(session, user, c, today) for c in mine],
            "invited": [await _card(session, user, c, today) for c in invited],
            "form": form or _blank_form(today),
            "errors": errors or [],
            "schedules": [(key, label) for key, (label, _) in SCHEDULES.items()],
            "max_days": MAX_DAYS,
            # Issue 21: with plans on and creation not in the user's plan, an upgrade
            # note stands where the form would be.
            "upgrade": upgrade,
        },
        status_code=status_code,
    )


@router.get("/challenges", response_class=HTMLResponse)
async def challenges_page(
    request: Request, user: PageUser, session: DbSession, limits: Plans, ctx: Context
) -> Response:
    """My challenges, invitations to join, and a form for a new one (or, when the plan
    does not allow creating one, an upgrade note)."""
    upgrade = notes.challenge_note(user, limits, ctx.settings)
    return await _list_page(request, session, user, upgrade=upgrade)


def _form_values(data: Any) -> dict[str, Any]:
    return {
        "name": str(data.get("name", "")),
        "description": str(data.get("description", "")),
        "start_date": str(data.get("start_date", "")),
        "days": str(data.get("days", "")),
        "habits": [
            {
                "name": str(data.get(f"habit_{i}_name", "")),
                "schedule": str(data.get(f"habit_{i}_schedule", "daily")),
            }
            for i in range(HABIT_ROWS)
        ],
    }


def _body_of(form: dict[str, Any]) -> dict[str, Any]:
    """The API's body from the form (blank habit rows left out)."""
    days: Any = form["days"].strip()
    habits = []
    for row in form["habits"]:
        if row["name"].strip():
            schedule = SCHEDULES.get(row["schedule"], SCHEDULES["daily"])[1]
            habits.append({"name": row["name"], "schedule": schedule})
    return {
        "name": form["name"],
        "description": form["description"].strip() or None,
        "start_date": form["start_date"] or None,
        "days": int(days) if days.isdigit() else days,
        "habits": habits,
    }


def _plain(field: str, message: str) -> str:
    if field == "days":
        return f"Length: enter a number of days from 1 to {MAX_DAYS}."
    if field.startswith("habits"):
        if field == "habits":
            return "Habits: give the challenge at least one habit (a name in a row)."
        return f"Habits: {message}."
    label = _FIELD_LABELS.get(field, field)
    return f"{label}: {message}."


@router.post("/challenges", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def create_challenge(
    request: Request, user: PageUser, session: DbSession, limits: Plans, ctx: Context
) -> Response:
    form = _form_values(await request.form())
    try:
        body = ChallengeCreate.model_validate(_body_of(form))
        challenge = await challenges.create(session, user, body, limits=limits)
    except ValidationError as error:
        errors = []
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "body"
            errors.append(_plain(field, str(problem["msg"]).lower()))
        return await _list_page(request, session, user, form=form, errors=errors, status_code=422)
    except ValidationFailed as failed:
        errors = [_plain(problem.field, problem.message) for problem in failed.errors]
        return await _list_page(request, session, user, form=form, errors=errors, status_code=422)
    except PlanLimitReached as error:
        upgrade = notes.note_for(error, ctx.settings)
        return await _list_page(request, session, user, upgrade=upgrade, status_code=403)
    response = RedirectResponse(f"/challenges/{challenge.id}", status_code=303)
    flash.show(response, request, f"Challenge “{challenge.name}” created.", "success")
    return response


@dataclass(frozen=True, slots=True)
class Friend:
    id: uuid.UUID
    name: str


async def _invitable(
    session: AsyncSession, user: User, view: challenges.ChallengeView
) -> list[Friend]:
    """The user's friends not yet in the challenge."""
    members = {member.person.id for member in view.members}
    ids = await access.friend_ids(session, user.id) - members
    found = await challenges.people(session, ids)
    return sorted(
        (Friend(person.id, person.name) for person in found.values()),
        key=lambda friend: friend.name.lower(),
    )


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
async def challenge_page(
    request: Request,
    challenge_id: uuid.UUID,
    user: PageUser,
    session: DbSession,
    token: str | None = None,
) -> Response:
    """One challenge: its window and days left, habits, members and what the viewer may
    do (join, invite, copy the join link, leave; the owner ends it or removes members)."""
    return await _challenge_page(request, session, user, challenge_id, token=token)


async def _challenge_page(
    request: Request,
    session: AsyncSession,
    user: User,
    challenge_id: uuid.UUID,
    *,
    token: str | None = None,
    join_link: str | None = None,
) -> Response:
    challenge = await challenges.visible_challenge(session, user, challenge_id, token=token)
    view = await challenges.view_of(session, user, challenge)
    today = today_of(user)
    over = challenges.is_over(challenge, today)
    return render(
        request,
        "social/challenge.html",
        {
            "view": view,
            "challenge": challenge,
            "dates": dates_words(challenge),
            "status": status_words(challenge, today),
            "over": over,
            "habits": [
                (habit.name, _schedule_words(habit.schedule), _target_words(habit))
                for habit in view.habits
            ],
            "friends": await _invitable(session, user, view)
            if view.viewer_is_member and not over
            else [],
            "token": token,
            "join_link": join_link,
        },
    )


def _schedule_words(schedule: dict[str, Any]) -> str:
    for label, known in SCHEDULES.values():
        if known == schedule:
            return label
    kind = schedule.get("type")
    if kind == "weekdays":
        return "On " + ", ".join(day.capitalize() for day in schedule.get("days", []))
    if kind == "every_n_days":
        return f"Every {schedule.get('n')} days"
    if kind == "times_per_period":
        return f"{schedule.get('times')} times a {schedule.get('period')}"
    if kind == "dates":
        return "On chosen dates"
    return "Every day"


def _target_words(habit: Any) -> str | None:
    if habit.kind != "measurable" or habit.target_value is None:
        return None
    value = f"{habit.target_value:g}"
    unit = f" {habit.unit}" if habit.unit else ""
    word = "at most" if habit.direction == "at_most" else "at least"
    return f"{word} {value}{unit} a day"


def _back_to(challenge_id: uuid.UUID, text: str, kind: flash.Kind, request: Request) -> Response:
    response = RedirectResponse(f"/challenges/{challenge_id}", status_code=303)
    flash.show(response, request, text, kind)
    return response


@router.post(
    "/challenges/{challenge_id}/join", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def join(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    data = await request.form()
    token = str(data.get("token", "")) or None
    try:
        made = await challenges.join(session, user, challenge_id, token=token)
    except AppError as error:
        if error.status_code == 404:
            raise
        return _back_to(challenge_id, error.message, "error", request)
    habits = "1 habit" if len(made) == 1 else f"{len(made)} habits"
    text = f"You joined: {habits} added to your Today page."
    return _back_to(challenge_id, text, "success", request)


@router.post(
    "/challenges/{challenge_id}/leave", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def leave(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await challenges.leave(session, user, challenge_id)
    response = RedirectResponse("/challenges", status_code=303)
    flash.show(response, request, "You left the challenge; its habits are archived.", "info")
    return response


@router.post(
    "/challenges/{challenge_id}/end", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def end(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await challenges.end(session, user, challenge_id)
    return _back_to(challenge_id, "The challenge has ended.", "info", request)


@router.post(
    "/challenges/{challenge_id}/members/{member_id}/remove",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
async def remove_member(
    request: Request,
    challenge_id: uuid.UUID,
    member_id: uuid.UUID,
    user: PageUser,
    session: DbSession,
) -> Response:
    try:
        await challenges.remove_member(session, user, challenge_id, member_id)
    except ValidationFailed as failed:
        return _back_to(challenge_id, failed.errors[0].message, "error", request)
    return _back_to(challenge_id, "Member removed.", "info", request)


@router.post(
    "/challenges/{challenge_id}/invite", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def invite(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    data = await request.form()
    try:
        wanted = [uuid.UUID(str(value)) for value in data.getlist("user_ids")]
    except ValueError:
        wanted = []
    if not wanted:
        return _back_to(challenge_id, "Choose at least one friend to invite.", "error", request)
    try:
        await challenges.check_invite_rate(ctx, user.id)
        invited = await challenges.invite(session, user, challenge_id, wanted)
    except AppError as error:
        if error.status_code == 404:
            raise
        return _back_to(challenge_id, error.message, "error", request)
    if not invited:
        return _back_to(challenge_id, "They were invited already.", "info", request)
    people = "1 friend" if len(invited) == 1 else f"{len(invited)} friends"
    return _back_to(challenge_id, f"Invited {people}.", "success", request)


@router.post(
    "/challenges/{challenge_id}/link", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def make_link(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """A new join link (owner only), shown once on the page it redirects to."""
    try:
        await challenges.check_invite_rate(ctx, user.id)
        token = await challenges.make_join_link(session, user, challenge_id)
    except AppError as error:
        if error.status_code == 404:
            raise
        return _back_to(challenge_id, error.message, "error", request)
    # Answered with the page itself (not a redirect): the token never lands in a URL.
    link = str(request.base_url).rstrip("/") + f"/challenges/{challenge_id}?token={token}"
    return await _challenge_page(request, session, user, challenge_id, join_link=link)
