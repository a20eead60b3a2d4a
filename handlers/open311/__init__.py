"""Open311 GeoReport v2 on our case model: services, clients, filing and querying requests."""
