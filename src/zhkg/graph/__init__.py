"""The graph: an article's extraction as RDF (`rdf`), the store (`store`, the one place that holds
the pyoxigraph store), the entities graph, the exports, the page's share of the store, and pushing
to another triple store."""
