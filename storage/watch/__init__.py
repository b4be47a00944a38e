"""Watch-over's records and their deadlines: schedules (when check-ins fall due, and the
deadline kinds and keys), enrolments, rounds, and linking (invitation codes and family links).

Times of day are the town's (Asia/Tokyo); every stored time is UTC. What a step says to
people lives in flows/watch/; this package keeps the records and their deadlines right, and the
rules both the flow and the console apply to them: the waits and the longest pause an enrolment
may take (enrolments), a typed time of day read and a schedule said in words (schedules).
"""
