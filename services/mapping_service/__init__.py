"""Own tenants, configurations and the Salesforce ⇄ Regal transforms."""
