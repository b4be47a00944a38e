"""Watch-over's records and their deadlines: schedules (when check-ins fall due, and the
deadline kinds and keys), enrolments, rounds, and linking (invitation codes and family links).

Times of day are the town's (Asia/Tokyo); every stored time is UTC. What a step says to
people lives in flows/watch/; this package only keeps the records and their deadlines right.
"""
