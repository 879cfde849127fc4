"""Issue 18 (D14): does the prediction model beat the baseline, honestly, and is it fast?

Synthetic users whose structure is known (seeded RNG), six habits each over two years
(three daily, one on weekdays, one every 2 days, one weekly unit):
  weekday  weekends much worse than weekdays (and one habit with its own bad weekday);
  decay    a miss makes the next miss likelier (a two-state chain per habit);
  fade     the probability falls steadily over the months;
  none     a constant probability per habit: nothing to learn beyond the rate.
Each user is trained on the first 80% of days (`learning.train`, one model per user)
and judged on the required units of the last 20%, each predicted from the facts before
its day (as the page would): Brier score and AUC of the model, of the baseline (D14.2)
and of a constant (the user's training rate). Then one model per habit instead of per
user, a few variants of the fit (C, class weights), and the times: training on 2 years
of 20 habits, predicting 50 habits.

Targets (issue 18): the model's Brier beats the baseline's on the structured users and
is at most 2% worse on `none`; training < 1 s; predicting 50 habits < 20 ms. Exit
status 1 when one is missed.

    .venv/bin/python -m bench.insights_bench [--users 10] [--reps 200] [--skip-variants]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from bench import cli, machine
from habitus.coach import learning
from habitus.coach.learning import DayFact, HabitHistory

END = date(2026, 12, 1)
DAYS = 730
TRAIN_SHARE = 0.8
SCHEDULES = ("daily", "daily", "daily", "weekdays", "every_n_days", "times_per_period")
USER_TYPES = ("weekday", "decay", "fade", "none")
STRUCTURED = ("weekday", "decay", "fade")
NO_STRUCTURE_TOLERANCE = 0.02
TRAIN_SECONDS = 1.0
PREDICT_MS = 20.0


def is_required(kind: str, day: date, start: date) -> bool:
    age = (day - start).days
    if kind == "weekdays":
        return day.weekday() < 5
    if kind == "every_n_days":
        return age % 2 == 0
    if kind == "times_per_period":
        return day.weekday() == 6  # a weekly unit ends on Sunday
    return True


def habit(user_type: str, kind: str, number: int, rng: random.Random) -> HabitHistory:
    """One habit of a user of `user_type`, two years ending the day before END."""
    start = END - timedelta(days=DAYS)
    base = rng.uniform(0.75, 0.92)
    weekend_drop = rng.uniform(0.35, 0.5)
    own_bad_day = rng.randrange(5) if number == 0 else None
    after_done, after_miss = rng.uniform(0.8, 0.92), rng.uniform(0.3, 0.45)
    fade_from, fade_to = rng.uniform(0.85, 0.95), rng.uniform(0.3, 0.45)
    constant = rng.uniform(0.5, 0.9)
    facts = []
    previous_done = True
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        required = is_required(kind, day, start)
        if user_type == "weekday":
            p = base - (weekend_drop if day.weekday() >= 5 else 0.0)
            if day.weekday() == own_bad_day:
                p -= 0.4
        elif user_type == "decay":
            p = after_done if previous_done else after_miss
        elif user_type == "fade":
            p = fade_from + (fade_to - fade_from) * offset / DAYS
        else:
            p = constant
        done = required and rng.random() < max(0.02, p)
        if required:
            previous_done = done
        facts.append(DayFact(day=day, required=required, done=done))
    return HabitHistory(f"h{number}", start, kind, "build", tuple(facts))


def user(user_type: str, seed: int) -> list[HabitHistory]:
    rng = random.Random(f"{user_type}-{seed}")
    return [habit(user_type, kind, number, rng) for number, kind in enumerate(SCHEDULES)]


def before(history: HabitHistory, split: date) -> HabitHistory:
    return replace(history, facts=tuple(fact for fact in history.facts if fact.day < split))


def test_days(history: HabitHistory, split: date) -> list[date]:
    return [fact.day for fact in history.facts if fact.day >= split and fact.counts]


@dataclass
class Scores:
    """Pooled held-out predictions of one method over a group of users."""

    labels: list[int]
    predicted: list[float]

    def brier(self) -> float:
        return float(brier_score_loss(self.labels, self.predicted))

    def auc(self) -> float:
        return float(roc_auc_score(self.labels, self.predicted))


Predictor = Callable[[HabitHistory, date], float]


def evaluate_user(habits: list[HabitHistory]) -> dict[str, tuple[list[int], list[float]]]:
    """Every method's held-out predictions for one user."""
    split = habits[0].start + timedelta(days=int(DAYS * TRAIN_SHARE))
    training = [before(history, split) for history in habits]
    model = learning.train(training)
    _, train_labels = learning.training_rows(training)
    constant = sum(train_labels) / len(train_labels)
    per_habit = {history.habit_id: learning.train([history]) for history in training}

    def by_user(history: HabitHistory, day: date) -> float:
        if model is None:
            return learning.baseline(history, day)
        return learning.predict(model, history, day)

    def by_habit(history: HabitHistory, day: date) -> float:
        own = per_habit[history.habit_id]
        if own is None:
            return learning.baseline(history, day)
        return learning.predict(own, history, day)

    methods: dict[str, Predictor] = {
        "model": by_user,
        "baseline": learning.baseline,
        "constant": lambda _history, _day: constant,
        "model per habit": by_habit,
    }
    out: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name in methods}
    for history in habits:
        labels = {fact.day: int(fact.done) for fact in history.facts}
        for day in test_days(history, split):
            for name, method in methods.items():
                out[name][0].append(labels[day])
                out[name][1].append(method(history, day))
    return out


WEIGHTINGS = ("balanced + prior correction", "balanced", "none")
# Feature sets tried with the chosen fit (C=1, balanced + prior correction): each drops
# some columns, to show what they add.
ABLATIONS: dict[str, tuple[str, ...]] = {
    "without weekday_rate": ("weekday_rate",),
    "without the weekday one-hot": learning.FEATURES[:7],
    "D14.1 list only (no weekday_rate, quit)": ("weekday_rate", "quit"),
}


def variant_fit(
    rows: np.ndarray, labels: np.ndarray, c: float, weighting: str
) -> tuple[np.ndarray, float]:
    """A fit outside `learning.train` (coefficients, intercept), to compare choices."""
    estimator = LogisticRegression(
        C=c, class_weight=None if weighting == "none" else "balanced", max_iter=1000
    )
    estimator.fit(rows, labels)
    intercept = float(estimator.intercept_[0])
    if weighting == "balanced + prior correction":
        positives = int(labels.sum())
        intercept += math.log(positives / (len(labels) - positives))
    return estimator.coef_[0], intercept


def variants(users: dict[str, list[list[HabitHistory]]]) -> dict[str, dict[str, float]]:
    """Brier per user type for C in (0.1, 1, 10) x class weighting, then for smaller
    feature sets. The rows are computed once per user, then fitted and scored with
    numpy."""
    prepared: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
    for user_type, group in users.items():
        prepared[user_type] = []
        for habits in group:
            split = habits[0].start + timedelta(days=int(DAYS * TRAIN_SHARE))
            rows, train_labels = learning.training_rows(
                [before(history, split) for history in habits]
            )
            test_rows, test_labels = [], []
            for history in habits:
                outcome = {fact.day: int(fact.done) for fact in history.facts}
                for day in test_days(history, split):
                    test_rows.append(learning.features_for(history, day))
                    test_labels.append(outcome[day])
            prepared[user_type].append(
                (
                    np.asarray(rows),
                    np.asarray(train_labels),
                    np.asarray(test_rows),
                    np.asarray(test_labels),
                )
            )
    every = tuple(range(len(learning.FEATURES)))
    choices = [
        (f"C={c:g}, {weighting}", c, weighting, every)
        for weighting in WEIGHTINGS
        for c in (0.1, 1.0, 10.0)
    ]
    for name, dropped in ABLATIONS.items():
        kept = tuple(i for i, feature in enumerate(learning.FEATURES) if feature not in dropped)
        choices.append((name, 1.0, WEIGHTINGS[0], kept))
    results: dict[str, dict[str, float]] = {}
    for name, c, weighting, kept in choices:
        columns = list(kept)
        results[name] = {}
        for user_type, group_rows in prepared.items():
            labels: list[np.ndarray] = []
            predicted: list[np.ndarray] = []
            for rows, train_labels, test_rows, test_labels in group_rows:
                weights, intercept = variant_fit(rows[:, columns], train_labels, c, weighting)
                log_odds = test_rows[:, columns] @ weights + intercept
                predicted.append(1.0 / (1.0 + np.exp(-log_odds)))
                labels.append(test_labels)
            results[name][user_type] = float(
                brier_score_loss(np.concatenate(labels), np.concatenate(predicted))
            )
    return results


def timings(reps: int) -> dict[str, float]:
    rng = random.Random("timing")
    twenty = [habit("weekday", "daily", number, rng) for number in range(20)]
    train_times = []
    for _ in range(max(3, reps // 40)):
        started = time.perf_counter()
        model = learning.train(twenty)
        train_times.append(time.perf_counter() - started)
    assert model is not None
    fifty = [habit("weekday", SCHEDULES[n % 6], n, rng) for n in range(50)]
    predict_times = []
    for _ in range(reps):
        started = time.perf_counter()
        for history in fifty:
            learning.predict(model, history, END)
        predict_times.append((time.perf_counter() - started) * 1000)
    rows, _ = learning.training_rows(twenty)
    return {
        "train 20 habits x 2 years (s)": statistics.median(train_times),
        "rows": float(len(rows)),
        "predict 50 habits (ms)": statistics.median(predict_times),
        "predict 50 habits, p95 (ms)": sorted(predict_times)[int(len(predict_times) * 0.95)],
    }


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"insights_bench: {args.users} users per type; {machine.one_line(info)}")
    users = {kind: [user(kind, seed) for seed in range(args.users)] for kind in USER_TYPES}
    table: dict[str, dict[str, dict[str, float]]] = {}
    status = 0
    print(f"\n{'user type':10} {'method':16} {'Brier':>8} {'AUC':>7}  units")
    for user_type, group in users.items():
        pooled: dict[str, Scores] = {}
        for habits in group:
            for name, (labels, predicted) in evaluate_user(habits).items():
                pooled.setdefault(name, Scores([], []))
                pooled[name].labels.extend(labels)
                pooled[name].predicted.extend(predicted)
        table[user_type] = {
            name: {"brier": scores.brier(), "auc": scores.auc(), "units": len(scores.labels)}
            for name, scores in pooled.items()
        }
        for name, figures in table[user_type].items():
            print(
                f"{user_type:10} {name:16} {figures['brier']:8.4f} {figures['auc']:7.3f}"
                f"  {figures['units']:.0f}"
            )
        model, base = table[user_type]["model"]["brier"], table[user_type]["baseline"]["brier"]
        change = (model - base) / base
        verdict = "beats" if model < base else "does not beat"
        print(f"{'':10} model {verdict} the baseline: Brier {change:+.1%}")
        if user_type in STRUCTURED and model >= base:
            print(f"TARGET MISSED: {user_type}: model {model:.4f} >= baseline {base:.4f}")
            status = 1
        if user_type not in STRUCTURED and change > NO_STRUCTURE_TOLERANCE:
            print(f"TARGET MISSED: {user_type}: model is {change:.1%} worse than the baseline")
            status = 1
    print("\nvariants (Brier on held-out days, lower is better)")
    compared = variants(users) if not args.skip_variants else {}
    for name, by_type in compared.items():
        figures = "  ".join(f"{kind} {value:.4f}" for kind, value in by_type.items())
        print(f"  {name:42} {figures}")
    times = timings(args.reps)
    print()
    for name, value in times.items():
        print(f"{name:32} {value:10.4f}")
    if times["train 20 habits x 2 years (s)"] >= TRAIN_SECONDS:
        print(f"TARGET MISSED: training took {times['train 20 habits x 2 years (s)']:.3f} s")
        status = 1
    if times["predict 50 habits (ms)"] >= PREDICT_MS:
        print(f"TARGET MISSED: predicting took {times['predict 50 habits (ms)']:.2f} ms")
        status = 1
    args.results = {"machine": info, "scores": table, "variants": compared, "times": times}
    return status


def main() -> int:
    parser = cli.parser(__doc__, reps=200, warmup=0)
    parser.add_argument("--users", type=int, default=10, help="synthetic users per type")
    parser.add_argument("--skip-variants", action="store_true")
    args = parser.parse_args()
    return cli.run(main_async, args)


if __name__ == "__main__":
    sys.exit(main())
