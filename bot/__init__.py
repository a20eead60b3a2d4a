"""The edges: HTTP app, WeChat endpoints, the conversation router, outbound client, CLI."""
