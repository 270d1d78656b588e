"""A local Regal account: the events API, profiles and reporting webhooks."""
