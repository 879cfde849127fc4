"""Issue 14 on the web: the trophy room, the ledger page, Today's rewards strip (claim and
freeze buttons), achievement toasts and the habit page's streak badges. The clock is
frozen at Sat 2026-11-21 12:00 UTC (tests/gamification/conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.gamification.badges import streak_badges
from habitus.gamification.web_views import gems_text
from habitus.kit import clock
from habitus.models import AchievementEarned, RewardLedgerRow
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, meta_csrf_token, web_login
from tests.gamification.helpers import give_gems, run_consumers
from tests.habits.helpers import TODAY, checked_in, create_habit, entry_put


@dataclass
class Web:
    """A signed-in browser and its page's CSRF token."""

    client: httpx.AsyncClient
    token: str

    async def post(self, path: str, *, htmx: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        return await self.client.post(path, headers=headers, data={})

    async def get(self, path: str) -> str:
        response = await self.client.get(path)
        assert response.status_code == 200, response.text
        return response.text


async def _web(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[Web]:
    async with browser(client) as other:
        await web_login(other, persona.email, persona.password)
        page = await other.get("/today")
        yield Web(other, meta_csrf_token(page.text))


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    async for found in _web(client, alice):
        yield found


def text(html: str) -> str:
    """The page's words, tags dropped and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_strip_claims_once_a_day_and_a_second_claim_says_so(web: Web) -> None:
    """D11.2: day 1 pays 0.1 gems; the strip then says when to come back and for how
    much; a double submit is an answer in words (200), never a 500 or a second payment."""
    page = text(await web.get("/today"))
    assert "Claim 0.1 gems" in page
    assert "Day 1 of 7" in page

    first = await web.post("/rewards/claim")
    assert first.status_code == 200, first.text
    words = text(first.text)
    assert "Claimed 0.1 gems" in words
    assert "Claimed · come back tomorrow for 0.2" in words
    assert 'id="rewards-gems">0.1<' in first.text

    second = await web.post("/rewards/claim")
    assert second.status_code == 200
    assert "Already claimed today" in text(second.text)
    assert 'id="rewards-gems">0.1<' in second.text


async def test_a_claim_without_script_redirects_back_with_a_message(web: Web) -> None:
    """A plain form post (no htmx) goes back to Today with a flash message."""
    response = await web.post("/rewards/claim", htmx=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    page = text(await web.get("/today"))
    assert "Claimed 0.1 gems (day 1 of 7)." in page


async def test_a_claim_without_the_csrf_token_is_refused(web: Web) -> None:
    """CSRF on web POSTs: no token, no gems."""
    response = await web.client.post("/rewards/claim", data={}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "Claim 0.1 gems" in text(await web.get("/today"))


async def test_the_freeze_button_says_why_it_is_disabled_and_buys_with_gems(
    web: Web, app: FastAPI, alice: Persona
) -> None:
    """D11.3: 5 gems a freeze, at most 2 held; the reason is shown in words."""
    page = await web.get("/today")
    assert re.search(r'id="rewards-buy-freeze" disabled', page)
    assert "A streak freeze costs 5 gems; you have 0." in text(page)
    refused = await web.post("/rewards/freezes")
    assert refused.status_code == 200
    assert "A streak freeze costs 5 gems; you have 0." in text(refused.text)

    await give_gems(app, alice.id, 120)
    bought = await web.post("/rewards/freezes")
    assert "Streak freeze bought: 1 freeze held." in text(bought.text)
    assert 'id="rewards-freezes">1 of 2<' in bought.text
    await web.post("/rewards/freezes")
    page = await web.get("/today")
    assert "You already hold 2 streak freezes, the most." in text(page)
    assert 'id="rewards-gems">2.0<' in page


async def pay_coins(app: FastAPI, user_id: uuid.UUID, days: int) -> None:
    """A coin for each of `days` past days, in the ledger as check-ins would have paid
    them (an hour apart, so the order is plain)."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        now = clock.now()
        for back in range(days, 0, -1):
            day = TODAY - timedelta(days=back)
            session.add(
                RewardLedgerRow(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    created_at=now - timedelta(hours=back),
                    currency="coins",
                    amount=1,
                    kind="habit_done",
                    cause=f"test:{day.isoformat()}",
                    reason=f"Read done on {day.isoformat()}",
                )
            )


async def test_the_ledger_page_lists_every_coin_and_gem_newest_first_in_pages(
    web: Web, app: FastAPI, alice: Persona
) -> None:
    """D11.4: every row with its reason, newest first, 50 a page."""
    await pay_coins(app, alice.id, 55)
    await web.post("/rewards/claim")
    page = await web.get("/rewards")
    rows = re.findall(r'<li class="ledger-row ledger-(\w+)">', page)
    assert len(rows) == 50
    assert rows[0] == "gems"  # the claim is the newest
    assert "+0.1 gems" in page
    assert "Daily claim, day 1 of 7" in page
    assert "Read done on 2026-11-20" in page
    older = re.search(r'href="(/rewards\?cursor=[^"]+)"', page)
    assert older is not None
    rest = await web.get(older[1].replace("&amp;", "&"))
    assert len(re.findall(r'class="ledger-row ', rest)) == 6
    assert "+1 coin" in rest
    assert "Read done on 2026-09-27" in rest
    assert 'rel="next"' not in rest


async def test_a_bad_ledger_cursor_is_a_clear_error_not_a_500(web: Web) -> None:
    """Bad input: the page says what is wrong with the field, in words."""
    response = await web.client.get("/rewards?cursor=nonsense")
    assert response.status_code == 422
    assert "is not a cursor this server issued" in response.text


async def test_the_trophy_room_shows_all_fifteen_by_category(
    client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D10.1: fifteen achievements, five categories; earned with its local date, the
    others with "n of target" and a progress bar."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    page = await web.get("/trophies")
    assert len(re.findall(r'<li class="card trophy', page)) == 15
    for title in ("Streaks", "Consistency", "Milestones", "Explorer", "Health"):
        assert f">{title} <span" in page
    earned = page[page.index('id="trophy-first_checkin"') :]
    assert "21 November 2026" in earned[: earned.index("</li>")]
    assert '<progress max="100" value="1"' in page
    assert "1 of 100" in text(page)
    assert "1 of 15 achievements earned" in text(page)


async def test_charlie_sees_his_own_rewards_not_alices(
    client: httpx.AsyncClient, web: Web, alice: Persona, charlie: Persona
) -> None:
    """Owner only: each user's pages show their own balances and achievements."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    await web.post("/rewards/claim")
    async for other in _web(client, charlie):
        assert "0 of 15 achievements earned" in text(await other.get("/trophies"))
        ledger = await other.get("/rewards")
        assert "Daily claim" not in ledger
        assert "ledger-row" not in ledger
        assert "Claim 0.1 gems" in text(await other.get("/today"))


async def test_a_checkin_answer_carries_a_toast_and_the_new_coins(
    client: httpx.AsyncClient, web: Web, alice: Persona, db_session: AsyncSession
) -> None:
    """D10.3: the check-in's achievement_unlocked event becomes a toast in the HTMX
    answer (out of band, into the aria-live region), the strip's coins follow, and the
    achievement counts as seen (no second toast on the next visit)."""
    habit = await create_habit(client, alice)
    page = await web.get("/today")
    assert 'id="reward-toasts"' in page
    assert 'aria-live="polite"' in page
    response = await web.client.post(
        f"/today/{habit['id']}/done",
        data={"date": TODAY.isoformat()},
        headers={"HX-Request": "true", "X-CSRF-Token": web.token},
    )
    assert response.status_code == 200, response.text
    assert '<div id="reward-toasts" hx-swap-oob="beforeend">' in response.text
    assert "Achievement unlocked: First step" in text(response.text)
    assert 'id="rewards-coins">1<' in response.text
    assert "achievement-toast" not in await web.get("/today")


async def test_achievements_earned_elsewhere_toast_on_the_next_today_once(
    client: httpx.AsyncClient, web: Web, alice: Persona, app: FastAPI, db_session: AsyncSession
) -> None:
    """D10.3: earned by the API (or the worker) and not shown yet: a toast on the next
    Today, then marked seen, so only once."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    await run_consumers(app)
    page = await web.get("/today")
    assert "Achievement unlocked: First step" in text(page)
    seen = await db_session.scalar(
        select(AchievementEarned.seen_at).where(AchievementEarned.user_id == alice.id)
    )
    await db_session.commit()
    assert seen is not None
    assert "Achievement unlocked" not in text(await web.get("/today"))


async def test_the_habit_page_shows_streak_badges(
    client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D10.1 badges: 7 earned by a 9-day streak, 21 and 100 dimmed with what is left."""
    start = (TODAY - timedelta(days=8)).isoformat()
    habit = await create_habit(client, alice, start_date=start, backfill_days=10)
    for back in range(8, -1, -1):
        day = (TODAY - timedelta(days=back)).isoformat()
        await entry_put(client, alice, habit["id"], day, status="done")
    page = await web.get(f"/habits/{habit['id']}")
    assert re.search(r'class="streak-badge is-earned" id="badge-7"', page)
    words = text(page)
    assert "7 days Earned" in words
    assert "21 days 12 days to go" in words
    assert "100 days 91 days to go" in words


def test_badges_count_from_the_longest_and_the_current_streak() -> None:
    """D10.1/D10.2: a badge stays earned once the longest streak reached it."""
    badges = streak_badges(current=2, longest=30, unit="week")
    assert [(b.label, b.earned, b.to_go) for b in badges] == [
        ("7 weeks", True, None),
        ("21 weeks", True, None),
        ("100 weeks", False, "98 weeks to go"),
    ]
    assert streak_badges(6, 6, "day")[0].to_go == "1 day to go"


def test_gems_are_shown_from_integer_tenths() -> None:
    """D11.2: one decimal, no float anywhere."""
    assert [gems_text(t) for t in (0, 3, 10, 125, -50)] == ["0.0", "0.3", "1.0", "12.5", "-5.0"]
