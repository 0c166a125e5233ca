"""What the search tests share: indexing items as the catalog's writes would, and reading the
titles of a page of results."""

from courses import search


def indexed(*items):
    """Index ``items`` (of any searchable type) as they are now; returns them."""
    for item in items:
        search.search_index_items(search.item_type_of(item), [item.pk])
    return items


def titles(result) -> list[str]:
    return [hit.item.title for hit in result.hits]
