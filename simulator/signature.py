"""The `X-Line-Signature` LINE puts on every webhook request."""

import base64
import hashlib
import hmac


def sign(channel_secret: str, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 of `body` keyed with the channel secret, as LINE sends it."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
