# Derives the "ordered" variant of an XSD: every xs:all becomes an
# xs:sequence in declaration order. A document valid under the variant is
# valid under the original (same elements, same types, one more
# constraint), so the engine validates against the variant first — libxml2's
# xs:all automaton is several times slower — and falls back to the original,
# which alone decides, only when the variant refuses. Derived at build time
# so the two can never drift apart.
# Usage: cmake -DIN=claim.xsd -DOUT=claim-ordered.xsd -P ordered-xsd.cmake
file(READ "${IN}" text)
string(REPLACE "<xs:all>" "<xs:sequence>" text "${text}")
string(REPLACE "</xs:all>" "</xs:sequence>" text "${text}")
file(WRITE "${OUT}" "${text}")
