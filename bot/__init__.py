"""The edges: the aiohttp app factory and its keys, the WeChat callbacks and clients, the
conversation router, the JSON APIs, the dashboard, the command line and operations."""
