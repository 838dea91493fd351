-- zhitong schema 5: finding claims (`claim list`, `claim show --setl-id`,
-- `slip --setl-id`). settlement.setl_id is already UNIQUE (indexed).
--
-- `claim list` filters by person, by hospital and by discharge date, and
-- orders by discharge date: one index for the person's claims in date
-- order, one for a span of discharge dates (a hospital's claims use the
-- (fixmedins_code, claim_no, seq) index of the claim table).
CREATE INDEX claim_by_person ON claim (psn_no, dscg_date);
CREATE INDEX claim_by_discharge ON claim (dscg_date);
