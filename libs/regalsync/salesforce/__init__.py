"""Talking to Salesforce: tokens, a budget-counting REST client, SOQL quoting."""

from regalsync.salesforce.auth import OAuthCredentials, SalesforceToken, TokenProvider
from regalsync.salesforce.client import SalesforceApiError, SalesforceClient
from regalsync.salesforce.soql import quote, quote_like

__all__ = [
    "OAuthCredentials",
    "SalesforceApiError",
    "SalesforceClient",
    "SalesforceToken",
    "TokenProvider",
    "quote",
    "quote_like",
]
