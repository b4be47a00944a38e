"""Data and the rules over it: SQLAlchemy models, every query (named for what it answers:
outbox.claim_due, districts.by_slug), routing, business time, claims and deadlines, the webhook's
spool, Alembic migrations and the sample town; on SQLite and PostgreSQL.

Nothing above this package writes SQL. storage.messages is how the outbox keeps a message
(plain values, not LINE's format).
"""
