"""Privacy by default (AVG): retention of every kind of personal data, pseudonymised caller numbers."""
