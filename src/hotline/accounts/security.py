"""Password hashing (argon2) and opaque bearer tokens (stored as sha256)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# verified against when a username does not exist, so the answer takes as long as for a real one
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "hl_"  # noqa: S105 - a visible prefix, not a secret


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> None:
    """Spend the time a password verification takes, for a username that does not exist."""
    verify_password(_DUMMY_HASH, password)


def check_password_policy(password: str, *, username: str) -> None:
    """Refuse a password that is short, is (or contains) the username, or is common or easily guessed
    (zxcvbn's estimate below 2 of 4: the dictionaries of common passwords, names, keyboard walks)."""
    from zxcvbn import zxcvbn

    from hotline.config import get_settings
    from hotline.errors import InvalidInput

    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise InvalidInput("password_too_short", min=minimum)
    if username and username.lower() in password.lower():
        raise InvalidInput("password_has_username")
    if zxcvbn(password[:100], user_inputs=[username])["score"] < 2:
        raise InvalidInput("password_common")


def new_token() -> str:
    """Return a new random bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()
