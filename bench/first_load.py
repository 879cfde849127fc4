"""First-load bytes of Today and the habit page in a real Chromium (issue 13, "Speed as
felt on a phone").

Starts `habitus serve` on a fresh SQLite database, signs up a user with 8 daily habits
and 60 days of entries, signs in, then opens each page in a new browser context (an
empty cache: a first visit) and adds up what came over the wire: every request the page
made, its body as sent (compressed or not) plus headers, and its body once decoded.

"before" sends `Accept-Encoding: identity`, which is what the app served to everyone
before issue 13 (nothing compressed); "after" is Chromium's own `gzip, deflate, br,
zstd`; "repeat" opens the page a second time in the same context: the versioned
static files come from the browser's cache without a request. The chart library is
counted where it is loaded (the habit page only).

    .venv/bin/python -m bench.first_load [--json]

Needs /usr/bin/chromium (or HABITUS_CHROMIUM) and the built assets (make install).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Request, sync_playwright

from bench import machine
from tests.fixtures.live import habitus_env, live_server, run_cli

CHROMIUM = os.environ.get("HABITUS_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long and quiet meadow"
HABITS = ["Read", "Walk", "Stretch", "Journal", "Meditate", "Floss", "Water plants", "Call mum"]
DAYS = 60
PHONE = {"width": 390, "height": 844}


@dataclass
class Load:
    page: str
    mode: str
    requests: int = 0
    transferred: int = 0  # bodies as sent + response headers
    decoded: int = 0  # bodies once decompressed
    by_file: dict[str, list[int]] = field(default_factory=dict)


def _seed(base_url: str, email: str) -> str:
    """The user, their habits and entries; returns the first habit's id."""
    registered = httpx.post(
        f"{base_url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Bench", "timezone": "UTC"},
    )
    registered.raise_for_status()
    token = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()["access_token"]
    start = datetime.now(UTC).date() - timedelta(days=DAYS)
    entries = [
        {"habit_id": name, "date": (start + timedelta(days=n)).isoformat(), "status": "done"}
        for name in HABITS
        for n in range(DAYS)
        if n % 3
    ]
    document = {
        "habits": [
            {
                "id": name,
                "name": name,
                "schedules": [{"effective_from": start.isoformat(), "schedule": {"type": "daily"}}],
                "start_date": start.isoformat(),
            }
            for name in HABITS
        ],
        "entries": entries,
    }
    with httpx.Client(
        base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        client.post(
            "/import",
            files={"file": ("habitus.json", json.dumps(document).encode(), "application/json")},
            data={"format": "habitus_json"},
        ).raise_for_status()
        habit_id: str = client.get("/habits").json()["items"][0]["id"]
    return habit_id


def _signed_in_state(browser: Browser, base_url: str, email: str) -> Any:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    state = context.storage_state()
    context.close()
    return state


def measure(browser: Browser, base_url: str, state: Any, path: str, mode: str) -> Load:
    headers = {"Accept-Encoding": "identity"} if mode == "before" else {}
    context = browser.new_context(
        base_url=base_url,
        storage_state=state,
        viewport=PHONE,
        extra_http_headers=headers,
        service_workers="block",  # a first visit: nothing cached by a worker either
    )
    page = context.new_page()
    if mode == "repeat":  # the same page again: what the browser's cache saves
        page.goto(path, wait_until="networkidle")
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path, wait_until="networkidle")
    load = Load(page=path, mode=mode)
    for request in finished:
        response = request.response()
        if response is None or response.from_service_worker:
            continue
        sizes = request.sizes()
        body = len(response.body()) if response.status != 304 else 0
        sent = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        load.requests += 1
        load.transferred += sent
        load.decoded += body
        name = request.url.removeprefix(base_url).split("?")[0]
        load.by_file[name] = [sent, body]
    context.close()
    return load


def run() -> list[Load]:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = habitus_env(
            f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            workdir,
            HABITUS_RATE_LIMIT_ENABLED="false",
            HABITUS_LOG_LEVEL="WARNING",
        )
        migrated = run_cli("migrate", env=env, cwd=workdir)
        if migrated.returncode != 0:
            raise SystemExit(migrated.stdout + migrated.stderr)
        with live_server(env, workdir) as server, sync_playwright() as playwright:
            email = "bench@example.org"
            habit_id = _seed(server.base_url, email)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            state = _signed_in_state(browser, server.base_url, email)
            loads = [
                measure(browser, server.base_url, state, path, mode)
                for path in ("/today", f"/habits/{habit_id}")
                for mode in ("before", "after", "repeat")
            ]
            browser.close()
    return loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    loads = run()
    if args.json:
        print(json.dumps([asdict(load) for load in loads], indent=2))
        return
    print(machine.one_line(asyncio.run(machine.describe())))
    print(f"{'page':<16}{'mode':<8}{'requests':>9}{'transferred KB':>16}{'decoded KB':>12}")
    for load in loads:
        page = "habit page" if load.page.startswith("/habits/") else load.page
        print(
            f"{page:<16}{load.mode:<8}{load.requests:>9}"
            f"{load.transferred / 1024:>16.1f}{load.decoded / 1024:>12.1f}"
        )
    for load in loads:
        if load.mode == "after":
            print(f"\n{load.page} after, per file (sent bytes, decoded bytes):")
            for name, (sent, body) in sorted(load.by_file.items(), key=lambda kv: -kv[1][1]):
                print(f"  {name:<48}{sent:>9}{body:>9}")


if __name__ == "__main__":
    main()
