"""Webhook events to the right place: one ordered table (events.STEPS) tries a resident's
message or tap in turn (safety, a watch-over answer, a 生活応援隊 offer, an idle flow, commands,
a menu choice, the flow in progress, an open ticket's thread, a typed wish, the fallback), so
the precedence reads top to bottom in one screen.

Also what belongs to no single flow: follow and unfollow, unsend, a staff group's taps, global
commands (cancel, menu, talk to a person, language), safety alarms and their tickets, ticket
threads.
"""
