"""DRF plumbing shared by every app's API."""
