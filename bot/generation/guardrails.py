"""Checks a generated text against its grounding facts before it reaches the customer.

A text passes only if every price, percentage, discount, date, number, product name, model
code, brand and link in it comes from the catalog items and campaign it was written for (or,
for a rephrased reply, from the original reply, all of whose facts it must keep); it is in
the customer's language and within the length limit; a bank product's compliance text is in
it verbatim and nothing promises returns; it holds no PII; and it neither repeats the
customer's message nor shows signs of having obeyed instructions in it.

Example:
    >>> from bot.catalog import ProductInfo
    >>> from bot.generation import GenerationRequest
    >>> phone = ProductInfo(1, "SH-1", "shop", "phones", "诺瓦手机 A6", "Nova phone A6",
    ...                     "", "", 1999.0, "CNY", 10, "Nova")
    >>> request = GenerationRequest.promotion(phone, None, "en")
    >>> validate_output("Nova phone A6, now only ¥1,999.", request)
    []
    >>> [v.kind for v in validate_output("Nova phone A6, now only ¥999!", request)]
    ['price']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.catalog import ASPECT_LABELS, CATEGORY_LABELS, FORBIDDEN_PROMISES, ProductInfo
from bot.generation._campaigns import BANK_FORBIDDEN_WORDS
from bot.generation._facts import features
from bot.generation._types import GenerationRequest
from bot.privacy import find_pii
from bot.understanding.language import detect_language

ViolationKind = Literal[
    "empty",
    "length",
    "language",
    "price",
    "discount",
    "number",
    "date",
    "product",
    "url",
    "compliance",
    "promise",
    "pii",
    "injection",
    "echo",
    "missing_fact",
    "aspect",
    "format",
]

#: Brands the catalog does not sell; a text naming one is about the wrong product.
OTHER_BRANDS: tuple[str, ...] = (
    "Apple", "iPhone", "iPad", "MacBook", "Samsung", "Galaxy", "Huawei", "Xiaomi", "Redmi",
    "OPPO", "vivo", "OnePlus", "Honor", "Lenovo", "Dell", "Sony", "Bose", "Dyson", "Nike",
    "Adidas", "Lancome", "Estee Lauder", "Alipay", "WeChat Pay", "ICBC", "HSBC",
    "苹果", "三星", "华为", "小米", "红米", "荣耀", "联想", "索尼", "戴森", "耐克", "阿迪达斯",
    "兰蔻", "雅诗兰黛", "支付宝", "微信支付", "工商银行", "招商银行", "建设银行",
)

_INJECTION = re.compile(
    r"ignore (?:all |any |the |your )?(?:previous|prior|above|earlier|preceding) "
    r"(?:instructions|rules|prompts?|messages?)"
    r"|disregard (?:all |the |your )?(?:previous |prior |above )?(?:instructions|rules)"
    r"|system prompt|developer (?:message|mode)|jailbreak|as an ai\b|language model"
    r"|my instructions|i (?:was|am) instructed|new instructions|\bDAN\b"
    r"|忽略(?:之前|以上|上面|前面|所有)|无视(?:之前|以上|上面|前面|所有)|系统提示|提示词"
    r"|开发者模式|越狱|我是(?:一个)?(?:AI|人工智能|语言模型)|作为(?:一个)?(?:AI|人工智能|语言模型)",
    re.IGNORECASE,
)
_PROMPT_ARTEFACTS = re.compile(
    r"CUSTOMER_MESSAGE|<<<|>>>|\bFACTS\b|^\s*(?:system|assistant|user)\s*:", re.IGNORECASE | re.M
)
_URL = re.compile(
    r"https?://[^\s)）\]】,，。]+|www\.[^\s)）\]】,，。]+"
    r"|\b[a-z0-9-]+\.(?:com|cn|net|org|io|co|shop|top|xyz|app|info|biz)\b(?:/[^\s)）,，。]*)?",
    re.IGNORECASE,
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        )
    )
    for m in names
}
_MONTH_RE = r"(?P<mon>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_DATES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<!\d)(?P<y>20\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?:(?P<y>20\d{2})\s?年\s?)?(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]"),
    re.compile(
        r"(?<![\w])(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE
        + r"\.?(?:,?\s+(?P<y>20\d{2}))?(?![a-z])",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![a-z])" + _MONTH_RE + r"\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y>20\d{2}))?",
        re.IGNORECASE,
    ),
)
_MONTH_ONLY: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<!\d)(?P<m>\d{1,2})\s?月(?!\s?\d)"),
    re.compile(r"(?<![a-z])" + _MONTH_RE + r"(?![a-z])", re.IGNORECASE),
)
_RELATIVE_TIME = re.compile(
    r"today only|only today|ends today|tonight|tomorrow|this weekend|next week|last day|final day"
    r"|last chance|\d+\s?(?:hours?|days?) left|仅限今天|今天截止|今日截止|今晚|明天|本周末|下周|最后一天|最后机会|仅剩\d+天",
    re.IGNORECASE,
)
_NUM = r"\d[\d,]*(?:\.\d+)?"
_MONEY = re.compile(
    r"(?:¥|￥|RMB\s?|CNY\s?|US\$|\$|€|£)\s?(?P<a>" + _NUM + r")(?P<wa>\s?万)?"
    r"|(?P<b>" + _NUM + r")(?P<wb>\s?万)?\s?(?:元|块|yuan\b|RMB\b|CNY\b)",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s?(?:%|％|percent\b|per cent\b)|百分之(?P<z>\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZHE = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s?折|(?P<c>[一二三四五六七八九]{1,2}|半)\s?折|half[- ]price|半价",
    re.IGNORECASE,
)
_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,4}\d{1,4}[A-Z]?(?![A-Za-z0-9])")
_PLAIN_NUMBER = re.compile(r"(?<![A-Za-z])" + _NUM)
_FREE = re.compile(r"\bfree\b|免费|(?<![\d.])0\s?元", re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,80})[\"“”]|'([^']{3,80})'|「([^」]{2,80})」|『([^』]{2,80})』")
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？:：]\s*|\n\s*)$")
_WS = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\[[A-Za-z\u4e00-\u9fff][^\]\n]{0,40}\]|\{[A-Za-z_][^}\n]{0,40}\}|<[A-Za-z][^>\n]{0,30}>")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)]|#+)\s", re.M)
_ENDS_SENTENCE = re.compile(r"[.!?。！？…)）\]】\"”'’~～]\s*$|[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*$")
_RISK = re.compile(r"risk|风险", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"[，。,.!?！？；;:：\n]+")


@dataclass(frozen=True)
class Violation:
    """One problem found in a text.

    Attributes:
        kind: what rule it breaks.
        detail: what exactly (never the customer's words or PII: it is logged).
    """

    kind: ViolationKind
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def _lcp(words: Sequence[str]) -> str:
    if not words:
        return ""
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


class CatalogVocabulary:
    """Names and brands of every catalog product, so a text naming another product is caught.

    Args:
        products: the catalog.

    Example:
        >>> CatalogVocabulary([]).names
        frozenset()
    """

    def __init__(self, products: Iterable[ProductInfo] = ()) -> None:
        items = list(products)
        self.names: frozenset[str] = frozenset(
            n.lower() for p in items for n in (p.name_en, p.name_zh) if len(n) >= 4
        )
        self.brands_en: frozenset[str] = frozenset(p.brand for p in items if p.brand)
        by_brand: dict[str, list[str]] = {}
        for p in items:
            if p.brand:
                by_brand.setdefault(p.brand, []).append(p.name_zh)
        zh: set[str] = set()
        for names in by_brand.values():
            prefix = _lcp(names) if len(names) > 1 else ""
            prefix = "".join(ch for ch in prefix if _HAN.match(ch))
            if len(prefix) >= 2:
                zh.add(prefix)
        self.brands_zh: frozenset[str] = frozenset(zh)
        self.brand_patterns: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
            (brand, re.compile(r"(?<![A-Za-z])" + re.escape(brand) + r"(?![A-Za-z])"))
            for brand in sorted(self.brands_en | set(OTHER_BRANDS))
            if not _HAN.search(brand)
        )


def _number(raw: str) -> float | None:
    cleaned = raw.replace(",", "").rstrip(".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _close(value: float, allowed: Iterable[float], *, rounding: bool = False) -> bool:
    for a in allowed:
        if abs(value - a) <= 0.005:
            return True
        if (
            rounding
            and not float(a).is_integer()
            and (abs(value - round(a)) <= 0.005 or abs(value - math.floor(a)) <= 0.005)
        ):
            return True
    return False


def _zhe_off(match: re.Match[str]) -> float:
    """A 折 discount as the percentage off: 8折 -> 20, 8.5折/85折/八五折 -> 15, 半价 -> 50."""
    if match.group("n"):
        n = float(match.group("n"))
        return round(100.0 - (n * 10.0 if n < 10 else n), 4)
    chars = match.group("c")
    if not chars or chars == "半":
        return 50.0
    digits = [_CN_DIGITS[c] for c in chars]
    n = digits[0] + (digits[1] / 10.0 if len(digits) > 1 else 0.0)
    return round(100.0 - n * 10.0, 4)


def _dates_in(text: str) -> list[tuple[tuple[int | None, int, int], tuple[int, int]]]:
    found: list[tuple[tuple[int | None, int, int], tuple[int, int]]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
                continue
            groups = m.groupdict()
            month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
            day = int(groups["d"])
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            year = int(groups["y"]) if groups.get("y") else None
            found.append(((year, month, day), (m.start(), m.end())))
            taken.append((m.start(), m.end()))
    return found


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class _Grounding:
    """What a request's facts allow, computed once per check."""

    corpus: str
    corpus_lower: str
    numbers: set[float]
    money: set[float]
    percents: set[float]
    zhe_offs: set[float]
    dates: set[tuple[int, int, int]]
    months: set[int]
    urls: set[str]
    allowed_names: set[str]
    compliance: list[str]


def _grounding(request: GenerationRequest) -> _Grounding:
    facts = request.facts
    texts: list[str] = []
    numbers: set[float] = set()
    money: set[float] = set()
    percents: set[float] = set()
    zhe_offs: set[float] = set()
    dates: set[tuple[int, int, int]] = set()
    urls: set[str] = set()
    names: set[str] = set()
    compliance: list[str] = []
    for p in facts.products:
        texts += [p.name_en, p.name_zh, p.description_en, p.description_zh, p.brand or ""]
        texts += [p.compliance_en or "", p.compliance_zh or "", p.category]
        texts += features(p, "en") + features(p, "zh")
        texts += list(CATEGORY_LABELS.get(p.category, ()))
        names |= {p.name_en.lower(), p.name_zh.lower()}
        money.add(p.price)
        numbers.add(p.price)
        if p.domain == "bank":
            text = p.compliance(request.language)
            if text and request.purpose == "promotion":
                compliance.append(text)
    campaign = facts.campaign
    if campaign is not None:
        texts += campaign.texts() + [campaign.id]
        if campaign.url:
            urls.add(campaign.url.lower().rstrip("/"))
        for day in (campaign.valid_from, campaign.valid_until):
            dates.add((day.year, day.month, day.day))
            numbers.add(float(day.year))
        if campaign.discount_percent is not None:
            off = campaign.discount_percent
            percents.add(off)
            zhe_offs.add(off)
            numbers |= {off, 100.0 - off, (100.0 - off) / 10.0}
        if campaign.min_spend:
            money.add(campaign.min_spend)
            numbers.add(campaign.min_spend)
        for p in facts.products:
            sale = campaign.sale_price(p.price)
            if sale is not None:
                money |= {sale, round(p.price - sale, 2)}
                numbers |= {sale, round(p.price - sale, 2)}
    if facts.source_text:
        texts.append(facts.source_text)
    for interest in request.customer.interests:
        texts += list(CATEGORY_LABELS.get(interest, ()))
    if request.customer.segment:
        texts.append(request.customer.segment)
    if request.aspect:
        texts += list(ASPECT_LABELS.get(request.aspect, (request.aspect,)))
    corpus = "\n".join(t for t in texts if t)
    for (found_year, found_month, found_day), _ in _dates_in(corpus):
        if found_year is not None:
            dates.add((found_year, found_month, found_day))
            numbers.add(float(found_year))
        else:
            dates.add((0, found_month, found_day))  # year 0: any year
    for m in _MONEY.finditer(corpus):
        value = _number(m.group("a") or m.group("b"))
        if value is not None:
            money.add(value)
            if m.group("wa") or m.group("wb"):
                money.add(value * 10000)
    for m in _PERCENT.finditer(corpus):
        value = _number(m.group("n") or m.group("z"))
        if value is not None:
            percents.add(value)
    for m in _ZHE.finditer(corpus):
        zhe_offs.add(_zhe_off(m))
    for m in _URL.finditer(corpus):
        urls.add(m.group(0).lower().rstrip("/"))
    for m in re.finditer(_NUM + r"(?P<w>\s?万)?", corpus):
        value = _number(m.group(0).replace("万", "").strip())
        if value is not None:
            numbers.add(value)
            if m.group("w"):
                numbers.add(value * 10000)
                money.add(value * 10000)
    return _Grounding(
        corpus=corpus,
        corpus_lower=corpus.lower(),
        numbers=numbers,
        money=money,
        percents=percents,
        zhe_offs=zhe_offs,
        dates=dates,
        months={m for _, m, _ in dates},
        urls=urls,
        allowed_names=names,
        compliance=compliance,
    )


def _date_allowed(found: tuple[int | None, int, int], allowed: set[tuple[int, int, int]]) -> bool:
    year, month, day = found
    for ay, am, ad in allowed:
        if am == month and ad == day and (year is None or ay in (0, year)):
            return True
    return False


class OutputValidator:
    """The guardrails: :meth:`validate` lists every rule a text breaks (empty: it may be sent).

    Args:
        vocabulary: the catalog's names and brands (to catch other products being named).

    Example:
        >>> OutputValidator().validate("", GenerationRequest.rephrase("Hi", "en"))[0].kind
        'empty'
    """

    def __init__(self, vocabulary: CatalogVocabulary | None = None) -> None:
        self.vocabulary = vocabulary or CatalogVocabulary()

    def validate(self, text: str, request: GenerationRequest) -> list[Violation]:
        """Check ``text`` written for ``request``.

        Args:
            text: the generated text, exactly as it would be sent.
            request: what it was written for (facts, language, length limit, message).

        Returns:
            The violations, in a stable order (empty when the text may be sent).
        """
        if not text.strip():
            return [Violation("empty", "no text")]
        g = _grounding(request)
        out: list[Violation] = []
        body = text
        for required in g.compliance:
            body = body.replace(required, " ")
            if _norm(required) not in _norm(text):
                out.append(Violation("compliance", "the product's compliance text is missing"))
        if len(_norm(body)) > request.max_chars:
            out.append(Violation("length", f"{len(_norm(body))} characters > {request.max_chars}"))
        out += self._language(body, request, g)
        out += self._format(body, g)
        out += self._pii(text)
        out += self._promises(body, request)
        out += self._injection(text, request, g)
        masked, urls = self._urls(text, g)
        out += urls
        masked, dates = self._dates(masked, g)
        out += dates
        masked, products = self._products(masked, text, request, g)
        out += products
        out += self._numbers(masked, text, g)
        if request.purpose == "rephrase":
            out += self._kept_facts(text, request)
            out += self._aspect(text, request)
        else:
            out += self._names_product(text, request)
        return out

    # --- individual rules ------------------------------------------------------------------

    def _language(
        self, body: str, request: GenerationRequest, g: _Grounding
    ) -> list[Violation]:
        detected = detect_language(body, default=request.language)
        if detected != request.language:
            return [Violation("language", f"written in {detected}, customer speaks {request.language}")]
        if request.language == "en":
            han = len(_HAN.findall(body))
            if han >= 3:
                return [Violation("language", f"{han} Chinese characters in an English text")]
        else:
            foreign = [
                w for w in _LATIN_WORD.findall(body) if w.lower() not in g.corpus_lower
            ]
            if len(foreign) > 3:
                return [Violation("language", f"{len(foreign)} English words in a Chinese text")]
        return []

    def _format(self, body: str, g: _Grounding) -> list[Violation]:
        """Unfilled placeholders, lists and headings, or text that repeats itself."""
        out: list[Violation] = []
        placeholder = _PLACEHOLDER.search(body)
        if placeholder and placeholder.group(0) not in g.corpus:
            out.append(Violation("format", "contains a placeholder"))
        if _LIST_LINE.search(body):
            out.append(Violation("format", "uses a list or heading"))
        if not _ENDS_SENTENCE.search(body):
            out.append(Violation("format", "looks cut off (no closing punctuation)"))
        clauses = [_norm(c).lower() for c in _CLAUSE_SPLIT.split(body)]
        long_clauses = [c for c in clauses if len(c) >= 6]
        if len(long_clauses) != len(set(long_clauses)):
            out.append(Violation("format", "repeats itself"))
        return out

    def _pii(self, text: str) -> list[Violation]:
        kinds = sorted({m.kind for m in find_pii(text)})
        return [Violation("pii", f"contains {k.lower().replace('_', ' ')}") for k in kinds]

    def _promises(self, body: str, request: GenerationRequest) -> list[Violation]:
        lowered = body.lower()
        phrases = FORBIDDEN_PROMISES + (BANK_FORBIDDEN_WORDS if request.facts.bank else ())
        hits = sorted({p for p in phrases if p in lowered})
        out = [Violation("promise", f"promises returns or denies risk ({p!r})") for p in hits]
        # risk belongs in the compliance text alone: marketing copy of a bank product that
        # talks about risk ("low-risk", "high-risk fans") makes a claim nobody checked
        if request.facts.bank and not hits and _RISK.search(body):
            out.append(Violation("promise", "talks about risk outside the compliance text"))
        return out

    def _injection(self, text: str, request: GenerationRequest, g: _Grounding) -> list[Violation]:
        out: list[Violation] = []
        hit = _INJECTION.search(text)
        if hit and hit.group(0).lower() not in g.corpus_lower:
            out.append(Violation("injection", "talks about instructions or prompts"))
        if _PROMPT_ARTEFACTS.search(text):
            out.append(Violation("injection", "contains prompt markers"))
        message = request.safe_message
        if message and _echoes(text, message, g.corpus_lower):
            out.append(Violation("echo", "repeats the customer's message"))
        return out

    def _urls(self, text: str, g: _Grounding) -> tuple[str, list[Violation]]:
        out: list[Violation] = []
        spans = []
        for m in _URL.finditer(text):
            spans.append((m.start(), m.end()))
            url = m.group(0).lower().rstrip("/")
            if not any(url == a or url.startswith(a) or a.endswith(url) for a in g.urls):
                out.append(Violation("url", "a link that is not in the facts"))
        return _mask(text, spans), out[:1]

    def _dates(self, masked: str, g: _Grounding) -> tuple[str, list[Violation]]:
        out: list[Violation] = []
        spans = []
        for found, span in _dates_in(masked):
            spans.append(span)
            if not _date_allowed(found, g.dates):
                year, month, day = found
                out.append(Violation("date", f"{year or '?'}-{month:02d}-{day:02d} is not a campaign date"))
        masked = _mask(masked, spans)
        spans = []
        for pattern in _MONTH_ONLY:
            for m in pattern.finditer(masked):
                raw = m.groupdict().get("mon")
                month = _MONTHS[raw.lower()] if raw else int(m.group("m"))
                # "May" is also a verb: only a capitalised mid-sentence "May" counts
                if raw and raw.lower() == "may" and raw != "May":
                    continue
                spans.append((m.start(), m.end()))
                if 1 <= month <= 12 and month not in g.months:
                    out.append(Violation("date", f"month {month} is not in the campaign"))
        for m in _RELATIVE_TIME.finditer(masked):
            if m.group(0).lower() not in g.corpus_lower:
                out.append(Violation("date", f"invented deadline ({m.group(0)!r})"))
        return _mask(masked, spans), out

    def _products(
        self, masked: str, text: str, request: GenerationRequest, g: _Grounding
    ) -> tuple[str, list[Violation]]:
        out: list[Violation] = []
        lowered = text.lower()
        allowed_blob = "\n".join(g.allowed_names) + "\n" + g.corpus_lower
        for name in self.vocabulary.names:
            if name in lowered and name not in allowed_blob:
                out.append(Violation("product", f"names another product ({name})"))
        spans = []
        for m in _CODE.finditer(masked):
            spans.append((m.start(), m.end()))
            if m.group(0) not in g.corpus:
                out.append(Violation("product", f"model {m.group(0)} is not in the facts"))
        for brand in OTHER_BRANDS:
            if _HAN.search(brand) and brand in text and brand not in g.corpus:
                out.append(Violation("product", f"names brand {brand}"))
        for brand, pattern in self.vocabulary.brand_patterns:
            if brand.lower() in g.corpus_lower:
                continue
            for m in pattern.finditer(text):
                if brand in OTHER_BRANDS or not _SENTENCE_START.search(text[: m.start()]):
                    out.append(Violation("product", f"names brand {brand}"))
                    break
        for brand in sorted(self.vocabulary.brands_zh):
            if brand in text and brand not in g.corpus:
                out.append(Violation("product", f"names brand {brand}"))
        return _mask(masked, spans), out

    def _numbers(self, masked: str, text: str, g: _Grounding) -> list[Violation]:
        out: list[Violation] = []
        spans = []
        for m in _MONEY.finditer(masked):
            spans.append((m.start(), m.end()))
            value = _number(m.group("a") or m.group("b"))
            if value is None:
                continue
            if m.group("wa") or m.group("wb"):
                value *= 10000
            if not _close(value, g.money, rounding=True):
                out.append(Violation("price", f"{value:g} is not a price in the facts"))
        masked = _mask(masked, spans)
        spans = []
        for m in _PERCENT.finditer(masked):
            spans.append((m.start(), m.end()))
            value = _number(m.group("n") or m.group("z"))
            if value is not None and not _close(value, g.percents | g.zhe_offs):
                out.append(Violation("discount", f"{value:g}% is not in the facts"))
        masked = _mask(masked, spans)
        spans = []
        for m in _ZHE.finditer(masked):
            spans.append((m.start(), m.end()))
            off = _zhe_off(m)
            if not _close(off, g.zhe_offs | g.percents):
                out.append(Violation("discount", f"{m.group(0)} ({off:g}% off) is not in the facts"))
        masked = _mask(masked, spans)
        for m in _PLAIN_NUMBER.finditer(masked):
            value = _number(m.group(0))
            if value is not None and not _close(value, g.numbers | g.money, rounding=True):
                out.append(Violation("number", f"{m.group(0).rstrip(',.')} is not in the facts"))
        for m in _FREE.finditer(text):
            if m.group(0).lower() not in g.corpus_lower and 0.0 not in g.money:
                out.append(Violation("price", "says free, the facts do not"))
                break
        return out

    def _names_product(self, text: str, request: GenerationRequest) -> list[Violation]:
        """A promotion names its product and, with a campaign, the offer and its end date."""
        if not request.facts.products:
            return []
        out: list[Violation] = []
        product = request.facts.products[0]
        name = product.name(request.language)
        codes = _CODE.findall(name)
        if name.lower() not in text.lower() and not any(c in text for c in codes):
            out.append(Violation("missing_fact", "does not name the product"))
        campaign = request.facts.campaign
        if campaign is None:
            return out
        end = campaign.valid_until
        if not any(_date_allowed(found, {(end.year, end.month, end.day)}) for found, _ in _dates_in(text)):
            out.append(Violation("missing_fact", "does not say until when the offer runs"))
        sale = campaign.sale_price(product.price)
        if sale is not None and campaign.discount_percent is not None:
            offs = [_number(m.group("n") or m.group("z")) for m in _PERCENT.finditer(text)]
            offs += [_zhe_off(m) for m in _ZHE.finditer(text)]
            mentions_discount = any(
                v is not None and _close(v, [campaign.discount_percent]) for v in offs
            )
            prices = [_number(m.group("a") or m.group("b")) for m in _MONEY.finditer(text)]
            mentions_price = any(v is not None and _close(v, [sale], rounding=True) for v in prices)
            if not (mentions_discount or mentions_price):
                out.append(Violation("missing_fact", "does not state the discount or the sale price"))
        return out

    def _kept_facts(self, text: str, request: GenerationRequest) -> list[Violation]:
        source = request.facts.source_text or ""
        out: list[Violation] = []
        out_numbers = {v for v in (_number(n) for n in re.findall(_NUM, text)) if v is not None}
        for raw in re.findall(_NUM, source):
            value = _number(raw)
            if value is not None and not _close(value, out_numbers):
                out.append(Violation("missing_fact", f"drops the number {raw.rstrip(',.')}"))
        kept_dates = {d for d, _ in _dates_in(text)}
        for found, _ in _dates_in(source):
            if found not in kept_dates:
                out.append(Violation("missing_fact", "drops a date"))
        for m in _QUOTED.finditer(source):
            quoted = next(g for g in m.groups() if g)
            if quoted not in text:
                out.append(Violation("missing_fact", f"drops {quoted!r}"))
        lowered = text.lower()
        for name in self.vocabulary.names:
            if name in source.lower() and name not in lowered:
                out.append(Violation("missing_fact", f"drops the product {name}"))
        for m in _URL.finditer(source):
            if m.group(0) not in text:
                out.append(Violation("missing_fact", "drops a link"))
        return out

    def _aspect(self, text: str, request: GenerationRequest) -> list[Violation]:
        """An empathetic rewrite names the aspect complained about, beyond what the reply says."""
        if request.style != "empathetic" or not request.aspect:
            return []
        en, zh = ASPECT_LABELS.get(request.aspect, (request.aspect.replace("_", " "), ""))
        source = (request.facts.source_text or "").lower()
        lowered = text.lower()
        if request.language == "zh":
            label = zh or request.aspect
            keys = {label[i : i + 2] for i in range(max(1, len(label) - 1))}
        else:
            keys = {w[:5] for w in re.findall(r"[a-z]+", en.lower()) if len(w) >= 3}
        if any(lowered.count(k) > source.count(k) for k in keys):
            return []
        return [Violation("aspect", f"does not acknowledge the {request.aspect} problem")]


def _echoes(text: str, message: str, corpus_lower: str) -> bool:
    """Whether ``text`` repeats a stretch of ``message`` that is not also in the facts."""
    lowered = text.lower()
    for m in _QUOTED.finditer(message):
        quoted = next(g for g in m.groups() if g).lower().strip()
        if len(quoted) >= 3 and quoted in lowered and quoted not in corpus_lower:
            return True
    words = re.findall(r"[a-z0-9']+", message.lower())
    text_words = " " + " ".join(re.findall(r"[a-z0-9']+", lowered)) + " "
    n = 6
    for i in range(len(words) - n + 1):
        gram = " ".join(words[i : i + n])
        if f" {gram} " in text_words and gram not in corpus_lower:
            return True
    han = "".join(_HAN.findall(message))
    text_han = "".join(_HAN.findall(text))
    corpus_han = "".join(_HAN.findall(corpus_lower))
    n = 8
    for i in range(len(han) - n + 1):
        gram = han[i : i + n]
        if gram in text_han and gram not in corpus_han:
            return True
    return False


def validate_output(
    text: str, request: GenerationRequest, vocabulary: CatalogVocabulary | None = None
) -> list[Violation]:
    """Check ``text`` against ``request`` (see :class:`OutputValidator`).

    Args:
        text: the generated text.
        request: what it was written for.
        vocabulary: the catalog's names and brands.

    Returns:
        The violations (empty: it may be sent).
    """
    return OutputValidator(vocabulary).validate(text, request)


def violation_kinds(violations: Sequence[Violation]) -> tuple[str, ...]:
    """The distinct kinds, sorted (for metrics and results)."""
    return tuple(sorted({v.kind for v in violations}))
