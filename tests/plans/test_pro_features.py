"""Issue 21 (the proposal's freemium split): with HABITUS_PLANS=on the free plan keeps
the weekly summary and analytics over the last 30 days (HABITUS_PLAN_FREE_ANALYTICS_DAYS);
the monthly and yearly reports, longer windows ("advanced analytics") and the CSV,
iCalendar and analytics downloads ("exports") are Pro: 403
`urn:habitus:problem:plan-limit` naming the limit. The whole-account export is never
limited. Pro has none of these limits, and with plans off nobody has any."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.habits.test_web import signed_in
from tests.plans.helpers import plan_limit, set_plan
from tests.plans.test_web import note

API = "/api/v1"
PRO_ONLY = (
    (f"{API}/reports/monthly", {"month": "2026-11"}, "advanced_analytics"),
    (f"{API}/reports/yearly", {"year": "2026"}, "advanced_analytics"),
    (f"{API}/stats", {"from": "2026-08-01", "to": "2026-11-21"}, "advanced_analytics"),
    (f"{API}/export/entries.csv", {}, "exports"),
    (f"{API}/export/calendar.ics", {}, "exports"),
)
FREE = (
    (f"{API}/reports/weekly", {"week": "2026-W47"}),
    (f"{API}/stats", {}),  # the default window: the last 30 days
    (f"{API}/stats", {"from": "2026-10-23", "to": "2026-11-21"}),  # exactly 30 days
    (f"{API}/heatmap", {"from": "2025-11-22", "to": "2026-11-21"}),  # the habit pages
    (f"{API}/me/export", {}),  # a person may always take their data with them
)


async def test_free_accounts_get_the_weekly_summary_and_30_days(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 21: the free plan's side of the split answers 200."""
    for path, params in FREE:
        answer = await client.get(path, params=params, headers=alice.headers)
        assert answer.status_code == 200, (path, params, answer.text)


async def test_advanced_analytics_and_exports_are_pro(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: each Pro feature is a 403 plan-limit naming its limit for a free
    account, and 200 once the account is Pro."""
    for path, params, limit in PRO_ONLY:
        answer = await client.get(path, params=params, headers=alice.headers)
        assert plan_limit(answer)["limit"] == limit, path
    await set_plan(db_session, alice, "pro")
    for path, params, _ in PRO_ONLY:
        answer = await client.get(path, params=params, headers=alice.headers)
        assert answer.status_code == 200, (path, answer.text)


async def test_plans_off_limit_no_analytics_or_export(
    make_client: AppFactory, alice: Persona
) -> None:
    """Issue 21: with plans off (the default) a free account has every report and
    download."""
    off = await make_client()
    for path, params, _ in PRO_ONLY:
        answer = await off.get(path, params=params, headers=alice.headers)
        assert answer.status_code == 200, (path, answer.text)


async def test_the_free_window_is_configurable(make_client: AppFactory, alice: Persona) -> None:
    """Issue 21: HABITUS_PLAN_FREE_ANALYTICS_DAYS=90 lets a free account see 90 days
    (not 91); HABITUS_PLAN_FREE_EXPORTS=true gives it the downloads."""
    wider = await make_client(plans=True, plan_free_analytics_days=90, plan_free_exports=True)
    ninety = {"from": "2026-08-24", "to": "2026-11-21"}
    assert (
        await wider.get(f"{API}/stats", params=ninety, headers=alice.headers)
    ).status_code == 200
    longer = {"from": "2026-08-23", "to": "2026-11-21"}
    refused = await wider.get(f"{API}/stats", params=longer, headers=alice.headers)
    assert plan_limit(refused)["allowed"] == 90
    csv = await wider.get(f"{API}/export/entries.csv", headers=alice.headers)
    assert csv.status_code == 200


async def test_the_analytics_page_shows_the_free_window_with_a_note(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: on the analytics page a free account asking for 365 days sees the
    upgrade note and the last 30 days' figures (not an error page); the downloads are
    replaced by a note; the JSON download itself is a 403. Pro sees the year and the
    download buttons."""
    async with signed_in(client, alice) as web:
        thirty = await web.get("/analytics", params={"days": "30"})
        assert thirty.status_code == 200
        assert 'id="an-export-csv"' not in thirty.text
        assert "downloads are part of Pro" in (note(thirty.text) or "")
        year = await web.get("/analytics", params={"days": "365"})
        assert year.status_code == 200
        assert "last 30 days" in (note(year.text) or "")
        assert 'value="2026-10-23"' in year.text  # the free window's first day
        download = await web.get("/analytics/export.json", params={"days": "30"})
        assert download.status_code == 403
        await set_plan(db_session, alice, "pro")
        pro = await web.get("/analytics", params={"days": "365"})
        assert note(pro.text) is None
        assert 'value="2025-11-22"' in pro.text
        assert 'id="an-export-csv"' in pro.text
        assert (await web.get("/analytics/export.json", params={"days": "365"})).status_code == 200
