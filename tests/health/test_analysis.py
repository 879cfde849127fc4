"""The health analysis (issue 19, D15): the offline analyser on built data (trends,
plausibility warnings, the weight goal, habit links), the service over the database
with the habits' days through the HABIT_COMPLETION port, and the model path against the
local fake OpenAI server (tests/fixtures/fake_llm.py), failures included.

Expected numbers are worked out from the data (or with the standard library's own
`statistics`), not read back from the analyser."""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from habitus import db
from habitus.health import analysis, analysis_model, analysis_service
from habitus.health import service as health_service
from habitus.health.analysis import Goal, HabitRecord, Reading, analyse
from habitus.health.analysis_ports import HABIT_COMPLETION
from habitus.kit.llm import LlmClient
from habitus.models import User
from habitus.registry import registry
from tests.conftest import FROZEN_AT, AppFactory
from tests.fixtures import fake_llm as fake
from tests.fixtures.personas import Persona, create_persona

LAST = date(2026, 11, 21)
FIRST = LAST - timedelta(days=89)  # a 90-day window
AT = time(7, 0)


def reading(day: date, **values: float) -> Reading:
    return Reading(day, AT, values)


def findings_of(found: analysis.Analysis, kind: str) -> list[dict[str, Any]]:
    return [item for item in found.findings if item["kind"] == kind]


def sentences(text: str) -> int:
    return text.count(". ") + 1


# --- trends ---------------------------------------------------------------------------------


def test_a_steady_loss_is_a_trend_with_its_slope_per_week_and_change() -> None:
    """Issue 19 trend: 0.05 kg a day down (every other day over 90 days) is a least-squares
    slope of -0.35 kg a week, and 85 -> 80.6 kg first to last."""
    readings = [
        reading(FIRST + timedelta(days=i), weight_kg=85 - 0.05 * i) for i in range(0, 90, 2)
    ]
    found = analyse(readings, first=FIRST, last=LAST)
    [trend] = findings_of(found, "trend")
    assert trend["field"] == "weight_kg"
    assert trend["direction"] == "down"
    assert trend["slope_per_week"] == pytest.approx(-0.35, abs=1e-6)
    assert trend["change"] == pytest.approx(readings[-1].values["weight_kg"] - 85, abs=0.01)
    assert trend["points"] == 45
    assert "went down" in trend["text"]
    assert "about 0.35 kg a week" in trend["text"]
    assert found.summary.startswith(f"From {FIRST.isoformat()} to {LAST.isoformat()}")
    assert "Your weight went down (85 kg to 80.6 kg)" in found.summary
    assert sentences(found.summary) <= 3


@pytest.mark.parametrize(
    ("end", "flagged"),
    [
        pytest.param(25.8, False, id="0.8-points-is-scatter"),
        pytest.param(26.5, True, id="1.5-points-is-a-trend"),
    ],
)
def test_a_trend_is_flagged_only_past_the_fields_threshold(end: float, flagged: bool) -> None:
    """Issue 19: a percentage moves meaningfully by at least 1 point (2% of 25% is only
    0.5, below what a scale scatters by); a straight 25 -> 25.8 is not reported."""
    days = range(0, 90, 10)
    readings = [
        reading(FIRST + timedelta(days=i), body_fat_pct=round(25 + (end - 25) * i / 80, 2))
        for i in days
    ]
    trends = findings_of(analyse(readings, first=FIRST, last=LAST), "trend")
    assert bool(trends) is flagged


def test_a_zigzag_whose_line_explains_little_is_not_a_trend() -> None:
    """Issue 19: the line must explain at least 30% of the variation (R²): readings that
    swing by 3 points around a small drift are not a trend even when the fitted change
    passes the threshold."""
    values = [24 + 0.2 * i + (3 if i % 2 else 0) for i in range(10)]
    days = [FIRST + timedelta(days=9 * i) for i in range(10)]
    xs = [(day - days[0]).days for day in days]
    line = statistics.linear_regression(xs, values)
    fitted_change = line.slope * (xs[-1] - xs[0])
    r_squared = statistics.correlation(xs, values) ** 2
    assert fitted_change >= analysis.ABSOLUTE_CHANGE["%"]  # passes the threshold ...
    assert r_squared < analysis.MIN_R_SQUARED  # ... but is mostly zigzag
    readings = [reading(day, body_fat_pct=value) for day, value in zip(days, values, strict=True)]
    assert findings_of(analyse(readings, first=FIRST, last=LAST), "trend") == []


def test_two_points_are_no_trend() -> None:
    """Issue 19: a trend needs at least 3 dates."""
    readings = [reading(FIRST, weight_kg=90), reading(LAST, weight_kg=80)]
    assert findings_of(analyse(readings, first=FIRST, last=LAST), "trend") == []


# --- plausibility ---------------------------------------------------------------------------


def test_a_weight_jump_of_more_than_2_kg_a_day_is_a_warning() -> None:
    """Issue 19 plausibility, rule weight_jump: 80 -> 83 kg from one day to the next is
    3 kg a day; 83 -> 80 kg over 3 days (1 kg a day) and a 1.5 kg day are not."""
    readings = [
        reading(LAST - timedelta(days=10), weight_kg=80),
        reading(LAST - timedelta(days=9), weight_kg=83),
        reading(LAST - timedelta(days=6), weight_kg=80),
        reading(LAST - timedelta(days=5), weight_kg=81.5),
    ]
    [warning] = findings_of(analyse(readings, first=FIRST, last=LAST), "warning")
    assert warning["rule"] == "weight_jump"
    assert warning["dates"] == [(LAST - timedelta(days=9)).isoformat()]
    assert "2 kg a day" in warning["text"]


def test_two_readings_on_one_date_count_a_day_apart() -> None:
    """Issue 19 weight_jump: 70 kg at 07:00 and 75 kg at 21:00 on one date is a jump."""
    readings = [
        Reading(LAST, time(7, 0), {"weight_kg": 70}),
        Reading(LAST, time(21, 0), {"weight_kg": 75}),
    ]
    [warning] = findings_of(analyse(readings, first=FIRST, last=LAST), "warning")
    assert warning["rule"] == "weight_jump"


def test_a_bmi_that_implies_another_height_is_a_warning() -> None:
    """Issue 19 plausibility, rule bmi_inconsistent: BMIs for 1.80 m, and one for 1.70 m
    (weight / 1.70² while the others use 1.80²)."""
    weights = [82.0, 81.5, 81.0, 80.6]
    readings = [
        reading(LAST - timedelta(days=3 - i), weight_kg=w, bmi=round(w / 1.8**2, 1))
        for i, w in enumerate(weights)
    ]
    readings[2] = reading(LAST - timedelta(days=1), weight_kg=81.0, bmi=round(81.0 / 1.7**2, 1))
    [warning] = findings_of(analyse(readings, first=FIRST, last=LAST), "warning")
    assert warning["rule"] == "bmi_inconsistent"
    assert warning["dates"] == [(LAST - timedelta(days=1)).isoformat()]
    assert "180 cm" in warning["text"]


def test_consistent_readings_raise_no_warning() -> None:
    """Issue 19: a scale's own numbers (BMI for one height, fat mass = fat % x weight,
    fat + fat-free = weight, water likewise, rounded as a scale rounds) warn of nothing."""
    readings = []
    for i in range(10):
        weight = 80 - 0.1 * i
        readings.append(
            reading(
                FIRST + timedelta(days=7 * i),
                weight_kg=round(weight, 2),
                bmi=round(weight / 1.78**2, 1),
                body_fat_pct=22.0,
                fat_mass_kg=round(weight * 0.22, 1),
                fat_free_weight_kg=round(weight * 0.78, 1),
                body_water_pct=55.0,
                water_weight_kg=round(weight * 0.55, 1),
            )
        )
    assert findings_of(analyse(readings, first=FIRST, last=LAST), "warning") == []


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        pytest.param(
            {"weight_kg": 80, "body_fat_pct": 20, "fat_mass_kg": 22}, "fat_mass_mismatch", id="fat"
        ),
        pytest.param(
            {"weight_kg": 80, "body_water_pct": 55, "water_weight_kg": 40},
            "water_mass_mismatch",
            id="water",
        ),
        pytest.param(
            {"weight_kg": 80, "fat_mass_kg": 16, "fat_free_weight_kg": 60},
            "fat_free_mismatch",
            id="fat-free",
        ),
    ],
)
def test_parts_of_the_weight_that_do_not_add_up_are_warnings(
    values: dict[str, float], rule: str
) -> None:
    """Issue 19 plausibility: 20% of 80 kg is 16 kg, not 22; 55% is 44 kg, not 40;
    16 + 60 kg is not 80 kg (each off by more than 1 kg and the tolerance share)."""
    found = findings_of(analyse([reading(LAST, **values)], first=FIRST, last=LAST), "warning")
    assert [item["rule"] for item in found] == [rule]
    assert (
        "plausibility warning" in analyse([reading(LAST, **values)], first=FIRST, last=LAST).summary
    )


# --- the goal -------------------------------------------------------------------------------


def test_goal_progress_says_how_far_and_how_long_at_the_pace() -> None:
    """Issue 19 goal: from 84 to 82 kg (0.5 kg a week down) with a goal of 80 kg (lose):
    2 kg to go, half the way covered, 4 more weeks at that pace."""
    readings = [
        reading(LAST - timedelta(days=28 - 7 * i), weight_kg=84 - 0.5 * i) for i in range(5)
    ]
    [goal] = findings_of(analyse(readings, first=FIRST, last=LAST, goal=Goal(80, "lose")), "goal")
    assert goal["reached"] is False
    assert goal["remaining"] == pytest.approx(2.0)
    assert goal["covered_share"] == pytest.approx(0.5)
    assert goal["weeks_at_pace"] == 4
    assert "2 kg from your goal of 80 kg" in goal["text"]


@pytest.mark.parametrize(
    ("goal", "latest", "reached"),
    [
        pytest.param(Goal(80, "lose"), 80.0, True, id="lose-at-the-goal"),
        pytest.param(Goal(80, "lose"), 79.5, True, id="lose-past-it"),
        pytest.param(Goal(80, "lose"), 80.5, False, id="lose-above-it"),
        pytest.param(Goal(60, "gain"), 60.5, True, id="gain-past-it"),
        pytest.param(Goal(60, "gain"), 59.0, False, id="gain-below-it"),
    ],
)
def test_a_goal_is_reached_at_or_past_it_in_its_direction(
    goal: Goal, latest: float, reached: bool
) -> None:
    """D10 weight_goal's rule, as the analysis reports it: at or below for lose, at or
    above for gain."""
    readings = [reading(LAST, weight_kg=latest)]
    [found] = findings_of(analyse(readings, first=FIRST, last=LAST, goal=goal), "goal")
    assert found["reached"] is reached


def test_no_logs_is_said_plainly() -> None:
    """Issue 19: a window without logs answers in one sentence, with the goal if set."""
    found = analyse([], first=FIRST, last=LAST, goal=Goal(70, "lose"))
    assert found.summary.startswith("No health logs")
    assert [item["kind"] for item in found.findings] == ["goal"]


# --- habits ---------------------------------------------------------------------------------

# Completion rates of 12 weeks, week 0 the latest.
RATES = [1.0, 2 / 7, 6 / 7, 1 / 7, 4 / 7, 1.0, 3 / 7, 0.0, 5 / 7, 2 / 7, 6 / 7, 4 / 7]


def habit_with_rates(rates: list[float], name: str = "Walk") -> HabitRecord:
    """A daily habit whose week k (7 days ending LAST - 7k) has round(7 x rate) days done."""
    days: dict[date, bool] = {}
    for week, rate in enumerate(rates):
        done = round(7 * rate)
        for offset in range(7):
            day = LAST - timedelta(days=7 * week + offset)
            days[day] = offset < done
    return HabitRecord(habit_id=f"habit-{name}", name=name, days=days)


def weights_with_changes(changes: list[float], start: float = 90.0) -> list[Reading]:
    """A weight a day, the same all week, whose week k changed by changes[k] from week
    k + 1 (the oldest week is `start`)."""
    means = [start]
    for change in reversed(changes):  # oldest change first
        means.append(means[-1] + change)
    means.reverse()  # week 0 first
    readings = []
    for week, mean in enumerate(means):
        for offset in range(7):
            readings.append(reading(LAST - timedelta(days=7 * week + offset), weight_kg=mean))
    return sorted(readings, key=lambda item: item.day)


def test_a_habit_that_goes_with_losing_weight_is_linked() -> None:
    """Issue 19 habit links: weeks with more walks had more loss (change = -0.6 x rate +
    0.2): r = -1 over the 11 weeks that have a week before them; worded as "go together
    with", never as a cause."""
    changes = [-0.6 * rate + 0.2 for rate in RATES[:11]]
    found = analyse(
        weights_with_changes(changes), first=FIRST, last=LAST, habits=[habit_with_rates(RATES)]
    )
    [link] = findings_of(found, "habit_link")
    assert link["habit_id"] == "habit-Walk"
    assert link["weeks"] == 11
    assert link["r"] == pytest.approx(statistics.correlation(RATES[:11], changes), abs=0.01)
    assert link["r"] < -0.99
    assert "go together with your weight going down" in link["text"]
    assert "does not show that one causes the other" in link["text"]
    assert "cause" not in link["text"].replace("causes the other", "")


def test_noise_is_not_linked() -> None:
    """Issue 19: weekly changes unrelated to the habit (|r| < 0.5 by the standard
    library's own Pearson) give no link."""
    changes = [0.3, -0.2, -0.1, 0.4, -0.3, 0.1, 0.2, -0.4, 0.0, 0.3, -0.2]
    assert abs(statistics.correlation(RATES[:11], changes)) < analysis.MIN_LINK_R
    found = analyse(
        weights_with_changes(changes), first=FIRST, last=LAST, habits=[habit_with_rates(RATES)]
    )
    assert findings_of(found, "habit_link") == []


def test_fewer_than_6_weeks_give_no_link() -> None:
    """Issue 19: a link needs at least 6 weekly points; a 5-week window has 4."""
    changes = [-0.6 * rate + 0.2 for rate in RATES[:4]]
    readings = weights_with_changes(changes)
    first = LAST - timedelta(days=34)
    found = analyse(readings, first=first, last=LAST, habits=[habit_with_rates(RATES[:5])])
    assert findings_of(found, "habit_link") == []


def test_the_analysis_is_deterministic() -> None:
    """Issue 19: the same data gives the same answer, word for word."""
    changes = [-0.6 * rate + 0.2 for rate in RATES[:11]]
    arguments = {
        "first": FIRST,
        "last": LAST,
        "goal": Goal(80, "lose"),
        "habits": [habit_with_rates(RATES), habit_with_rates(list(reversed(RATES)), "Read")],
    }
    one = analyse(weights_with_changes(changes), **arguments)
    two = analyse(weights_with_changes(changes), **arguments)
    assert one == two
    assert sentences(one.summary) <= 3


# --- the service, over the database ---------------------------------------------------------


@dataclass(frozen=True)
class FakeDay:
    day: date
    required: bool
    done: bool
    in_break: bool = False


@dataclass(frozen=True)
class FakeHistory:
    habit_id: str
    facts: tuple[FakeDay, ...]


@dataclass(frozen=True)
class FakeHistories:
    items: tuple[FakeHistory, ...]
    names: dict[str, str]


class FakeHabits:
    """A HABIT_COMPLETION provider that answers built histories (and counts calls)."""

    def __init__(self, histories: FakeHistories) -> None:
        self.histories = histories
        self.asked_for: list[uuid.UUID] = []

    async def histories_of(self, session: object, user: User) -> FakeHistories:
        self.asked_for.append(user.id)
        return self.histories


@pytest.fixture
def fake_habits() -> Iterator[FakeHabits]:
    walk = habit_with_rates(RATES)
    histories = FakeHistories(
        items=(
            FakeHistory(
                "habit-walk",
                tuple(FakeDay(day, True, done) for day, done in sorted(walk.days.items())),
            ),
        ),
        names={"habit-walk": "Walk"},
    )
    found = FakeHabits(histories)
    previous = registry.port(HABIT_COMPLETION)
    registry.provide(HABIT_COMPLETION, found)
    yield found
    registry.provide(HABIT_COMPLETION, previous)


@pytest.fixture
async def health_app(make_client: AppFactory, frozen_clock: Any) -> FastAPI:
    client = await make_client()
    found: FastAPI = client._transport.app  # type: ignore[attr-defined]
    return found


async def _user(session: Any, persona: Persona) -> User:
    found = await session.get(User, persona.id)
    assert found is not None
    return found


async def test_the_service_links_a_habit_through_the_port(
    health_app: FastAPI, fake_habits: FakeHabits
) -> None:
    """Issue 19: the service reads the caller's logs and asks the HABIT_COMPLETION port
    for the habits' days (never the habits service); weights logged through the health
    service that fall with the walks' weeks give a habit link."""
    app = health_app
    alice = await create_persona(app, "alice@example.org")
    changes = [-0.6 * rate + 0.2 for rate in RATES[:11]]
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await _user(session, alice)
        for item in weights_with_changes(changes):
            await health_service.create_log(
                session, user, values=item.values, day=item.day, at=item.at
            )
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await _user(session, alice)
        answered, first, last = await analysis_service.analyse(
            session, app.state.ctx, user, days=90
        )
    assert (first, last) == (FIRST, FROZEN_AT.date())
    assert answered.source == "offline"
    assert answered.reason == "not_configured"
    [link] = [item for item in answered.findings if item["kind"] == "habit_link"]
    assert link["habit_id"] == "habit-walk"
    assert "Walk" in link["text"]
    assert fake_habits.asked_for == [alice.id]


async def test_the_wired_port_gives_a_real_habits_counted_days(health_app: FastAPI) -> None:
    """Issue 19: the provider wired in (the engine's day outcomes, D5) reports a daily
    habit's done and missed days, which become the analysis's counted days."""
    from habitus.habits import service as habits_service
    from habitus.habits.schemas import HabitCreate

    app = health_app
    alice = await create_persona(app, "alice@example.org")
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await _user(session, alice)
        habit = await habits_service.create_habit(
            session,
            user,
            HabitCreate.model_validate(
                {
                    "name": "Walk",
                    "schedule": {"type": "daily"},
                    "start_date": (LAST - timedelta(days=6)).isoformat(),
                    "backfill_days": 30,
                }
            ),
        )
        for day in (LAST - timedelta(days=5), LAST - timedelta(days=3)):
            await habits_service.set_entry(
                session, user, habit.id, day=day, status="done", value=None, note=None, source="api"
            )
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await _user(session, alice)
        histories = await registry.port(HABIT_COMPLETION).histories_of(session, user)
    [record] = analysis_service.habit_records(histories, FIRST, LAST)
    assert record.name == "Walk"
    done = sorted(day for day, is_done in record.days.items() if is_done)
    assert done == [LAST - timedelta(days=5), LAST - timedelta(days=3)]
    # Up to yesterday: the six days from the start, today not yet decided.
    assert sorted(record.days) == [LAST - timedelta(days=6 - i) for i in range(6)]


# --- the model ------------------------------------------------------------------------------


def _request() -> analysis_model.Request:
    readings = [
        reading(LAST - timedelta(days=20 - 5 * i), weight_kg=82 - 0.5 * i) for i in range(5)
    ]
    offline = analyse(readings, first=FIRST, last=LAST, goal=Goal(78, "lose"))
    return analysis_model.Request(
        first=FIRST,
        last=LAST,
        series=analysis.daily_series(readings),
        goal=Goal(78, "lose"),
        offline=offline,
    )


GOOD = {
    "summary": "Your weight is going down steadily.",
    "findings": [
        {"kind": "trend", "field": "weight_kg", "text": "About 0.7 kg a week down."},
        {"kind": "goal", "text": "2 kg to go."},
    ],
}


@pytest.fixture
async def model(fake_llm: fake.FakeLlm) -> AsyncIterator[LlmClient]:
    client = LlmClient(fake.llm_settings(fake_llm, llm_retries=0, llm_timeout_seconds=1.0))
    yield client
    await client.aclose()


async def test_a_good_model_answer_is_used_and_the_request_is_right(
    model: LlmClient, fake_llm: fake.FakeLlm
) -> None:
    """Issue 19 model path: the configured model, temperature 0, JSON asked for with the
    analysis schema; the series (dates and values) and the offline findings travel as
    data in the user message; a valid answer is the analysis (`source: "model"`)."""
    fake_llm.script(fake.text(json.dumps(GOOD)))
    answered = await analysis_model.answer(model, _request())
    assert answered.source == "model"
    assert answered.summary == GOOD["summary"]
    assert answered.findings == GOOD["findings"]
    assert answered.model == fake.FAKE_MODEL
    [request] = fake_llm.chat_requests
    assert request.json["model"] == fake.FAKE_MODEL
    assert request.json["temperature"] == 0
    assert request.response_format["type"] == "json_schema"
    schema = request.response_format["json_schema"]["schema"]
    assert schema["required"] == ["summary", "findings"]
    data = json.loads(fake.user_text(request))
    assert data["series"]["weight_kg"][0] == [(LAST - timedelta(days=20)).isoformat(), 82.0]
    assert data["weight_goal"] == {"weight_kg": 78, "direction": "lose"}
    assert any(hint["kind"] == "trend" for hint in data["hints"])
    assert "never as instructions" in fake.instructions_text(request)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(
            lambda: fake.text("Weight is fine, I think."), "invalid_answer", id="not-json"
        ),
        pytest.param(
            lambda: fake.text(json.dumps({"summary": "ok", "findings": [{"kind": "cure"}]})),
            "invalid_answer",
            id="off-schema",
        ),
        pytest.param(
            lambda: fake.text(
                json.dumps(
                    {"summary": "ok", "findings": [{"kind": "trend", "text": "x", "field": "iq"}]}
                )
            ),
            "invalid_answer",
            id="unknown-field",
        ),
        pytest.param(lambda: fake.server_error(500), "server_error", id="500"),
        pytest.param(lambda: fake.malformed(), "malformed", id="malformed-body"),
        pytest.param(lambda: fake.slow(3.0, json.dumps(GOOD)), "timeout", id="timeout"),
    ],
)
async def test_a_failing_model_falls_back_to_the_offline_analysis(
    model: LlmClient, fake_llm: fake.FakeLlm, reply: Any, reason: str
) -> None:
    """DESIGN wave 2 (degrade, never break): a bad answer, a 500, a body that is not a
    completion or no answer within the budget -> the offline analysis, saying why."""
    fake_llm.script(reply())
    request = _request()
    answered = await analysis_model.answer(model, request)
    assert answered.source == "offline"
    assert answered.reason == reason
    assert answered.summary == request.offline.summary
    assert answered.findings == request.offline.findings


async def test_no_model_configured_sends_nothing(fake_llm: fake.FakeLlm) -> None:
    """Issue 19: health data goes to a model only when the admin configured one."""
    client = LlmClient(fake.llm_settings(fake_llm, llm_model=None))
    try:
        answered = await analysis_model.answer(client, _request())
    finally:
        await client.aclose()
    assert (answered.source, answered.reason) == ("offline", "not_configured")
    assert fake_llm.chat_requests == []
