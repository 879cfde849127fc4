"""JSON API: /api/v1/challenges (DOMAIN D12.3, API.md "Challenges and leaderboards").
The leaderboard (GET /challenges/{id}/leaderboard) has a router of its own."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.core.habits import Direction
from habitus.habits.schemas import TargetOut
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models import ChallengeHabit
from habitus.plans.dependencies import Plans
from habitus.social import challenges
from habitus.social.challenges_schemas import (
    ChallengeCreate,
    ChallengeHabitOut,
    ChallengeOut,
    InvitesIn,
    InvitesOut,
    JoinIn,
    JoinOut,
    MemberOut,
    UserRef,
)

router = APIRouter(
    prefix="/challenges",
    tags=["challenges"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)


def _person(person: challenges.Person) -> UserRef:
    return UserRef(id=person.id, handle=person.handle, display_name=person.display_name)


def _target(habit: ChallengeHabit) -> TargetOut | None:
    if habit.kind != "measurable" or habit.target_value is None:
        return None
    direction: Direction = "at_most" if habit.direction == "at_most" else "at_least"
    return TargetOut(value=habit.target_value, unit=habit.unit, direction=direction)


def challenge_out(view: challenges.ChallengeView) -> ChallengeOut:
    challenge = view.challenge
    return ChallengeOut(
        id=challenge.id,
        name=challenge.name,
        description=challenge.description,
        owner=_person(view.owner) if view.owner else None,
        start_date=challenge.start_date,
        end_date=view.end_date,
        days=challenge.days,
        ended_at=challenge.ended_at,
        habits=[
            ChallengeHabitOut(
                name=habit.name,
                kind=habit.kind,  # type: ignore[arg-type]  # stored from a Kind
                schedule=habit.schedule,
                target=_target(habit),
            )
            for habit in view.habits
        ],
        members=[
            MemberOut(user=_person(member.person), joined_at=member.joined_at)
            for member in view.members
        ],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(422),
    dependencies=[idempotent()],
)
async def create_challenge(
    body: ChallengeCreate, user: CurrentUser, session: DbSession, limits: Plans
) -> ChallengeOut:
    """A challenge with its habits (D12.3); the owner is its first member and gets the
    habits at once. With plans on, a free account may not create one unless
    HABITUS_PLAN_FREE_CHALLENGES: 403 `plan-limit`."""
    challenge = await challenges.create(session, user, body, limits=limits)
    return challenge_out(await challenges.view_of(session, user, challenge))


@router.get("")
async def list_challenges(
    user: CurrentUser, session: DbSession, page: Pagination
) -> Page[ChallengeOut]:
    """The challenges the user owns or joined (not those they left), newest first."""
    rows = await challenges.list_mine(session, user, limit=page.limit, after=page.after)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.created_at, row.id))
    items = [challenge_out(await challenges.view_of(session, user, row)) for row in result.items]
    return Page(items=items, next_cursor=result.next_cursor)


@router.get("/{challenge_id}", responses=problems(404))
async def get_challenge(
    challenge_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> ChallengeOut:
    """404 unless the user is a member or invited (or is blocked by the owner)."""
    return challenge_out(await challenges.get(session, user, challenge_id))


@router.post(
    "/{challenge_id}/invites",
    status_code=status.HTTP_201_CREATED,
    responses=problems(403, 404, 409, 422, 429),
    dependencies=[idempotent()],
)
async def invite(
    challenge_id: uuid.UUID,
    body: InvitesIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
) -> InvitesOut:
    """`{user_ids}`: invite friends (anyone else is a 422 naming `user_ids`); `{link:
    true}`: a new join link (owner only; shown once, replaces the previous one)."""
    await challenges.check_invite_rate(ctx, user.id)
    if body.link:
        token = await challenges.make_join_link(session, user, challenge_id)
        url = str(request.base_url).rstrip("/") + f"/challenges/{challenge_id}?token={token}"
        return InvitesOut(url=url)
    invited = await challenges.invite(session, user, challenge_id, body.user_ids or [])
    return InvitesOut(invited=invited)


@router.post("/{challenge_id}/join", responses=problems(404, 409, 422), dependencies=[idempotent()])
async def join(
    challenge_id: uuid.UUID, user: CurrentUser, session: DbSession, body: JoinIn | None = None
) -> JoinOut:
    """Join (invited, or with the join link's `token`): the challenge's habits are made
    in the user's account. Joining again answers the same habits."""
    token = body.token if body else None
    return JoinOut(habit_ids=await challenges.join(session, user, challenge_id, token=token))


@router.post(
    "/{challenge_id}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
    dependencies=[idempotent()],
)
async def leave(challenge_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Leave: the user's challenge habits are archived (their history stays)."""
    await challenges.leave(session, user, challenge_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{challenge_id}/end", responses=problems(403, 404), dependencies=[idempotent()])
async def end(challenge_id: uuid.UUID, user: CurrentUser, session: DbSession) -> ChallengeOut:
    """The owner ends the challenge now."""
    challenge = await challenges.end(session, user, challenge_id)
    return challenge_out(await challenges.view_of(session, user, challenge))


@router.delete(
    "/{challenge_id}/members/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(403, 404, 422),
)
async def remove_member(
    challenge_id: uuid.UUID, member_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Response:
    """The owner removes a member (their challenge habits are archived)."""
    await challenges.remove_member(session, user, challenge_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
