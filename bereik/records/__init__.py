"""Call records: journeys from AMI events, storage and reports."""
