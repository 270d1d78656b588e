"""Reading Salesforce change events from the Pub/Sub API."""
