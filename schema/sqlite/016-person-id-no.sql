-- zhitong schema 16: a desk looks a person up by ID number (issue 11 §3,
-- docs/spec/service.md "GET /v1/persons"): person.id_no was read by a
-- scan of every person. Not UNIQUE: the registry may hold one ID number
-- under two psn_no (a person re-registered), and the lookup takes the
-- first psn_no (registry.c).
CREATE INDEX person_by_id_no ON person (id_no, psn_no);
