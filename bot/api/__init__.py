"""bot.api."""
