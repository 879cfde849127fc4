"""The offline coach (D13, issue 17): what answers when no model is configured or it fails.

Pure and fast: no database, no network, no I/O, the same plan for the same input.

- `classify` finds the goal's category with a keyword/phrase score (simple stemming, no
  embeddings) and its kind from the goal's words ("stop", "less" -> quit; "start",
  "every day" -> build; "stop skipping the gym" -> build), else the category's polarity.
- `plan` lays out the days: the user's reason on day 1 and every 7th day (with the weekly
  look-back), their obstacle on days 2, 9, 16 ..., a look back on the last day, and the
  other slots filled from the category's tiers so difficulty ramps from the first day to
  the last whatever the plan's length. Numbered variants ("Read 12 pages") and, last,
  day-numbered tasks guarantee that no two tasks are alike (D13.2), even in 66 days.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from habitus.coach.library import BY_ID, CATEGORIES, FILLERS, GENERAL
from habitus.coach.library.shape import TIERS, Category, Ramp, Role
from habitus.coach.plan_rules import (
    DEFAULT_DAYS,
    KINDS,
    MAX_DAYS,
    MAX_HABIT_NAME_CHARS,
    MAX_TASK_CHARS,
    MIN_DAYS,
    Answer,
    DraftPlan,
    Kind,
    clean_text,
    normalise_task,
)

# How much of the user's text a task quotes, so that the task stays <= 120 characters.
QUOTE_CHARS = 50
# Only the start of a goal is read for its category and kind: a real goal is a sentence,
# and a 10k-character paste must not cost more than a normal one.
GOAL_CHARS = 500
WHEN_CHARS = 40
# A phrase names the topic more surely than a single word.
WORD_SCORE = 2
PHRASE_SCORE = 3

TaskRole = Literal["library", "motivation", "obstacle", "review", "filler"]


@dataclass(frozen=True, slots=True)
class Classification:
    kind: Kind
    questions: tuple[str, ...]
    category: str


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """One task with why it is there: `tier` (0 easiest .. 4 hardest) for library tasks,
    None for the tasks built from the user's answers."""

    text: str
    role: TaskRole
    tier: int | None


# --- words ---------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_UNDOUBLE_EXCEPT = frozenset("lsz")


def stem(word: str) -> str:
    """A crude English stem, the same for a keyword and a goal's word: "smoking",
    "smokes" and "smoke" all give "smok"; "running" gives "run"; "studies" gives "study"."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in _UNDOUBLE_EXCEPT:
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _stems(text: str) -> list[str]:
    folded = text.casefold().replace("'", "").replace("\u2019", "")
    return [stem(word) for word in _WORD.findall(folded)]


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(_stems(text))


def _find(tokens: Sequence[str], phrase: tuple[str, ...], start: int) -> bool:
    return tuple(tokens[start : start + len(phrase)]) == phrase


# --- categories ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Matcher:
    category: Category
    words: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]

    def score(self, tokens: Sequence[str]) -> int:
        total = WORD_SCORE * sum(1 for token in tokens if token in self.words)
        for phrase in self.phrases:
            total += PHRASE_SCORE * sum(1 for i in range(len(tokens)) if _find(tokens, phrase, i))
        return total


_MATCHERS = tuple(
    _Matcher(
        category=category,
        words=frozenset(stem(word) for word in category.keywords),
        phrases=tuple(p for p in (_phrase(text) for text in category.phrases) if p),
    )
    for category in CATEGORIES
    if category is not GENERAL
)


def categories() -> list[str]:
    """The category ids, the fallback ("general") last."""
    return [category.id for category in CATEGORIES]


def _category_of(goal: str) -> Category:
    tokens = _stems(goal[:GOAL_CHARS])
    best, best_score = GENERAL, 0
    for matcher in _MATCHERS:  # ties: the earlier category wins
        score = matcher.score(tokens)
        if score > best_score:
            best, best_score = matcher.category, score
    return best


# --- build or quit -------------------------------------------------------------------


def _cues(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(_phrase(cue) for cue in text.split(","))


QUIT_CUES = _cues(
    "stop, quit, less, no more, cut down, cut back, cut out, give up, avoid, never, reduce,"
    " limit, kick, get rid of, ditch, fewer, no longer, too much, too many, so much, wean,"
    " addicted, addiction, stay away, resist, curb, without, free, break the habit, no"
)
BUILD_CUES = _cues(
    "start, more, every day, everyday, daily, learn, begin, build, get into, take up,"
    " practice, practise, keep up, regular, regularly, each day, habit of, improve,"
    " increase, make time, try, consistent, consistently, routine, get better, enough,"
    " back into, again"
)
# Stopping one of these is doing the habit: "stop skipping the gym" is a build goal.
NEGLECT = _cues(
    "skip, miss, procrastinate, procrastination, forget, neglect, put off, lazy, slack,"
    " avoid, ignore, sit, give up on, quit on, make excuse, excuse"
)
# "I never exercise" describes today, it is not a wish to stop.
_SUBJECTS = frozenset({"i", "we", "you"})
NEGLECT_WINDOW = 3


def _longest_cue(tokens: Sequence[str], at: int, cues: Sequence[tuple[str, ...]]) -> int:
    """The length of the longest cue starting at `at` (0: none)."""
    return max((len(cue) for cue in cues if _find(tokens, cue, at)), default=0)


def _neglect_follows(tokens: Sequence[str], start: int) -> bool:
    return any(
        _longest_cue(tokens, i, NEGLECT) > 0
        for i in range(start, min(len(tokens), start + NEGLECT_WINDOW))
    )


def goal_kind(goal: str, fallback: Kind) -> Kind:
    """build or quit from the goal's words; `fallback` (the category's polarity) on a tie."""
    tokens = _stems(goal[:GOAL_CHARS])
    quit_votes = build_votes = 0
    i = 0
    while i < len(tokens):
        quit_length = _longest_cue(tokens, i, QUIT_CUES)
        build_length = _longest_cue(tokens, i, BUILD_CUES)
        if quit_length >= build_length and quit_length > 0:
            if tokens[i] == "never" and i > 0 and tokens[i - 1] in _SUBJECTS:
                pass
            elif _neglect_follows(tokens, i + quit_length):
                build_votes += 2
            else:
                quit_votes += 1
            i += quit_length
        elif build_length > 0:
            build_votes += 1
            i += build_length
        else:
            i += 1
    if quit_votes == build_votes:
        return fallback
    return "quit" if quit_votes > build_votes else "build"


def classify(goal: str) -> Classification:
    """D13.1: the goal's kind, the category's 3-5 questions, and the category id."""
    category = _category_of(goal)
    kind = goal_kind(goal, category.polarity)
    questions = tuple(question.text for question in category.questions_for(kind))
    return Classification(kind=kind, questions=questions, category=category.id)


# --- the user's answers --------------------------------------------------------------

_QUOTES = str.maketrans("", "", '"\u201c\u201d{}')
_KNOWN_ROLES: dict[str, Role] = {
    normalise_task(question.text): question.role
    for category in CATEGORIES
    for question in (*category.questions, *(category.quit_questions or ()))
}
_ROLE_WORDS: tuple[tuple[Role, tuple[str, ...]], ...] = (
    ("obstacle", ("obstacle", "get in the way", "stop", "trigger", "hard", "pull", "craving")),
    ("motivation", ("why", "reason", "matter", "motivat", "hope", "give you", "rather")),
    ("when", ("when", "where", "what time", "time of day")),
    ("level", ("how much", "how many", "how often", "now", "typical")),
)


def _printable(text: str) -> str:
    """User text without control or format characters (newlines become spaces first)."""
    spaced = clean_text(text)
    return "".join(ch for ch in spaced if unicodedata.category(ch)[0] != "C")


def quote(text: str, limit: int = QUOTE_CHARS) -> str | None:
    """The user's words as a task may quote them: trimmed, one line, at most `limit`
    characters (cut at a word, with an ellipsis); None when nothing is left."""
    cleaned = clean_text(_printable(text).translate(_QUOTES))
    if not cleaned:
        return None
    if len(cleaned) <= limit:
        return cleaned
    cut = cleaned[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "\u2026"


def _role_of(question: str) -> Role | None:
    known = _KNOWN_ROLES.get(normalise_task(question))
    if known is not None:
        return known
    folded = question.casefold()
    for role, hints in _ROLE_WORDS:
        if any(hint in folded for hint in hints):
            return role
    return None


def answers_by_role(answers: Sequence[Answer]) -> dict[Role, str]:
    """Which answer says what: by the question it answers (ours, or a model's by its
    words), else by order (reason, obstacle, when, level). Empty answers are skipped."""
    found: dict[Role, str] = {}
    unplaced: list[str] = []
    for answer in answers:
        text = clean_text(_printable(answer.answer))
        if quote(text) is None:  # nothing left once cleaned (blank, or only quote marks)
            continue
        role = _role_of(answer.question)
        if role is None or role in found:
            unplaced.append(text)
        else:
            found[role] = text
    order: tuple[Role, ...] = ("motivation", "obstacle", "when", "level")
    for text in unplaced:
        free = next((role for role in order if role not in found), None)
        if free is None:
            break
        found[free] = text
    return found


_WHEN_OPENERS = (
    "after ", "before ", "at ", "in ", "on ", "during ", "while ", "every ",
    "each ", "around ", "right after ", "first thing", "whenever ", "when ", "by ",
)  # fmt: skip
_WHEN_WORDS = {
    "morning": "in the morning",
    "mornings": "in the morning",
    "evening": "in the evening",
    "evenings": "in the evening",
    "afternoon": "in the afternoon",
    "afternoons": "in the afternoon",
    "night": "at night",
    "nights": "at night",
    "lunch": "at lunch",
    "lunchtime": "at lunchtime",
    "bedtime": "at bedtime",
    "weekends": "at weekends",
}
_HEDGES = ("usually ", "mostly ", "probably ", "normally ", "maybe ", "i think ", "often ")
_CLOCK = re.compile(r"^\d{1,2}(?::\d{2})?\s?(?:am|pm)?\b")


def when_phrase(answer: str | None) -> str | None:
    """A "when" answer as words that fit the end of a task ("after dinner", "at 9pm"),
    or None when it does not read as a time or place (then the category's default is used)."""
    if not answer:
        return None
    text = clean_text(_printable(answer).translate(_QUOTES)).lower()
    for hedge in _HEDGES:
        text = text.removeprefix(hedge)
    text = re.split(r"[,;.!?()]| and | or | but ", text, maxsplit=1)[0].strip()
    phrase: str | None = None
    if text.startswith(_WHEN_OPENERS):
        phrase = text
    elif text.split(" ", 1)[0] in _WHEN_WORDS and " " not in text:
        phrase = _WHEN_WORDS[text]
    elif (clock := _CLOCK.match(text)) and clock.group(0).strip():
        phrase = "at " + clock.group(0).strip()
    if phrase is None or len(phrase) > WHEN_CHARS:
        return None
    return phrase


# --- tasks from the answers ----------------------------------------------------------

_REASON_FIRST = "Write your reason where you will see it every day: \u201c{q}\u201d"
_REASON_FIRST_BLANK = "Write down in one line why this matters to you and keep it in sight"
_REASON_WEEKLY = (
    "Day {d}: look back at week {w}, then reread your reason: \u201c{q}\u201d",
    "Day {d}: which task of week {w} helped most? Remember: \u201c{q}\u201d",
    "Day {d}: week {w} is done. Reread why you started: \u201c{q}\u201d",
    "Day {d}: note one win from week {w} that serves \u201c{q}\u201d",
)
_REASON_WEEKLY_BLANK = (
    "Day {d}: look back at week {w} and remind yourself why you started",
    "Day {d}: which task of week {w} helped most? Write it down",
    "Day {d}: week {w} is done. Note one win and one thing to change",
    "Day {d}: reread your reason and note how week {w} served it",
)
_OBSTACLE = {
    "build": (
        "Plan for \u201c{q}\u201d: write one if-then line to get past it",
        "Day {d}: if \u201c{q}\u201d shows up, do a two-minute version anyway",
        "Day {d}: remove one thing that feeds \u201c{q}\u201d before it starts",
        "Day {d}: ask someone to help you with \u201c{q}\u201d this week",
        "Day {d}: look at how you handled \u201c{q}\u201d and adjust your plan",
    ),
    "quit": (
        "Plan for \u201c{q}\u201d: write what you will do instead when it comes",
        "Day {d}: when \u201c{q}\u201d hits, wait ten minutes before acting",
        "Day {d}: change one thing around you that sets off \u201c{q}\u201d",
        "Day {d}: tell someone about \u201c{q}\u201d and how they can help",
        "Day {d}: review how you met \u201c{q}\u201d this week and sharpen your plan",
    ),
}
_OBSTACLE_BLANK = (
    "Name the one thing most likely to get in your way, and plan around it",
    "Day {d}: name today's biggest obstacle and one way around it",
    "Day {d}: remove one small thing that made this week harder",
    "Day {d}: ask someone to help with the hardest part of your plan",
    "Day {d}: look at what tripped you up lately and adjust your plan",
)
_FINALE = "Day {d}: compare today with where you began (\u201c{q}\u201d) and plan what is next"
_FINALE_BLANK = "Day {d}: look back at the whole plan and choose what you will keep doing"


def _render(template: str, user_text: str | None, **numbers: int) -> str:
    """A template with the user's words quoted, shortened until the task fits 120."""
    if user_text is None:
        return template.format(**numbers)
    limit = QUOTE_CHARS
    while True:
        quoted = quote(user_text, limit) or ""
        text = template.format(q=quoted, **numbers)
        if len(text) <= MAX_TASK_CHARS or limit <= 8:
            return text
        limit -= 4


# --- the library part ----------------------------------------------------------------


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).digest()
    return int.from_bytes(digest[:8], "big")


def _ramp_items(ramps: Sequence[Ramp], when: str, rng: random.Random) -> list[list[str]]:
    """Each tier's numbered tasks, ramps taking turns so one day rarely repeats a ramp."""
    per_tier: list[list[list[str]]] = [[] for _ in range(TIERS)]
    order = list(ramps)
    rng.shuffle(order)
    for ramp in order:
        buckets: list[list[str]] = [[] for _ in range(TIERS)]
        for index, value in enumerate(ramp.values):
            tier = index * TIERS // len(ramp.values)
            buckets[tier].append(ramp.template.format(n=value, when=when))
        for tier in range(TIERS):
            per_tier[tier].append(buckets[tier])
    result: list[list[str]] = []
    for groups in per_tier:
        merged: list[str] = []
        for index in range(max((len(group) for group in groups), default=0)):
            merged.extend(group[index] for group in groups if index < len(group))
        result.append(merged)
    return result


def _spread(first: list[str], second: list[str]) -> list[str]:
    """Both lists merged, each keeping its order, the second spread evenly through the first."""
    merged: list[str] = []
    i = j = 0
    while i < len(first) or j < len(second):
        if j >= len(second) or (i < len(first) and i * len(second) <= j * len(first)):
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged


def _tier_queues(
    category: Category, kind: Kind, when: str, needs: Sequence[int], rng: random.Random
) -> list[list[str]]:
    """For each tier, its tasks in the order they will be used: curated tasks first for a
    short plan; for a long one, numbered variants spread among them."""
    ramps = _ramp_items(category.ramps_for(kind), when, rng)
    queues: list[list[str]] = []
    for tier, fixed_tasks in enumerate(category.tiers_for(kind)):
        fixed = [task.format(when=when) for task in fixed_tasks]
        rng.shuffle(fixed)
        need = needs[tier]
        if need <= len(fixed):
            queues.append(fixed + ramps[tier])
        else:
            extra = need - len(fixed)
            queues.append(_spread(fixed, ramps[tier][:extra]) + ramps[tier][extra:])
    return queues


def _nearest_tiers(tier: int) -> list[int]:
    """The tier itself, then the next harder, the next easier, and so on outwards."""
    order = [tier]
    for step in range(1, TIERS):
        order.extend(t for t in (tier + step, tier - step) if 0 <= t < TIERS)
    return order


# --- the plan ------------------------------------------------------------------------


def _framing(
    day: int, days: int, kind: Kind, said: dict[Role, str]
) -> tuple[list[PlannedTask], list[PlannedTask]]:
    """The tasks made from the answers on `day`: (first in the day, last in the day)."""
    first: list[PlannedTask] = []
    last: list[PlannedTask] = []
    reason, obstacle, level = said.get("motivation"), said.get("obstacle"), said.get("level")
    week = day // 7
    if day == 1:
        text = _render(_REASON_FIRST, reason) if reason else _REASON_FIRST_BLANK
        first.append(PlannedTask(text, "motivation", None))
    elif day % 7 == 0:
        weekly = _REASON_WEEKLY if reason else _REASON_WEEKLY_BLANK
        template = weekly[(week - 1) % len(weekly)]
        first.append(PlannedTask(_render(template, reason, d=day, w=week), "motivation", None))
    elif day % 7 == 2:
        # The first names the obstacle; later ones cycle through ways of meeting it.
        plans = _OBSTACLE[kind] if obstacle else _OBSTACLE_BLANK
        template = plans[0] if day == 2 else plans[1 + (week - 1) % (len(plans) - 1)]
        first.append(PlannedTask(_render(template, obstacle, d=day), "obstacle", None))
    if day == days:
        text = _render(_FINALE, level, d=day) if level else _FINALE_BLANK.format(d=day)
        last.append(PlannedTask(text, "review", None))
    return first, last


def _check_arguments(kind: str, days: int) -> None:
    if kind not in KINDS:
        raise ValueError(f'kind must be "build" or "quit", not {kind!r}')
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a plan has {MIN_DAYS}..{MAX_DAYS} days, not {days}")


def planned_days(
    goal: str, kind: Kind, answers: Sequence[Answer], days: int = DEFAULT_DAYS
) -> tuple[tuple[PlannedTask, ...], ...]:
    """The plan with each task's role and tier (what `plan` returns, explained)."""
    _check_arguments(kind, days)
    category = _category_of(goal)
    said = answers_by_role(answers)
    when = when_phrase(said.get("when")) or category.default_when
    rng = _rng(goal, category, kind)

    framing = [_framing(day, days, kind, said) for day in range(1, days + 1)]
    open_slots = [3 - len(first) - len(last) for first, last in framing]
    total = sum(open_slots)
    targets = [min(TIERS - 1, slot * TIERS // total) for slot in range(total)]
    needs = [targets.count(tier) for tier in range(TIERS)]
    queues = _tier_queues(category, kind, when, needs, rng)

    used = {normalise_task(task.text) for first, last in framing for task in (*first, *last)}
    fillers = 0
    slot = 0
    plan_days: list[tuple[PlannedTask, ...]] = []
    for day, (first, last) in enumerate(framing, start=1):
        middle: list[PlannedTask] = []
        for _ in range(open_slots[day - 1]):
            task = _next_library_task(queues, targets[slot], used)
            if task is None:
                task = _next_filler(day, category.noun, targets[slot], used, fillers)
                fillers += 1
            used.add(normalise_task(task.text))
            middle.append(task)
            slot += 1
        plan_days.append((*first, *middle, *last))
    return tuple(plan_days)


def _rng(goal: str, category: Category, kind: Kind) -> random.Random:
    """The goal's own shuffle: stable across runs, different between goals."""
    return random.Random(_seed(normalise_task(goal), category.id, kind))


def task_pool(goal: str, kind: Kind, answers: Sequence[Answer]) -> tuple[PlannedTask, ...]:
    """Every library task the goal's category offers (all curated tasks and every numbered
    variant), easiest tier first, distinct, worded with the user's "when": what a
    "regenerate this day" may draw on beyond the tasks a 66-day plan uses."""
    _check_arguments(kind, MAX_DAYS)
    category = _category_of(goal)
    when = when_phrase(answers_by_role(answers).get("when")) or category.default_when
    unlimited = [MAX_DAYS * 3] * TIERS
    queues = _tier_queues(category, kind, when, unlimited, _rng(goal, category, kind))
    seen: set[str] = set()
    pool: list[PlannedTask] = []
    for tier, queue in enumerate(queues):
        for text in queue:
            key = normalise_task(text)
            if len(text) <= MAX_TASK_CHARS and key not in seen:
                seen.add(key)
                pool.append(PlannedTask(text, "library", tier))
    return tuple(pool)


def _next_library_task(queues: list[list[str]], target: int, used: set[str]) -> PlannedTask | None:
    for tier in _nearest_tiers(target):
        queue = queues[tier]
        while queue:
            text = queue.pop(0)
            if len(text) <= MAX_TASK_CHARS and normalise_task(text) not in used:
                return PlannedTask(text, "library", tier)
    return None


def _next_filler(day: int, noun: str, tier: int, used: set[str], start: int) -> PlannedTask:
    for offset in range(len(FILLERS)):
        text = FILLERS[(start + offset) % len(FILLERS)].format(d=day, noun=noun)
        if normalise_task(text) not in used:
            return PlannedTask(text, "filler", tier)
    raise AssertionError("more fillers needed in one day than there are filler templates")


_GOAL_OPENERS = (
    "i want to ", "i would like to ", "id like to ", "i'd like to ", "i need to ",
    "i wanna ", "i will ", "i'm going to ", "im going to ", "help me ", "my goal is to ",
    "i want ", "i'd love to ", "i hope to ", "to ",
)  # fmt: skip


def habit_name(goal: str, category_id: str, kind: Kind) -> str:
    """A short name for the plan's habit: the category's, or for a general goal the goal
    itself without "I want to" (at most 60 characters)."""
    category = BY_ID.get(category_id, GENERAL)
    fallback = category.quit_name if kind == "quit" else category.build_name
    if category is not GENERAL:
        return fallback
    text = clean_text(_printable(goal))
    changed = True
    while changed:
        changed = False
        for opener in _GOAL_OPENERS:
            if text.casefold().startswith(opener):
                text, changed = text[len(opener) :].lstrip(), True
    text = text.rstrip(" .!?,;:")
    if not text:
        return fallback
    name = quote(text, MAX_HABIT_NAME_CHARS) or fallback
    return name[0].upper() + name[1:]


def plan(goal: str, kind: Kind, answers: Sequence[Answer], days: int = DEFAULT_DAYS) -> DraftPlan:
    """D13.2: a `days`-day plan of 3 tasks a day for the goal, weaving in the answers."""
    detailed = planned_days(goal, kind, answers, days)
    texts: list[tuple[str, str, str]] = []
    for tasks in detailed:
        first, second, third = (task.text for task in tasks)
        texts.append((first, second, third))
    category = _category_of(goal)
    return DraftPlan(kind=kind, days=tuple(texts), habit_name=habit_name(goal, category.id, kind))
