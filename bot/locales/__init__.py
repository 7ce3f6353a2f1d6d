"""The message catalogues: <language>/LC_MESSAGES/newsbot.po, read by bot.core.language."""
