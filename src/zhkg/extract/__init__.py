"""Extraction: the mentions and relations of one document, and entity resolution across them.

`context` (one document's sentences, words and tagged names, computed once), `rules/` (the
mention rules, listed in order in `rules.MENTION_RULES`), `arbitrate` (the named overlap
passes), `mentions` (rules, then passes), `relations` (`RELATION_RULES`), `resolve` (identity
and canonical names across documents), `evaluate` (scores against a gold annotation).
"""
