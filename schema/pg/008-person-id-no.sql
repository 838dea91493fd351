-- zhitong schema 16 (SQLite's 016): a desk looks a person up by ID number
-- (issue 11 §3): person.id_no was read by a scan of every person.
CREATE INDEX person_by_id_no ON person (id_no, psn_no);
