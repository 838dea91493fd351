#!/usr/bin/env python3
"""A reference implementation of the split, written from the specification
alone, to compute the expected settlements of test worlds independently of
the engine's C code:

  docs/spec/split.md                 the split of one claim (v1);
  docs/spec/rules-v2.md §2, §3       the insurer's catalogue, dated categories;
  docs/spec/claim-v2-national.md     claims v2 and the supplementary split
                                     (§3 its rejection codes, §4 the split).

Standard library only; every number is an integer (fen, basis points,
1/10000 units), never a float.

    split_ref.py WORLD_DIR [--out FILE]

reads WORLD_DIR/registry.xml (v1 or v2), policy.xml (v1 or v2),
catalog.xml (if present: one catalogue, in force on the dates it covers for
its county) and claims.xml (v1 or v2), settles the claims in file order, each
person's yearly totals carried from claim to claim, and writes the answers in
the form of tests/cases/vectors/*/expected.xml (FILE, else stdout): every
setlinfo field and setldetail line, no setl_id and no trace. A v2 claim is
answered as a v2 settlement: pool_prop_selfpay is absent when the claim
carried <national>, and <national setl_id="…"/> comes first in
<settlement> (as schema/settlement-v2.xsd has it). A
rejected claim is a <rejection fixmedins_code claim_no code/>.

What is checked, in the order of docs/spec/interfaces.md and its v2
additions: unknown-hospital, unknown-person, bad-dates (admission after
discharge), no-policy, amount-mismatch, national-missing,
national-unexpected, national-mismatch (the arithmetic of §3; a national
setl_id given twice in the file is rejected the second time). Schema rules
and duplicate claim numbers are the engine's business and not repeated here.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

CATEGORIES = ["general", "poor", "lowinc", "destitute"]
NONE = None  # no cap


def rhu(a, d):
    """Half up, for a >= 0, d > 0 (split.md)."""
    assert a >= 0 and d > 0
    return (2 * a + d) // (2 * d)


def mul_ratio(x, bp):
    return rhu(x * bp, 10000)


# ---- lexical forms -> integers ------------------------------------------------


def digits_to_int(text, decimals):
    text = text.strip()
    whole, _, frac = text.partition(".")
    assert whole.isdigit() and (frac == "" or frac.isdigit()) and len(frac) <= decimals, text
    return int(whole) * 10 ** decimals + (int(frac.ljust(decimals, "0")) if frac else 0)


def amount(text):
    """Yuan with two decimals -> fen."""
    t = text.strip()
    assert "." in t and len(t.split(".")[1]) == 2, t
    return digits_to_int(t, 2)


def q4(text):
    return digits_to_int(text, 4)


def ratio(text):
    v = digits_to_int(text, 4)
    return v


def cap(text):
    return NONE if text.strip() == "none" else amount(text)


def date(text):
    y, m, d = text.strip().split("-")
    return int(y) * 10000 + int(m) * 100 + int(d)


def fmt_amount(fen):
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return "%s%d.%02d" % (sign, fen // 100, fen % 100)


def fmt_ratio(bp):
    return "%d.%04d" % (bp // 10000, bp % 10000)


def room(cap_fen, paid):
    if cap_fen is NONE:
        return None
    return max(0, cap_fen - paid)


def min_room(raw, cap_fen, paid):
    r = room(cap_fen, paid)
    return raw if r is None else min(raw, r)


# ---- documents --------------------------------------------------------------------


def local(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def children(el, name=None):
    return [c for c in el if isinstance(c.tag, str) and (name is None or local(c.tag) == name)]


def child(el, name):
    cs = children(el, name)
    return cs[0] if cs else None


def read_registry(path):
    root = ET.parse(path).getroot()
    hospitals, people = {}, {}
    for el in children(root):
        kind = local(el.tag)
        if kind == "hospital":
            hospitals[el.get("code").strip()] = (int(el.get("level")), el.get("county").strip())
        elif kind == "person":
            periods = []
            for p in children(el, "category"):
                to = p.get("to")
                periods.append((p.get("value").strip(), date(p.get("from")), date(to) if to else None))
            people[el.get("psn_no").strip()] = {
                "category": el.get("category").strip(),
                "county": el.get("county").strip(),
                "periods": periods,
            }
    return hospitals, people


def category_on(person, day):
    """rules-v2.md §3: the period containing the day, else the attribute."""
    for value, frm, to in person["periods"]:
        if frm <= day and (to is None or day <= to):
            return value
    return person["category"]


def cats(text):
    return set(text.split())


def flag(el, name, default):
    v = el.get(name)
    return default if v is None else v.strip() == "true"


def read_tiers(el):
    tiers = []
    for t in children(el, "tier"):
        upto = t.get("upto")
        tiers.append((amount(upto) if upto else None, ratio(t.get("ratio"))))
    return tiers


def read_policy(path):
    root = ET.parse(path).getroot()
    p = {
        "id": root.get("id").strip(),
        "county": root.get("county").strip(),
        "from": date(root.get("effective-from")),
        "to": date(root.get("effective-to")) if root.get("effective-to") else None,
        "mode": (root.get("mode") or "full").strip(),
        "b_selfpay": ratio(child(root, "items").get("b-selfpay-ratio")),
        "cap_categories": set(),
        "cap_in": None,
        "cap_out": None,
        "relief": [],
        "remainder": "patient",
    }
    basic = child(root, "basic")
    if basic is not None:
        p["basic_fund"] = basic.get("fund").strip()
        p["basic_cap"] = cap(basic.get("annual-cap")) if basic.get("annual-cap") else NONE
        p["levels"] = {}
        p["basic_adjust"] = {}
        for lv in children(basic, "level"):
            p["levels"][int(lv.get("code"))] = (amount(lv.get("deductible")), ratio(lv.get("ratio")))
        for a in children(basic, "adjust"):
            p["basic_adjust"][a.get("category").strip()] = {
                "factor": ratio(a.get("deductible-factor")) if a.get("deductible-factor") else 10000,
                "bonus": ratio(a.get("ratio-bonus")) if a.get("ratio-bonus") else 0,
                "in_county_only": flag(a, "in-county-only", False),
            }
        crit = child(root, "critical")
        p["critical_fund"] = crit.get("fund").strip()
        p["threshold"] = amount(crit.get("threshold"))
        p["critical_cap"] = cap(crit.get("annual-cap")) if crit.get("annual-cap") else NONE
        p["critical_pre"] = flag(crit, "include-preselfpay", False)
        p["tiers"] = read_tiers(crit)
        p["critical_adjust"] = {}
        for a in children(crit, "adjust"):
            p["critical_adjust"][a.get("category").strip()] = {
                "threshold": amount(a.get("threshold")) if a.get("threshold") else None,
                "bonus": ratio(a.get("ratio-bonus")) if a.get("ratio-bonus") else 0,
                "cap": cap(a.get("annual-cap")) if a.get("annual-cap") is not None else "policy",
                "in_county_only": flag(a, "in-county-only", False),
                "tiers": read_tiers(a),
            }
        assist = child(root, "assistance")
        p["assistance_fund"] = assist.get("fund").strip()
        p["assistance_pre"] = flag(assist, "include-preselfpay", False)
        p["assistance"] = {}
        for c in children(assist, "category"):
            p["assistance"][c.get("code").strip()] = (
                amount(c.get("deductible")) if c.get("deductible") else 0,
                ratio(c.get("ratio")),
                cap(c.get("annual-cap")) if c.get("annual-cap") else NONE,
            )
    pc = child(root, "personal-cap")
    if pc is not None:
        p["cap_categories"] = cats(pc.get("categories"))
        p["cap_in"] = ratio(pc.get("in-county")) if pc.get("in-county") else None
        p["cap_out"] = ratio(pc.get("out-of-county")) if pc.get("out-of-county") else None
    for r in children(root, "relief"):
        p["relief"].append({
            "fund": r.get("fund").strip(),
            "categories": cats(r.get("categories")),
            "in_county_only": flag(r, "in-county-only", True),
            "ratio": ratio(r.get("ratio")) if r.get("ratio") else 10000,
            "cap": cap(r.get("annual-cap")) if r.get("annual-cap") else NONE,
        })
    rem = child(root, "remainder")
    if rem is not None:
        p["remainder"] = rem.get("to").strip()
    return p


def read_catalog(path):
    if not os.path.exists(path):
        return None
    root = ET.parse(path).getroot()
    cat = {
        "county": root.get("county").strip(),
        "from": date(root.get("effective-from")),
        "to": date(root.get("effective-to")) if root.get("effective-to") else None,
        "entries": {},
    }
    for e in children(root, "entry"):
        lv = e.get("chrgitm_lv").strip()
        ceilings = {}
        for c in children(e, "ceiling"):
            ceilings[int(c.get("level"))] = q4(c.get("pric"))
        to = e.get("to")
        cat["entries"].setdefault(e.get("code").strip(), []).append({
            "lv": int(lv),
            "selfpay": ratio(e.get("selfpay_prop")) if e.get("selfpay_prop") is not None else None,
            "ceilings": ceilings,
            "from": date(e.get("from")),
            # an entry without `to` ends with its catalogue
            "to": date(to) if to else cat["to"],
        })
    return cat


def read_claims(path):
    root = ET.parse(path).getroot()
    v2 = ns_of(root.tag) == "urn:zhitong:claim:2"
    claims = children(root, "claim") if local(root.tag) == "claims" else [root]
    out = []
    for c in claims:
        def text(name):
            el = child(c, name)
            return el.text.strip() if el is not None and el.text else None
        items = []
        for it in children(child(c, "items"), "item"):
            def itext(name):
                el = child(it, name)
                return el.text.strip() if el is not None and el.text else None
            items.append({
                "code": itext("med_list_codg"),
                "lv": int(itext("chrgitm_lv")),
                "pric": q4(itext("pric")),
                "cnt": q4(itext("cnt")),
                "amt": amount(itext("det_item_fee_sumamt")),
                "ceiling": q4(itext("pric_uplmt_amt")) if itext("pric_uplmt_amt") is not None else None,
                "selfpay": ratio(itext("selfpay_prop")) if itext("selfpay_prop") is not None else None,
            })
        national = None
        nat = child(c, "national")
        if nat is not None:
            def ntext(name):
                el = child(nat, name)
                return amount(el.text) if el is not None else None
            national = {
                "setl_id": nat.get("setl_id"),
                "hifp": ntext("hifp_pay"), "hifmi": ntext("hifmi_pay"), "maf": ntext("maf_pay"),
                "bill": None,
            }
            if child(nat, "fulamt_ownpay_amt") is not None:
                national["bill"] = {k: ntext(k) for k in (
                    "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                    "act_pay_dedc")}
        out.append({
            "v2": v2,
            "hospital": text("fixmedins_code"),
            "claim_no": text("claim_no"),
            "psn_no": text("psn_no"),
            "adm": date(text("adm_date")),
            "dscg": date(text("dscg_date")),
            "medfee": amount(text("medfee_sumamt")),
            "items": items,
            "national": national,
        })
    return out


# ---- §1 classification, with the catalogue of rules-v2 §2 --------------------------------


def effective_items(claim, catalog, county, level):
    """rules-v2.md §2: what each item is classified with."""
    day = claim["dscg"]
    in_force = (catalog is not None and catalog["county"] == county and catalog["from"] <= day
                and (catalog["to"] is None or day <= catalog["to"]))
    out = []
    for it in claim["items"]:
        if not in_force:
            out.append((it["lv"], it["selfpay"], it["ceiling"]))
            continue
        found = None
        for e in catalog["entries"].get(it["code"], []):
            if e["from"] <= day and (e["to"] is None or day <= e["to"]):
                found = e
        if found is None:
            out.append((3, None, None))  # not in the catalogue: fully self-paid
        else:
            out.append((found["lv"], found["selfpay"], found["ceilings"].get(level)))
    return out


def classify(claim, policy, effective):
    """split.md §1: (fulamt, over, pre, inscp), or an amount-mismatch message."""
    fulamt = over_sum = pre_sum = inscp = total = 0
    for n, (it, (lv, selfpay, ceiling)) in enumerate(zip(claim["items"], effective), 1):
        expect = rhu(it["pric"] * it["cnt"], 10 ** 6)
        if it["amt"] != expect:
            return None, "item %d: amount is not price x quantity" % n
        over = 0
        if ceiling is not None and it["pric"] > ceiling:
            over = min(it["amt"], rhu((it["pric"] - ceiling) * it["cnt"], 10 ** 6))
        base = it["amt"] - over
        if lv == 1:
            inscp += base
        elif lv == 2:
            r = selfpay if selfpay is not None else policy["b_selfpay"]
            pre = mul_ratio(base, r)
            pre_sum += pre
            inscp += base - pre
        else:
            fulamt += base
        over_sum += over
        total += it["amt"]
    if total != claim["medfee"]:
        return None, "medfee_sumamt is not the sum of the items"
    return (fulamt, over_sum, pre_sum, inscp), None


# ---- §2–§5 -------------------------------------------------------------------------------


def new_accum(policy):
    return {"basic": 0, "crit_base": 0, "crit_paid": 0, "assist": 0,
            "relief": [0] * len(policy["relief"])}


def split_full(policy, level, in_county, category, cls, medfee, acc):
    fulamt, over, pre, inscp = cls
    r = {}
    # §2 basic
    D, R = policy["levels"][level]
    adj = policy["basic_adjust"].get(category)
    if adj and (in_county or not adj["in_county_only"]):
        D = mul_ratio(D, adj["factor"])
        R = min(10000, R + adj["bonus"])
    dedc = min(D, inscp)
    raw = mul_ratio(inscp - dedc, R)
    hifp = min_room(raw, policy["basic_cap"], acc["basic"])
    acc["basic"] += hifp
    # §3 critical
    b = inscp - hifp + (pre if policy["critical_pre"] else 0)
    before = acc["crit_base"]
    after = before + b
    acc["crit_base"] = after
    T, bonus, ccap, tiers = policy["threshold"], 0, policy["critical_cap"], policy["tiers"]
    cadj = policy["critical_adjust"].get(category)
    if cadj and (in_county or not cadj["in_county_only"]):
        if cadj["threshold"] is not None:
            T = cadj["threshold"]
        bonus = cadj["bonus"]
        if cadj["cap"] != "policy":
            ccap = cadj["cap"]
        if cadj["tiers"]:
            tiers = cadj["tiers"]
    weighted = 0
    lower = T
    for upto, tr in tiers:
        band_from = max(T, lower)
        band_to = upto  # None: open
        if upto is not None:
            lower = upto
        frm = max(before, band_from)
        to = after if band_to is None else min(after, band_to)
        if to > frm:
            weighted += (to - frm) * min(10000, tr + bonus)
        if upto is None:
            break
    hifmi = min_room(rhu(weighted, 10000), ccap, acc["crit_paid"])
    acc["crit_paid"] += hifmi
    # §4 assistance
    maf = 0
    a = policy["assistance"].get(category)
    if a:
        ded, ar, acap = a
        base = inscp - hifp - hifmi + (pre if policy["assistance_pre"] else 0)
        maf = min_room(mul_ratio(max(0, base - ded), ar), acap, acc["assist"])
        acc["assist"] += maf
    r.update(hifp=hifp, hifmi=hifmi, maf=maf, dedc=dedc, R=R)
    return r


def split_cap(policy, in_county, category, medfee, hifp, hifmi, maf, acc):
    """split.md §5: the personal cap, the relief funds, the remainder."""
    psn0 = medfee - hifp - hifmi - maf
    capped = category in policy["cap_categories"]
    side = policy["cap_in"] if in_county else policy["cap_out"]
    pays = [0] * len(policy["relief"])
    hosp = 0
    if not capped or side is None:
        return pays, hosp, psn0
    target = medfee * side // 10000  # rounds down
    gap = max(0, psn0 - target)
    for i, f in enumerate(policy["relief"]):
        if category not in f["categories"] or (not in_county and f["in_county_only"]):
            continue
        pay = min_room(mul_ratio(gap, f["ratio"]), f["cap"], acc["relief"][i])
        acc["relief"][i] += pay
        pays[i] = pay
        gap -= pay
    if policy["remainder"] == "hospital" and in_county:
        hosp = gap
        gap = 0
    return pays, hosp, psn0 - sum(pays) - hosp


# ---- a world -----------------------------------------------------------------------------


def settle_world(world):
    hospitals, people = read_registry(os.path.join(world, "registry.xml"))
    policy = read_policy(os.path.join(world, "policy.xml"))
    catalog = read_catalog(os.path.join(world, "catalog.xml"))
    claims = read_claims(os.path.join(world, "claims.xml"))
    accums = {}
    national_ids = set()
    answers = []
    for c in claims:
        def reject(code):
            answers.append(("rejection", c, code))
        if c["hospital"] not in hospitals:
            reject("unknown-hospital")
            continue
        if c["psn_no"] not in people:
            reject("unknown-person")
            continue
        if c["adm"] > c["dscg"]:
            reject("bad-dates")
            continue
        level, hcounty = hospitals[c["hospital"]]
        person = people[c["psn_no"]]
        if not (person["county"] == policy["county"] and policy["from"] <= c["dscg"]
                and (policy["to"] is None or c["dscg"] <= policy["to"])):
            reject("no-policy")
            continue
        effective = effective_items(c, catalog, person["county"], level)
        cls, why = classify(c, policy, effective)
        if cls is None:
            reject("amount-mismatch")
            continue
        nat = c["national"]
        if policy["mode"] == "supplementary" and nat is None:
            reject("national-missing")
            continue
        if policy["mode"] == "full" and nat is not None:
            reject("national-unexpected")
            continue
        if nat is not None:
            bill = nat["bill"]
            if (nat["hifp"] + nat["hifmi"] + nat["maf"] > c["medfee"]
                    or (bill is not None and bill["fulamt_ownpay_amt"] + bill["overlmt_selfpay"]
                        + bill["preselfpay_amt"] + bill["inscp_scp_amt"] != c["medfee"])
                    or nat["setl_id"] in national_ids):
                reject("national-mismatch")
                continue
            national_ids.add(nat["setl_id"])
        in_county = hcounty == person["county"]
        category = category_on(person, c["dscg"])
        key = (c["psn_no"], c["dscg"] // 10000)
        acc = accums.setdefault(key, new_accum(policy))
        medfee = c["medfee"]
        if nat is None:
            r = split_full(policy, level, in_county, category, cls, medfee, acc)
            bill_fields = cls + (r["dedc"],)
            pool = r["R"]
            hifp, hifmi, maf = r["hifp"], r["hifmi"], r["maf"]
            shares = [(policy["basic_fund"], hifp), (policy["critical_fund"], hifmi),
                      (policy["assistance_fund"], maf)]
        else:
            # claim-v2-national.md §4: the national amounts as given; the
            # bill as the national platform describes it, else zhitong's own
            hifp, hifmi, maf = nat["hifp"], nat["hifmi"], nat["maf"]
            if nat["bill"] is not None:
                b = nat["bill"]
                bill_fields = (b["fulamt_ownpay_amt"], b["overlmt_selfpay"], b["preselfpay_amt"],
                               b["inscp_scp_amt"], b["act_pay_dedc"])
            else:
                bill_fields = cls + (0,)
            pool = None
            shares = []  # setldetail lists only the funds zhitong settled
        pays, hosp, psn = split_cap(policy, in_county, category, medfee, hifp, hifmi, maf, acc)
        oth = sum(pays)
        fund = hifp + hifmi + maf + oth
        assert fund + hosp + psn == medfee, c["claim_no"]
        shares += [(f["fund"], pays[i]) for i, f in enumerate(policy["relief"])]
        answers.append(("settlement", c, {
            "bill": bill_fields, "pool": pool, "hifp": hifp, "hifmi": hifmi, "maf": maf,
            "oth": oth, "fund": fund, "hosp": hosp, "psn": psn,
            "shares": [(f, a) for f, a in shares if a > 0],
        }))
    return claims, answers


def render(claims, answers):
    v2 = any(c["v2"] for c in claims)
    out = ['<settlements xmlns="urn:zhitong:settlement:%d">' % (2 if v2 else 1)]
    for kind, c, a in answers:
        ident = 'fixmedins_code="%s" claim_no="%s"' % (c["hospital"], c["claim_no"])
        if kind == "rejection":
            out.append('  <rejection %s code="%s"/>' % (ident, a))
            continue
        out.append('  <settlement %s psn_no="%s">' % (ident, c["psn_no"]))
        if c["national"] is not None:
            # its place is settlement-v2.xsd's: the first child (the
            # specification names the element, not its place)
            out.append('    <national setl_id="%s"/>' % c["national"]["setl_id"])
        out.append("    <setlinfo>")
        fulamt, over, pre, inscp, dedc = a["bill"]
        fields = [("medfee_sumamt", fmt_amount(c["medfee"])),
                  ("fulamt_ownpay_amt", fmt_amount(fulamt)),
                  ("overlmt_selfpay", fmt_amount(over)),
                  ("preselfpay_amt", fmt_amount(pre)),
                  ("inscp_scp_amt", fmt_amount(inscp)),
                  ("act_pay_dedc", fmt_amount(dedc))]
        if a["pool"] is not None:
            fields.append(("pool_prop_selfpay", fmt_ratio(a["pool"])))
        fields += [("hifp_pay", fmt_amount(a["hifp"])), ("hifmi_pay", fmt_amount(a["hifmi"])),
                   ("maf_pay", fmt_amount(a["maf"])), ("oth_pay", fmt_amount(a["oth"])),
                   ("fund_pay_sumamt", fmt_amount(a["fund"])),
                   ("hosp_part_amt", fmt_amount(a["hosp"])),
                   ("psn_part_amt", fmt_amount(a["psn"])),
                   ("psn_cash_pay", fmt_amount(a["psn"]))]
        for name, value in fields:
            out.append("      <%s>%s</%s>" % (name, value, name))
        out.append("    </setlinfo>")
        out.append("    <setldetail>")
        for f, amt in a["shares"]:
            out.append('      <fund fund_pay_type="%s" fund_payamt="%s"/>' % (f, fmt_amount(amt)))
        out.append("    </setldetail>")
        out.append("  </settlement>")
    out.append("</settlements>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("world")
    ap.add_argument("--out")
    args = ap.parse_args()
    claims, answers = settle_world(args.world)
    text = render(claims, answers)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
