"""The app's screens: the cockpit (main), health, alerts and help, one per file."""
