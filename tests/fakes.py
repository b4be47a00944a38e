"""A LINE gateway that answers from a script, for the sender's and worker's decision rules.

End-to-end tests use the real gateway against the simulator; this one lets a test say
"the first push times out, the second gets 409" and see exactly what the sender does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bot.gateway import Outcome, Profile, Result


@dataclass
class Call:
    endpoint: str
    to: str
    messages: list[dict[str, Any]]
    retry_key: str | None = None
    quiet: bool = False


@dataclass
class ScriptedGateway:
    script: deque[Result] = field(default_factory=deque)
    calls: list[Call] = field(default_factory=list)
    loading: list[str] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)
    # Photos and files residents sent, by message id: (bytes, content type).
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def then(self, *outcomes: Outcome | Result) -> ScriptedGateway:
        for outcome in outcomes:
            self.script.append(outcome if isinstance(outcome, Result) else Result(outcome))
        return self

    def _answer(self) -> Result:
        return self.script.popleft() if self.script else Result(Outcome.DELIVERED, status=200)

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> Result:
        self.calls.append(Call("reply", reply_token, messages))
        return self._answer()

    def push(
        self, to: str, messages: list[dict[str, Any]], retry_key: str, quiet: bool = False
    ) -> Result:
        self.calls.append(Call("push", to, messages, retry_key, quiet))
        return self._answer()

    def multicast(self, to: list[str], messages: list[dict[str, Any]], retry_key: str) -> Result:
        self.calls.append(Call("multicast", ",".join(to), messages, retry_key))
        return self._answer()

    def profile(self, user_id: str) -> Profile | None:
        return self.profiles.get(user_id)

    def show_loading(self, user_id: str, seconds: int = 5) -> None:
        self.loading.append(user_id)

    def message_content(self, message_id: str) -> tuple[bytes, str] | None:
        return self.contents.get(message_id)

    @property
    def endpoints(self) -> list[str]:
        return [call.endpoint for call in self.calls]
