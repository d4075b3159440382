"""Services: long-lived workers that keep running whatever screen is visible (alerts)."""
