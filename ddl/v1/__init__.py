"""The v1 Tables API's engine: JSON-document tables, each a real table in the tenant's space."""
