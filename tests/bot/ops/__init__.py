"""tests.bot.ops."""
