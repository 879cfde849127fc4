"""Every ORM table, one module each. Importing this package registers them all."""

from habitus.models.auth_session import AuthSession
from habitus.models.base import Base
from habitus.models.idempotency_key import IdempotencyKey
from habitus.models.invite import Invite
from habitus.models.refresh_token import RefreshToken
from habitus.models.user import User

__all__ = ["AuthSession", "Base", "IdempotencyKey", "Invite", "RefreshToken", "User"]
