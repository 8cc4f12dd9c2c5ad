"""The real-time wallboard for the front-office floor, and the Prometheus metrics."""
