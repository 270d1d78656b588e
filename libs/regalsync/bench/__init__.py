"""`regal-sync bench`: measure the suite against its baselines in one run."""
