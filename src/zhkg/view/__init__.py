"""Looking at the graph: RDF read into a network (`network`, from a store or a file: `sources`),
drawn as one self-contained page (`page`, `styles`, `layout`), and measured (`analytics`).

The page's entry points are here: `graph_to_network`, `write_page`, `load_network`.
"""

from __future__ import annotations

from zhkg.view.network import graph_to_network
from zhkg.view.page import write_page
from zhkg.view.sources import load_network

__all__ = ["graph_to_network", "load_network", "write_page"]
