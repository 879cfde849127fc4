"""How the Today page is laid out for this browser: cards or a compact list, the order,
and what happens to completed habits.

Kept in a cookie (`habitus_today`), not in the account: it is a view preference of one
device (a phone wants the compact list, a desktop the cards), and the server reads it
so the page is drawn right the first time, with or without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from habitus.errors import ValidationFailed

if TYPE_CHECKING:
    from habitus.habits.today_views import Card

COOKIE = "habitus_today"
LAYOUTS = {"cards": "Cards", "compact": "Compact list"}
SORTS = {"yours": "Your order", "name": "Name", "streak": "Longest streak first"}
COMPLETED = {"show": "Where they are", "last": "At the end", "hide": "Hidden"}
CHOICES = {"layout": LAYOUTS, "sort": SORTS, "completed": COMPLETED}

C = TypeVar("C", bound="Card")


@dataclass(frozen=True, slots=True)
class ViewPrefs:
    layout: str = "cards"
    sort: str = "yours"
    completed: str = "show"

    @property
    def compact(self) -> bool:
        return self.layout == "compact"

    @property
    def summary(self) -> str:
        """ "Compact list · by name · completed last": what the toolbar's summary says."""
        parts = [LAYOUTS[self.layout]]
        if self.sort != "yours":
            parts.append(f"by {'name' if self.sort == 'name' else 'streak'}")
        if self.completed != "show":
            parts.append("completed " + ("last" if self.completed == "last" else "hidden"))
        return " · ".join(parts)

    @property
    def cookie_value(self) -> str:
        return f"{self.layout}.{self.sort}.{self.completed}"

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_PREFS

    def arrange(self, cards: Sequence[C]) -> list[C]:
        """The cards in the chosen order; completed ones last when asked (stable)."""
        ordered = list(cards)
        if self.sort == "name":
            ordered.sort(key=lambda card: card.name.casefold())
        elif self.sort == "streak":
            ordered.sort(key=lambda card: -card.streak)
        if self.completed == "last":
            ordered.sort(key=lambda card: card.done)
        return ordered


DEFAULT_PREFS = ViewPrefs()


def from_cookie(text: str | None) -> ViewPrefs:
    """A cookie that does not parse (an old or edited one) is the default view."""
    parts = (text or "").split(".")
    if len(parts) != 3:
        return DEFAULT_PREFS
    layout, sort, completed = parts
    if layout not in LAYOUTS or sort not in SORTS or completed not in COMPLETED:
        return DEFAULT_PREFS
    return ViewPrefs(layout, sort, completed)


def from_query(query: Mapping[str, str], current: ViewPrefs) -> ViewPrefs | None:
    """The toolbar's choice (GET /today?layout=...&sort=...&completed=...), or None when
    the query has none of them. A value that is not one of the choices is a 422 naming it."""
    if not any(name in query for name in ("layout", "sort", "completed")):
        return None
    chosen = {}
    for name, allowed in CHOICES.items():
        value = query.get(name, getattr(current, name))
        if value not in allowed:
            raise ValidationFailed.field(name, f"must be one of: {', '.join(allowed)}", "choice")
        chosen[name] = value
    return ViewPrefs(**chosen)
