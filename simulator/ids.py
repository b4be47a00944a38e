"""Identifiers in the shapes LINE uses: user ids, ULID event ids, tokens and request ids."""

import re
import secrets
import time
import uuid

USER_ID_PATTERN = re.compile(r"^U[0-9a-f]{32}$")

# Crockford's base32, the alphabet of ULIDs.
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_user_id() -> str:
    """Return a LINE-like user id: "U" and 32 lowercase hex digits."""
    return "U" + secrets.token_hex(16)


def new_webhook_event_id(now_ms: int | None = None) -> str:
    """Return a 26-character ULID: 48 bits of milliseconds, then 80 random bits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ULID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_reply_token() -> str:
    """Return an opaque reply token (LINE's are 32 hex digits)."""
    return secrets.token_hex(16)


def new_opaque_token() -> str:
    """Return an opaque URL-safe token, the kind LINE uses for quote and mark-as-read tokens."""
    return secrets.token_urlsafe(48)


def new_request_id() -> str:
    """Return a request id like the one LINE sends in `X-Line-Request-Id`."""
    return str(uuid.uuid4())


def new_rich_menu_id() -> str:
    """Return a rich menu id in LINE's `richmenu-` + 32 hex digits shape."""
    return "richmenu-" + secrets.token_hex(16)


def is_uuid(value: str) -> bool:
    """Tell whether `value` is a UUID in the hexadecimal 8-4-4-4-12 form LINE asks for."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return str(parsed) == value.lower()
