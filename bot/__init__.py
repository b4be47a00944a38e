"""The application: it assembles every other package and is the only one that speaks to LINE.

create_app() and the settings, the `madoguchi` CLI (serve, worker, sample, backup…), the
webhook that stores events in the inbox, the worker that hands them to `handlers`, the sender
that delivers the outbox (bot.render turns message values into LINE's JSON there; bot.gateway
is the one user of line-bot-sdk), the scheduler's sweeps, the rich menu, and the steps the
console runs for staff that reach a resident in LINE (given to console through the app).
"""
