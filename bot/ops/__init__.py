"""Running the service: health checks, Prometheus metrics and log formatting."""
