"""What the municipality publishes about the service: contact and help, privacy notices, the
accessibility statement and its feedback, cookies; and the lost-link page (docs/public-information.md)."""
