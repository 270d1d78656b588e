"""Protocol-faithful local stand-ins for Salesforce and Regal.

Test equipment that ships with regal-sync: the five services never import
anything from here.
"""
