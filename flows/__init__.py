"""The conversations: `transitions` state machines as data, registered in one tuple
(flows.catalog), their state kept in the resident's conversation row.

Each step produces plain message values (flows.messages: a text and its buttons; flows.cards:
salon and emergency cards) and typed postbacks (flows.postback); flows know no HTTP and no
LINE format (bot renders). Subpackages: text/ (reading Japanese and English as words),
safety/ (the emergency detector: rules, classifier, corpus), watch/ (watch-over).
"""
