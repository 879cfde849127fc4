"""What `habitus create-admin` does, on the same services as the API."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from habitus import db
from habitus.auth import repository, service
from habitus.auth.passwords import password_problem
from habitus.config import Settings
from habitus.context import AppContext
from habitus.errors import AppError
from habitus.kit.ratelimit import MemoryLimiter


async def make_admin(
    settings: Settings, *, email: str, password: str | None, display_name: str | None
) -> str:
    """Create the admin (or promote the user); a message saying which. ValueError on
    a refused password or address. The schema must be migrated already."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{email!r} is not a valid email address: {error}") from error
    engine = db.create_engine(settings.database_url)
    ctx = AppContext.build(settings, MemoryLimiter())
    try:
        async with db.job_transaction(db.create_sessionmaker(engine)) as session:
            user = await repository.user_by_email(session, email)
            if user is not None:
                user.is_admin = True
                if password is not None:
                    problem = password_problem(password, email=email)
                    if problem:
                        raise ValueError(f"password {problem}")
                    user.password_hash = await ctx.hasher.hash(password)
                if display_name:
                    user.display_name = display_name
                return f"{user.email} is now an administrator."
            if password is None:
                raise ValueError("a new account needs a password")
            try:
                # Registration mode does not apply: the operator creates this account.
                ctx.settings = settings.model_copy(update={"registration": "open"})
                user = await service.register(
                    session,
                    ctx,
                    email=email,
                    password=password,
                    display_name=display_name,
                )
            except AppError as error:
                raise ValueError(error.message) from error
            user.is_admin = True
            return f"Administrator {user.email} created."
    finally:
        await engine.dispose()
