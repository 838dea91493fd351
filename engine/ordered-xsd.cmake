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
# The same languages without counted repetition: libxml2 runs a pattern
# with {m,n} through counters it allocates on every value (and checks
# step by step), one without them through plain transitions. Each
# replacement spells out the repetition it replaces, so the variant
# accepts exactly the values the original does.
set(d "[0-9]")
set(opt13 "")
foreach(i RANGE 1 13)
  set(opt13 "(${d}${opt13})?")
endforeach()
string(REPLACE "${d}{0,13}" "${opt13}" text "${text}")
string(REPLACE "${d}{1,4}" "${d}(${d}(${d}(${d})?)?)?" text "${text}")
string(REPLACE "0{1,4}" "0(0(0(0)?)?)?" text "${text}")
string(REPLACE "${d}{4}" "${d}${d}${d}${d}" text "${text}")
string(REPLACE "${d}{2}" "${d}${d}" text "${text}")
file(WRITE "${OUT}" "${text}")
