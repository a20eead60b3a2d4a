"""Everything that speaks WeChat's and WeCom's protocols: the three signed callbacks, parsing and
signing, the outbound API clients, and the outbox drainer that sends through them."""
