"""Issue 12 item 4: one form-error helper (`kit/forms.py`) for every page: a pydantic
`ValidationError`, an `AppError` / `ValidationFailed` or a list of `FieldError`s become
`{form field: plain message}`, every field's error kept, pydantic's own wording put in
plain words; the habits, reminders and account pages use it."""

from __future__ import annotations

import uuid

import httpx
from pydantic import BaseModel, EmailStr, Field, ValidationError

from habitus.errors import AppError, FieldError, TooManyRequests, ValidationFailed
from habitus.kit.forms import form_errors, form_field
from tests.auth.pages import error_sits_by_its_field, field_errors, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import page_csrf_token, web_login

SETTINGS = "/settings/notifications"


class Signup(BaseModel):
    email: EmailStr
    habit_id: uuid.UUID
    name: str = Field(min_length=1, max_length=10)
    tags: list[str] = Field(default_factory=list, max_length=2)


def _refused(**data: object) -> ValidationError:
    valid: dict[str, object] = {"email": "a@example.org", "habit_id": str(uuid.uuid4())}
    try:
        Signup.model_validate({**valid, "name": "Ada", **data})
    except ValidationError as error:
        return error
    raise AssertionError("the data was valid")


def test_two_bad_fields_both_show() -> None:
    """Issue 12 item 4: every field's error is kept, not only the first."""
    errors = form_errors(_refused(email="nope", name=""))

    assert set(errors) == {"email", "name"}
    assert errors["name"] == "Fill this in."


def test_pydantic_email_and_uuid_messages_come_out_in_plain_words() -> None:
    """Issue 12 item 4: no raw pydantic text such as "value is not a valid email
    address: An email address must have an @-sign." or "Input should be a valid UUID,
    invalid character: ..." next to a field."""
    errors = form_errors(_refused(email="not-an-address", habit_id="xyz"))

    assert errors["email"] == (
        "Enter a valid email address, like name@example.com. An email address must have an @-sign."
    )
    assert "value is not" not in errors["email"]
    assert errors["habit_id"] == "That choice is not known; reload the page and choose again."
    assert "UUID" not in errors["habit_id"]


def test_other_pydantic_rules_read_as_plain_words() -> None:
    """Issue 12 item 4: lengths and list sizes say what to do, with the limit."""
    errors = form_errors(_refused(name="x" * 11, tags=["a", "b", "c"]))

    assert errors == {
        "name": "Keep it to 10 characters or fewer.",
        "tags": "Choose at most 2.",
    }


def test_api_names_map_to_form_fields_by_name_or_prefix() -> None:
    """Issue 12 item 4: `names` maps the API's field names to the form's, exactly or by a
    prefix such as `config.`; list positions are dropped; a field the form lacks, or an
    error about the input as a whole, goes to the top of the form."""
    names = {"name": "channel_name", "config": "channel_target", "config.": "channel_target"}

    assert form_field("config.subscription.endpoint", names) == "channel_target"
    assert form_field("config", names) == "channel_target"
    assert form_field("name", names) == "channel_name"
    assert form_field("channel_ids", names) == "form"
    assert form_field("body", names) == "form"
    assert form_field("tags.3") == "tags"
    assert form_field("", fallback="delete_password") == "delete_password"


def test_service_errors_keep_their_words_and_the_first_per_field_wins() -> None:
    """Issue 12 item 4: a service's messages are written for people and are kept; when a
    field has several, the first shows; every field shows."""
    failed = ValidationFailed(
        [
            FieldError("config", "only http:// and https:// addresses are allowed", "x"),
            FieldError("config.url", "must be at most 2048 characters", "string_too_long"),
            FieldError("quiet_end", "must differ from quiet_start", "distinct"),
        ]
    )

    errors = form_errors(failed, {"config.": "target", "config": "target", "quiet_end": "end"})

    assert errors == {
        "target": "only http:// and https:// addresses are allowed",
        "end": "must differ from quiet_start",
    }
    assert form_errors([FieldError("timezone", "choose your time zone")]) == {
        "timezone": "choose your time zone"
    }


def test_an_error_without_fields_goes_to_the_fallback() -> None:
    """Issue 12 item 4: an AppError naming no field (a rate limit, say) is shown at the
    top of the form, or where the page says."""
    assert form_errors(AppError("Something broke.")) == {"form": "Something broke."}
    limited = form_errors(TooManyRequests(30), fallback="delete_password")
    assert list(limited) == ["delete_password"]


def test_a_page_may_reword_with_its_own_words() -> None:
    """Issue 12 item 4: `wording` gets the form field, the rule, the plain message and
    pydantic's context (the habits form says "Give the habit a name.")."""

    def wording(field: str, rule: str, message: str, ctx: object) -> str:
        return "Give it a name." if field == "title" and rule == "string_too_short" else message

    errors = form_errors(_refused(name="", email="x"), {"name": "title"}, wording=wording)

    assert errors == {
        "title": "Give it a name.",
        "form": "Enter a valid email address, like name@example.com. "
        "An email address must have an @-sign.",
    }


# --- the pages ------------------------------------------------------------------------------


async def test_the_register_page_says_a_bad_address_in_plain_words(
    client: httpx.AsyncClient,
) -> None:
    """Issue 12 item 4: the register page shows a bad address in plain words by the
    field, not pydantic's "value is not a valid email address: ..."."""
    token = await page_csrf_token(client, "/register")
    response = await client.post(
        "/register",
        data={
            "email": "not-an-address",
            "display_name": "Zoë",
            "password": "Zq9-xw3k!p-long",
            "csrf_token": token,
        },
    )

    assert response.status_code == 422
    message = field_errors(response.text)["email"]
    assert message.startswith("Enter a valid email address")
    assert "value is not" not in message
    error_sits_by_its_field(response.text, "email")


async def test_two_bad_fields_of_the_habit_form_both_show(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 12 item 4 on the habits page: a missing name and a too long category are
    both shown, each next to its field."""
    await web_login(client, alice.email, alice.password)
    form = {
        "name": " ",
        "kind": "boolean",
        "polarity": "build",
        "schedule_type": "daily",
        "backfill_days": "2",
        "color": "#0f766e",
        "category": "c" * 61,
    }
    response = await post_form(client, "/habits/new", "/habits/new", form)

    assert response.status_code == 422
    errors = field_errors(response.text)
    assert errors["name"] == "Give the habit a name."
    assert errors["category"] == "Keep it to 60 characters or fewer."
    error_sits_by_its_field(response.text, "name")
    error_sits_by_its_field(response.text, "category")


async def test_the_notifications_page_words_pydantic_errors_plainly(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 12 item 4 on Settings → Notifications: a channel name too long and a weekday
    that is not one read as plain words next to their fields."""
    await web_login(client, alice.email, alice.password)
    named = await post_form(
        client,
        SETTINGS,
        f"{SETTINGS}/channels",
        {"type": "webhook", "target": "https://hooks.example.com/x", "name": "x" * 81},
    )
    assert named.status_code == 422
    assert field_errors(named.text)["channel_name"] == "Keep it to 80 characters or fewer."
    error_sits_by_its_field(named.text, "channel_name")

    nudges = {"streak_time": "25:00", "digest_time": "08:00", "weekly_time": "09:00"}
    weekly = await post_form(client, SETTINGS, f"{SETTINGS}/nudges", {**nudges, "weekly_day": "x"})
    assert weekly.status_code == 422
    errors = field_errors(weekly.text)
    assert errors["weekly_day"] == "Choose one of the options."
    assert "HH:MM" in errors["streak_time"]
