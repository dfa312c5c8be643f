"""A deterministic fake web for the cycle benchmark: F feeds x E items, RSS and Atom, ~40 KB pages.

Same arguments, same bytes: every choice comes from one seeded `random.Random`. Each feed is its
own site (a directory `site-NNN/`) so the benchmark can serve it on its own loopback address, as
real forces and papers live on their own hosts. Links are written as `{{BASE}}/...`;
`monitor.loopback.SiteServer` fills in the base URL of the server that serves the site.

What is in it, per feed (fractions of items, chosen by exact counts so small corpora keep them):
- `relevant` (default 10%): county-lines operations with figures. Three feed-entry styles:
  explicit ("county lines" in title or summary), implicit (only "drugs"/"warrants" in the entry,
  "county lines" only on the page) and subtle (only "jailed"/"safeguarded" in the entry).
  Press feeds partly re-report police stories (same figures, new words): the dedupe path runs.
- `lookalike` (3%): "County Lines" the film, "Stockport County lines up a loan move",
  US "County Line Road" crashes. Not relevant.
- `crime` (25%): arrests, charges, burglary, fraud, assault: smell of policing, not county lines.
- `drugs` (5%): cannabis farms, drink/drug driving: drugs but not county lines.
- `other`: collisions, appeals, missing people, recruitment, community events.
Pages carry real-looking boilerplate: inline CSS and scripts, JSON-LD, a cookie banner, a mega
menu (police sites have a "County lines" advice page in it), a "latest news" sidebar that names
other items (so relevant headlines appear in the boilerplate of irrelevant pages) and a footer.

    python benchmarks/corpus.py OUT_DIR --feeds 50 --items 40   # writes OUT_DIR, prints a summary
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

TOWNS = (
    "Hastings",
    "Exeter",
    "Barrow-in-Furness",
    "Blackpool",
    "Margate",
    "Swindon",
    "Norwich",
    "Ipswich",
    "Lincoln",
    "Shrewsbury",
    "Taunton",
    "Carlisle",
    "Scarborough",
    "Grimsby",
    "Bournemouth",
    "Weymouth",
    "Torquay",
    "Aberystwyth",
    "Wrexham",
    "Hereford",
    "Worcester",
    "Kettering",
    "Bedford",
    "Luton",
    "Southend",
    "Colchester",
    "Cambridge",
    "Peterborough",
    "Boston",
    "Skegness",
    "Whitby",
    "Harrogate",
    "Kendal",
    "Workington",
    "Penrith",
    "Hexham",
)
CITIES = ("London", "Liverpool", "Birmingham", "Manchester", "Leeds", "Bristol", "Nottingham")
FORCES = (
    "Sussex Police",
    "Devon and Cornwall Police",
    "Cumbria Constabulary",
    "Lancashire Police",
    "Kent Police",
    "Wiltshire Police",
    "Norfolk Constabulary",
    "Suffolk Constabulary",
    "Lincolnshire Police",
    "West Mercia Police",
    "Avon and Somerset Police",
    "Essex Police",
    "North Yorkshire Police",
    "Humberside Police",
    "Dorset Police",
    "Dyfed-Powys Police",
    "North Wales Police",
    "Northamptonshire Police",
    "Bedfordshire Police",
    "Cambridgeshire",
)
PAPERS = (
    "Evening Argus",
    "Western Gazette",
    "Coastal Echo",
    "County Chronicle",
    "Daily Courier",
    "Northern Star",
    "Valley Advertiser",
    "Borough Herald",
    "Shire Post",
    "Harbour Mercury",
)
NAMES = ("Jordan", "Tyler", "Kieran", "Reece", "Callum", "Liam", "Marcus", "Dean", "Ashley")
SURNAMES = ("Smith", "Brown", "Walker", "Hughes", "Clarke", "Wright", "Turner", "Hall", "Ward")
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")
LINE_NAMES = ("Rico", "Smudge", "Bando", "Dee", "Tinks", "Ghost", "Milly", "Zed", "Kato", "Jay")

BASE_DATE = datetime(2024, 10, 14, 9, 0, tzinfo=UTC)


@dataclass
class Item:
    feed: int
    index: int
    kind: str  # relevant | lookalike | crime | drugs | other
    style: str  # for relevant: explicit | implicit | subtle; else the template name
    path: str  # URL path of the article page on its site
    guid: str
    title: str
    summary: str
    published: str
    paragraphs: list[str] = field(default_factory=list)

    @property
    def relevant(self) -> bool:
        return self.kind == "relevant"

    @property
    def text(self) -> str:
        """The article's own words (what a perfect main-text extractor returns)."""
        return "\n\n".join([self.title, *self.paragraphs])


@dataclass
class Feed:
    index: int
    name: str  # source name in config.yaml
    kind: str  # police | press
    publisher: str
    format: str  # rss | atom
    path: str  # URL path of the feed on its site
    items: list[Item] = field(default_factory=list)

    @property
    def site(self) -> str:
        return f"site-{self.index:03d}"


@dataclass
class Corpus:
    root: Path
    feeds: list[Feed]
    seed: int
    relevant_fraction: float

    @property
    def items(self) -> list[Item]:
        return [i for f in self.feeds for i in f.items]

    def relevant_paths(self) -> set[tuple[int, str]]:
        return {(i.feed, i.path) for i in self.items if i.relevant}

    def summary(self) -> dict[str, object]:
        kinds: dict[str, int] = {}
        for item in self.items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        pages = sorted(
            (self.root / f.site / i.path.strip("/") / "index.html").stat().st_size
            for f in self.feeds
            for i in f.items
        )
        return {
            "feeds": len(self.feeds),
            "items": len(self.items),
            "kinds": kinds,
            "rss": sum(f.format == "rss" for f in self.feeds),
            "atom": sum(f.format == "atom" for f in self.feeds),
            "page_bytes_median": pages[len(pages) // 2],
        }

    def config_yaml(self, bases: list[str], archive: str) -> str:
        """config.yaml for `monitor run`, feed i served at bases[i]."""
        lines = [f"archive: {archive}", "cycle_timeout: 600", "sources:"]
        for feed in self.feeds:
            lines += [
                f"  - name: {feed.name}",
                f'    url: "{bases[feed.index]}{feed.path}"',
                "    type: feed",
                f"    kind: {feed.kind}",
                f"    {'force' if feed.kind == 'police' else 'publisher'}: {feed.publisher}",
                "    every: 30m",
            ]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- text of the items


def _figures_paragraphs(rng: random.Random, town: str, city: str, force: str) -> dict[str, object]:
    """The facts of one county-lines operation; press re-reports reuse them."""
    return {
        "town": town,
        "city": city,
        "force": force,
        "arrests": rng.randint(2, 24),
        "cash": rng.choice((4, 8, 12, 15, 21, 35, 48, 60, 120)) * 1000,
        "kg": rng.choice((0.4, 1.2, 2.3, 3, 5.5)),
        "phones": rng.randint(2, 30),
        "safeguarded": rng.randint(2, 40),
        "lines": rng.randint(1, 9),
        "warrants": rng.randint(3, 18),
        "line": rng.choice(LINE_NAMES),
        "years": rng.choice((3, 4, 5, 6, 7, 8)),
        "name": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}",
        "age": rng.randint(19, 34),
        "day": rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
    }


def _relevant(
    rng: random.Random, style: str, facts: dict, press: bool
) -> tuple[str, str, list[str]]:
    f = facts
    w = NUMBER_WORDS[min(f["lines"], len(NUMBER_WORDS)) - 1] if f["lines"] >= 2 else "one"
    if style == "explicit":
        title = rng.choice(
            (
                f"{f['arrests']} arrested as county lines network supplying {f['town']} is dismantled",
                f"County lines dealer from {f['city']} jailed for {f['years']} years",
                f"{w.capitalize()} county lines closed in week of action across {f['town']}",
                f"Drug line holder who exploited children in {f['town']} is jailed",
            )
        )
        summary = (
            f"Officers targeting county lines drug supply into {f['town']} arrested "
            f"{f['arrests']} people and safeguarded vulnerable residents."
        )
    elif style == "implicit":
        title = rng.choice(
            (
                f"{f['arrests']} arrested in drugs raids across {f['town']}",
                f"Warrants executed in {f['town']} as officers target drug supply",
                f"Cocaine and cash seized in dawn raids in {f['town']}",
            )
        )
        summary = f"Officers executed {f['warrants']} warrants in {f['town']} on {f['day']}."
    else:  # subtle: nothing about drugs in the feed entry
        title = rng.choice(
            (
                f"Man, {f['age']}, jailed after officers stop car on the way to {f['town']}",
                f"Teenagers safeguarded after addresses visited in {f['town']}",
            )
        )
        summary = f"A {f['city']} man has been dealt with at {f['town']} Crown Court."
    if press:
        title = f"{title} - {f['town']} news"
    kg = f"{f['kg']:g}"
    body = [
        f"Officers from {f['force']} carried out an operation in {f['town']} on {f['day']} "
        f"targeting a county line run from {f['city']}, known to users as '{f['line']}'.",
        f"During the week {f['arrests']} people were arrested and {f['warrants']} warrants were "
        f"executed. Officers seized £{f['cash']:,} in cash, {kg}kg of cocaine and {f['phones']} "
        f"mobile phones.",
        f"{f['safeguarded']} vulnerable people, including children, were safeguarded, and "
        f"{f['lines']} county lines were closed down.",
        f"{f['name']}, {f['age']}, of {f['city']}, was jailed for {f['years']} years at "
        f"{f['town']} Crown Court after admitting being concerned in the supply of class A drugs."
        if style != "implicit"
        else f"Those arrested remain in custody and enquiries are continuing in {f['town']}.",
        'Detective Inspector Sam Ridley said: "County lines gangs exploit children and '
        "vulnerable adults, using them to move drugs and cash. We will keep closing these lines "
        'and safeguarding the people they prey on."',
        "Anyone concerned that a young person is being exploited should call 101, or "
        "Crimestoppers anonymously on 0800 555 111.",
    ]
    if press:
        body = [
            f"A county lines gang that flooded {f['town']} with drugs has been broken up, police "
            f"have said.",
            *body[1:3],
            f"The operation was led by {f['force']}, which said the '{f['line']}' line was run "
            f"from {f['city']}.",
            body[4],
            f"Residents told the {f['town']} paper they had noticed fewer callers at the flats.",
        ]
    return title, summary, body


def _lookalike(rng: random.Random, town: str) -> tuple[str, str, str, list[str]]:
    style = rng.choice(("film", "football", "us_road"))
    if style == "film":
        return (
            style,
            "Film review: County Lines",
            ("A teenager is drawn into drug running in this tough debut feature film."),
            [
                "County Lines, the feature film directed by Henry Blake, follows Tyler, a 14-year-old "
                "in east London who is groomed into carrying drugs to a seaside town.",
                "Starring Conrad Khan and Ashley Madekwe, the screenplay was developed from the "
                "director's own work as a youth worker. The release date is this Friday in cinemas.",
                "Certificate 15. The BFI has backed the film, and the premiere drew a standing ovation.",
                "It is a quiet, angry film that never lectures, and the cast are remarkable.",
            ],
        )
    if style == "football":
        return (
            style,
            "Stockport County lines up loan move for young striker",
            ("The Hatters are close to a deal for the Premier League youngster."),
            [
                "Stockport County lines up a season-long loan for the 19-year-old striker, with the "
                "deal expected to be completed before Saturday's trip to "
                f"{town}.",
                "The manager said he wanted more pace in the squad after three draws in a row.",
                "County have scored 14 goals in 11 league games so far this season.",
            ],
        )
    return (
        style,
        "Two hurt in crash on County Line Road",
        ("Emergency crews were called to the junction late on Tuesday."),
        [
            "Two people were taken to hospital after a crash on County Line Road near the Ohio border "
            "on Tuesday evening, the sheriff's office said.",
            "The road was closed for three hours while the vehicles were recovered. Drivers heading "
            "across the county line into Indiana were diverted.",
        ],
    )


_CRIME = (
    (
        "burglary",
        "Man charged with burglaries in {town}",
        "A man has been charged after a series of burglaries in {town}.",
        [
            "A 32-year-old man from {town} has been charged with six counts of burglary.",
            "He was arrested on Tuesday after officers reviewed CCTV footage from the town centre.",
            "He has been remanded in custody to appear at {town} Magistrates' Court.",
        ],
    ),
    (
        "fraud",
        "Fraudster who stole from pensioners in {town} is jailed",
        "The woman took more than £80,000 from elderly victims.",
        [
            "A woman who stole more than £80,000 from elderly people in {town} has been jailed for "
            "four years.",
            "She posed as a bank official and persuaded victims to hand over their cards.",
            "Detectives thanked the victims' families for their help.",
        ],
    ),
    (
        "assault",
        "Two arrested after assault outside {town} pub",
        "Officers are appealing for witnesses to the disorder on Saturday night.",
        [
            "Two men have been arrested after a man was assaulted outside a pub in {town} on "
            "Saturday night.",
            "The victim was taken to hospital with facial injuries.",
            "Anyone with information is asked to call 101 quoting the incident number.",
        ],
    ),
    (
        "theft",
        "Shoplifting crackdown in {town} leads to eight arrests",
        "Retailers welcomed the operation.",
        [
            "Eight people have been arrested during an operation targeting shop theft in {town}.",
            "Officers worked with shop staff and the business crime partnership.",
        ],
    ),
    (
        "knife",
        "Knife arches and weapon sweeps in {town} as part of national operation",
        "Officers carried out test purchases and weapon sweeps.",
        [
            "Knife arches were set up at {town} station as part of a national week of action on "
            "knife crime.",
            "Officers found two knives during weapon sweeps of parks and open spaces.",
        ],
    ),
)
_DRUGS = (
    (
        "cannabis_farm",
        "Cannabis farm found in {town} house",
        "Officers found more than 200 plants.",
        [
            "A cannabis factory with more than 200 plants was found at a house in {town}.",
            "A 41-year-old man was arrested on suspicion of producing a controlled drug.",
        ],
    ),
    (
        "drug_driving",
        "Drink and drug driving campaign results published",
        "Officers stopped more than 900 vehicles across the county.",
        [
            "Officers arrested 64 people for drink or drug driving during the summer campaign.",
            "Roads policing teams carried out roadside tests across the county, including {town}.",
        ],
    ),
)
_OTHER = (
    (
        "collision",
        "Appeal after collision on A-road near {town}",
        "A motorcyclist was taken to hospital.",
        [
            "Officers are appealing for witnesses after a collision between a car and a motorcycle "
            "near {town} on Sunday afternoon.",
            "The road was closed for several hours while investigations took place.",
            "Anyone with dashcam footage is asked to get in touch.",
        ],
    ),
    (
        "missing",
        "Have you seen missing {town} woman?",
        "Officers are concerned for her welfare.",
        [
            "Officers are concerned for the welfare of a 27-year-old woman from {town} who has not "
            "been seen since Friday.",
            "She is described as white, 5ft 6in tall, with long brown hair.",
        ],
    ),
    (
        "recruitment",
        "Become a special constable in {town}",
        "Applications are open now.",
        [
            "We are looking for people from all walks of life to volunteer as special constables "
            "in {town} and the surrounding area.",
            "Specials have the same powers as regular officers and receive full training.",
        ],
    ),
    (
        "community",
        "Neighbourhood surgery at {town} library this week",
        "Come and meet your local team.",
        [
            "Your neighbourhood policing team will be at {town} library on Thursday from 10am.",
            "Drop in to raise any concerns about anti-social behaviour or road safety.",
        ],
    ),
    (
        "scam",
        "Warning over courier fraud calls in {town}",
        "Banks and police will never ask for your PIN.",
        [
            "Residents in {town} are being warned after a number of calls from fraudsters claiming "
            "to be police officers.",
            "Never hand your bank card to a courier, and hang up if you are unsure.",
        ],
    ),
    (
        "council",
        "Council approves new cycle lanes for {town}",
        "Work will start in the spring.",
        [
            "Councillors in {town} have approved plans for two new cycle lanes in the town centre.",
            "The scheme is funded by a government grant and will take six months to build.",
        ],
    ),
    (
        "weather",
        "Flood warnings issued for rivers around {town}",
        "Heavy rain is expected overnight.",
        [
            "The Environment Agency has issued flood warnings for rivers around {town}.",
            "Residents are advised to move valuables upstairs and check on neighbours.",
        ],
    ),
)


def _template(rng: random.Random, table: tuple, town: str) -> tuple[str, str, str, list[str]]:
    style, title, summary, body = rng.choice(table)
    fill = {"town": town}
    return style, title.format(**fill), summary.format(**fill), [p.format(**fill) for p in body]


# ---------------------------------------------------------------- page and feed markup


def _css(rng: random.Random, rules: int) -> str:
    props = ("margin", "padding", "color", "font-size", "line-height", "border-bottom", "display")
    values = ("0 auto", "1rem 0", "#1d1d1b", "1.125rem", "1.5", "1px solid #b1b4b6", "flex")
    out = []
    for n in range(rules):
        block = "; ".join(f"{rng.choice(props)}: {rng.choice(values)}" for _ in range(4))
        out.append(f".c-{n:03d} .o-grid__item--{rng.randint(1, 12)} > a:hover {{ {block} }}")
    return "\n".join(out)


_SCRIPT = (
    "window.dataLayer = window.dataLayer || [];function gtag(){dataLayer.push(arguments);}"
    "gtag('js', new Date());gtag('config', 'G-XXXXXXXX', {anonymize_ip: true});"
    "(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:"
    "'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s);j.async=true;j.src="
    "'https://www.googletagmanager.com/gtm.js?id='+i;f.parentNode.insertBefore(j,f);})"
    "(window,document,'script','dataLayer','GTM-ABCDEF');"
)

_POLICE_MENU = (
    "Report",
    "Report a crime",
    "Report a road traffic incident",
    "Report anti-social behaviour",
    "Report domestic abuse",
    "Advice",
    "Burglary advice",
    "County lines",
    "Cuckooing advice",
    "Fraud and scams",
    "Online safety",
    "Knife crime",
    "Hate crime",
    "Stalking and harassment",
    "Child sexual exploitation",
    "Modern slavery",
    "Road safety",
    "Rural crime",
    "Your area",
    "Find your neighbourhood team",
    "Police stations",
    "Careers",
    "Police officer",
    "PCSO",
    "Special constable",
    "Police staff",
    "About us",
    "Chief officer team",
    "Freedom of information",
    "Publication scheme",
    "Complaints",
    "News",
    "Appeals",
    "Court results",
    "Wanted",
)
_PRESS_MENU = (
    "News",
    "Local news",
    "Crime",
    "Courts",
    "Politics",
    "Business",
    "Health",
    "Education",
    "Sport",
    "Football",
    "Cricket",
    "Rugby",
    "What's on",
    "Food and drink",
    "Music",
    "Theatre",
    "Film reviews",
    "Property",
    "Motoring",
    "Jobs",
    "Announcements",
    "Deaths",
    "Weddings",
    "Puzzles",
    "Newsletters",
    "Contact us",
    "Advertise",
    "Subscribe",
    "Photo sales",
)
_FOOTER = (
    "Accessibility",
    "Cookies",
    "Privacy notice",
    "Terms and conditions",
    "Modern slavery statement",
    "Contact us",
    "Sitemap",
    "Complaints",
    "Careers",
    "RSS feeds",
    "Newsletters",
    "Facebook",
    "X (Twitter)",
    "Instagram",
    "YouTube",
    "LinkedIn",
    "Nextdoor",
    "Help",
)


def _slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(p for p in out.split("-") if p)[:80]


def _page(rng: random.Random, feed: Feed, item: Item, others: list[Item], target: int) -> str:
    menu = _POLICE_MENU if feed.kind == "police" else _PRESS_MENU
    nav = "\n".join(
        f'      <li class="c-nav__item"><a class="c-nav__link" href="/{_slug(m)}/">{escape(m)}</a>'
        f"</li>"
        for m in menu
    )
    related = "\n".join(
        f'        <li class="c-related__item"><a href="{{{{BASE}}}}{o.path}">{escape(o.title)}</a>'
        f' <time datetime="{o.published}">{o.published[:10]}</time></li>'
        for o in others
    )
    footer = " | ".join(f'<a href="/{_slug(x)}/">{escape(x)}</a>' for x in _FOOTER)
    paragraphs = "\n".join(f"        <p>{escape(p)}</p>" for p in item.paragraphs)
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": item.title,
            "datePublished": item.published,
            "publisher": {"@type": "Organization", "name": feed.publisher},
        }
    )
    head = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(item.title)} | {escape(feed.publisher)}</title>
  <meta name="description" content="{escape(item.summary)}">
  <meta property="og:title" content="{escape(item.title)}">
  <meta property="og:description" content="{escape(item.summary)}">
  <meta property="og:type" content="article">
  <link rel="canonical" href="{{{{BASE}}}}{item.path}">
  <link rel="alternate" type="application/rss+xml" href="{{{{BASE}}}}{feed.path}">
  <script type="application/ld+json">{ld}</script>
  <script>{_SCRIPT}</script>
"""
    body = f"""</head>
<body class="t-article t-{feed.kind}">
  <div class="c-cookie-banner" role="region" aria-label="Cookies on this site">
    <p>We use some essential cookies to make this website work. We'd like to set additional
    cookies to understand how you use the site and to improve our services.</p>
    <button class="c-button">Accept additional cookies</button>
    <button class="c-button">Reject additional cookies</button> <a href="/cookies/">View cookies</a>
  </div>
  <a class="c-skip-link" href="#main">Skip to main content</a>
  <header class="c-header"><a class="c-header__logo" href="/">{escape(feed.publisher)}</a>
    <form class="c-search" action="/search/"><input name="q" aria-label="Search"></form>
  </header>
  <nav class="c-nav" aria-label="Main menu">
    <ul class="c-nav__list">
{nav}
    </ul>
  </nav>
  <ol class="c-breadcrumb"><li><a href="/">Home</a></li><li><a href="/news/">News</a></li>
    <li aria-current="page">{escape(item.title)}</li></ol>
  <main id="main" class="c-main">
    <article class="c-article">
      <h1 class="c-article__title">{escape(item.title)}</h1>
      <p class="c-article__meta">Published: <time datetime="{item.published}">{item.published[:10]}
      </time></p>
      <div class="c-article__body">
{paragraphs}
      </div>
      <div class="c-share">Share this page: <a href="/share/facebook">Facebook</a>
        <a href="/share/x">X</a> <a href="/share/email">Email</a></div>
    </article>
  </main>
  <aside class="c-related" aria-label="Latest news">
    <h2>Latest news</h2>
    <ul class="c-related__list">
{related}
    </ul>
    <div class="c-promo"><h2>Sign up for updates</h2><p>Get the latest news and appeals from
    {escape(feed.publisher)} sent to your inbox.</p><a href="/newsletters/">Subscribe</a></div>
  </aside>
  <footer class="c-footer"><p>{footer}</p>
    <p>&copy; 2024 {escape(feed.publisher)}. All content is available under the Open Government
    Licence v3.0, except where otherwise stated.</p></footer>
  <script src="/assets/js/app.min.js" defer></script>
</body>
</html>
"""
    # Inline CSS is what makes real pages heavy; size it so the page lands near the target.
    room = max(0, target - len(head) - len(body) - 40)
    css = _css(rng, room // 110)
    return f"{head}  <style>\n{css[:room]}\n  </style>\n{body}"


def _rss(feed: Feed) -> str:
    items = "\n".join(
        f"""    <item>
      <title>{escape(i.title)}</title>
      <link>{{{{BASE}}}}{i.path}</link>
      <guid isPermaLink="false">{i.guid}</guid>
      <description>{escape(i.summary)}</description>
      <pubDate>{datetime.fromisoformat(i.published).strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
    </item>"""
        for i in feed.items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{escape(feed.publisher)} - News</title>
    <link>{{{{BASE}}}}/news/</link>
    <description>Latest news from {escape(feed.publisher)}</description>
    <language>en-gb</language>
    <atom:link href="{{{{BASE}}}}{feed.path}" rel="self" type="application/rss+xml"/>
{items}
  </channel>
</rss>
"""


def _atom(feed: Feed) -> str:
    entries = "\n".join(
        f"""  <entry>
    <title>{escape(i.title)}</title>
    <link rel="alternate" type="text/html" href="{{{{BASE}}}}{i.path}"/>
    <id>{i.guid}</id>
    <updated>{i.published}</updated>
    <summary>{escape(i.summary)}</summary>
  </entry>"""
        for i in feed.items
    )
    updated = feed.items[0].published if feed.items else BASE_DATE.isoformat()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title>{escape(feed.publisher)}</title>
  <id>tag:{feed.site}.example,2024:news</id>
  <link rel="self" href="{{{{BASE}}}}{feed.path}"/>
  <updated>{updated}</updated>
{entries}
</feed>
"""


# ---------------------------------------------------------------- the generator

MIX = (("lookalike", 0.03), ("crime", 0.25), ("drugs", 0.05))  # the rest is "other"
STYLES = ("explicit",) * 6 + ("implicit",) * 3 + ("subtle",)


def _kinds(rng: random.Random, n: int, relevant: float) -> list[str]:
    counts = {"relevant": round(n * relevant)}
    for kind, share in MIX:
        counts[kind] = round(n * share)
    counts["other"] = max(0, n - sum(counts.values()))
    kinds = [k for k, c in counts.items() for _ in range(c)][:n]
    rng.shuffle(kinds)
    return kinds


def generate(
    root: str | Path,
    feeds: int = 10,
    items: int = 20,
    relevant: float = 0.1,
    seed: int = 1234,
    page_bytes: int = 40_000,
    write: bool = True,
) -> Corpus:
    """Write the corpus under `root` (one directory per site) and return its manifest;
    `write=False` only builds the manifest (the placement benchmark needs the words, not pages)."""
    rng = random.Random(seed)
    root = Path(root)
    out: list[Feed] = []
    police_stories: list[dict] = []
    style_n = 0
    for f in range(feeds):
        press = f % 4 == 3  # a quarter of the sources are local papers
        publisher = PAPERS[f % len(PAPERS)] if press else FORCES[f % len(FORCES)]
        fmt = "atom" if f % 2 else "rss"
        path = f"/news/{'feed.atom' if fmt == 'atom' else 'rss.xml'}"
        feed = Feed(f, f"bench-{f:03d}", "press" if press else "police", publisher, fmt, path)
        for j, kind in enumerate(_kinds(rng, items, relevant)):
            town = rng.choice(TOWNS)
            when = BASE_DATE - timedelta(hours=5 * j, minutes=7 * f)
            if kind == "relevant":
                style = STYLES[style_n % len(STYLES)]
                style_n += 1
                if press and police_stories and rng.random() < 0.5:
                    facts = rng.choice(police_stories)  # a re-report of a police release
                else:
                    facts = _figures_paragraphs(
                        rng, town, rng.choice(CITIES), publisher if not press else FORCES[0]
                    )
                    if not press:
                        police_stories.append(facts)
                title, summary, body = _relevant(rng, style, facts, press)
            elif kind == "lookalike":
                style, title, summary, body = _lookalike(rng, town)
            else:
                table = {"crime": _CRIME, "drugs": _DRUGS, "other": _OTHER}[kind]
                style, title, summary, body = _template(rng, table, town)
            slug = f"{_slug(title)}-{j:04d}"
            feed.items.append(
                Item(
                    feed=f,
                    index=j,
                    kind=kind,
                    style=style,
                    path=f"/news/{slug}/",
                    guid=f"tag:{feed.site}.example,2024:{j:05d}",
                    title=title,
                    summary=summary,
                    published=when.isoformat().replace("+00:00", "Z"),
                    paragraphs=body,
                )
            )
        out.append(feed)
    corpus = Corpus(root, out, seed, relevant)
    if not write:
        return corpus
    for feed in out:
        site = root / feed.site
        for item in feed.items:
            others = [o for o in feed.items if o is not item]
            others = rng.sample(others, min(8, len(others)))
            page = _page(rng, feed, item, others, page_bytes)
            target = site / item.path.strip("/") / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page, encoding="utf-8")
        feed_file = site / feed.path.lstrip("/")
        feed_file.parent.mkdir(parents=True, exist_ok=True)
        feed_file.write_text(_rss(feed) if feed.format == "rss" else _atom(feed), encoding="utf-8")
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /search/\n", encoding="utf-8")
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "relevant_fraction": relevant,
                "feeds": [
                    {
                        **{k: v for k, v in asdict(f).items() if k != "items"},
                        "items": [{**asdict(i), "paragraphs": None} for i in f.items],
                    }
                    for f in out
                ],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--feeds", type=int, default=10)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--relevant", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    corpus = generate(args.out, args.feeds, args.items, args.relevant, args.seed)
    print(json.dumps(corpus.summary()))


if __name__ == "__main__":
    main()
