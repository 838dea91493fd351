#!/usr/bin/env python3
"""Writes the test worlds of tests/cases/vectors-v2/ (registry, policy,
catalogue, claims) from a seed, with random parameters within the formats of
docs/spec/rules-v2.md and docs/spec/claim-v2-national.md. It shares nothing
with the engine or with `zhitong gen`; split_ref.py then computes each
world's expected.xml.

    make_world.py SEED DIR [--supplementary] [--catalog-from MMDD] [--v2-claims]

Standard library only; integers only (random.Random's integer draws).
"""
import argparse
import os
import random

YEAR = 2018
COUNTY = "510199"
OTHER_COUNTY = "510188"
CATEGORIES = ["general", "poor", "lowinc", "destitute"]


def fmt_amount(fen):
    return "%d.%02d" % (fen // 100, fen % 100)


def fmt_q4(v, short):
    s = "%d.%04d" % (v // 10000, v % 10000)
    if short:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_ratio(bp):
    s = "%d.%04d" % (bp // 10000, bp % 10000)
    s = s.rstrip("0").rstrip(".")
    return s


def rhu(a, d):
    return (2 * a + d) // (2 * d)


def day(mmdd):
    return YEAR * 10000 + mmdd


def fmt_date(d):
    return "%04d-%02d-%02d" % (d // 10000, d // 100 % 100, d % 100)


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def date_of(doy):
    m = 0
    while doy >= DAYS[m]:
        doy -= DAYS[m]
        m += 1
    return YEAR * 10000 + (m + 1) * 100 + doy + 1


def doy_of(d):
    m, dd = d // 100 % 100, d % 100
    return sum(DAYS[: m - 1]) + dd - 1


class World:
    def __init__(self, seed, supplementary, catalog_from, v2_claims):
        self.r = random.Random(seed)
        self.seed = seed
        self.supplementary = supplementary
        self.catalog_from = catalog_from
        self.v2_claims = v2_claims or supplementary

    # ---- registry (v2, with periods) ----------------------------------------------

    def registry(self):
        r = self.r
        self.hospitals = []
        for i in range(8):
            level = [1, 2, 3, 4, 1, 2, 3, 4][i]
            county = COUNTY if i < 6 else OTHER_COUNTY
            self.hospitals.append(("H%04d%03d" % (self.seed, i), level, county))
        self.people = []
        lines = ['<registry xmlns="urn:zhitong:registry:2">']
        for code, level, county in self.hospitals:
            lines.append('<hospital code="%s" name="医院%s" level="%d" county="%s"/>'
                         % (code, code[-3:], level, county))
        for i in range(36):
            psn = "P%04d%04d" % (self.seed, i)
            cat = CATEGORIES[i % 4] if i < 8 else r.choice(CATEGORIES)
            county = COUNTY if i < 33 else OTHER_COUNTY
            periods = []
            shape = i % 6 if i >= 4 else -1
            if shape == 0:  # enters poverty on a day of the year, first day included
                periods = [("poor", day(r.choice([301, 415, 601, 716])), None)]
            elif shape == 1:  # leaves it: last day included
                periods = [("poor", (YEAR - 2) * 10000 + 101, day(r.choice([331, 430, 630, 815])))]
            elif shape == 2:  # lowinc, then destitute from the next day
                d = r.choice([228, 531, 731, 930])
                periods = [("lowinc", (YEAR - 1) * 10000 + 101, day(d)),
                           ("destitute", date_of(doy_of(day(d)) + 1), None)]
            self.people.append({"psn": psn, "cat": cat, "county": county, "periods": periods})
            idno = "%s19%02d0101%03d%d" % (county, 40 + i % 50, i, i % 10)
            if periods:
                lines.append('<person psn_no="%s" name="人%d" id_no="%s" category="%s" county="%s">'
                             % (psn, i, idno, cat, county))
                for v, f, t in periods:
                    lines.append('  <category value="%s" from="%s"%s/>'
                                 % (v, fmt_date(f), ' to="%s"' % fmt_date(t) if t else ""))
                lines.append("</person>")
            else:
                lines.append('<person psn_no="%s" name="人%d" id_no="%s" category="%s" county="%s"/>'
                             % (psn, i, idno, cat, county))
        for code in ["390100", "390200", "610100", "610103", "610104", "610105"]:
            lines.append('<fund code="%s" name="基金%s"/>' % (code, code))
        lines.append("</registry>")
        return "\n".join(lines) + "\n"

    # ---- policy -----------------------------------------------------------------------

    def cap(self):
        r = self.r
        return r.choice(["none", "2000.00", "5000.00", "30000.00", "100000.00"])

    def tail(self):
        """personal-cap, relief, remainder: what both modes share."""
        r = self.r
        out = []
        capped = r.sample(["poor", "lowinc", "destitute"], r.randint(1, 3))
        attrs = ' in-county="%s"' % fmt_ratio(r.choice([500, 1000, 1500]))
        if r.randint(0, 1):
            attrs += ' out-of-county="%s"' % fmt_ratio(r.choice([1500, 2000]))
        out.append('<personal-cap categories="%s"%s/>' % (" ".join(capped), attrs))
        for k in range(r.randint(1, 3)):
            cats = r.sample(["poor", "lowinc", "destitute"], r.randint(1, 3))
            out.append('<relief fund="%s" name="relief %d" categories="%s" in-county-only="%s" '
                       'ratio="%s" annual-cap="%s"/>'
                       % (["610103", "610104", "610105"][k], k, " ".join(cats),
                          r.choice(["true", "false"]), fmt_ratio(r.choice([5000, 8000, 10000])),
                          r.choice(["none", "500.00", "2000.00", "20000.00"])))
        out.append('<remainder to="%s"/>' % ("hospital" if self.seed % 2 else "patient"))
        return out

    def tiers(self, n):
        r = self.r
        uptos = sorted(r.sample([20000, 30000, 40000, 50000, 80000, 150000], n - 1))
        out = ['<tier upto="%s" ratio="%s"/>' % (fmt_amount(u * 100), fmt_ratio(r.choice([5000, 6000, 7000])))
               for u in uptos]
        out.append('<tier ratio="%s"/>' % fmt_ratio(r.choice([8000, 9000])))
        return "".join(out)

    def policy(self):
        r = self.r
        ns = "urn:zhitong:policy:2" if (self.supplementary or self.seed % 2 == 0) else "urn:zhitong:policy:1"
        mode = ' mode="supplementary"' if self.supplementary else (
            ' mode="full"' if ns.endswith(":2") and self.seed % 4 == 0 else "")
        lines = ['<policy xmlns="%s" id="rand-%d" name="random %d" county="%s" effective-from="%d-01-01" '
                 'effective-to="%d-12-31"%s>' % (ns, self.seed, self.seed, COUNTY, YEAR, YEAR, mode),
                 '<items b-selfpay-ratio="%s"/>' % fmt_ratio(r.choice([1000, 1500, 2000]))]
        if self.supplementary:
            lines.append('<national-funds basic="390100" critical="390200" assistance="610100"/>')
        else:
            levels = "".join('<level code="%d" deductible="%s" ratio="%s"/>'
                             % (lv, fmt_amount(r.choice([0, 5000, 20000, 40000, 80000, 100000])),
                                fmt_ratio(r.choice([5500, 6500, 8000, 9000])))
                             for lv in range(1, 5))
            adjust = ('<adjust category="poor" deductible-factor="%s" ratio-bonus="%s" in-county-only="%s"/>'
                      % (fmt_ratio(r.choice([0, 5000, 10000])), fmt_ratio(r.choice([0, 500, 1000])),
                         r.choice(["true", "false"])))
            lines.append('<basic fund="390100" annual-cap="%s">%s%s</basic>'
                         % (r.choice(["20000.00", "150000.00"]), levels, adjust))
            cadj = ('<adjust category="poor" threshold="%s" ratio-bonus="0.05" annual-cap="none" '
                    'in-county-only="%s">%s</adjust>'
                    % (fmt_amount(r.choice([0, 300000, 500000])), r.choice(["true", "false"]),
                       self.tiers(2) if r.randint(0, 1) else ""))
            lines.append('<critical fund="390200" threshold="%s" annual-cap="%s" include-preselfpay="%s">%s%s</critical>'
                         % (fmt_amount(r.choice([500000, 1000000, 1200000])), self.cap(),
                            r.choice(["true", "false"]), self.tiers(r.randint(1, 3)), cadj))
            cats = "".join('<category code="%s" deductible="%s" ratio="%s" annual-cap="%s"/>'
                           % (c, fmt_amount(r.choice([0, 20000, 50000])), fmt_ratio(r.choice([5000, 7000, 10000])),
                              self.cap())
                           for c in ["destitute", "lowinc", "poor"] if r.randint(0, 3))
            lines.append('<assistance fund="610100" include-preselfpay="%s">%s</assistance>'
                         % (r.choice(["true", "false"]), cats))
        lines += self.tail()
        lines.append("</policy>")
        return "\n".join(lines) + "\n"

    # ---- catalogue ------------------------------------------------------------------------

    def catalog(self):
        """Codes of every kind the rules know: found with and without ceilings per
        level and self-pay ratios, a gap between two entries, a class changing
        mid-year, one-digit classes; some codes of the claims are left out."""
        r = self.r
        self.codes = []  # (code, price q4, lv the hospitals send, ceiling sent, selfpay sent)
        lines = ['<catalog xmlns="urn:zhitong:catalog:1" id="cat-%d" county="%s" effective-from="%s" '
                 'effective-to="%d-12-31">' % (self.seed, COUNTY, fmt_date(day(self.catalog_from)), YEAR)]
        start = day(self.catalog_from)
        for k in range(40):
            code = "X%04d%05dA001" % (self.seed, k)
            price = r.choice([5000, 12500, 98765, 300000, 1250000, 8000000, 45000000])
            sent_lv = r.randint(1, 3)
            sent_ceiling = r.choice([None, None, price * 9 // 10, price * 11 // 10])
            sent_selfpay = r.choice([None, None, 1000, 2000]) if sent_lv == 2 else r.choice([None, 500])
            self.codes.append((code, price, sent_lv, sent_ceiling, sent_selfpay))
            kind = k % 8
            if kind == 7:
                continue  # not in the catalogue
            lv = sent_lv if kind in (0, 1, 2) else r.randint(1, 3)
            def entry(lv, frm, to):
                attrs = ['code="%s"' % code, 'name="项目%d"' % k,
                         'chrgitm_lv="%s"' % (("%d" if k % 3 == 0 else "%02d") % lv)]
                if lv == 2 and r.randint(0, 2):
                    attrs.append('selfpay_prop="%s"' % fmt_ratio(r.choice([0, 1000, 3000])))
                attrs.append('from="%s"' % fmt_date(frm))
                if to:
                    attrs.append('to="%s"' % fmt_date(to))
                ceil = []
                for level in range(1, 5):
                    if r.randint(0, 2) == 0:
                        ceil.append('<ceiling level="%d" pric="%s"/>'
                                    % (level, fmt_q4(price * r.choice([80, 100, 120]) // 100, True)))
                if ceil:
                    return "<entry %s>%s</entry>" % (" ".join(attrs), "".join(ceil))
                return "<entry %s/>" % " ".join(attrs)
            early = start < day(615)
            if kind == 5:  # a gap: in force to June 15, again from July 16 (or later)
                lines.append(entry(lv, start, day(615 if early else 915)))
                lines.append(entry(lv, day(716 if early else 1016), None))
            elif kind == 6:  # another class from August 1 (or November 1)
                lines.append(entry(lv, start, day(731 if early else 1031)))
                lines.append(entry(lv % 3 + 1, day(801 if early else 1101), day(1231)))
            else:
                lines.append(entry(lv, start, None))
        lines.append("</catalog>")
        return "\n".join(lines) + "\n"

    # ---- claims ---------------------------------------------------------------------------

    def national(self, medfee, n):
        """Random national amounts, mostly consistent; every 13th claim not."""
        r = self.r
        hifp = medfee * r.randint(30, 80) // 100
        hifmi = (medfee - hifp) * r.randint(0, 30) // 100
        maf = (medfee - hifp - hifmi) * r.randint(0, 40) // 100
        bill = None
        if r.randint(0, 1):
            fulamt = medfee * r.randint(0, 20) // 100
            over = (medfee - fulamt) * r.randint(0, 10) // 100
            pre = (medfee - fulamt - over) * r.randint(0, 15) // 100
            inscp = medfee - fulamt - over - pre
            bill = [fulamt, over, pre, inscp, min(inscp, r.choice([0, 20000, 80000]))]
        if n % 13 == 5:
            hifp = medfee - hifmi - maf + 1  # more than the bill
        if n % 13 == 9:
            if bill is None:
                bill = [0, 0, 0, medfee, 0]
            bill[0] += 100  # the bill does not add up
        setl = "2304-%d-%05d" % (self.seed, n)
        if n % 17 == 11 and n > 0:
            setl = "2304-%d-%05d" % (self.seed, n - 1)  # one national settlement twice
        x = '<national setl_id="%s"><hifp_pay>%s</hifp_pay><hifmi_pay>%s</hifmi_pay><maf_pay>%s</maf_pay>' % (
            setl, fmt_amount(hifp), fmt_amount(hifmi), fmt_amount(maf))
        if bill:
            x += "".join("<%s>%s</%s>" % (k, fmt_amount(v), k) for k, v in zip(
                ["fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc"], bill))
        return x + "</national>"

    def claims(self, count):
        r = self.r
        ns = "urn:zhitong:claim:2" if self.v2_claims else "urn:zhitong:claim:1"
        lines = ['<claims xmlns="%s">' % ns]
        seq = {}
        heavy = [p for p in self.people[:33] if p["cat"] != "general"][:4]
        for n in range(count):
            if n % 3 == 0 and heavy:
                person = r.choice(heavy)
            else:
                person = r.choice(self.people)
            code, level, county = r.choice(self.hospitals)
            seq[code] = seq.get(code, 0) + 1
            los = r.randint(1, 20)
            adm_doy = r.randint(0, 364 - los)
            adm, dscg = date_of(adm_doy), date_of(adm_doy + los)
            items = []
            total = 0
            for i in range(r.randint(1, 12)):
                if r.randint(0, 9) == 0:
                    icode, price, lv, ceiling, selfpay = ("Z%04d%03d" % (self.seed, i), r.choice([3000, 55000]),
                                                          r.randint(1, 3), None, None)
                else:
                    icode, price, lv, ceiling, selfpay = r.choice(self.codes)
                cnt = r.choice([10000, 20000, 5000, 12500, 30000])
                if person in heavy and r.randint(0, 3) == 0:
                    cnt *= 10
                amt = rhu(price * cnt, 10 ** 6)
                if n % 29 == 7 and i == 0:
                    amt += 1  # amount-mismatch
                total += amt
                short = int(code[-1]) % 2 == 1
                it = ("<item><feedetl_sn>%d</feedetl_sn><med_list_codg>%s</med_list_codg>"
                      "<med_chrgitm_type>%02d</med_chrgitm_type><chrgitm_lv>%s</chrgitm_lv>"
                      "<pric>%s</pric><cnt>%s</cnt><det_item_fee_sumamt>%s</det_item_fee_sumamt>"
                      % (i + 1, icode, 1 + (i % 14), ("%d" if short else "%02d") % lv,
                         fmt_q4(price, short), fmt_q4(cnt, short), fmt_amount(amt)))
                if ceiling is not None:
                    it += "<pric_uplmt_amt>%s</pric_uplmt_amt>" % fmt_q4(ceiling, short)
                if selfpay is not None:
                    it += "<selfpay_prop>%s</selfpay_prop>" % fmt_ratio(selfpay)
                items.append(it + "</item>")
            claim = ("<claim><fixmedins_code>%s</fixmedins_code><claim_no>ZY%d-%05d</claim_no>"
                     "<psn_no>%s</psn_no><adm_date>%s</adm_date><dscg_date>%s</dscg_date>"
                     "<dscg_maindiag_code>I10.x00</dscg_maindiag_code><medfee_sumamt>%s</medfee_sumamt>"
                     "<items>%s</items>"
                     % (code, self.seed, n, person["psn"], fmt_date(adm), fmt_date(dscg), fmt_amount(total),
                        "".join(items)))
            if self.supplementary:
                if n % 31 != 20:  # and one without: national-missing
                    claim += self.national(total, n)
            elif self.v2_claims and n % 23 == 17:
                claim += self.national(total, n)  # under a full policy: national-unexpected
            lines.append(claim + "</claim>")
        lines.append("</claims>")
        return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("dir")
    ap.add_argument("--supplementary", action="store_true")
    ap.add_argument("--catalog-from", type=int, default=101, help="MMDD the catalogue starts")
    ap.add_argument("--v2-claims", action="store_true")
    ap.add_argument("--claims", type=int, default=60)
    a = ap.parse_args()
    w = World(a.seed, a.supplementary, a.catalog_from, a.v2_claims)
    os.makedirs(a.dir, exist_ok=True)
    files = [("registry.xml", w.registry()), ("policy.xml", w.policy()), ("catalog.xml", w.catalog()),
             ("claims.xml", w.claims(a.claims))]
    for name, text in files:
        with open(os.path.join(a.dir, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
