"""tests.bot.api."""
