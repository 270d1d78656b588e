"""A local Salesforce org: REST, OAuth, SOQL/SOSL and the Pub/Sub API."""
