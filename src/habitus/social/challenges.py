"""Group challenges (DOMAIN D12.3): create, invite, join, leave, end, remove.

A challenge is seen only by its members and the friends invited to it; anyone blocked by
or blocking the owner is told it does not exist (404), like a stranger. Joining makes the
challenge's habits in the member's own account through the habits feature's port
(`social.ports.CHALLENGE_HABITS`), so they are ordinary habits (validation, schedule,
events) that carry `challenge_id`; leaving or being removed archives them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.context import AppContext
from habitus.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from habitus.events.kinds import AccountDeleting, ChallengeInvited
from habitus.events.service import publish
from habitus.habits.evaluation import today_of
from habitus.habits.schemas import HabitCreate, HabitUpdate, schedule_from_json, schedule_to_json
from habitus.kit import clock
from habitus.kit.pagination import after_time_id
from habitus.kit.rates import Rate
from habitus.kit.validation import LATEST_DATE
from habitus.models import (
    Challenge,
    ChallengeHabit,
    ChallengeInvite,
    ChallengeMember,
    Habit,
    Profile,
    User,
)
from habitus.plans.limits import UNLIMITED, PlanLimits, check_challenge_creation
from habitus.registry import registry
from habitus.social import access
from habitus.social.challenges_schemas import ChallengeCreate
from habitus.social.ports import CHALLENGE_HABITS

NOT_FOUND = "No such challenge."
# Invites reach other people's inboxes: a burst of 20 requests, then one every 3 minutes.
INVITE_RATE = Rate(count=20, period_seconds=3600.0)


async def check_invite_rate(ctx: AppContext, user_id: uuid.UUID) -> None:
    """What the invite endpoints (API and page alike) ask first."""
    await ctx.check_rate(f"challenge-invites:{user_id}", INVITE_RATE)


def end_date_of(challenge: Challenge) -> date:
    """D12.3: the window is [start, start + days - 1]."""
    return challenge.start_date + timedelta(days=challenge.days - 1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_over(challenge: Challenge, today: date) -> bool:
    return challenge.ended_at is not None or today > end_date_of(challenge)


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    handle: str | None
    display_name: str | None

    @property
    def name(self) -> str:
        return self.display_name or (f"@{self.handle}" if self.handle else "A member")


@dataclass(frozen=True, slots=True)
class Membership:
    person: Person
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ChallengeView:
    """A challenge as its viewer may see it (members hidden from the viewer left out)."""

    challenge: Challenge
    owner: Person | None
    habits: list[ChallengeHabit]
    members: list[Membership]
    viewer_is_member: bool
    viewer_is_owner: bool

    @property
    def end_date(self) -> date:
        return end_date_of(self.challenge)


# --- reads -------------------------------------------------------------------------------


async def people(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Person]:
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, Profile.handle, User.display_name)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(ids))
    )
    return {row[0]: Person(row[0], row[1], row[2]) for row in rows.all()}


async def _member(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> ChallengeMember | None:
    return await session.get(ChallengeMember, (challenge_id, user_id))


async def _invited(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return await session.get(ChallengeInvite, (challenge_id, user_id)) is not None


async def _blocked_by_owner(session: AsyncSession, challenge: Challenge, user: User) -> bool:
    owner = challenge.owner_id
    return (
        owner is not None
        and owner != user.id
        and await access.blocked_between(session, owner, user.id)
    )


async def visible_challenge(
    session: AsyncSession, user: User, challenge_id: uuid.UUID, *, token: str | None = None
) -> Challenge:
    """The challenge if `user` is (or was) a member, is invited, or holds its join link;
    otherwise NotFound, as for a challenge that does not exist."""
    challenge = await session.get(Challenge, challenge_id)
    if challenge is None or await _blocked_by_owner(session, challenge, user):
        raise NotFound(NOT_FOUND)
    if challenge.owner_id == user.id:
        return challenge
    if await _member(session, challenge.id, user.id) is not None:
        return challenge
    if await _has_pass(session, challenge, user, token):
        return challenge
    raise NotFound(NOT_FOUND)


async def _has_pass(
    session: AsyncSession, challenge: Challenge, user: User, token: str | None
) -> bool:
    """Invited, or holding the current join link."""
    if await _invited(session, challenge.id, user.id):
        return True
    return bool(
        token
        and challenge.join_token_hash
        and secrets.compare_digest(challenge.join_token_hash, hash_token(token))
    )


async def view_of(session: AsyncSession, user: User, challenge: Challenge) -> ChallengeView:
    habits = list(
        await session.scalars(
            select(ChallengeHabit)
            .where(ChallengeHabit.challenge_id == challenge.id)
            .order_by(ChallengeHabit.position)
        )
    )
    rows = list(
        await session.scalars(
            select(ChallengeMember)
            .where(ChallengeMember.challenge_id == challenge.id, ChallengeMember.left_at.is_(None))
            .order_by(ChallengeMember.joined_at, ChallengeMember.user_id)
        )
    )
    hidden = await access.hidden_from(session, user.id)
    shown = [row for row in rows if row.user_id not in hidden]
    ids = {row.user_id for row in shown}
    if challenge.owner_id is not None:
        ids.add(challenge.owner_id)
    found = await people(session, ids)
    return ChallengeView(
        challenge=challenge,
        owner=found.get(challenge.owner_id) if challenge.owner_id else None,
        habits=habits,
        members=[Membership(found[row.user_id], row.joined_at) for row in shown],
        viewer_is_member=any(row.user_id == user.id for row in rows),
        viewer_is_owner=challenge.owner_id == user.id,
    )


async def get(session: AsyncSession, user: User, challenge_id: uuid.UUID) -> ChallengeView:
    return await view_of(session, user, await visible_challenge(session, user, challenge_id))


async def list_mine(
    session: AsyncSession, user: User, *, limit: int, after: list[Any] | None
) -> list[Challenge]:
    """Challenges the user is in (owned or joined, not left), newest first; `limit + 1`
    rows so the caller can tell whether there is another page."""
    query = (
        select(Challenge)
        .join(ChallengeMember, ChallengeMember.challenge_id == Challenge.id)
        .where(ChallengeMember.user_id == user.id, ChallengeMember.left_at.is_(None))
        .order_by(Challenge.created_at.desc(), Challenge.id.desc())
        .limit(limit + 1)
    )
    if (condition := after_time_id(Challenge, after)) is not None:
        query = query.where(condition)
    return list(await session.scalars(query))


async def invitations(session: AsyncSession, user: User) -> list[Challenge]:
    """Challenges the user is invited to and not in, still running, owner not blocked."""
    hidden = await access.hidden_from(session, user.id)
    rows = await session.scalars(
        select(Challenge)
        .join(ChallengeInvite, ChallengeInvite.challenge_id == Challenge.id)
        .outerjoin(
            ChallengeMember,
            and_(ChallengeMember.challenge_id == Challenge.id, ChallengeMember.user_id == user.id),
        )
        .where(
            ChallengeInvite.user_id == user.id,
            ChallengeMember.user_id.is_(None),
            Challenge.ended_at.is_(None),
        )
        .order_by(ChallengeInvite.created_at.desc())
    )
    today = today_of(user)
    return [c for c in rows if c.owner_id not in hidden and not is_over(c, today)]


async def member_habit_ids(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID, *, archived: bool
) -> list[uuid.UUID]:
    query = select(Habit.id).where(Habit.user_id == user_id, Habit.challenge_id == challenge_id)
    query = query.where(Habit.archived_at.is_not(None) if archived else Habit.archived_at.is_(None))
    return list(await session.scalars(query.order_by(Habit.position, Habit.id)))


# --- writes ------------------------------------------------------------------------------


def _check_templates(body: ChallengeCreate) -> None:
    """Rules across a template's fields, named by their place in the list (the habits
    service would name them without the `habits.N.` prefix)."""
    errors = []
    for index, habit in enumerate(body.habits):
        if habit.kind == "measurable" and habit.target is None:
            message = "a measurable habit needs a target {value, unit, direction}"
            errors.append(FieldError(f"habits.{index}.target", message, "required"))
        if habit.kind == "boolean" and habit.target is not None:
            message = "only measurable habits have a target"
            errors.append(FieldError(f"habits.{index}.target", message, "forbidden"))
    if errors:
        raise ValidationFailed(errors)


async def create(
    session: AsyncSession, user: User, body: ChallengeCreate, *, limits: PlanLimits = UNLIMITED
) -> Challenge:
    """D12.3: the challenge, its habit templates, and the owner as its first member.
    `limits`: the plan's (issue 21); a free plan may not allow creating one."""
    check_challenge_creation(user, limits)
    _check_templates(body)
    end = body.start_date + timedelta(days=body.days - 1)
    if end > LATEST_DATE:
        raise ValidationFailed.field(
            "days", f"the challenge would end after {LATEST_DATE.isoformat()}", "date_range"
        )
    if end < today_of(user):
        raise ValidationFailed.field(
            "start_date",
            "the challenge would be over already: start later or make it longer",
            "in_past",
        )
    await db.start_writing(session)
    challenge = Challenge(
        owner_id=user.id,
        name=body.name,
        description=body.description or None,
        start_date=body.start_date,
        days=body.days,
    )
    session.add(challenge)
    await session.flush()
    for position, habit in enumerate(body.habits):
        target = habit.target
        session.add(
            ChallengeHabit(
                challenge_id=challenge.id,
                position=position,
                name=habit.name,
                kind=habit.kind,
                schedule=schedule_to_json(habit.schedule.to_core()),
                target_value=target.value if target else None,
                unit=target.unit if target else None,
                direction=target.direction if target else "at_least",
            )
        )
    await session.flush()
    await _enrol(session, user, challenge, None)
    return challenge


def _habit_body(template: ChallengeHabit, challenge: Challenge) -> HabitCreate:
    target = None
    if template.kind == "measurable":
        target = {
            "value": template.target_value,
            "unit": template.unit,
            "direction": template.direction,
        }
    schedule = schedule_to_json(schedule_from_json(template.schedule))
    return HabitCreate.model_validate(
        {
            "name": template.name,
            "kind": template.kind,
            "schedule": schedule,
            "target": target,
            "start_date": challenge.start_date,
            "end_date": end_date_of(challenge),
        }
    )


async def join(
    session: AsyncSession, user: User, challenge_id: uuid.UUID, *, token: str | None = None
) -> list[uuid.UUID]:
    """D12.3: make the challenge's habits in the user's account (start to last day,
    whenever they join). A second join changes nothing and answers the same habits; a
    member who left gets their archived habits back."""
    challenge = await visible_challenge(session, user, challenge_id, token=token)
    member = await _member(session, challenge.id, user.id)
    if member is not None and member.left_at is None:
        return await member_habit_ids(session, challenge.id, user.id, archived=False)
    if member is not None and not await _has_pass(session, challenge, user, token):
        # Left or removed: back only with an invitation or the join link, as anyone.
        raise NotFound(NOT_FOUND)
    if is_over(challenge, today_of(user)):
        raise Conflict("This challenge is over: it cannot be joined any more.")
    await db.start_writing(session)
    return await _enrol(session, user, challenge, member)


async def _enrol(
    session: AsyncSession, user: User, challenge: Challenge, member: ChallengeMember | None
) -> list[uuid.UUID]:
    habits = registry.port(CHALLENGE_HABITS)
    if member is not None:  # back after leaving: their habits and history come back
        member.left_at = None
        ids = await member_habit_ids(session, challenge.id, user.id, archived=True)
        for habit_id in ids:
            await habits.update_habit(session, user, habit_id, HabitUpdate(archived=False))
        if ids:
            return ids
    else:
        session.add(ChallengeMember(challenge_id=challenge.id, user_id=user.id))
        await session.flush()
    templates = await session.scalars(
        select(ChallengeHabit)
        .where(ChallengeHabit.challenge_id == challenge.id)
        .order_by(ChallengeHabit.position)
    )
    created = []
    for template in templates:
        habit = await habits.create_habit(session, user, _habit_body(template, challenge))
        habit.challenge_id = challenge.id
        created.append(habit.id)
    await session.flush()
    return created


async def _archive_habits(session: AsyncSession, member: User, challenge_id: uuid.UUID) -> None:
    habits = registry.port(CHALLENGE_HABITS)
    for habit_id in await member_habit_ids(session, challenge_id, member.id, archived=False):
        await habits.update_habit(session, member, habit_id, HabitUpdate(archived=True))


async def _active_member(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> ChallengeMember | None:
    member = await _member(session, challenge_id, user_id)
    return member if member is not None and member.left_at is None else None


async def _hand_over(session: AsyncSession, challenge: Challenge, leaving: uuid.UUID) -> None:
    """The owner is going: the longest-standing remaining member takes the challenge
    over; with nobody left it ends."""
    successor = await session.scalar(
        select(ChallengeMember.user_id)
        .where(
            ChallengeMember.challenge_id == challenge.id,
            ChallengeMember.left_at.is_(None),
            ChallengeMember.user_id != leaving,
        )
        .order_by(ChallengeMember.joined_at, ChallengeMember.user_id)
        .limit(1)
    )
    if successor is not None:
        challenge.owner_id = successor
    elif challenge.ended_at is None:
        challenge.ended_at = clock.now()


async def leave(session: AsyncSession, user: User, challenge_id: uuid.UUID) -> None:
    """D12.3: leaving archives the member's challenge habits (their history stays)."""
    challenge = await visible_challenge(session, user, challenge_id)
    member = await _active_member(session, challenge.id, user.id)
    if member is None:
        return  # not in it (any more): leaving twice is no error
    await db.start_writing(session)
    member.left_at = clock.now()
    if challenge.owner_id == user.id:
        await _hand_over(session, challenge, user.id)
    await _archive_habits(session, user, challenge.id)
    await session.flush()


async def _owned(session: AsyncSession, user: User, challenge_id: uuid.UUID) -> Challenge:
    challenge = await visible_challenge(session, user, challenge_id)
    if challenge.owner_id != user.id:
        raise Forbidden("Only the challenge's owner may do this.")
    return challenge


async def end(session: AsyncSession, user: User, challenge_id: uuid.UUID) -> Challenge:
    """The owner ends the challenge now (ending it again changes nothing)."""
    challenge = await _owned(session, user, challenge_id)
    if challenge.ended_at is None:
        await db.start_writing(session)
        challenge.ended_at = clock.now()
        await session.flush()
    return challenge


async def remove_member(
    session: AsyncSession, user: User, challenge_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """The owner removes a member: as if they left (their challenge habits archived)."""
    challenge = await _owned(session, user, challenge_id)
    if member_id == user.id:
        raise ValidationFailed.field("user_id", "is you: leave the challenge instead", "not_self")
    member = await _active_member(session, challenge.id, member_id)
    removed = await session.get(User, member_id) if member is not None else None
    if member is None or removed is None:
        raise NotFound("No such member.")
    await db.start_writing(session)
    member.left_at = clock.now()
    # Removed: they come back only if invited again (or with a join link).
    await session.execute(
        delete(ChallengeInvite).where(
            ChallengeInvite.challenge_id == challenge.id, ChallengeInvite.user_id == member_id
        )
    )
    await _archive_habits(session, removed, challenge.id)
    await session.flush()


async def invite(
    session: AsyncSession, user: User, challenge_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """D12.3: invite friends (only friends: anyone else is a 422 naming `user_ids`). Each
    new invitee is told (ChallengeInvited); inviting again or a member changes nothing."""
    challenge = await visible_challenge(session, user, challenge_id)
    if await _active_member(session, challenge.id, user.id) is None:
        raise Forbidden("Only members may invite to this challenge.")
    if is_over(challenge, today_of(user)):
        raise Conflict("This challenge is over: nobody can join it any more.")
    friends = await access.friend_ids(session, user.id)
    wanted = list(dict.fromkeys(user_ids))
    strangers = [found for found in wanted if found not in friends]
    if strangers:
        raise ValidationFailed.field("user_ids", "may only name your friends", "friends_only")
    await db.start_writing(session)
    invited = []
    inviter = (await people(session, {user.id}))[user.id]
    for friend_id in wanted:
        if await _invited(session, challenge.id, friend_id):
            continue
        if await _active_member(session, challenge.id, friend_id) is not None:
            continue
        friend = await session.get(User, friend_id)
        if friend is None:
            continue
        row = ChallengeInvite(challenge_id=challenge.id, user_id=friend_id, invited_by=user.id)
        session.add(row)
        await session.flush()
        event = ChallengeInvited(
            challenge_id=str(challenge.id), challenge_name=challenge.name, by_name=inviter.name
        )
        await publish(session, friend, [event])
        invited.append(friend_id)
    return invited


async def make_join_link(session: AsyncSession, user: User, challenge_id: uuid.UUID) -> str:
    """A new join link's token (shown once; a new link replaces the old one)."""
    challenge = await _owned(session, user, challenge_id)
    if is_over(challenge, today_of(user)):
        raise Conflict("This challenge is over: nobody can join it any more.")
    await db.start_writing(session)
    token = secrets.token_urlsafe(24)
    challenge.join_token_hash = hash_token(token)
    await session.flush()
    return token


# --- account deletion and export ---------------------------------------------------------


async def account_deleting(session: AsyncSession, user: User, _event: AccountDeleting) -> None:
    """Before an account goes: each challenge it owns passes to the longest-standing
    remaining member, or ends when there is none. (Its memberships and invites go by
    the users foreign keys' cascades; its challenge habits go with its habits.)"""
    owned = await session.scalars(select(Challenge).where(Challenge.owner_id == user.id))
    for challenge in owned:
        await _hand_over(session, challenge, user.id)
    await session.flush()


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    """The user's own challenge data for the account export (JSON-ready)."""
    owned = await session.scalars(
        select(Challenge).where(Challenge.owner_id == user_id).order_by(Challenge.created_at)
    )
    memberships = await session.execute(
        select(ChallengeMember, Challenge.name)
        .join(Challenge, Challenge.id == ChallengeMember.challenge_id)
        .where(ChallengeMember.user_id == user_id)
        .order_by(ChallengeMember.joined_at)
    )
    invites = await session.execute(
        select(ChallengeInvite, Challenge.name)
        .join(Challenge, Challenge.id == ChallengeInvite.challenge_id)
        .where(ChallengeInvite.user_id == user_id)
        .order_by(ChallengeInvite.created_at)
    )
    return {
        "challenges_owned": [
            {
                "id": str(c.id),
                "name": c.name,
                "description": c.description,
                "start_date": c.start_date.isoformat(),
                "days": c.days,
                "ended_at": _iso(c.ended_at),
                "created_at": _iso(c.created_at),
            }
            for c in owned
        ],
        "challenge_memberships": [
            {
                "challenge_id": str(m.challenge_id),
                "name": name,
                "joined_at": _iso(m.joined_at),
                "left_at": _iso(m.left_at),
            }
            for m, name in memberships.all()
        ],
        "challenge_invites": [
            {"challenge_id": str(i.challenge_id), "name": name, "invited_at": _iso(i.created_at)}
            for i, name in invites.all()
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
