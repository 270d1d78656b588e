"""ingress-gateway: the edge for Regal webhooks and Salesforce change events."""
