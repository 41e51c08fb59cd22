"""Messages the bot owes people after a handler has returned (see each module)."""
