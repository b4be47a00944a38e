"""The caseworkers' pages: the queue and the ticket."""
