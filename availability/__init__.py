"""The slot engine: free times from working hours, absences and busy intervals (pure: no I/O)."""
