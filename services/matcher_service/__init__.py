"""matcher-service: reads Salesforce to enrich changes and resolve identities."""
