"""regal-publisher: the durable outbound queue to Regal's events API."""
