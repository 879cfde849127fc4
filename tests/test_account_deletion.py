"""DELETE /api/v1/me: every row of the user is gone (API.md "Auth and account").

The walk below covers every table of `habitus.models.Base.metadata`. A new table fails
`test_every_table_is_known` until USER_ROWS says how to find a user's rows in it, and
the big test then wants the arrangement to give alice (and bob) a row there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import ColumnElement, Table, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import worker
from habitus.kit import clock
from habitus.models import Base, Reminder, User
from tests.conftest import AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, login
from tests.fixtures.web import browser, page_csrf_token, web_login


@dataclass(frozen=True)
class Who:
    id: uuid.UUID
    email_key: str


# table name -> the rows of that table that belong to, or name, a user.
USER_ROWS: dict[str, Callable[[Table, Who], ColumnElement[bool]]] = {
    "users": lambda t, who: or_(t.c.id == who.id, t.c.email_key == who.email_key),
    "auth_sessions": lambda t, who: t.c.user_id == who.id,
    "refresh_tokens": lambda t, who: t.c.user_id == who.id,
    "idempotency_keys": lambda t, who: t.c.user_id == who.id,
    "password_reset_tokens": lambda t, who: t.c.user_id == who.id,
    # Issue 11, item 11: reset links kept (sealed) for an administrator to pass on.
    "password_reset_notices": lambda t, who: t.c.user_id == who.id,
    # An invite is the admin's record of an invitation: it outlives the users it names
    # (who made it, who used it, whom it was for), which are forgotten instead.
    "invites": lambda t, who: or_(
        t.c.created_by_id == who.id, t.c.used_by_id == who.id, t.c.email_key == who.email_key
    ),
}
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("habits", "habit_schedules", "entries", "breaks", "events", "habit_states")
    }
)
# Issue 5: per-habit daily and monthly summaries.
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("habit_day_summaries", "habit_month_summaries")
    }
)
# Issue 5: the private calendar feed (one per user).
USER_ROWS["calendar_feeds"] = lambda t, who: t.c.user_id == who.id
# Issue 5: the record of each file a user imported.
USER_ROWS["import_records"] = lambda t, who: t.c.user_id == who.id
# Issue 6: channels, reminders, the inbox and the delivery ledger.
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in (
            "channels",
            "reminders",
            "reminder_occurrences",
            "notifications",
            "deliveries",
            "delivery_attempts",
        )
    }
)
# Issue 14: achievements earned, the rewards ledger and the claim's state.
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("achievements_earned", "reward_ledger", "reward_states")
    }
)
# Issue 15 (D12): profiles, requests and friendships (either side), blocks (either side),
# share links, challenge memberships and invites received.
USER_ROWS.update(
    {
        "profiles": lambda t, who: t.c.user_id == who.id,
        "friend_requests": lambda t, who: or_(t.c.from_user_id == who.id, t.c.to_user_id == who.id),
        "friendships": lambda t, who: or_(t.c.user_id == who.id, t.c.friend_id == who.id),
        "blocks": lambda t, who: or_(t.c.blocker_id == who.id, t.c.blocked_id == who.id),
        "shares": lambda t, who: t.c.user_id == who.id,
        "challenge_members": lambda t, who: t.c.user_id == who.id,
        "challenge_invites": lambda t, who: t.c.user_id == who.id,
    }
)
# A challenge the user owned passes to its longest-standing member (or ends): its row
# changes rather than goes, which tests/social/test_challenges.py
# (test_account_deletion_hands_the_challenge_on) checks; here alice and bob own none.
COVERED_ELSEWHERE = frozenset({"challenges", "challenge_habits"})
# Issue 16: chat. A deleted user's messages and memberships go (tests/chat/
# test_chat_storage.py checks it); a conversation names no user.
USER_ROWS.update(
    {
        "chat_members": lambda t, who: t.c.user_id == who.id,
        "chat_messages": lambda t, who: t.c.sender_id == who.id,
        "chat_message_hides": lambda t, who: t.c.user_id == who.id,
        "conversations": lambda _t, _who: false(),
    }
)
COVERED_ELSEWHERE |= {"chat_members", "chat_messages", "chat_message_hides", "conversations"}
USER_ROWS["challenges"] = lambda t, who: t.c.owner_id == who.id
USER_ROWS["challenge_habits"] = lambda _t, _who: false()
# Issue 17 (D13): coach plans and their tasks go with the user (tests/coach/
# test_coach_api.py checks it).
USER_ROWS.update(
    {
        "coach_plans": lambda t, who: t.c.user_id == who.id,
        "coach_tasks": lambda t, who: t.c.user_id == who.id,
    }
)
COVERED_ELSEWHERE |= {"coach_plans", "coach_tasks"}
# Issue 18 (D14): a model, the training bookkeeping, alert notices and dismissals go with
# the user (tests/coach/test_insights_api.py checks it).
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("prediction_models", "training_states", "alert_notices", "alert_dismissals")
    }
)
COVERED_ELSEWHERE |= {"prediction_models", "training_states", "alert_notices", "alert_dismissals"}
# Issue 19 (D15): health logs and the weight goal go with the user (tests/health/
# test_health_api.py checks it).
USER_ROWS.update(
    {name: (lambda t, who: t.c.user_id == who.id) for name in ("health_logs", "health_goals")}
)
COVERED_ELSEWHERE |= {"health_logs", "health_goals"}
# The kg/lb cm/in setting (tests/health/test_health_settings.py checks it goes), and the
# photo extractions with their photos (the extraction tests check those).
LATER_HEALTH_TABLES = ("health_settings", "health_extractions", "health_photos")
USER_ROWS.update({name: (lambda t, who: t.c.user_id == who.id) for name in LATER_HEALTH_TABLES})
COVERED_ELSEWHERE |= set(LATER_HEALTH_TABLES)
# Issue 20: passkeys and their waiting challenges go with the user (FK cascade;
# tests/auth/test_passkeys_api.py checks it).
USER_ROWS.update(
    {name: (lambda t, who: t.c.user_id == who.id) for name in ("passkeys", "webauthn_challenges")}
)
COVERED_ELSEWHERE |= {"passkeys", "webauthn_challenges"}
# Issue 20: access tokens and linked single sign-on identities go with the user (FK
# cascade; tests/auth/test_access_tokens_api.py and test_oidc_flow.py check it). A sign-in
# in progress names nobody (one waiting for a password names its user inside `pending`,
# for 10 minutes, and is refused once the user is gone).
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("personal_access_tokens", "oidc_identities")
    }
)
USER_ROWS["oidc_logins"] = lambda _t, _who: false()
COVERED_ELSEWHERE |= {"personal_access_tokens", "oidc_identities", "oidc_logins"}
# Issue 20: a waiting email change names its user and goes with them (FK cascade;
# tests/auth/test_verification_account.py checks it). A sign-up waiting for its code has
# no user yet; it goes within 15 minutes.
USER_ROWS["verification_codes"] = lambda t, who: t.c.user_id == who.id
COVERED_ELSEWHERE |= {"verification_codes"}
# Issue 21: product events, activity days, NPS answers and the survey's state go with
# the user (FK cascade; tests/metrics/test_metrics_deletion.py checks it); the daily
# rollup holds counts only.
USER_ROWS.update(
    {
        name: (lambda t, who: t.c.user_id == who.id)
        for name in ("product_events", "activity_days", "nps_responses", "survey_states")
    }
)
COVERED_ELSEWHERE |= {"product_events", "activity_days", "nps_responses", "survey_states"}
USER_ROWS["metric_days"] = lambda _t, _who: false()
# Bookkeeping of the whole server, with no user's data in it (model calls: counts for
# the admin page, no user id, no text).
USER_ROWS["event_cursors"] = lambda _t, _who: false()
USER_ROWS["model_calls"] = lambda _t, _who: false()
GLOBAL_TABLES = frozenset({"event_cursors", "model_calls", "metric_days"})
# Issue 21: a user's Stripe subscription goes with the user (FK cascade;
# tests/plans/test_plans_deletion.py checks it); the webhook events applied are the
# server's, Stripe's event ids and kinds, naming nobody.
USER_ROWS["subscriptions"] = lambda t, who: t.c.user_id == who.id
COVERED_ELSEWHERE |= {"subscriptions"}
USER_ROWS["billing_events"] = lambda _t, _who: false()
GLOBAL_TABLES |= {"billing_events"}
# Tables whose rows survive the user's deletion with every reference to them cleared.
ROWS_OUTLIVE_THE_USER = frozenset({"invites"})


def user_reference_columns(table: Table) -> list[tuple[str, str]]:
    """(column, what it holds: "id" or "email_key") for each column that can name a user:
    a foreign key to users.id, users.id itself, or a column called user_id / email_key."""
    found = []
    for column in table.columns:
        points_at_users = any(
            fk.column.table.name == "users" and fk.column.name == "id" for fk in column.foreign_keys
        )
        if (
            points_at_users
            or column.name == "user_id"
            or (table.name, column.name)
            == (
                "users",
                "id",
            )
        ):
            found.append((column.name, "id"))
        elif column.name == "email_key":
            found.append((column.name, "email_key"))
    return found


Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


async def snapshot(db_session: AsyncSession) -> Snapshot:
    """Every row of every table, by primary key."""
    await db_session.rollback()
    tables: Snapshot = {}
    for table in Base.metadata.sorted_tables:
        rows = (await db_session.execute(select(table))).mappings().all()
        key = [column.name for column in table.primary_key.columns]
        tables[table.name] = {tuple(row[name] for name in key): dict(row) for row in rows}
    return tables


async def rows_of(db_session: AsyncSession, who: Who) -> dict[str, set[tuple[Any, ...]]]:
    """The primary keys of `who`'s rows in each table, found through USER_ROWS."""
    await db_session.rollback()
    found: dict[str, set[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        rows = (
            await db_session.execute(
                select(*table.primary_key.columns).where(USER_ROWS[table.name](table, who))
            )
        ).all()
        found[table.name] = {tuple(row) for row in rows}
    return found


def test_every_table_is_known():
    """DELETE /me: the deletion test knows how to find a user's rows in every table there is."""
    unknown = set(Base.metadata.tables) - set(USER_ROWS)
    assert not unknown, f"teach tests/test_account_deletion.py about {sorted(unknown)}"
    assert set(USER_ROWS) == set(Base.metadata.tables), "USER_ROWS names a table that is gone"
    for name in ROWS_OUTLIVE_THE_USER:
        table = Base.metadata.tables[name]
        for column, holds in user_reference_columns(table):
            assert table.c[column].nullable, f"{name}.{column} ({holds}) cannot be cleared"


# --- arranging ----------------------------------------------------------------------------


async def sign_up_with(server: httpx.AsyncClient, email: str, invite_token: str) -> Persona:
    response = await server.post(
        "/api/v1/auth/register",
        json={"email": email, "password": DEFAULT_PASSWORD, "invite_token": invite_token},
    )
    assert response.status_code == 201, response.text
    tokens = await login(server, email)
    return Persona(
        id=uuid.UUID(response.json()["id"]),
        email=email,
        password=DEFAULT_PASSWORD,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def invite(
    server: httpx.AsyncClient, by: Persona, *, key: str | None = None, **fields: Any
) -> dict[str, Any]:
    headers = {**by.headers, **({"Idempotency-Key": key} if key else {})}
    response = await server.post("/api/v1/admin/invites", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def promote(db_session: AsyncSession, persona: Persona) -> None:
    await db_session.execute(update(User).where(User.id == persona.id).values(is_admin=True))
    await db_session.commit()


async def refresh(server: httpx.AsyncClient, persona: Persona) -> None:
    """Rotate the persona's refresh token: the spent one stays behind as a row."""
    response = await server.post(
        "/api/v1/auth/refresh", json={"refresh_token": persona.refresh_token}
    )
    assert response.status_code == 200, response.text
    persona.access_token = response.json()["access_token"]
    persona.refresh_token = response.json()["refresh_token"]


async def give_habits(server: httpx.AsyncClient, persona: Persona, key: str) -> None:
    """A habit with a schedule, a check-in (with its idempotency key), its own break and
    one for all habits, and a calendar feed; events and the kept state come with them."""
    created = await server.post(
        "/api/v1/habits",
        json={"name": "Stretch", "schedule": {"type": "daily"}},
        headers=persona.headers,
    )
    assert created.status_code == 201, created.text
    habit_id = created.json()["id"]
    logged = await server.post(
        f"/api/v1/habits/{habit_id}/checkins",
        json={},
        headers={**persona.headers, "Idempotency-Key": key},
    )
    assert logged.status_code == 201, logged.text
    today = created.json()["today"]["date"]
    for body in ({"habit_id": habit_id}, {}):
        paused = await server.post(
            "/api/v1/breaks",
            json={"start_date": today, "end_date": today, **body},
            headers=persona.headers,
        )
        assert paused.status_code == 201, paused.text
    feed = await server.post("/api/v1/export/calendar-feed", headers=persona.headers)
    assert feed.status_code == 201, feed.text
    # Issue 5: an imported file leaves an import record (a HabitBull CSV of one day).
    imported = await server.post(
        "/api/v1/import",
        files={"file": ("habits.csv", b"HabitName,CalendarDate,Value\nRun,2020-01-01,1\n")},
        data={"format": "habitbull_csv"},
        headers=persona.headers,
    )
    assert imported.status_code == 200, imported.text
    # Issue 14: the check-in earned a coin and an achievement; a claim makes the state row.
    claimed = await server.post("/api/v1/rewards/claim", headers=persona.headers)
    assert claimed.status_code == 200, claimed.text


async def give_reminders(
    server: httpx.AsyncClient, db_session: AsyncSession, persona: Persona
) -> None:
    """Issue 6: a webhook channel (to a closed port), a reminder due now, fired by one
    dispatcher pass: an occurrence, an inbox notification, a delivery and its failed
    attempt."""
    habits = (await server.get("/api/v1/habits", headers=persona.headers)).json()["items"]
    channel = await server.post(
        "/api/v1/channels",
        json={"type": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}},
        headers=persona.headers,
    )
    assert channel.status_code == 201, channel.text
    made = await server.post(
        f"/api/v1/habits/{habits[0]['id']}/reminders",
        json={"time": "23:59", "only_if_pending": False},
        headers=persona.headers,
    )
    assert made.status_code == 201, made.text
    await db_session.execute(
        update(Reminder)
        .where(Reminder.id == uuid.UUID(made.json()["id"]))
        .values(next_fire_at=clock.now() - timedelta(minutes=1))
    )
    await db_session.commit()
    transport = server._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: Any = transport.app
    await worker.run_once(app.state.sessionmaker, app.state.ctx.settings, "deletion-test")


async def ask_for_a_reset_link(server: httpx.AsyncClient, persona: Persona) -> None:
    """The "forgot my password" form: a reset token row for the persona."""
    async with browser(server, ip="198.51.100.9") as visitor:
        token = await page_csrf_token(visitor, "/forgot")
        asked = await visitor.post("/forgot", data={"email": persona.email, "csrf_token": token})
        assert asked.status_code == 303, asked.text


async def give_social(
    server: httpx.AsyncClient, admin: Persona, alice: Persona, bob: Persona, carol: Persona
) -> None:
    """Issue 15: a profile each; alice and bob each friends with carol (a request by
    handle, accepted); each blocks dora; each shares a habit; carol's challenge, to which
    she invites them both and they join."""
    dora = await sign_up_with(
        server, "dora@example.org", (await invite(server, admin, note="for dora"))["token"]
    )
    for persona, handle in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        made = await server.patch(
            "/api/v1/me/profile", json={"handle": handle}, headers=persona.headers
        )
        assert made.status_code == 200, made.text
    for persona in (alice, bob):
        asked = await server.post(
            "/api/v1/friends/requests", json={"handle": "carol"}, headers=persona.headers
        )
        assert asked.status_code == 201, asked.text
        blocked = await server.post(
            "/api/v1/blocks", json={"user_id": str(dora.id)}, headers=persona.headers
        )
        assert blocked.status_code == 201, blocked.text
        habits = (await server.get("/api/v1/habits", headers=persona.headers)).json()["items"]
        shared = await server.post(
            f"/api/v1/habits/{habits[0]['id']}/shares", headers=persona.headers
        )
        assert shared.status_code == 201, shared.text
    incoming = (await server.get("/api/v1/friends/requests", headers=carol.headers)).json()
    for request in incoming["incoming"]:
        accepted = await server.post(
            f"/api/v1/friends/requests/{request['id']}/accept", headers=carol.headers
        )
        assert accepted.status_code == 200, accepted.text
    made = await server.post(
        "/api/v1/challenges",
        json={
            "name": "No sugar",
            "start_date": clock.now().date().isoformat(),
            "days": 30,
            "habits": [{"name": "No sugar", "schedule": {"type": "daily"}}],
        },
        headers=carol.headers,
    )
    assert made.status_code == 201, made.text
    challenge_id = made.json()["id"]
    invited = await server.post(
        f"/api/v1/challenges/{challenge_id}/invites",
        json={"user_ids": [str(alice.id), str(bob.id)]},
        headers=carol.headers,
    )
    assert invited.status_code == 201, invited.text
    for persona in (alice, bob):
        joined = await server.post(
            f"/api/v1/challenges/{challenge_id}/join", json={}, headers=persona.headers
        )
        assert joined.status_code == 200, joined.text


async def delete_account(
    server: httpx.AsyncClient, persona: Persona, password: str
) -> httpx.Response:
    return await server.request(
        "DELETE", "/api/v1/me", json={"password": password}, headers=persona.headers
    )


# --- the deletion ---------------------------------------------------------------------------


async def test_deleting_an_account_removes_every_row_of_the_user(
    make_client: AppFactory, admin, db_session
):
    """DELETE /me: no row of any table refers to the user afterwards; other users' rows are
    intact, and invites they made or used forget them (NULL, not a ghost id)."""
    server = await make_client(registration="invite", allow_private_targets=True)
    for_alice = await invite(server, admin, note="for alice")
    alice = await sign_up_with(server, "alice@example.org", for_alice["token"])
    await refresh(server, alice)  # a spent and a live refresh token
    await promote(db_session, alice)
    for_bob = await invite(server, alice, key="shared-key", note="for bob")
    for_carol = await invite(server, alice, email="carol@example.org")
    bob = await sign_up_with(server, "bob@example.org", for_bob["token"])
    await promote(db_session, bob)
    await invite(server, bob, key="shared-key", note="bob's own")
    await give_habits(server, alice, "check-in-key")
    await give_habits(server, bob, "check-in-key")
    await give_reminders(server, db_session, alice)
    await give_reminders(server, db_session, bob)
    await ask_for_a_reset_link(server, alice)
    await ask_for_a_reset_link(server, bob)
    carol = await sign_up_with(server, "carol@example.org", for_carol["token"])
    await give_social(server, admin, alice, bob, carol)

    async with browser(server) as alices, browser(server) as bobs:
        await web_login(alices, alice.email, alice.password)
        await web_login(bobs, bob.email, bob.password)
        her = Who(alice.id, "alice@example.org")
        his = Who(bob.id, "bob@example.org")
        before = await snapshot(db_session)
        hers = await rows_of(db_session, her)
        bobs_rows = await rows_of(db_session, his)
        for table, keys in hers.items():
            if table in GLOBAL_TABLES | COVERED_ELSEWHERE:
                continue
            assert keys, f"the arrangement gives alice no row in {table}"
            assert bobs_rows[table], f"the arrangement gives bob no row in {table}"
        kinds = {
            row["kind"]
            for key, row in before["auth_sessions"].items()
            if key in hers["auth_sessions"]
        }
        assert kinds == {"api", "web"}

        response = await delete_account(server, alice, alice.password)
        assert response.status_code == 204, response.text
        assert response.content == b""

        after = await snapshot(db_session)
        # 1. Nothing anywhere names her, by id or by address.
        await db_session.rollback()
        for table in Base.metadata.sorted_tables:
            assert not (await rows_of(db_session, her))[table.name], table.name
            for column, holds in user_reference_columns(table):
                value = her.id if holds == "id" else her.email_key
                left = await db_session.scalar(
                    select(table.c[column]).where(table.c[column] == value).limit(1)
                )
                assert left is None, f"{table.name}.{column} still names alice"
        # 2. Her own rows are gone; rows that outlive her stay, with her references cleared.
        for name, keys in hers.items():
            if name in ROWS_OUTLIVE_THE_USER:
                assert keys <= after[name].keys(), f"{name}: rows made for others vanished"
            else:
                assert not keys & after[name].keys(), f"{name}: alice's rows are still there"
        # 3. Every other row is untouched, except that a reference to her is now NULL.
        for name, rows in before.items():
            references = dict(user_reference_columns(Base.metadata.tables[name]))
            for key, row in rows.items():
                if key in hers[name] and name not in ROWS_OUTLIVE_THE_USER:
                    continue
                assert key in after[name], f"{name} {key} (not alice's) was deleted"
                for column, old in row.items():
                    new = after[name][key][column]
                    if column in references and old == (
                        her.id if references[column] == "id" else her.email_key
                    ):
                        assert new is None, f"{name}.{column} points at a deleted user"
                    else:
                        assert new == old, f"{name}.{column} of {key} changed"
        # 4. Bob keeps every row he had.
        for name, keys in (await rows_of(db_session, his)).items():
            assert keys == bobs_rows[name], name

        invites = {str(key[0]): row for key, row in after["invites"].items()}
        assert invites[for_alice["id"]]["used_by_id"] is None
        assert invites[for_alice["id"]]["used_at"] is not None
        assert invites[for_bob["id"]]["created_by_id"] is None
        assert invites[for_bob["id"]]["used_by_id"] == bob.id
        assert invites[for_carol["id"]]["created_by_id"] is None
        assert invites[for_carol["id"]]["email_key"] == "carol@example.org"

        # She is signed out everywhere and cannot sign in; bob carries on.
        assert (await server.get("/api/v1/me", headers=alice.headers)).status_code == 401
        gone = await server.post(
            "/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}
        )
        assert gone.status_code == 401
        assert (await alices.get("/settings")).status_code == 303  # to the sign-in page
        signing_in = await server.post(
            "/api/v1/auth/login", json={"email": alice.email, "password": alice.password}
        )
        assert signing_in.status_code == 401
        assert (await server.get("/api/v1/me", headers=bob.headers)).status_code == 200
        assert (await bobs.get("/settings")).status_code == 200
        listed = await server.get("/api/v1/admin/invites", headers=admin.headers)
        assert listed.status_code == 200
        statuses = {item["id"]: item for item in listed.json()["items"]}
        assert statuses[for_alice["id"]]["status"] == "used"
        assert statuses[for_alice["id"]]["used_by_id"] is None


async def test_deleting_an_account_forgets_the_address_on_invites(
    make_client: AppFactory, admin, db_session
):
    """DELETE /me: an invite that was for the user's address no longer holds it."""
    server = await make_client(registration="invite", allow_private_targets=True)
    made = await invite(server, admin, email="Alice@Example.org")
    alice = await sign_up_with(server, "alice@example.org", made["token"])
    response = await delete_account(server, alice, alice.password)
    assert response.status_code == 204, response.text
    await db_session.rollback()
    table = Base.metadata.tables["invites"]
    row = (await db_session.execute(select(table).where(table.c.id == uuid.UUID(made["id"])))).one()
    assert row.used_by_id is None
    assert row.email_key is None


async def test_an_unused_invite_for_a_deleted_address_is_revoked(
    make_client: AppFactory, admin, db_session
):
    """DELETE /me: an unused invite for the user's address loses the address and is
    revoked, so it does not become an invite for anyone."""
    server = await make_client(registration="invite", allow_private_targets=True)
    first = await invite(server, admin, email="alice@example.org")
    spare = await invite(server, admin, email="alice@example.org")
    alice = await sign_up_with(server, "alice@example.org", first["token"])
    assert (await delete_account(server, alice, alice.password)).status_code == 204
    await db_session.rollback()
    table = Base.metadata.tables["invites"]
    row = (
        await db_session.execute(select(table).where(table.c.id == uuid.UUID(spare["id"])))
    ).one()
    assert row.email_key is None
    assert row.revoked_at is not None
    refused = await server.post(
        "/api/v1/auth/register",
        json={
            "email": "mallory@example.org",
            "password": "a long and quiet meadow",
            "invite_token": spare["token"],
        },
    )
    assert refused.status_code == 422


async def test_delete_account_needs_the_password(client, alice, bob, db_session):
    """DELETE /me: a wrong or missing password is 422 on `password` and deletes nothing."""
    for body in ({"password": "not my password"}, {}, {"password": ""}):
        response = await client.request("DELETE", "/api/v1/me", json=body, headers=alice.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert {error["field"] for error in response.json()["errors"]} == {"password"}
    extra = await client.request(
        "DELETE",
        "/api/v1/me",
        json={"password": alice.password, "also": "bob"},
        headers=alice.headers,
    )
    assert extra.status_code == 422
    anonymous = await client.request("DELETE", "/api/v1/me", json={"password": alice.password})
    assert anonymous.status_code == 401
    await db_session.rollback()
    assert await db_session.get(User, alice.id) is not None
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200


async def test_a_user_with_no_data_but_an_account_can_be_deleted(client, alice, bob, db_session):
    """DELETE /me: deleting removes the user; deleting again with the old token is 401."""
    response = await delete_account(client, alice, alice.password)
    assert response.status_code == 204, response.text
    await db_session.rollback()
    users = (await db_session.scalars(select(User.email_key))).all()
    assert users == ["bob@example.org"]
    assert (await delete_account(client, alice, alice.password)).status_code == 401
