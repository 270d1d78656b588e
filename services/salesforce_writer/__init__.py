"""salesforce-writer: the durable write queue to Salesforce."""
