"""Onboarding: the first sign-in sets the calendar, the time of day and starter habits."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth import service
from habitus.errors import FieldError, ValidationFailed, field_errors_from_pydantic
from habitus.events.kinds import OnboardingFinished
from habitus.events.service import publish
from habitus.kit.validation import NUL_MESSAGE
from habitus.models import User
from habitus.models.user import DayPart

# Three small, daily, yes/no habits each; the user may rename or untick any of them.
STARTER_HABITS: dict[str, tuple[str, str, str]] = {
    "morning": ("Drink a glass of water", "Stretch for 5 minutes", "Plan the day"),
    "evening": ("Read 10 minutes", "Walk 20 minutes", "Write down one good thing"),
    "": ("Drink a glass of water", "Read 10 minutes", "Walk 20 minutes"),
}
STARTER_COUNT = 3


def starter_habits(day_part: str | None) -> tuple[str, str, str]:
    """The suggestions for a morning person, an evening person, or someone who did not say."""
    return STARTER_HABITS.get(day_part or "", STARTER_HABITS[""])


@dataclass(frozen=True, slots=True)
class OnboardingChoices:
    timezone: str
    day_start_hour: int
    day_part: DayPart | None
    # (row on the form, name) of each starter habit the user kept ticked.
    habits: list[tuple[int, str]]


# A habit's name as the habits feature takes it (`habits.schemas.Name`).
MAX_NAME_LENGTH = 200


async def finish(session: AsyncSession, *, user: User, choices: OnboardingChoices) -> list[str]:
    """Save the calendar and the preference, publish `OnboardingFinished` with the chosen
    starter habits (the habits feature creates them: daily, starting today in the new
    calendar) and mark onboarding done. Returns the names of the habits. Errors name the
    form's fields (`timezone`, `day_start_hour`, `day_part`, `habit_name_<i>`)."""
    from habitus.auth.schemas import UserPatch  # the same rules as PATCH /me

    errors: list[FieldError] = []
    try:
        patch = UserPatch(
            timezone=choices.timezone,
            day_start_hour=choices.day_start_hour,
            day_part=choices.day_part,
        )
    except ValidationError as error:
        errors.extend(field_errors_from_pydantic(error.errors()))
        patch = None
    names: list[str] = []
    for index, name in choices.habits:
        field = f"habit_name_{index}"
        if not name.strip():
            errors.append(FieldError(field, "needs a name (or untick it)", rule="missing"))
        elif len(name.strip()) > MAX_NAME_LENGTH:
            errors.append(FieldError(field, "is too long: at most 200 characters", rule="length"))
        elif "\x00" in name:
            errors.append(FieldError(field, NUL_MESSAGE, rule="value_error"))
        else:
            names.append(name.strip())
    if errors:
        raise ValidationFailed(errors)
    assert patch is not None
    changes = patch.changes()
    changes["day_part"] = choices.day_part
    await service.update_profile(session, user=user, changes=changes)
    await publish(session, user, [OnboardingFinished(starter_habits=tuple(names))])
    await service.mark_onboarded(session, user=user)
    return names
