"""D14.1 / D14.2: the prediction core: features without leakage, training, the model as
JSON, prediction, the baseline and the words that explain a prediction.

Histories are built by hand from outcome strings, one character a day from the
habit's start: "1" done, "0" missed, "-" not required, "b" a break day (required by
the schedule but in a break). Expected values are worked out from the rules (Laplace's
(done + 1) / (required + 2), log1p(value) / log1p(cap)), not read back from the code.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habitus.coach import learning
from habitus.coach.learning import (
    FEATURES,
    MIN_SAMPLES,
    MODEL_VERSION,
    DayFact,
    HabitHistory,
    Model,
    baseline,
    explain,
    features_for,
    fit_estimator,
    forecast,
    predict,
    train,
    training_rows,
)
from habitus.coach.learning_features import SCHEDULE_KINDS

MONDAY = date(2026, 11, 2)


def history(
    outcomes: str,
    *,
    start: date = MONDAY,
    kind: str = "daily",
    polarity: str = "build",
    habit_id: str = "h1",
) -> HabitHistory:
    facts = tuple(
        DayFact(
            day=start + timedelta(days=offset),
            required=mark in "01b",
            done=mark == "1",
            in_break=mark == "b",
        )
        for offset, mark in enumerate(outcomes)
    )
    return HabitHistory(habit_id, start, kind, polarity, facts)


def value(row: list[float], name: str) -> float:
    return row[FEATURES.index(name)]


def scaled(count: int, cap: int) -> float:
    return math.log1p(count) / math.log1p(cap)


# ----------------------------------------------------------------------------- leakage

FLAGS = st.tuples(st.booleans(), st.booleans(), st.booleans())


@st.composite
def history_and_day(draw: st.DrawFn) -> tuple[HabitHistory, date]:
    start = MONDAY + timedelta(days=draw(st.integers(-400, 400)))
    flags = draw(st.lists(FLAGS, max_size=150))
    facts = tuple(
        DayFact(start + timedelta(days=offset), required, done, in_break)
        for offset, (required, done, in_break) in enumerate(flags)
    )
    made = HabitHistory(
        "h",
        start,
        draw(st.sampled_from(SCHEDULE_KINDS)),
        draw(st.sampled_from(("build", "quit"))),
        facts,
    )
    day = start + timedelta(days=draw(st.integers(-3, len(flags) + 5)))
    return made, day


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=history_and_day(), data=st.data())
def test_features_never_read_the_day_or_after(case, data):
    """D14.1 (no leakage): changing, shuffling or deleting any fact on or after day d never
    changes the features of d."""
    made, day = case
    kept = [fact for fact in made.facts if fact.day < day]
    later = [fact for fact in made.facts if fact.day >= day]
    how = data.draw(st.sampled_from(("change", "shuffle", "delete", "all")))
    if how == "change":
        later = [
            DayFact(fact.day, *data.draw(FLAGS)) if data.draw(st.booleans()) else fact
            for fact in later
        ]
    elif how == "shuffle":
        later = data.draw(st.permutations(later))
    elif how == "delete":
        later = [fact for fact in later if data.draw(st.booleans())]
    else:
        later = []
    altered = HabitHistory(
        made.habit_id, made.start, made.schedule_kind, made.polarity, (*kept, *later)
    )
    assert features_for(altered, day) == features_for(made, day)
    assert baseline(altered, day) == baseline(made, day)


@settings(max_examples=200, deadline=None)
@given(case=history_and_day())
def test_training_rows_are_the_features_of_each_labelled_day(case):
    """D14.1: the one-pass training rows equal `features_for` of each required, non-break
    day, labelled done=1 / missed=0, so training sees what prediction sees."""
    made, _day = case
    rows, labels = training_rows([made])
    labelled = [fact for fact in made.facts if fact.required and not fact.in_break]
    assert labels == [int(fact.done) for fact in labelled]
    assert rows == [features_for(made, fact.day) for fact in labelled]


def test_training_rows_agree_with_features_over_long_histories():
    """D14.1: the same over two years with long streaks and long gaps between dones, where
    the caps (streak 30, 60 days since done, a year of look-back) come into play."""
    rng = random.Random(7)
    marks = "".join(
        "1" if day < 400 else rng.choice("10-") if day < 600 else "0" for day in range(730)
    )
    for kind in ("daily", "dates"):
        made = history(marks, kind=kind)
        rows, _labels = training_rows([made])
        days = [fact.day for fact in made.facts if fact.required]
        assert rows == [features_for(made, day) for day in days]


# ----------------------------------------------------------------------------- features


def test_weekday_is_one_hot():
    """D14.1 weekday: the day's weekday alone is 1 (a Saturday here)."""
    row = features_for(history("1111"), date(2026, 11, 7))
    weekdays = [value(row, name) for name in FEATURES[:7]]
    assert weekdays == [0, 0, 0, 0, 0, 1, 0]


def test_rates_over_7_and_30_days():
    """D14.1 completion over the previous 7 and 30 days: required units only (not a "-"
    day, not a break), Laplace-smoothed. 23 misses then 5 dones, a break and a free day:
    7 days hold 5 units, all done; 30 days hold 28 units, 5 done."""
    made = history("0" * 23 + "11b-111")
    row = features_for(made, MONDAY + timedelta(days=30))
    assert value(row, "rate_7") == pytest.approx((5 + 1) / (5 + 2))
    assert value(row, "rate_30") == pytest.approx((5 + 1) / (28 + 2))


def test_rates_only_look_back_30_days():
    """D14.1: a unit 31 days back is outside the 30-day window."""
    made = history("1" + "0" * 30)
    row = features_for(made, MONDAY + timedelta(days=31))
    assert value(row, "rate_30") == pytest.approx(1 / 32)


def test_a_new_habit_gets_neutral_values():
    """D14.1: with no data, the rates are the neutral prior 0.5 and the streak, the days
    since done and the age are 0."""
    row = features_for(history(""), MONDAY)
    for name in ("rate_7", "rate_30", "weekday_rate"):
        assert value(row, name) == 0.5
    for name in ("streak", "days_since_done", "age"):
        assert value(row, name) == 0.0


def test_streak_skips_free_days_and_stops_at_a_miss():
    """D14.1 / D7.2: the current streak before the day walks back over done units, through
    non-required and break days, up to the first miss: "1 0 1 - 1 b 1" -> 3."""
    row = features_for(history("101-1b1"), MONDAY + timedelta(days=7))
    assert value(row, "streak") == pytest.approx(scaled(3, 30))


def test_streak_is_capped():
    """D14.1: a 100-day streak counts as 30 (the cap), so the value is 1."""
    row = features_for(history("1" * 100), MONDAY + timedelta(days=100))
    assert value(row, "streak") == 1.0


def test_days_since_the_last_done():
    """D14.1: days since the last done unit (4 here), 60 at most; a habit never done
    counts from its start."""
    assert value(features_for(history("1000"), MONDAY + timedelta(days=4)), "days_since_done") == (
        pytest.approx(scaled(4, 60))
    )
    assert value(
        features_for(history("000"), MONDAY + timedelta(days=3)), "days_since_done"
    ) == pytest.approx(scaled(3, 60))
    assert (
        value(features_for(history("0" * 90), MONDAY + timedelta(days=90)), "days_since_done")
        == 1.0
    )


def test_age_is_log_days_since_the_start():
    """D14.1 habit age: log1p(days since start) over log1p(10 years)."""
    row = features_for(history("1" * 100), MONDAY + timedelta(days=100))
    assert value(row, "age") == pytest.approx(scaled(100, 3650))


def test_schedule_kind_and_polarity_are_one_hot():
    """D14.1 schedule kind (and the habit's kind, build or quit): one indicator each."""
    row = features_for(history("11", kind="weekdays", polarity="quit"), MONDAY + timedelta(days=2))
    assert [value(row, f"schedule_{kind}") for kind in SCHEDULE_KINDS] == [0, 1, 0, 0, 0]
    assert value(row, "quit") == 1.0
    assert value(features_for(history("11"), MONDAY), "quit") == 0.0


def test_weekday_rate_covers_the_same_weekday_over_8_weeks():
    """D14.1 weekday: the same weekday's smoothed rate over the previous 8 weeks. Ten
    weeks of done days, except Saturdays: only the last 2 of the 8 in the window done,
    and the 9th Saturday back (done) is outside it -> (2 + 1) / (8 + 2)."""
    marks = list("1" * 70)
    saturdays = [5 + 7 * week for week in range(10)]
    for week, offset in enumerate(saturdays):
        marks[offset] = "1" if week in (0, 8, 9) else "0"
    made = history("".join(marks))
    day = MONDAY + timedelta(days=75)  # the 11th Saturday
    assert day.weekday() == 5
    assert value(features_for(made, day), "weekday_rate") == pytest.approx(0.3)


# ----------------------------------------------------------------------------- training


def saturday_skipper(weeks: int = 20, *, seed: int = 3) -> HabitHistory:
    """A daily habit whose Saturdays are always missed; other days done 90% of the time.
    Starts on a Monday, so it ends on a Sunday."""
    rng = random.Random(seed)
    marks = "".join(
        "0" if offset % 7 == 5 else ("1" if rng.random() < 0.9 else "0")
        for offset in range(7 * weeks)
    )
    return history(marks)


def test_no_model_below_30_labelled_units():
    """D14.2: 29 labelled units (both classes) give no model; 30 give one."""
    assert train([history("10" * 14 + "1--")]) is None
    assert train([history("10" * 15 + "--")]) is not None
    assert MIN_SAMPLES == 30


def test_no_model_with_a_single_class():
    """D14.2: a history of only done units (or only misses) gives no model."""
    assert train([history("1" * 200)]) is None
    assert train([history("0" * 200), history("-" * 50)]) is None


def test_saturdays_always_missed_are_predicted_and_explained():
    """D14.1: when Saturdays are always missed, a Saturday's probability is far below a
    Tuesday's, and the explanation for a Saturday names it."""
    made = saturday_skipper()
    model = train([made])
    assert model is not None
    end = made.facts[-1].day
    saturday = end + timedelta(days=6)
    tuesday = end + timedelta(days=2)
    assert (saturday.weekday(), tuesday.weekday()) == (5, 1)
    p_saturday, p_tuesday = predict(model, made, saturday), predict(model, made, tuesday)
    assert p_saturday < 0.25
    assert p_tuesday > p_saturday + 0.5
    words = explain(model, made, saturday)
    assert 1 <= len(words) <= 2
    assert "Saturday" in words[0].text
    assert words[0].weight < 0


def test_probabilities_keep_the_real_base_rate():
    """D14.1: balanced class weights must not turn a 90% habit into ~50% predictions: over
    the training days the mean probability is close to the real rate."""
    rng = random.Random(11)
    made = history("".join("1" if rng.random() < 0.9 else "0" for _ in range(300)))
    model = train([made])
    assert model is not None
    mean = sum(predict(model, made, fact.day) for fact in made.facts) / len(made.facts)
    assert mean == pytest.approx(model.positives / model.samples, abs=0.03)


def test_one_model_over_several_habits():
    """D14.1: one model per user, trained over all of the user's habits."""
    made = [saturday_skipper(seed=1), history("10" * 20, kind="weekdays", habit_id="h2")]
    model = train(made, now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
    assert model is not None
    assert model.samples == 140 + 40
    assert model.trained_at == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_predict_equals_scikit_learn():
    """D14.2: prediction from the stored coefficients in plain Python equals
    scikit-learn's predict_proba on the same rows (to 1e-9)."""
    made = saturday_skipper()
    rows, labels = training_rows([made])
    estimator = fit_estimator(rows, labels)
    model = train([made])
    assert model is not None
    days = [made.facts[0].day + timedelta(days=offset) for offset in range(0, 160, 3)]
    expected = estimator.predict_proba([features_for(made, day) for day in days])[:, 1]
    for day, probability in zip(days, expected, strict=True):
        assert predict(model, made, day) == pytest.approx(float(probability), abs=1e-9)


# ----------------------------------------------------------------------------- JSON


def test_model_round_trips_through_json():
    """D14.2: a model is stored as JSON (coefficients, never a pickle) and comes back
    equal, predicting the same."""
    made = saturday_skipper()
    model = train([made], now=datetime(2026, 12, 6, 8, 30, tzinfo=UTC))
    assert model is not None
    text = json.dumps(model.to_json())
    back = Model.from_json(json.loads(text))
    assert back == model
    day = made.facts[-1].day + timedelta(days=1)
    assert predict(back, made, day) == predict(model, made, day)


def test_a_model_of_another_version_or_feature_list_is_refused():
    """D14.2: a model stored by other code (version or features differ) raises ValueError,
    as do broken payloads; the caller retrains."""
    model = train([saturday_skipper()])
    assert model is not None
    good = model.to_json()
    broken = [
        {**good, "version": MODEL_VERSION + 1},
        {**good, "features": list(reversed(FEATURES))},
        {**good, "coefficients": good["coefficients"][:-1]},
        {**good, "coefficients": [*good["coefficients"][:-1], "x"]},
        {**good, "intercept": float("nan")},
        {**good, "trained_at": "yesterday"},
        {key: item for key, item in good.items() if key != "samples"},
        [good],
    ]
    for payload in broken:
        with pytest.raises(ValueError):  # noqa: PT011 - each payload is broken in one way
            Model.from_json(payload)


# ----------------------------------------------------------------------------- baseline


def test_baseline_is_the_smoothed_weekday_rate_over_30_days():
    """D14.2: the smoothed rate of that weekday over the 30 days before the day: of the 4
    Wednesdays in the window, 1 done -> (1 + 1) / (4 + 2). The 20 days before the window
    (all Wednesdays there done) do not count."""
    day = date(2026, 12, 30)  # a Wednesday
    start = day - timedelta(days=50)
    marks = []
    wednesdays_in_window = 0
    for offset in range(50):
        current = start + timedelta(days=offset)
        in_window = current >= day - timedelta(days=30)
        if in_window and current.weekday() == 2:
            wednesdays_in_window += 1
            marks.append("1" if wednesdays_in_window == 1 else "0")
        else:
            marks.append("1")
    assert (day.weekday(), wednesdays_in_window) == (2, 4)
    assert baseline(history("".join(marks), start=start), day) == pytest.approx(2 / 6)


def test_baseline_falls_back_to_the_overall_rate():
    """D14.2: when the weekday has no required unit in the window (a Saturday of a
    weekdays habit), the overall 30-day rate, smoothed; with no unit at all, 0.5.
    30 days from a Thursday to a Friday hold 4 full weeks + Thursday and Friday: 22
    weekdays; the first 5 of them missed, 17 done."""
    start = MONDAY + timedelta(days=3)
    marks = []
    weekdays_seen = 0
    for offset in range(30):
        if (start + timedelta(days=offset)).weekday() >= 5:
            marks.append("-")
        else:
            weekdays_seen += 1
            marks.append("0" if weekdays_seen <= 5 else "1")
    assert weekdays_seen == 22
    made = history("".join(marks), start=start, kind="weekdays")
    saturday = start + timedelta(days=30)
    assert saturday.weekday() == 5
    assert baseline(made, saturday) == pytest.approx((17 + 1) / (22 + 2))
    assert baseline(history(""), MONDAY) == 0.5


def test_baseline_explanation_names_a_weak_weekday():
    """D14.2: with no model, the words compare the weekday's rate with the overall rate."""
    made = saturday_skipper(weeks=6)
    saturday = made.facts[-1].day + timedelta(days=6)
    words = explain(None, made, saturday)
    assert "Saturday" in words[0].text
    assert words[0].weight < 0
    result = forecast(None, made, saturday)
    assert result.source == "baseline"
    assert result.probability == baseline(made, saturday)
    assert result.explanations == tuple(words)


def test_forecast_uses_the_model_when_there_is_one():
    """D14.2: with a model the forecast says so and gives the model's probability."""
    made = saturday_skipper()
    model = train([made])
    assert model is not None
    day = made.facts[-1].day + timedelta(days=1)
    result = forecast(model, made, day)
    assert result.source == "model"
    assert result.probability == predict(model, made, day)


def test_a_long_run_is_explained_in_words():
    """D14.1: a long run of done days speaks for itself ("... days in a row"); the
    explanation stays kind (no "fail")."""
    rng = random.Random(5)
    marks = "".join("1" if rng.random() < 0.6 else "0" for _ in range(150)) + "1" * 12
    made = history(marks)
    model = train([made])
    assert model is not None
    day = made.facts[-1].day + timedelta(days=1)
    words = explain(model, made, day)
    texts = " / ".join(word.text for word in words)
    assert "12 days in a row" in texts
    assert "fail" not in texts.lower()
    assert learning.MAX_EXPLANATIONS == 2


def test_words_agree_with_the_data():
    """D14.1: a sentence about the last weeks or the habit's age never contradicts the
    numbers: "harder" only when the 30-day rate is below the usual (training mean), "you
    did it x of y" only when above; "harder over the months" only for an older habit."""
    rng = random.Random(13)
    marks, previous = [], True
    for _ in range(400):  # a miss makes the next miss likelier: correlated features
        previous = rng.random() < (0.85 if previous else 0.4)
        marks.append("1" if previous else "0")
    made = history("".join(marks))
    model = train([made])
    assert model is not None
    rate, age = FEATURES.index("rate_30"), FEATURES.index("age")
    checked = 0
    for offset in range(40, 400, 3):
        day = MONDAY + timedelta(days=offset)
        row = features_for(made, day)
        for word in explain(model, made, day):
            checked += 1
            if "were harder" in word.text:
                assert row[rate] < model.means[rate]
            if word.text.startswith("you did it"):
                assert row[rate] > model.means[rate]
            if "over the months" in word.text:
                assert row[age] > model.means[age]
    assert checked > 0
