"""Write leads/sample-export.csv: a made-up HubSpot-style contact export for Brightside Ads.

    python3 leads/make_sample.py            # rewrites leads/sample-export.csv
    playbook score leads/sample-export.csv --as-of 2026-11-22

Every person, company and website is invented (websites use the reserved .example domain).
The script is seeded, so the same code always writes the same file; change the mix below and
run it again rather than editing the CSV by hand.

The mix follows a small agency's funnel: most contacts are newsletter subscribers or leads who
never qualify; a few dozen are marketing qualified; a handful are with sales or clients. It
includes the people the playbook says no to: budgets under 2,000 USD a month, people who
expect daily calls, students and other agencies, and leads sales rejected with a reason code
(definitions/lifecycle.yaml) that sends them to a nurture track. Events are dated within the
six months before AS_OF and use only event types the scoring model knows.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

SEED = 20261122
AS_OF = dt.date(2026, 11, 22)
WINDOW_DAYS = 182  # events fall within the six months before AS_OF
OUT = Path(__file__).with_name("sample-export.csv")

COLUMNS = ["id", "email", "first_name", "last_name", "company", "company_website", "industry", "job_title",
           "country", "employee_count", "monthly_ad_budget", "runs_meta_ads", "expected_contact_cadence",
           "main_channel_needed", "email_opt_in", "lead_source", "create_date", "sales_accepted",
           "discovery_call_held", "confirmed", "agreement_signed", "rejection_reason", "events"]

FIRST = ["Aisha", "Ben", "Carla", "Dev", "Elena", "Femi", "Grace", "Hiro", "Isla", "Jamal", "Kara", "Luis",
         "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf",
         "Zoe", "Amir", "Beth", "Chidi", "Dana", "Emre", "Farah", "Gabe", "Hana", "Ivan", "Jess", "Kofi",
         "Lena", "Marco", "Nina", "Omar", "Paula", "Rhys", "Sofia", "Theo", "Valeria", "Will", "Ximena", "Yara"]
LAST = ["Okafor", "Lindqvist", "Moreno", "Patel", "Nguyen", "Schmidt", "Hughes", "Tanaka", "Kowalski",
        "Reyes", "Brennan", "Haddad", "Costa", "Fischer", "Mensah", "Walsh", "Rossi", "Kim", "Olsen",
        "Dubois", "Ferreira", "Ali", "Novak", "Murphy", "Sato", "Jensen", "Baker", "Silva", "Adeyemi", "Ward"]
WORDS = ["Harbor", "Maple", "Summit", "Bright", "Cedar", "North", "Willow", "Copper", "Juniper", "Atlas",
         "Lumen", "River", "Oak", "Pine", "Coral", "Meadow", "Ember", "Stone", "Clover", "Sage", "Birch",
         "Aurora", "Granite", "Fern", "Wren", "Lark", "Indigo", "Saffron", "Tidal", "Kestrel"]
NOUNS = {
    "ecommerce": ["Goods", "Supply Co", "Outfitters", "Candles", "Pet Co", "Apparel", "Skincare"],
    "dtc": ["Chairs", "Coffee", "Sleep", "Wellness", "Bottles", "Kitchen"],
    "dental": ["Dental", "Family Dentistry", "Smile Studio"],
    "fitness-studio": ["Pilates", "Cycle Studio", "Yoga", "Strength Club"],
    "med-spa": ["Med Spa", "Aesthetics", "Skin Clinic"],
    "physiotherapy": ["Physio", "Physical Therapy", "Sports Clinic"],
    "online-education": ["Academy", "Courses", "School of Photography"],
    "coaching": ["Coaching", "Leadership Lab", "Money Coaching"],
    "marketing-agency": ["Digital", "Growth Agency", "Media"],
    "advertising-agency": ["Ad Studio", "Creative"],
    "restaurant": ["Kitchen & Bar", "Pizzeria", "Bistro"],
    "real-estate": ["Realty", "Homes"],
    "saas": ["Software", "Cloud", "Analytics"],
    "b2b-manufacturing": ["Industrial", "Components"],
    "nonprofit": ["Foundation", "Trust"],
    "legal": ["Law", "Legal"],
}
COUNTRIES = ["US"] * 14 + ["CA"] * 3 + ["GB"] * 2 + ["AU"] * 1
SOURCES = {"subscriber": ["organic-search", "instagram", "newsletter-signup", "podcast", "blog"],
           "lead": ["facebook-ads", "instagram", "organic-search", "webinar", "referral", "linkedin"],
           "hot": ["facebook-ads", "referral", "webinar", "organic-search", "podcast"]}
GOOD_INDUSTRIES = ["ecommerce"] * 5 + ["dtc"] * 3 + ["dental"] * 2 + ["fitness-studio"] * 2 + \
                  ["med-spa", "physiotherapy"] + ["online-education"] * 2 + ["coaching"]
OTHER_INDUSTRIES = ["restaurant", "real-estate", "saas", "b2b-manufacturing", "nonprofit", "legal"]
DECIDERS = {"default": ["founder", "owner", "ceo", "head-of-marketing", "marketing-manager"],
            "local": ["practice-owner", "owner", "founder"],
            "dtc": ["marketing-manager", "head-of-marketing", "ceo", "founder"]}
OTHER_TITLES = ["office-manager", "marketing-coordinator", "assistant", "growth-manager", "consultant"]
GOOD_CADENCE = ["weekly"] * 5 + ["fortnightly"] * 2 + ["monthly"] * 3
BANT = ["budget", "authority", "need", "timeline"]
ALIGNMENT = ["communication", "reporting", "response-time", "scope"]

# Light, top-of-funnel activity and the stronger signals that make someone sales-ready.
LIGHT = ["blog_post_viewed"] * 5 + ["newsletter_clicked_3x"] * 2 + ["guide_downloaded"] * 2 + \
        ["case_study_downloaded", "pricing_page_viewed"]
STRONG = ["audit_requested", "call_booked", "webinar_attended"]


class Maker:
    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.number = 10000
        self.rows: list[dict] = []
        self.used_emails: set[str] = set()

    # ------------------------------------------------------------ small pieces

    def day(self, lo: int, hi: int) -> dt.date:
        """A day between lo and hi days before AS_OF (inclusive)."""
        return AS_OF - dt.timedelta(days=self.rnd.randint(lo, hi))

    def events(self, light: int, strong: list[tuple[str, int, int]] = (), since: int = WINDOW_DAYS,
               extra: list[tuple[str, int, int]] = ()) -> tuple[str, dt.date]:
        """`light` random light events since `since` days ago, plus (type, min_age, max_age) ones."""
        items = [(self.rnd.choice(LIGHT), self.day(0, since)) for _ in range(light)]
        items += [(kind, self.day(lo, hi)) for kind, lo, hi in list(strong) + list(extra)]
        items.sort(key=lambda e: (e[1], e[0]))
        text = ";".join(f"{kind}:{date.isoformat()}" for kind, date in items)
        first = items[0][1] if items else self.day(0, since)
        return text, first

    def person(self, industry: str | None) -> dict:
        first, last = self.rnd.choice(FIRST), self.rnd.choice(LAST)
        company = website = ""
        if industry:
            company = f"{self.rnd.choice(WORDS)} {self.rnd.choice(NOUNS[industry])}"
            website = "https://www." + company.lower().replace(" & ", "-and-").replace(" ", "") + ".example"
            domain = website.removeprefix("https://www.")
        else:
            domain = self.rnd.choice(["mail.example", "inbox.example", "post.example"])
        email = f"{first}.{last}@{domain}".lower()
        while email in self.used_emails:
            email = f"{first}.{last}{self.rnd.randint(2, 99)}@{domain}".lower()
        self.used_emails.add(email)
        return {"email": email, "first_name": first, "last_name": last, "company": company,
                "company_website": website, "industry": industry or "", "country": self.rnd.choice(COUNTRIES)}

    def budget(self, lo: int, hi: int) -> str:
        step = 100 if hi <= 3000 else 500
        return str(self.rnd.randrange(lo // step, hi // step + 1) * step)

    def employees(self, industry: str) -> str:
        if industry == "dtc":
            return str(self.rnd.randint(15, 150))
        if industry in ("dental", "fitness-studio", "med-spa", "physiotherapy"):
            return str(self.rnd.randint(6, 40))
        return str(self.rnd.randint(1, 30))

    def title_for(self, industry: str) -> str:
        if industry in ("dental", "fitness-studio", "med-spa", "physiotherapy"):
            return self.rnd.choice(DECIDERS["local"])
        if industry == "dtc":
            return self.rnd.choice(DECIDERS["dtc"])
        return self.rnd.choice(DECIDERS["default"])

    def budget_for(self, industry: str) -> str:
        """A budget a good-fit business in this industry would typically have."""
        if industry == "dtc":
            return self.budget(8000, 60000)
        if industry == "ecommerce":
            return self.budget(5000, 30000)
        if industry in ("online-education", "coaching"):
            return self.budget(3000, 20000)
        return self.budget(2000, 8000)

    def add(self, kind: str, industry: str | None, **fields) -> None:
        self.number += 1
        row = {c: "" for c in COLUMNS}
        row.update(self.person(industry))
        row["id"] = f"hs-{self.number}"
        row["email_opt_in"] = "yes"
        row["lead_source"] = self.rnd.choice(SOURCES["subscriber" if kind == "subscriber" else
                                                     "lead" if kind == "lead" else "hot"])
        events = fields.pop("events", ("", None))
        row["events"], first = events
        created = first or self.day(0, WINDOW_DAYS)
        row["create_date"] = (created - dt.timedelta(days=self.rnd.randint(0, 3))).isoformat()
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.append(row)

    def good_fit(self, industry: str, **over) -> dict:
        fields = {"job_title": self.title_for(industry), "employee_count": self.employees(industry),
                  "monthly_ad_budget": self.budget_for(industry), "runs_meta_ads": "yes",
                  "expected_contact_cadence": self.rnd.choice(GOOD_CADENCE),
                  "main_channel_needed": self.rnd.choice(["facebook-ads", "instagram-ads", "meta-ads"])}
        fields.update(over)
        return fields

    # ------------------------------------------------------------ the funnel

    def subscribers(self, n: int) -> None:
        """Opted in to the newsletter or a guide; never told us about their business."""
        for _ in range(n):
            roll = self.rnd.random()
            extra = {}
            if roll < 0.07:  # later unsubscribed
                events = self.events(self.rnd.randint(1, 3), extra=[("unsubscribed", 0, 60)])
                extra["email_opt_in"] = "no"
            elif roll < 0.11:
                events = self.events(self.rnd.randint(0, 2), extra=[("email_bounced", 0, 90)])
            elif roll < 0.18:  # students reading the guides
                events = self.events(self.rnd.randint(1, 4), extra=[("guide_downloaded", 0, 150)])
                extra["job_title"] = self.rnd.choice(["student", "student", "intern", "job-seeker"])
            else:
                events = self.events(self.rnd.randint(0, 5))
                if self.rnd.random() < 0.3:
                    extra["job_title"] = self.rnd.choice(DECIDERS["default"] + OTHER_TITLES)
            self.add("subscriber", None, events=events, **extra)

    def leads(self, n: int) -> None:
        """Told us who they are through a form, but do not qualify (yet, or ever)."""
        for _ in range(n):
            roll = self.rnd.random()
            form = self.rnd.choice(["guide_downloaded", "webinar_attended", "case_study_downloaded"])
            if roll < 0.22:  # below our price point
                industry = self.rnd.choice(GOOD_INDUSTRIES + OTHER_INDUSTRIES[:2])
                fields = self.good_fit(industry, monthly_ad_budget=self.budget(200, 1900),
                                       employee_count=str(self.rnd.randint(1, 8)),
                                       runs_meta_ads=self.rnd.choice(["yes", "no"]))
                events = self.events(self.rnd.randint(1, 4), extra=[(form, 5, 170)])
            elif roll < 0.32:  # expect daily (or hourly) contact
                industry = self.rnd.choice(GOOD_INDUSTRIES)
                fields = self.good_fit(industry, expected_contact_cadence=self.rnd.choice(["daily"] * 4 + ["hourly"]))
                events = self.events(self.rnd.randint(1, 4), extra=[(form, 0, 120)])
            elif roll < 0.39:  # want a channel we do not run
                industry = self.rnd.choice(GOOD_INDUSTRIES + OTHER_INDUSTRIES)
                fields = self.good_fit(industry, main_channel_needed=self.rnd.choice(
                    ["google-ads", "google-ads", "tiktok", "seo", "website", "linkedin"]),
                    runs_meta_ads=self.rnd.choice(["yes", "no"]))
                events = self.events(self.rnd.randint(0, 3), extra=[(form, 0, 170)])
            elif roll < 0.45:  # other agencies looking at how we do it
                industry = self.rnd.choice(["marketing-agency", "marketing-agency", "advertising-agency"])
                fields = {"job_title": self.rnd.choice(["founder", "consultant", "marketing-coordinator"]),
                          "employee_count": str(self.rnd.randint(1, 25)), "runs_meta_ads": "yes"}
                extra = [("pricing_page_viewed", 0, 90)]
                if self.rnd.random() < 0.4:
                    extra.append(("careers_page_viewed", 0, 90))
                events = self.events(self.rnd.randint(2, 6), extra=extra)
            elif roll < 0.49:  # students with a side project
                industry = self.rnd.choice(["ecommerce", "online-education", "coaching"])
                fields = {"job_title": self.rnd.choice(["student", "intern", "job-seeker"]),
                          "monthly_ad_budget": self.rnd.choice(["", "0", "100", "300"]),
                          "runs_meta_ads": "no"}
                events = self.events(self.rnd.randint(1, 3), extra=[("guide_downloaded", 0, 150)])
            elif roll < 0.66:  # businesses we are not built for
                industry = self.rnd.choice(OTHER_INDUSTRIES)
                fields = {"job_title": self.rnd.choice(DECIDERS["default"] + OTHER_TITLES),
                          "employee_count": str(self.rnd.randint(2, 200)),
                          "monthly_ad_budget": self.rnd.choice(["", self.budget(500, 15000)]),
                          "runs_meta_ads": self.rnd.choice(["yes", "no"]),
                          "expected_contact_cadence": self.rnd.choice(GOOD_CADENCE + [""])}
                events = self.events(self.rnd.randint(0, 3), extra=[(form, 0, 170)])
            else:  # good fit, but quiet: engagement too low or long decayed
                industry = self.rnd.choice(GOOD_INDUSTRIES)
                fields = self.good_fit(industry)
                if self.rnd.random() < 0.5:
                    fields["expected_contact_cadence"] = ""  # the form did not ask
                if self.rnd.random() < 0.4:
                    fields["job_title"] = self.rnd.choice(OTHER_TITLES)
                old = self.rnd.choice(STRONG)
                events = self.events(self.rnd.randint(0, 2), since=170, extra=[(old, 95, 175)])
            self.add("lead", industry, events=events, **fields)

    def fresh_interest(self) -> list[tuple[str, int, int]]:
        """Enough recent activity for an engagement score of 20 or more."""
        strong = [(self.rnd.choice(["audit_requested", "call_booked"]), 0, 28)]
        if self.rnd.random() < 0.5:
            strong.append(("pricing_page_viewed", 0, 28))
        if self.rnd.random() < 0.4:
            strong.append(("webinar_attended", 20, 80))
        return strong

    def mqls(self, n: int) -> None:
        for _ in range(n):
            industry = self.rnd.choice(GOOD_INDUSTRIES)
            self.add("mql", industry, events=self.events(self.rnd.randint(1, 5), strong=self.fresh_interest()),
                     **self.good_fit(industry))

    def sals(self, n: int) -> None:
        for _ in range(n):
            industry = self.rnd.choice(GOOD_INDUSTRIES)
            self.add("sal", industry, events=self.events(self.rnd.randint(1, 5), strong=self.fresh_interest()),
                     sales_accepted="yes", **self.good_fit(industry))

    def sqls(self, n: int) -> None:
        for _ in range(n):
            industry = self.rnd.choice(GOOD_INDUSTRIES[:10])  # stores, brands and clinics
            fields = self.good_fit(industry)
            fields["monthly_ad_budget"] = self.budget(5000, 40000)
            more = self.rnd.sample(["authority", "timeline"] + ALIGNMENT, self.rnd.randint(0, 4))
            self.add("sql", industry, events=self.events(self.rnd.randint(2, 6), strong=[
                ("audit_requested", 25, 70), ("call_booked", 10, 40)]),
                sales_accepted="yes", discovery_call_held="yes", confirmed=";".join(["need", "budget"] + more),
                **fields)

    def opportunities(self, n: int) -> None:
        for _ in range(n):
            industry = self.rnd.choice(GOOD_INDUSTRIES[:10])
            fields = self.good_fit(industry)
            fields["monthly_ad_budget"] = self.budget(5000, 40000)
            self.add("opportunity", industry, events=self.events(self.rnd.randint(2, 6), strong=[
                ("audit_requested", 40, 100), ("call_booked", 20, 60), ("pricing_page_viewed", 0, 20)]),
                sales_accepted="yes", discovery_call_held="yes", confirmed=";".join(BANT + ALIGNMENT), **fields)

    def customers(self, n: int) -> None:
        for _ in range(n):
            industry = self.rnd.choice(GOOD_INDUSTRIES)
            fields = self.good_fit(industry)
            self.add("customer", industry, events=self.events(self.rnd.randint(1, 4), strong=[
                ("audit_requested", 90, 170), ("call_booked", 70, 130)]),
                sales_accepted="yes", discovery_call_held="yes", confirmed=";".join(BANT + ALIGNMENT),
                agreement_signed="yes", **fields)

    def rejected(self) -> None:
        """Leads sales sent back to marketing with a reason code that has a nurture track."""
        plan = ["below-price-point"] * 4 + ["bad-timing"] * 3 + ["unresponsive"] * 2 + \
               ["long-buying-cycle"] * 2 + ["no-authority", "no-budget"]
        for reason in plan:
            industry = self.rnd.choice(GOOD_INDUSTRIES)
            fields = self.good_fit(industry)
            extra = {"sales_accepted": "no", "rejection_reason": reason}
            if reason == "below-price-point":
                fields["monthly_ad_budget"] = self.budget(500, 1900)
            elif reason == "no-authority":
                fields["job_title"] = self.rnd.choice(["marketing-coordinator", "assistant"])
            if reason in ("long-buying-cycle", "no-authority", "no-budget"):
                extra.update(discovery_call_held="yes", confirmed="need")
            # interest faded since the rejection: the strong signals are two to four months old
            self.add("lead", industry, events=self.events(self.rnd.randint(0, 2), since=60, strong=[
                (self.rnd.choice(["audit_requested", "call_booked"]), 60, 120)]), **extra, **fields)


def main() -> None:
    maker = Maker(SEED)
    maker.subscribers(112)
    maker.leads(120)
    maker.mqls(22)
    maker.sals(10)
    maker.sqls(8)
    maker.opportunities(6)
    maker.customers(9)
    maker.rejected()
    rows = maker.rows
    random.Random(SEED + 1).shuffle(rows)  # an export is in no particular funnel order
    rows.sort(key=lambda r: r["create_date"])  # ... but HubSpot numbers records as they are created
    for number, row in enumerate(rows, start=10001):
        row["id"] = f"hs-{number}"
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {len(rows)} leads to {OUT}")


if __name__ == "__main__":
    main()
