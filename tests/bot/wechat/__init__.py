"""tests.bot.wechat."""
