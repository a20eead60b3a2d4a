"""tests.bot.dashboard."""
