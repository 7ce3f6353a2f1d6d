"""Use cases (polling, delivery, commands) written against the small ports in :mod:`bot.service.ports`."""
