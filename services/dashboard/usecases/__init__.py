"""Dashboard's use cases, one module per concern: applying events, the facility directory, PWS
queries, access (tokens and sessions) and rebuild."""
