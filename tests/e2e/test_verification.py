"""Verified sign-up in a real browser (issue 20): /register with "Email or phone", the
"Enter the code we sent to ..." page (the code from a real SMTP server on loopback, the
resend button disabled with its seconds counting down), signed in after the code; then
Settings → Change email with its code step. Screenshots at 360 px and 1280 px. The
suite's shared server sends no mail, so this module runs a server of its own (SQLite,
in a temporary folder) pointed at the loopback mail server and SMS gateway."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth.mailserver import MailServer, running_mail_server
from tests.auth.smsgateway import SmsGateway, running_sms_gateway
from tests.e2e.conftest import DESKTOP, PASSWORD, check_page
from tests.e2e.shots import shots
from tests.fixtures.live import LiveServer, free_port, habitus_env, live_server

CODE = re.compile(r"\b([0-9]{6})\b")


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture(scope="module")
def sms_gateway() -> Iterator[SmsGateway]:
    with running_sms_gateway() as gateway:
        yield gateway


@pytest.fixture(scope="module")
def mailing_server(
    mail_server: MailServer, sms_gateway: SmsGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("e2e-verification")
    port = free_port()
    env = habitus_env(
        f"sqlite+aiosqlite:///{workdir / 'verification.db'}",
        workdir,
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_BASE_URL=f"http://127.0.0.1:{port}",
        HABITUS_SMTP_HOST="127.0.0.1",
        HABITUS_SMTP_PORT=str(mail_server.port),
        HABITUS_SMTP_SECURITY="none",
        HABITUS_SMTP_FROM="Habitus <habitus@habitus.test>",
        HABITUS_SMS_URL=sms_gateway.settings()["sms_url"],
    )
    with live_server(env, workdir, port=port) as server:
        yield server


@pytest.fixture
def mail_page(browser: Browser, mailing_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=mailing_server.base_url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"uncaught page error: {error}"))
    yield page
    context.close()


def code_mailed_to(mail_server: MailServer, address: str) -> str:
    """The code in the newest mail to `address`, once one has arrived."""
    deadline = time.monotonic() + 10
    while True:
        for mail in reversed(mail_server.messages):
            body = mail.get_body(("plain",))
            if mail["To"] == address and body is not None:
                found = CODE.search(body.get_content())
                if found:
                    return found.group(1)
        assert time.monotonic() < deadline, f"no code mailed to {address}"
        time.sleep(0.05)


def test_sign_up_with_a_code_then_change_the_address(
    mail_page: Page, mail_server: MailServer
) -> None:
    """Issue 20: sign up by email → the code page (numeric one-time-code input, resend
    disabled with its seconds) → a wrong code shows by the field → the mailed code signs
    in; Settings → Change email → the code to the new address changes it."""
    page = mail_page
    email = f"robin-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/register")
    expect(page.get_by_label("Email or phone")).to_be_visible()
    check_page(page)
    shots(page, "register-verified")
    page.get_by_label("Email or phone").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(re.compile(r"/register/verify\?id="))
    expect(page.locator("#code-sent")).to_contain_text(email)
    code_input = page.get_by_label("6-digit code")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    resend = page.locator("#resend")
    expect(resend).to_be_disabled()
    expect(resend).to_contain_text(re.compile(r"\(in \d+ s\)"))
    check_page(page)
    shots(page, "verify-code")

    code = code_mailed_to(mail_server, email)
    code_input.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#code-error")).to_contain_text("4 tries left")
    shots(page, "verify-code-wrong")
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/onboarding$"))

    page.goto("/settings")
    page.locator("#change-email-link").click()
    page.wait_for_url(re.compile(r"/settings/email$"))
    check_page(page)
    shots(page, "change-email")
    new_address = f"robin-{uuid.uuid4().hex[:8]}@new.example"
    page.get_by_label("New email address").fill(new_address)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Send code").click()
    page.wait_for_url(re.compile(r"/settings/email$"))
    expect(page.locator("#email-code-form")).to_contain_text(new_address)
    check_page(page)
    shots(page, "change-email-code")
    page.get_by_label("6-digit code").fill(code_mailed_to(mail_server, new_address))
    page.get_by_role("button", name="Confirm new address").click()
    page.wait_for_url(re.compile(r"/settings$"))
    expect(page.locator("#email")).to_have_value(new_address)
