"""The console's top navigation: one line per page.

To add a page, append one `Entry` to NAV: the endpoint, its label (an English msgid; add the
Japanese with locales/translate.py) and the roles that see it. The entry is shown as current
on every page whose endpoint starts with one of `active` (default: the endpoint itself). A
`watch_over` entry is shown only to those who may use watch-over (its team's staff and admins),
a `coordinates` entry only to those who coordinate 生活応援隊's supporters (the same rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from locales import N_

ALL_ROLES = ("admin", "supervisor", "staff")


@dataclass(frozen=True)
class Entry:
    endpoint: str
    label: str
    roles: tuple[str, ...] = ALL_ROLES
    active: tuple[str, ...] = ()
    watch_over: bool = False
    coordinates: bool = False

    def is_active(self, endpoint: str | None) -> bool:
        return bool(endpoint) and str(endpoint).startswith(self.active or (self.endpoint,))


NAV: list[Entry] = [
    Entry("console.queue", N_("Queue"), active=("console.queue", "console.ticket_page")),
    Entry("console.ticket_new", N_("Open a ticket"), active=("console.ticket_new",)),
    Entry("console.watch_list", N_("Watch-over"), active=("console.watch",), watch_over=True),
    Entry(
        "console.supporter_list", N_("Supporters"), active=("console.supporter",), coordinates=True
    ),
    Entry(
        "console.request_board", N_("Help requests"), active=("console.request_",), coordinates=True
    ),
    Entry("console.report", N_("Reports"), ("admin", "supervisor"), ("console.report",)),
    Entry(
        "console.canned_list", N_("Canned responses"), ("admin", "supervisor"), ("console.canned",)
    ),
    Entry("console.staff_list", N_("Staff"), ("admin",), ("console.staff",)),
    Entry("console.team_list", N_("Teams"), ("admin",), ("console.team",)),
    Entry("console.routing_list", N_("Routing"), ("admin",), ("console.routing",)),
    Entry("console.salon_list", N_("Salons"), ("admin",), ("console.salon",)),
    Entry("console.audit_log", N_("Audit log"), ("admin",), ("console.audit",)),
    Entry("console.two_factor_policy", N_("Two-factor sign-in"), ("admin",)),
    Entry("console.erase_form", N_("Erase a resident's data"), ("admin",), ("console.erase",)),
    Entry("console.account", N_("Sign-in settings"), active=("console.account", "console.two_fa")),
]


def entries_for(role: str, *, watch_over: bool = False, coordinates: bool = False) -> list[Entry]:
    return [
        entry
        for entry in NAV
        if role in entry.roles
        and (watch_over or not entry.watch_over)
        and (coordinates or not entry.coordinates)
    ]
