"""The coordinators' tools in the bot (``/admin``), one small module per flow.

Every command, button and typed answer goes through :mod:`bot.admin.common`,
which checks the role in the transaction that does the work.
"""
