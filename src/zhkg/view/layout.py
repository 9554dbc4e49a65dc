"""Positions for big pages, computed once in Python so the browser does not have to.

networkx's `spring_layout` compares every pair of nodes (dense, or a Python loop per node in its
sparse variant): minutes for 5,000 nodes. This is Fruchterman and Reingold's own grid variant:
repulsion only between nodes closer than twice the ideal edge length (found with a k-d tree),
attraction along edges, a weak pull to the centre that keeps components together, and a cooling
step limit. Each iteration is a few vectorised numpy operations, so 5,000 nodes take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

#: Ideal edge length in page pixels; node sizes on the page are 8-40 px.
EDGE_LENGTH = 80.0


def spring_positions(
    graph: nx.Graph, *, seed: int = 7, iterations: int = 60, edge_length: float = EDGE_LENGTH
) -> dict[Hashable, tuple[float, float]]:
    """Page coordinates (pixels, centred on 0) for every node of the undirected `graph`."""
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    index = {node: i for i, node in enumerate(nodes)}
    edges = np.array([(index[a], index[b]) for a, b in graph.edges if a != b], dtype=np.intp)
    edges = edges.reshape(-1, 2)
    k = edge_length
    radius = k * math.sqrt(n) * 0.6
    rng = np.random.default_rng(seed)
    # Start connected nodes near each other: breadth-first order around a spiral, so the force
    # iterations refine a sensible picture instead of untangling a random one.
    order = [
        index[v]
        for comp in sorted(nx.connected_components(graph), key=len, reverse=True)
        for v in nx.bfs_tree(graph, max(comp, key=graph.degree)).nodes
    ]
    pos = np.zeros((n, 2))
    ranks = np.arange(n)
    angle = ranks * 2.399963  # golden angle
    pos[order] = (
        np.column_stack((np.cos(angle), np.sin(angle))) * (radius * np.sqrt(ranks / n))[:, None]
    )
    pos += rng.normal(scale=k * 0.1, size=pos.shape)
    temperature = radius / 4
    gravity = 0.3 / radius
    for step in range(iterations):
        disp = np.zeros_like(pos)
        tree = cKDTree(pos)
        pairs = tree.query_pairs(2 * k, output_type="ndarray")
        if len(pairs):
            delta = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            dist = np.maximum(np.linalg.norm(delta, axis=1), 0.01)
            push = delta * ((k * k) / (dist * dist))[:, None]
            disp += _scatter(pairs[:, 0], push, n) - _scatter(pairs[:, 1], push, n)
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.maximum(np.linalg.norm(delta, axis=1), 0.01)
            pull = delta * (dist / k)[:, None]
            disp += _scatter(edges[:, 1], pull, n) - _scatter(edges[:, 0], pull, n)
        disp -= pos * (gravity * np.linalg.norm(pos, axis=1) / k)[:, None]
        length = np.maximum(np.linalg.norm(disp, axis=1), 0.01)
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature = max(radius / 4 * (1 - (step + 1) / iterations), k * 0.05)
    pos -= pos.mean(axis=0)
    return {
        node: (round(float(x), 1), round(float(y), 1))
        for node, (x, y) in zip(nodes, pos, strict=True)
    }


def _scatter(index: np.ndarray, vectors: np.ndarray, n: int) -> np.ndarray:
    """Sum `vectors` into `n` rows by `index` (bincount: far faster than `np.add.at`)."""
    return np.column_stack(
        [np.bincount(index, weights=vectors[:, d], minlength=n) for d in range(vectors.shape[1])]
    )
