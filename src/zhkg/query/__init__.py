"""Querying a built store: the packaged queries and any SPARQL (`run`), and the SPARQL 1.1
Protocol endpoint (`endpoint`)."""
