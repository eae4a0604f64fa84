"""The embedded stack on one machine (`pubreview up` / `down`) and its sample data."""
