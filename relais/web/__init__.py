"""The public web endpoints: unsubscribe, confirm a subscription, the newsletter archive,
the calendar feed and a health check. Served by ``relais run`` (see :mod:`web.plugin`)."""
