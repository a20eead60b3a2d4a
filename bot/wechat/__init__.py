"""bot.wechat."""
