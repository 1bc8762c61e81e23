"""The coordinators' back office (``/gestion``): the same core services and role checks as the bot.

Each request reads the session cookie, then the role, inside the transaction
that does the work (:func:`web.admin.base.run`): a revoked coordinator is
stopped at the next click, a coordinator limited to some networks sees and
touches only their events, and every change is audited by the core with the
signed-in address or Telegram account as its author.
"""
