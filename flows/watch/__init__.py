"""Watch-over (見守り): what it says to residents and family and the steps it takes.

enrolling (the 見守り menu flow: enrol, status, pause, change, stop) asks with questions and
reads typed answers with reading; family_link (a family member types the resident's code);
checkin (the round machine: sent, reminded, escalated, answered, resolved) and checkin_sweep
(the scheduler's handlers for watch-over deadlines); alerts (family alerts, notes and
watch-over tickets); words (the check-in message and its answers). Each flow's Mermaid
diagram is beside it. The records, their limits and a schedule said in words are storage/watch/;
how times, names and signs of life are said, which staff read too, is locales/watch_words.py.
"""
