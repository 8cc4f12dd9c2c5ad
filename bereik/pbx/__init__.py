"""The Asterisk adapter: FastAGI, AMI and the generated configuration."""
