"""The words and patterns that cue each part of a draft: reporting verbs, speakers' roles,
media, deal and delivery words, system nouns, anonymity, stances and statuses."""

import re

# Verbs of speech (an actor speaks through someone), as against acts (`called on`, `criticised`).
SPEECH_VERBS = {
    "said", "says", "say", "told", "tells", "added", "stated", "announced", "confirmed", "confirms",
    "denied", "denies", "insisted", "insists", "claimed", "claims", "noted", "declared", "rejected",
    "dismissed", "dismisses", "refuted",
}  # fmt: skip
REPORTING = {
    "said", "says", "say", "told", "tells", "added", "stated", "announced", "confirmed", "confirms", "confirm",
    "denied", "denies", "deny", "reported", "insisted", "insists", "argued", "argue", "argues", "claimed",
    "claims", "warned", "warns", "noted", "suspect", "suspects", "acknowledged", "admitted", "urged",
    "criticized", "criticised", "condemned", "declared", "quoted", "stressed", "rejected", "welcomed", "welcomes",
    "hailed", "praised", "dismissed", "dismisses", "refuted", "defended", "defends", "criticises", "criticizes",
    "condemns",
}  # fmt: skip
PRONOUNS = {"he", "she", "they", "we", "it"}
ROLE_WORDS = {
    "official", "officials", "spokesman", "spokeswoman", "spokesperson", "minister", "ministry", "president",
    "source", "sources", "diplomat", "diplomats", "media", "reports", "report", "newspaper", "agency", "analyst",
    "analysts", "officer", "officers", "commander", "envoy", "ambassador", "secretary", "chief", "head",
    "director", "government", "representative", "executive", "he", "she", "they", "we",
    # `two people familiar with the talks told Reuters`, `a lawmaker for the opposition said`
    "people", "person", "insider", "insiders", "aide", "aides", "adviser", "advisers", "lawmaker", "lawmakers",
    "legislator", "legislators", "senator", "senators", "congressman", "congresswoman",
}  # fmt: skip
# Family names written first (Chinese, Korean, Vietnamese): `Chen Hao` is `Chen` on second
# mention, `Park Jin-woo` is `Park`.
FAMILY_NAME_FIRST = {
    "chen", "wang", "li", "zhang", "liu", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "zhu", "hu", "guo",
    "lin", "luo", "gao", "mao", "zheng", "xie", "tang", "feng", "dong", "cao", "kim", "lee", "park", "choi", "jung",
    "kang", "cho", "yoon", "jang", "lim", "shin", "han", "oh", "seo", "kwon", "nguyen", "tran", "pham", "hoang",
    "phan", "vu", "dang", "bui", "do", "ngo",
}  # fmt: skip

# Military ranks and titles before a name are no part of it: `Captain Marissa Dela Cruz`,
# `Major General Ahmed Slimani`, `Lt. Col. Ana Ruiz` are proposed as the person's name alone.
RANKS = {
    "general", "captain", "colonel", "lieutenant", "major", "admiral", "brigadier", "commodore", "marshal",
    "sergeant", "rear", "vice", "air", "gen", "lt", "col", "maj", "capt", "adm", "brig", "sgt", "cmdr", "mr", "ms",
    "mrs", "dr",
}  # fmt: skip

# Capitalised words that open a sentence before a comma and are no name: `In Athens,`.
APPOSITIVE_NOT_NAMES = {"in", "on", "at", "the", "a", "an", "but", "and", "after", "before", "last", "this", "for",
                        "from", "with", "under", "meanwhile", "separately", "earlier", "later"}  # fmt: skip


def family_name(name):
    """The part of a person's name a report uses alone on second mention."""
    words = name.split()
    if 2 <= len(words) <= 3 and words[0].lower() in FAMILY_NAME_FIRST:
        return words[0]
    return words[-1]


MEDIA_WORDS = {
    "media",
    "newspaper",
    "newspapers",
    "reports",
    "television",
    "tv",
    "daily",
    "press",
}
# An agency is the press only as a news agency: "the Defense Security Cooperation Agency said"
# is a government body speaking, not a report.
NEWS_AGENCY = re.compile(r"\b(?:news|press|wire)\s+agenc(?:y|ies)\b", re.IGNORECASE)
SKIP_AFTER_SPEAKER = {
    ",", "has", "have", "had", "is", "was", "were", "also", "too", "previously", "earlier", "repeatedly",
    "severely", "strongly", "already", "again", "reportedly", "publicly", "never", "not", "later", "recently",
}  # fmt: skip
BOUNDARIES = {",", "“", "”", '"', "but", "But", "that", ";", ":", "—", "–", "(", ")"}
SKIP_AFTER_VERB = {"that", "on", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                   "previously", "earlier", "reporters", "yesterday", "today", ","}  # fmt: skip
# After the verb of `..., the minister said on Tuesday`: what is said came before the speaker.
AFTER_INVERTED = {
    "on", "in", "at", "during", "after", "before", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "yesterday", "today", "last", "this", "late", "earlier", "while", "when",
}  # fmt: skip
QUOTE_OPEN = {"“", "‘"}
QUOTE_CLOSE = {"”", "’"}

SUPPLY_VERBS = {
    "sell", "sells", "sold", "selling", "supply", "supplies", "supplied", "supplying", "deliver", "delivers",
    "delivered", "delivering", "export", "exported", "exporting", "ship", "shipped", "transfer", "transferred",
    "provide", "provided", "providing", "handed", "sale", "sales", "send", "sends", "sent", "sending", "donate",
    "donates", "donated", "donating", "pledge", "pledges", "pledged", "pledging", "build", "builds", "building",
}  # fmt: skip
# Building is a supply only for a buyer named after `for`, with arms following: `Turkey is
# building two frigates for the Indonesian navy` (not `Iran is building its own drones`).
BUILD_VERBS = {"build", "builds", "building"}
# Verbs of giving that are a supply only when arms follow (`sends a wrong signal` is not).
GIVING_VERBS = {"send", "sends", "sent", "sending", "donate", "donates", "donated", "donating", "pledge", "pledges",
                "pledged", "pledging", *BUILD_VERBS}  # fmt: skip
# Supply verbs in the past that say the weapons changed hands (not `sold`: a sale is agreed).
SUPPLIED = {"supplied", "provided", "donated", "exported"}
BUY_VERBS = {"buy", "buys", "bought", "buying", "purchase", "purchased", "purchasing", "acquire", "acquired",
             "order", "ordered", "receive", "received", "procure", "procured"}  # fmt: skip
# A delivery still to come: `the remaining six are expected by December`, `due to arrive in
# 2028`, `would be delivered by 2030`.
PLANNED_DELIVERY = re.compile(
    r"\b(?:due|expected|scheduled|slated)\s+(?:to\s+(?:arrive|be\s+(?:delivered|handed\s+over|transferred|shipped))|"
    r"by|before|in|within)\b|\b(?:will|would|should)\s+(?:arrive|follow|be\s+(?:delivered|handed\s+over|transferred))\b|"
    r"\b(?:is|are)\s+to\s+be\s+delivered\b",
    re.IGNORECASE,
)
TAKE_VERBS = {"take", "takes", "took", "taken", "taking"}  # `took delivery of`: received
ORDER_WORDS = {"signed", "sign", "ordered", "order", "agreed", "concluded", "contract", "deal", "struck", "sealed"}
DELIVERY_WORDS = {"delivered", "deliver", "delivery", "deliveries", "received", "handed", "arrived", "arrive",
                  "shipped", "transferred", "sent", "shipment", "shipments", "landed", "unloaded"}  # fmt: skip
SYSTEM_NOUNS = {
    "systems", "system", "missiles", "missile", "launchers", "launcher", "aircraft", "jets", "jet", "fighters",
    "fighter", "helicopters", "helicopter", "tanks", "tank", "vehicles", "ships", "ship", "submarines",
    "submarine", "frigates", "frigate", "corvettes", "corvette", "drones", "drone", "batteries", "battery",
    "units", "guns", "howitzers", "radars", "radar", "planes", "bombers", "trainers", "warships", "boats",
    "shells", "rockets", "rocket", "interceptors", "vessels", "bombs", "torpedoes", "munitions",
}  # fmt: skip
# What a sentence that names no system may be about, none of them a named system: "3 million
# artillery shells" are not the KN-23 missiles the article named before.
AMMUNITION_NOUNS = {"shells", "rounds", "munitions", "ammunition", "bullets", "cartridges"}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                "fifty": 50, "dozen": 12, "hundred": 100}  # fmt: skip
# `3 million artillery shells`, `1.5 thousand`: the figure's scale written out.
SCALE_WORDS = {"thousand": 1_000, "million": 1_000_000}

# A follow-on order of a system already bought: `180 more K2 tanks`, `additional F-16s`.
FOLLOW_ON_WORDS = {"more", "additional", "another", "further", "extra", "follow-on"}
NEW_ORDER = re.compile(
    r"\b(?:a|an|the)\s+(?:new|second|further|follow-on|additional|fresh)\s+(?:\w+\s+)?"
    r"(?:contract|deal|order|agreement|purchase)\b"
    # A sale a government approves or notifies is not yet a deal: never the one recorded.
    r"|\b(?:possible|proposed|potential|prospective)\s+(?:foreign\s+military\s+)?sales?\b",
    re.IGNORECASE,
)
EARLIER_ORDER = re.compile(
    r"\b(?:first|previous|earlier|original|initial|existing|2\d{3}|19\d{2})\s+(?:\w+\s+)?(?:contract|deal|order|agreement)\b",
    re.IGNORECASE,
)
DEAL_WORDS = re.compile(
    r"\b(?:arms|weapons?|missiles?|sales?|sell\w*|sold|deals?|contracts?|exports?|export\w*|suppl\w+|purchas\w*|"
    r"buy\w*|bought|deliver\w*|order\w*|talks|agreements?|signed|price|send|sends|sent|sending|pledg\w*|donat\w*|"
    r"shipments?|shells|munitions|ammunition|handed|arrived|arrive|received|landed|shipped|took delivery|unloaded|"
    r"paid|pay|pays|paying|cost|costs|worth|valued|value|packages?|transferred|transfers?)\b",
    re.IGNORECASE,
)
SPECIFIC_DEAL = re.compile(
    r"\b(?:the|this|that|their|its) (?:\w+ )?(?:sale|deal|contract|agreement|missiles|systems|weapons|delivery|"
    r"deliveries|order|purchase|jets|aircraft|fighters|helicopters|tanks|ships|drones|launchers|batteries)\b",
    re.IGNORECASE,
)
ANONYMOUS = re.compile(
    r"\b(?:anonymity|anonymous(?:ly)?|unidentified|unnamed|not authori[sz]ed|asked not to be (?:named|identified)|"
    r"declined to be (?:named|identified)|(?:people|persons?|sources?|officials?) (?:familiar with|briefed on|"
    r"with (?:direct )?knowledge of|close to)|"
    # `two sources said`, `a Moroccan military source said`, `one of the sources said`
    r"sources?,?\s+(?:said|says|say|told|added|confirmed))\b",
    re.IGNORECASE,
)
ACCORDING_MEDIA = re.compile(
    r"\baccording to (?:[\w’'.-]+ ){0,4}(?:media|reports?|newspapers?|agenc(?:y|ies)|daily|television|press)\b|"
    r"\b(?:media|newspapers?|press)\s+(?:have\s+|has\s+)?(?:valued|put|estimated|reported|quoted|cited)\b|"
    r"\b(?:media|newspaper|agency|daily|broadcaster|television)\b,? citing\b",
    re.IGNORECASE,
)

# A running total: `bringing the total it has supplied to about 200`, `bringing to 10 the
# number the air force has received`. Its verb says what is counted (delivered unless ordered).
_TOTAL_FIGURE = (
    r"(?:(?:about|around|approximately|some|nearly|almost|roughly|more than|over|at least)\s+)?"
    r"(?:\d[\d,]{0,14}\d|\d|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen)\b(?!,\d)"
)
RUNNING_TOTAL = re.compile(
    r"\b(?:bringing|brings|bring|taking|takes)\s+(?:"
    r"(?:the|its|their)\s+(?:total|number|tally)\b(?P<what1>[^,.;]{0,60}?)\s+to\s+(?P<n1>" + _TOTAL_FIGURE + r")|"
    r"to\s+(?P<n2>" + _TOTAL_FIGURE + r")\s+the\s+(?:total\s+)?(?:number|total|tally)\b(?P<what2>[^,.;]{0,60}))",
    re.IGNORECASE,
)

STANCE_RULES = [
    ("denies", re.compile(r"\b(?:den(?:y|ies|ied|ying)|reject\w*|dismiss\w*|refut\w+)\b", re.IGNORECASE)),
    ("confirms", re.compile(r"\bconfirm\w*", re.IGNORECASE)),
    (
        "criticises",
        re.compile(
            r"\b(?:critici[sz]\w*|condemn\w*|concern\w*|complain\w*|protest\w*|oppos\w*|deplor\w*|warn\w*)|"
            r"\bcalled on\b[^.]*\b(?:stop|halt|end|cease)\b|\burged?\b[^.]*\b(?:stop|halt|end|not)\b|"
            r"(?:\bnot\b|n[’']t\b)[^.]*\bgood idea\b|"
            r"\bshould(?:n[’']t| not| never)\b[^.]*\b(?:sell|suppl|buy|deliver|send|export|arm)\w*|"
            r"\b(?:a|an|the) (?:\w+ )?mistake\b|"
            # Lawmakers' words for it: `resolutions of disapproval`, `votes to block both sales`.
            r"\bdisapprov\w*|\bblock(?:s|ed|ing)?\b(?:\s+\w+){0,3}\s+(?:sales?|deals?|packages?|transfers?|exports?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "defends",
        re.compile(
            r"\bdefen(?:d|ds|ded|ding|sive)\b|\bargu\w+|\b(?:does|did|do|will) not violate\b|\blegitimate\b|"
            r"\bnot (?:aimed|directed) at\b",
            re.IGNORECASE,
        ),
    ),
    # Praise of a deal is a view of it, not a fact about it.
    ("comments", re.compile(r"\b(?:welcom(?:e|ed|es|ing)|prais\w*|hail(?:ed|s)?|applaud\w*)\b", re.IGNORECASE)),
]

NOT_CANCELLED = re.compile(r"\b(?:not|n[’']t|never)\s+(?:been\s+)?(?:cancel+ed|scrapped|called off)\b")
CANCELLED = re.compile(r"\b(?:cancel+ed|scrapped|terminated|called off)\b")
STATUS_RULES = [
    ("delivering", re.compile(r"\bnot all\b[^.]*\bdeliver\w*|\bpartially delivered\b|\bsome of\b[^.]*\bdelivered\b")),
    (
        "not delivered",
        re.compile(
            r"\b(?:not|n[’']t|never)\s+(?:yet\s+)?(?:been\s+)?(?:deliver\w*|received|taken delivery|took delivery|"
            r"sent|shipped|supplied|transferred|handed over)\b|"
            r"\bhave yet to\b[^.]*\bdeliver|"
            r"\bno\b[^.]{0,40}\bdelivered\b"
        ),
    ),
    ("not completed", re.compile(r"\b(?:not|n[’']t)\s+(?:yet\s+)?(?:been\s+)?(?:completed|complete|finished)\b")),
    (
        "completed",
        re.compile(
            # (Not `are expected to be completed by 2028`, `will complete`: a plan.)
            r"(?<!\bbe )(?<!\bto )\b(?:completed|finished)\b[^.]*\bdeliver\w*|"
            r"\bdeliver\w*\b[^.]*(?<!\bbe )(?<!\bto )(?<!\bwill )\b(?:completed|complete|finished)\b|"
            r"\b(?:delivered all|fully delivered|all\b[^.]{0,40}\bhave been delivered)\b"
        ),
    ),
    (
        "delivered",
        re.compile(
            r"\b(?:has|have|had|were|was|been)\s+(?:\w+\s+)?delivered\b|\bdelivery took place\b|\bhanded over\b|"
            r"\b(?:has|have|had)\s+(?:\w+\s+)?shipped\b|"
            r"\b(?:began|started|first)\s+deliver\w*|(?<!\bbe )\bdelivered\b|"
            # `has taken delivery of its first`, `has received the first of seven`: the buyer's side.
            r"\b(?:took|taken|takes|taking)\s+delivery\s+of\b|"
            r"\breceived\s+(?:the|its|their|a|an)\s+(?:first|second|third|fourth|fifth|sixth|last|final)\b"
        ),
    ),
    (
        "not signed",
        re.compile(
            r"\bno\s+(?:agreement|contract|deal)\s+(?:has|had)\s+(?:yet\s+)?been\s+(?:reached|signed|concluded)\b|"
            # A deal's, not a treaty's (`have agreed on the text of a peace treaty but have not signed it`).
            r"\b(?:has|have|had)\s+(?:not|n[’']t)\s+(?:yet\s+)?signed\s+(?:a|an|the|any)\s+(?:\w+\s+){0,2}"
            r"(?:contract|deal|agreement)\b|\b(?:contract|deal)\s+(?:has|had|was)\s+(?:not|n[’']t)\s+(?:yet\s+)?"
            r"been\s+signed\b"
        ),
    ),
    # `denied that an agreement had been reached`: what is denied is the signing (not `when
    # the contract was signed in 2023`, which dates it).
    (
        "signed",
        re.compile(
            r"\b(?:an|the|a)\s+(?:agreement|deal|contract)\s+(?:(?:had|has)\s+been\s+(?:reached|signed|concluded)|"
            r"was\s+reached)\b"
        ),
    ),
    ("not cancelled", NOT_CANCELLED),
    ("cancelled", CANCELLED),
    (
        "not negotiating",
        re.compile(r"\b(?:not|n[’']t|never)\s+(?:\w+\s+)?negotiat\w+|\bno\s+(?:such\s+)?talks\b|\bnot\s+in\s+talks\b"),
    ),
    # `is in talks to buy`, `talks are at an early stage`: negotiating, in news's usual word.
    (
        "negotiating",
        re.compile(r"\bnegotiat\w+\b|\b(?:in|holding|hold)\s+talks\b|\btalks\s+(?:with|on|over|to|are|were)\b"),
    ),
]
