"""The admin metrics page, /admin/metrics (issue 21): the figures of GET /admin/metrics
with charts, for administrators only, linked from the admin page."""

from __future__ import annotations

from habitus import db
from habitus.metrics import rollup
from tests.fixtures.web import signed_in_at
from tests.metrics.test_metrics_api import arrange


async def test_the_page_shows_the_figures(client, app, frozen_clock, admin):
    """Issue 21: the page shows the same hand-counted figures as the API (11-09..11-20)."""
    async with db.job_transaction(app.state.sessionmaker) as session:
        await arrange(session)
        await rollup.run_pass(session)
    async for web in signed_in_at(client, admin, "/admin"):
        assert 'href="/admin/metrics"' in await web.page()
        page = await web.page("/admin/metrics?from=2026-11-09&to=2026-11-20")
        assert '<dd id="metric-dau">3</dd>' in page
        assert '<dd id="metric-wau">4</dd>' in page
        assert '<dd id="metric-mau">5</dd>' in page
        assert '<dd id="metric-dau-mau">60%</dd>' in page
        assert '<dd id="metric-reminders">88%</dd>' in page  # 7 of 8, rounded
        assert '<dd id="metric-logs">0.50</dd>' in page
        assert '<dd id="metric-nps">20<' in page
        assert '<td data-label="Day 1">67%</td>' in page
        assert 'data-metrics-chart="active-data"' in page


async def test_a_bad_window_is_named_on_the_page(client, frozen_clock, admin):
    """Issue 21: a reversed window is a 422 page naming `from`, still drawing a page."""
    async for web in signed_in_at(client, admin, "/admin"):
        response = await web.client.get("/admin/metrics?from=2026-11-20&to=2026-11-01")
        assert response.status_code == 422
        assert 'id="metrics-from-error"' in response.text


async def test_the_page_is_for_administrators(client, frozen_clock, alice):
    """Issue 21: anyone else gets 403."""
    async for web in signed_in_at(client, alice, "/today"):
        response = await web.client.get("/admin/metrics")
        assert response.status_code == 403
