"""The offline coach's curated library: one module per category, in our own words.

The order matters: when two categories score the same for a goal, the earlier wins.
`general` comes last and is the fallback for any goal no category recognises.
"""

from habitus.coach.library import (
    diet,
    exercise,
    general,
    journaling,
    meditation,
    reading,
    screen_time,
    sleep,
    smoking,
    study,
    water,
)
from habitus.coach.library.shape import Category

CATEGORIES: tuple[Category, ...] = (
    screen_time.CATEGORY,
    smoking.CATEGORY,
    diet.CATEGORY,
    sleep.CATEGORY,
    reading.CATEGORY,
    exercise.CATEGORY,
    water.CATEGORY,
    meditation.CATEGORY,
    study.CATEGORY,
    journaling.CATEGORY,
    general.CATEGORY,
)
GENERAL = general.CATEGORY
FILLERS = general.FILLERS
BY_ID = {category.id: category for category in CATEGORIES}
