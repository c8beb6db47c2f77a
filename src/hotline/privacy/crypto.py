"""Personal data at rest: citizens' phone and ID numbers are stored encrypted (Fernet: AES-128-CBC
with HMAC-SHA256, from `cryptography`), and looked up by a blind index (a keyed HMAC) instead.

Keys come from settings: `HOTLINE_DATA_KEYS`, a comma-separated list of Fernet keys, newest first —
new values are encrypted with the first, every key in the list decrypts (MultiFernet), so a key is
rotated by putting a new one in front and running `hotline keys rotate` (which re-encrypts every row
with it) before the old one is dropped. In development and tests, without `HOTLINE_DATA_KEYS`, one key
is derived from `HOTLINE_SECRET_KEY`; production refuses to start without it. The blind index uses
`HOTLINE_BLIND_INDEX_KEY` (by default the secret key, as before encryption existed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from hotline.config import get_settings

log = logging.getLogger(__name__)

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80 and a timestamp's top bytes)


def derive_key(secret: str, purpose: str) -> bytes:
    """Return a Fernet key derived from a secret for one purpose (HKDF-SHA256)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[bytes]:
    """The data keys in force, newest first."""
    s = get_settings()
    if s.data_keys is not None:
        keys = [k.strip().encode() for k in s.data_keys.get_secret_value().split(",") if k.strip()]
        if keys:
            return keys
    return [derive_key(s.secret_key, "hotline data key v1")]


@lru_cache(maxsize=4)
def _cipher(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def cipher() -> MultiFernet:
    """The process's cipher for the keys in force (rebuilt when settings change)."""
    return _cipher(tuple(configured_keys()))


def encrypt(value: str) -> str:
    """Return the ciphertext of a value (a Fernet token, ASCII)."""
    return cipher().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str | None:
    """Return the plaintext of a stored value; a value stored before encryption is returned as it is;
    None (logged) when no key in force opens it."""
    if not token.startswith(FERNET_PREFIX):
        return token  # written before encryption (revision 0013 encrypts them; so does keys rotate)
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a stored personal value cannot be decrypted with the keys in HOTLINE_DATA_KEYS")
        return None


def rotate(token: str) -> str:
    """Return the value re-encrypted with the newest key (plaintext left from before is encrypted)."""
    if not token.startswith(FERNET_PREFIX):
        return encrypt(token)
    return cipher().rotate(token.encode()).decode("ascii")


def blind_index_key() -> str:
    s = get_settings()
    return s.blind_index_key.get_secret_value() if s.blind_index_key is not None else s.secret_key


def blind_index(value: str, key: str | None = None) -> str:
    """Return the keyed hash a value is looked up by (HMAC-SHA256, hex), never the value itself."""
    return hmac.new((key or blind_index_key()).encode(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted with the data keys; reads give the plaintext back."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)
