"""What-if: the queue simulated, to test estimators and staffing before callers meet them."""
