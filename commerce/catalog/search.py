"""Product search: relevance-ranked full text plus trigram similarity on PostgreSQL,
`icontains` on SQLite.

On PostgreSQL a product matches when either
- its search document (`Product.search_vector`: name weight A, category name B,
  description C, kept current by the triggers of migration 0015) matches the
  words as `websearch_to_tsquery('english', …)` reads them (stemmed, so
  "jackets" finds "Jacket"; quotes and `-word` work), or
- the text looks like part of the name, typos and all:
  `word_similarity(text, name)` is at least `TEXT_SIMILARITY` (0.3) and every
  word of it reaches `WORD_SIMILARITY` (0.2) on its own. "grene jakcet"
  against "Green Jacket" scores 0.31 (its words 0.5 and 0.29); against "Green
  Tea" 0.23; "blue jacket" against "Blue Scarf" scores 0.42 but "jacket" 0
  there. So one or two typos per word still match, a name sharing a word or a
  few letters does not, and a search never returns the whole catalog.

Both conditions are answered from GIN indexes (`product_search_vector`,
`product_name_trgm`). The trigram index finds its candidates with the
`pg_trgm.word_similarity_threshold` setting, which migration 0015 sets to the
same 0.3 for the database; the explicit `>= TEXT_SIMILARITY` keeps the answer
the same should a session lower it.

Relevance is `ts_rank` (A 1.0, B 0.4, C 0.2, D 0.1, PostgreSQL's defaults)
plus the name's word similarity, so a name match ranks above a category match,
which ranks above a description-only match; ties are newest first. An explicit
`ordering` replaces the relevance order.

On SQLite the documented fallback: the whole text, any case, inside the name,
the description or the category name; no ranking (the list's own order).
"""

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual

from commerce.models import Product

TEXT_SIMILARITY = 0.3
WORD_SIMILARITY = 0.2
SEARCH_CONFIG = "english"
# Longer texts are cut: a search box, not a document comparison.
MAX_SEARCH_LENGTH = 100
MAX_SEARCH_WORDS = 8


def product_search(queryset: QuerySet[Product], text: str, *, prefix: str = "") -> tuple[QuerySet[Product], Q]:
    """The products matching `text` as a condition, and the queryset ordered by
    relevance (PostgreSQL) for a top-level search; blank text matches everything."""
    text = " ".join(text[:MAX_SEARCH_LENGTH].split()[:MAX_SEARCH_WORDS])
    if not text:
        return queryset, Q()
    if connection.vendor != "postgresql":
        return queryset, (
            Q(**{f"{prefix}name__icontains": text})
            | Q(**{f"{prefix}description__icontains": text})
            | Q(**{f"{prefix}category__name__icontains": text})
        )
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    name = F(f"{prefix}name")
    similarity = TrigramWordSimilarity(text, name)
    looks_like_name = Q(TrigramWordSimilar(name, Value(text))) & Q(
        GreaterThanOrEqual(similarity, Value(TEXT_SIMILARITY))
    )
    for word in text.split():
        looks_like_name &= Q(GreaterThanOrEqual(TrigramWordSimilarity(word, name), Value(WORD_SIMILARITY)))
    matches = Q(**{f"{prefix}search_vector": query}) | looks_like_name
    if not prefix:
        queryset = queryset.annotate(search_relevance=SearchRank(F("search_vector"), query) + similarity).order_by(
            "-search_relevance", "-created_at", "-id"
        )
    return queryset, matches
