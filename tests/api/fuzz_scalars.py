"""Values of fm-core's own scalars for the fuzzers: the strings their parsers expect, or junk."""

from hypothesis import strategies as st
from hypothesis_graphql import nodes

from schema import schema

SDL = schema.as_str()
SCALARS = {
    "Decimal": st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str), st.text()).map(
        nodes.String
    ),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), st.text()).map(nodes.String),
    "JSON": st.text().map(nodes.String),
}
SCALARS = {name: strategy for name, strategy in SCALARS.items() if f"scalar {name}" in SDL}
