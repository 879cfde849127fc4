"""D14: the probability that a habit's next required unit is done, and why, in words.

Pure: histories in, numbers and sentences out; no database, no clock, no I/O. The
training job, storage and the page are built on top of this module.

- One logistic regression per user, over all of the user's habits (schedule kind and
  polarity are features). bench/insights_bench.py compares it with one model per habit;
  see bench/README.md for the figures and the reason for the choice.
- The model is plain data: its feature list, version, coefficients, intercept and the
  training means of the features (to explain a prediction against an average day). It
  goes to JSON and back; never pickle. Prediction is a dot product and a sigmoid in
  plain Python, so the web process never imports scikit-learn (which is imported
  lazily, only when training).
- Class weights are "balanced", so a user who does 90% of their habits still teaches
  the model what a miss looks like. Balancing trains as if half the units were missed,
  which would push every probability towards 0.5 and ruin the calibration of "82%
  likely"; the intercept is therefore shifted back by the log of the real odds (the
  standard prior correction for reweighted logistic regression), which restores the
  base rate while keeping the weights learnt with balanced classes.
- With fewer than MIN_SAMPLES labelled units or a single class there is no model, and
  the caller uses `baseline` (D14.2), labelled as such (`forecast` does both).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from habitus.coach.learning_features import (
    FEATURES,
    WEEKDAY_FEATURES,
    WEEKDAY_NAMES,
    DayFact,
    HabitHistory,
    Recent,
    features_for,
    recent,
    smoothed,
    training_rows,
    weekday_and_overall,
)

__all__ = [
    "FEATURES",
    "MIN_SAMPLES",
    "MODEL_VERSION",
    "DayFact",
    "Explanation",
    "Forecast",
    "HabitHistory",
    "Model",
    "baseline",
    "explain",
    "features_for",
    "fit_estimator",
    "forecast",
    "predict",
    "train",
    "training_rows",
]

MODEL_VERSION = 1
MIN_SAMPLES = 30
# Inverse regularisation strength. Features are all in [0, 1]; at 1.0 a few hundred
# units are enough for the data to outweigh the penalty, while 30 units of one habit
# cannot produce extreme weights. The bench tried 0.1 and 10 (see bench/README.md).
C = 1.0
MAX_ITERATIONS = 1000
# A factor whose contribution is smaller than this (in log-odds) is not worth a sentence.
MIN_EXPLAINED_WEIGHT = 0.05
# The baseline names a weekday when its rate differs from the overall one by this much.
MIN_WEEKDAY_GAP = 0.1
MAX_EXPLANATIONS = 2


@dataclass(frozen=True, slots=True)
class Model:
    """A trained model as plain data (D14.2: stored as coefficients, never pickled)."""

    version: int
    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    samples: int
    positives: int
    trained_at: datetime | None = None
    # The mean of each feature over the training rows: the "average day" a prediction is
    # explained against. Empty: explained against zero.
    means: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": list(self.features),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "means": list(self.means),
            "samples": self.samples,
            "positives": self.positives,
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> Model:
        """The model back from `to_json`; ValueError for anything this code cannot use
        (another version or feature list: a model trained by older code is retrained,
        never misread)."""
        if not isinstance(data, dict):
            raise ValueError("a model must be a JSON object")
        if data.get("version") != MODEL_VERSION:
            raise ValueError(
                f"model version {data.get('version')!r} is not {MODEL_VERSION}: retrain"
            )
        if data.get("features") != list(FEATURES):
            raise ValueError("the model's feature list differs from this code's: retrain")
        coefficients = _numbers(data.get("coefficients"), "coefficients")
        means = _numbers(data.get("means", []), "means")
        if len(coefficients) != len(FEATURES) or len(means) not in (0, len(FEATURES)):
            raise ValueError("one coefficient (and mean) per feature is expected")
        intercept = _numbers([data.get("intercept")], "intercept")[0]
        samples, positives = data.get("samples"), data.get("positives")
        if not isinstance(samples, int) or not isinstance(positives, int):
            raise ValueError("samples and positives must be integers")
        trained_at = data.get("trained_at")
        try:
            when = datetime.fromisoformat(trained_at) if trained_at is not None else None
        except (TypeError, ValueError) as error:
            raise ValueError(f"trained_at is not an ISO date-time: {trained_at!r}") from error
        return cls(
            version=MODEL_VERSION,
            features=FEATURES,
            coefficients=coefficients,
            intercept=intercept,
            samples=samples,
            positives=positives,
            trained_at=when,
            means=means,
        )


def _numbers(values: Any, name: str) -> tuple[float, ...]:
    if not isinstance(values, list) or not all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in values
    ):
        raise ValueError(f"{name} must be a list of numbers")
    numbers = tuple(float(value) for value in values)
    if not all(math.isfinite(number) for number in numbers):
        raise ValueError(f"{name} must be finite")
    return numbers


def fit_estimator(rows: Sequence[Sequence[float]], labels: Sequence[int]) -> Any:
    """A fitted scikit-learn LogisticRegression whose intercept carries the prior
    correction (see the module docstring). Needs both classes in `labels`."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    y = np.asarray(labels, dtype=np.int64)
    estimator = LogisticRegression(
        C=C, class_weight="balanced", solver="lbfgs", max_iter=MAX_ITERATIONS
    )
    estimator.fit(np.asarray(rows, dtype=np.float64), y)
    positives = int(y.sum())
    # Balanced weights fit log-odds as if positives == negatives; add back the real odds.
    estimator.intercept_ = estimator.intercept_ + math.log(positives / (len(y) - positives))
    return estimator


def train(histories: Sequence[HabitHistory], *, now: datetime | None = None) -> Model | None:
    """D14.1/D14.2: one model over all the given habits (one user's), or None with fewer
    than MIN_SAMPLES labelled units or a single class (the caller uses the baseline)."""
    rows, labels = training_rows(histories)
    positives = sum(labels)
    if len(labels) < MIN_SAMPLES or positives in (0, len(labels)):
        return None
    estimator = fit_estimator(rows, labels)
    columns = len(FEATURES)
    means = tuple(sum(row[column] for row in rows) / len(rows) for column in range(columns))
    return Model(
        version=MODEL_VERSION,
        features=FEATURES,
        coefficients=tuple(float(weight) for weight in estimator.coef_[0]),
        intercept=float(estimator.intercept_[0]),
        samples=len(labels),
        positives=positives,
        trained_at=now,
        means=means,
    )


def _sigmoid(log_odds: float) -> float:
    if log_odds >= 0:
        return 1.0 / (1.0 + math.exp(-log_odds))
    odds = math.exp(log_odds)
    return odds / (1.0 + odds)


def predict(model: Model, history: HabitHistory, day: date) -> float:
    """D14.1: the probability that the unit on `day` is done (plain Python, no sklearn)."""
    if model.features != FEATURES:
        raise ValueError("the model's feature list differs from this code's: retrain")
    values = features_for(history, day)
    log_odds = model.intercept + math.fsum(
        weight * value for weight, value in zip(model.coefficients, values, strict=True)
    )
    return _sigmoid(log_odds)


def baseline(history: HabitHistory, day: date) -> float:
    """D14.2: the smoothed completion rate for `day`'s weekday over the 30 days before it,
    (done + 1) / (required + 2); the overall 30-day rate, smoothed the same way, when that
    weekday had no required unit (0.5 with no unit at all)."""
    (weekday_done, weekday_required), (overall_done, overall_required) = weekday_and_overall(
        history, day
    )
    if weekday_required:
        return smoothed(weekday_done, weekday_required)
    return smoothed(overall_done, overall_required)


@dataclass(frozen=True, slots=True)
class Explanation:
    """One factor in plain words. `weight` is signed (positive: makes it likelier): the
    factor's contribution in log-odds for a model, the gap between the weekday's rate and
    the overall rate (or the overall rate's distance from even) for the baseline."""

    text: str
    weight: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """What the page shows for one habit (D14.2: `source` says whether a model spoke)."""

    probability: float
    source: Literal["model", "baseline"]
    explanations: tuple[Explanation, ...]


def forecast(model: Model | None, history: HabitHistory, day: date) -> Forecast:
    """The model's prediction when there is one, else the baseline, with its words."""
    words = tuple(explain(model, history, day))
    if model is None:
        return Forecast(baseline(history, day), "baseline", words)
    return Forecast(predict(model, history, day), "model", words)


# ----------------------------------------------------------------------------- words
#
# Short and kind: a sentence says what happened or what tends to happen, never what the
# user failed to do ("Saturdays are usually harder", not "you fail on Saturdays").

_GROUPS: dict[str, tuple[str, ...]] = {
    "weekday": (*WEEKDAY_FEATURES, "weekday_rate"),
    "run": ("streak", "days_since_done"),
    "recent": ("rate_7", "rate_30"),
    "age": ("age",),
}


def _units(history: HabitHistory) -> str:
    return "days" if history.schedule_kind in ("daily", "weekdays") else "times"


def _weekday_text(day: date, positive: bool) -> str:
    name = WEEKDAY_NAMES[day.weekday()]
    return f"{name}s usually go well" if positive else f"{name}s are usually harder"


def _run_text(history: HabitHistory, seen: Recent, positive: bool) -> str | None:
    if seen.streak >= 2 and positive:
        count = f"{seen.streak}+" if seen.streak >= 30 else str(seen.streak)
        if history.polarity == "quit":
            return f"you have stayed clear {count} {_units(history)} in a row"
        return f"you have done it {count} {_units(history)} in a row"
    if seen.misses_in_a_row >= 2 and not positive:
        return f"it slipped the last {seen.misses_in_a_row} times"
    if seen.misses_in_a_row == 1 and not positive:
        return "it slipped last time: one day does not undo a habit"
    if seen.streak == 1 and positive:
        return "it went well last time"
    return None


def _recent_text(seen: Recent, positive: bool, above_usual: bool) -> str | None:
    # Said only when the data and the direction agree: with correlated features a weight
    # can come out backwards, and "the last weeks were harder" after 28 of 30 is wrong.
    done, required = seen.long
    if not required or positive != above_usual:
        return None
    if positive:
        return f"you did it {done} of the last {required} times"
    return f"the last few weeks were harder ({done} of {required})"


def _age_text(positive: bool, older_than_usual: bool) -> str:
    if older_than_usual:
        return "a well-settled habit" if positive else "it has been harder over the months"
    return "a fresh start often goes well" if positive else "a new habit is still settling in"


def _text(
    group: str,
    history: HabitHistory,
    day: date,
    seen: Recent,
    weight: float,
    above_usual: dict[str, bool],
) -> str | None:
    positive = weight > 0
    if group == "weekday":
        return _weekday_text(day, positive)
    if group == "run":
        return _run_text(history, seen, positive)
    if group == "recent":
        return _recent_text(seen, positive, above_usual["rate_30"])
    return _age_text(positive, above_usual["age"])


def explain(model: Model | None, history: HabitHistory, day: date) -> list[Explanation]:
    """Up to two of the strongest factors behind the prediction for `day`, in words,
    strongest first. For a model: each factor's contribution, weight x (value - training
    mean), summed over the features it is made of (schedule kind and polarity are left
    out: they are the habit's settings, not something that happened). For the baseline:
    the weekday's rate against the overall 30-day rate."""
    if model is None:
        return _explain_baseline(history, day)
    values = features_for(history, day)
    means = model.means or (0.0,) * len(FEATURES)
    contribution = {
        name: weight * (value - mean)
        for name, weight, value, mean in zip(
            FEATURES, model.coefficients, values, means, strict=True
        )
    }
    above_usual = {
        name: value > mean for name, value, mean in zip(FEATURES, values, means, strict=True)
    }
    seen = recent(history, day)
    factors: list[Explanation] = []
    for group, names in _GROUPS.items():
        weight = math.fsum(contribution[name] for name in names)
        if abs(weight) < MIN_EXPLAINED_WEIGHT:
            continue
        text = _text(group, history, day, seen, weight, above_usual)
        if text:
            factors.append(Explanation(text=text, weight=weight))
    factors.sort(key=lambda factor: -abs(factor.weight))
    return factors[:MAX_EXPLANATIONS]


def _explain_baseline(history: HabitHistory, day: date) -> list[Explanation]:
    (weekday_done, weekday_required), (overall_done, overall_required) = weekday_and_overall(
        history, day
    )
    factors: list[Explanation] = []
    overall = smoothed(overall_done, overall_required)
    if weekday_required:
        gap = smoothed(weekday_done, weekday_required) - overall
        if abs(gap) >= MIN_WEEKDAY_GAP:
            factors.append(Explanation(_weekday_text(day, gap > 0), gap))
    if overall_required:
        factors.append(
            Explanation(
                f"you did it {overall_done} of the last {overall_required} times",
                overall - 0.5,
            )
        )
    return factors[:MAX_EXPLANATIONS]
