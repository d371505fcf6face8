"""Improvement points: which aspects a complaint is about (delivery, service, quality, price, ...).

Two signals, both bilingual: a keyword lexicon (precise, explainable) and, for wording
the lexicon misses, similarity between the message and short aspect descriptions under
the shared encoder. A keyword counts only in a clause that complains: one with a negative
cue ("late", "rude", "太慢", "不给退", "why ..."), or a neutral clause of a message the
sentiment model calls negative; praise ("delivery was fast") and plain questions ("what is
the annual fee?") name no aspect. Pure numpy + stdlib.

Example:
    >>> detect_aspects_by_keywords("快递太慢了，包装也破了")
    ['delivery', 'packaging']
    >>> [a["aspect"] for a in AspectDetector({}).detect("Delivery was fast, but the box was crushed")]
    ['packaging']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

#: aspect -> (English name, Chinese name, keyword patterns)
ASPECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "delivery": ("delivery", "物流配送", (
        r"deliver", r"shipping", r"shipped", r"\bship\b", r"courier", r"parcel", r"postman", r"\bmail\b",
        r"package (?:arrived|never|was late|is late|has not|hasn'?t|still)", r"\blate\b(?! (?:payment|fee))", r"tracking",
        r"\barriv", r"dispatch", r"in transit", r"wrong address", r"(?:turned|showed|shown) up",
        r"never (?:came|arrived|got here)", r"still (?:not|hasn'?t) (?:arrived|come)", r"(?:arrival|promised) date",
        r"took \w+ (?:days|weeks) to (?:get|come|arrive)", r"get here",
        r"快递", r"物流", r"配送", r"送货", r"发货", r"到货", r"派送", r"派件", r"运输", r"慢递", r"还没到",
        r"没收到", r"收到货", r"签收", r"驿站", r"送来", r"送到", r"送达", r"送错", r"晚送", r"送得", r"中转",
        r"迟到", r"晚到", r"次日达", r"包裹(?:丢|还|一直|迟迟|没|卡)", r"没人来送", r"送(?:冰箱|家具|沙发)")),
    "service": ("customer service", "服务态度", (
        r"customer service", r"\bstaff\b", r"\bagent\b", r"rude", r"attitude", r"unhelpful", r"impolite",
        r"nobody (?:answer|help|repl|respond|call)", r"no one (?:answer|help|repl|respond)", r"support",
        r"\bseller\b", r"representative", r"\brep\b", r"\bmanager\b", r"employee", r"assistant", r"cashier",
        r"\bclerk\b", r"condescending", r"dismissive", r"ignor", r"hung up", r"hang up", r"interrupt",
        r"runaround", r"call ?back", r"never (?:replied|responded|answered)", r"no (?:reply|response|answer)",
        r"unprofessional", r"arrogant", r"\blie[ds]?\b", r"lying", r"refused", r"won'?t (?:exchange|refund|replace)",
        r"transferred between", r"couldn'?t care", r"bother(?:ed)? to",
        r"客服", r"服务态度", r"态度", r"店员", r"柜员", r"不理人", r"不回复", r"敷衍", r"售后", r"工作人员",
        r"经理", r"卖家", r"商家", r"爱答不理", r"踢皮球", r"挂(?:我|了)?电话", r"骗", r"忽悠", r"不给(?:退|换)",
        r"不(?:退|换)货", r"没人(?:处理|管|理)", r"不处理", r"推脱", r"阴阳怪气", r"翻白眼", r"不耐烦",
        r"回电话", r"不在乎", r"冷漠", r"不管", r"店里")),
    "quality": ("product quality", "产品质量", (
        r"quality", r"broke", r"broken", r"defect", r"faulty", r"stopped (?:working|heating|charging)",
        r"(?:doesn'?t|don'?t|won'?t|not) (?:work|turn on|charge)", r"cheap(?:ly)? made", r"fake", r"scratch",
        r"malfunction", r"poor(?:ly)? made", r"fell apart", r"falls apart", r"junk", r"knock-?off", r"counterfeit",
        r"dead pixel", r"overheat", r"stale", r"expired", r"rotten", r"\bsour\b", r"spoil", r"fad(?:e|ed|es)\b",
        r"pilling", r"peel", r"\brust", r"stitch", r"battery", r"lost suction", r"cuts out", r"wobbl", r"shr[au]nk",
        r"burn(?:t|ed) out", r"dangerously hot", r"leaks? from",
        r"质量", r"坏了", r"故障", r"做工", r"假货", r"劣质", r"不能用", r"用不了", r"掉色", r"瑕疵", r"次品",
        r"坏点", r"开胶", r"起球", r"漏水", r"发烫", r"烫得", r"过热", r"异味", r"刺鼻", r"变质", r"发霉", r"过期",
        r"酸的", r"不耐用", r"没电", r"没声音", r"不加热", r"开不了机", r"线头", r"开线", r"缩水", r"晃",
        r"难用", r"没吸力", r"烧坏", r"一股.{0,4}味", r"(?<![打判不])断")),
    "price": ("price", "价格", (
        r"price", r"expensive", r"overpriced", r"too much money", r"rip-?off", r"cheaper (?:elsewhere|at)",
        r"\bcost(?!s? me)", r"not worth", r"waste of money", r"pricey", r"amount of money", r"paid full",
        r"\$\s?\d+ for", r"dollars for",
        r"价格", r"太贵", r"贵了", r"降价", r"价钱", r"不值", r"差价", r"性价比", r"贵", r"抢钱", r"白花钱",
        r"亏了", r"便宜一半", r"涨价", r"价位", r"花这么多钱")),
    "packaging": ("packaging", "包装", (
        r"packag", r"\bbox\b(?<!out of the box)", r"wrapping", r"wrapped", r"crushed", r"dented", r"torn open",
        r"ripped open", r"\bseal", r"container", r"bubble wrap", r"squashed", r"spill", r"leaked all over",
        r"包装", r"盒子", r"外箱", r"纸箱", r"压坏", r"漏了", r"箱子", r"封条", r"封口", r"瓶盖", r"拆开",
        r"压扁", r"凹", r"礼盒", r"鞋盒", r"洒", r"气泡膜", r"包了一层")),
    "fees": ("fees", "收费", (
        r"\bfees?\b", r"charge[sd]?\b", r"annual fee", r"\binterest\b", r"commission", r"overdraft", r"penalt",
        r"surcharge", r"deduct", r"costs? me", r"bill(?:ed|ing)\b", r"markup", r"take \d+ ?%", r"shouldn'?t cost",
        r"手续费", r"年费", r"扣费", r"收费", r"利息", r"乱扣", r"服务费", r"管理费", r"透支费", r"滞纳金",
        r"违约金", r"补卡费", r"扣了", r"扣钱", r"收钱", r"要钱", r"抽\d", r"变相", r"收\S{0,3}欧元", r"加急费")),
    "waiting_time": ("waiting time", "等待时间", (
        r"\bwait", r"queue", r"on hold", r"in line", r"took forever", r"forever", r"pending",
        r"(?:hasn'?t|not) gone through", r"dragging", r"days to (?:reply|respond|answer)", r"line is (?:always )?busy",
        r"get through", r"ticket number", r"took (?:them )?\w+ (?:days|weeks|months)", r"slow to respond",
        r"排队", r"等了", r"等太久", r"等待", r"半天", r"占线", r"等很久", r"好久", r"审批", r"审核", r"拖了",
        r"没到账", r"到账", r"打不进去", r"取了号", r"跑了.{0,2}趟", r"\d+天才", r"十天才", r"一上午")),
    "app": ("app", "手机银行App", (
        r"\bapp\b", r"log ?in", r"sign in", r"logged out", r"crash", r"website", r"online banking", r"password",
        r"update", r"freez", r"froze", r"glitch", r"\bbug", r"error", r"\bpage\b", r"verification code", r"face id",
        r"fingerprint", r"time[sd]? out", r"won'?t (?:load|open)", r"new version",
        r"闪退", r"登录", r"登不上", r"手机银行", r"网银", r"打不开", r"卡顿", r"验证码", r"页面", r"网页", r"卡死",
        r"卡住", r"掉线", r"自动退出", r"报错", r"系统", r"人脸识别", r"指纹", r"更新", r"新版", r"超时", r"网上转账")),
}

#: Short descriptions embedded once per encoder for the similarity signal.
ASPECT_PROTOTYPES: dict[str, list[str]] = {
    "delivery": ["the delivery was late and the parcel has not arrived", "快递太慢了，包裹还没到"],
    "service": ["the customer service staff was rude and unhelpful", "客服态度很差，不理人"],
    "quality": ["the product is poor quality and broke quickly", "质量太差，用两天就坏了"],
    "price": ["the price is too high, it is overpriced", "价格太贵了，不值这个钱"],
    "packaging": ["the packaging was damaged and the box was crushed", "包装破损，盒子被压坏了"],
    "fees": ["the bank charged me unexpected fees", "银行乱扣手续费和年费"],
    "waiting_time": ["I had to wait in line for hours", "排队等了很久"],
    "app": ["the banking app keeps crashing and I cannot log in", "手机银行App闪退，登录不上"],
}

# Clause tone cues. A negative cue wins over a positive one ("not good", "不好").
_NEGATIVE = re.compile(
    r"\b(?:not|never|no|nobody|nothing|nowhere|can'?t|cannot|won'?t|didn'?t|doesn'?t|don'?t|isn'?t|wasn'?t|hasn'?t|"
    r"haven'?t|couldn'?t|shouldn'?t|why|still|again|late|slow|slowly|rude|bad|poor|terrible|awful|horrible|worst|"
    r"useless|wrong|lost|missing|broke|broken|damaged|crushed|dented|torn|ripped|soaked|leak\w*|spill\w*|"
    r"ridiculous|outrageous|insane|unacceptable|disappoint\w*|annoy\w*|angry|unhappy|hate|fail\w*|error|crash\w*|"
    r"freez\w*|froze|stuck|forever|ages|hidden|unexpected\w*|overpriced|expensive|rip-?off|junk|fake|faulty|"
    r"defective|stale|sour|rotten|faded|dies|died|hot|hours?|weeks?|months?|penalty|overdraft|ignor\w*|"
    r"condescending|dismissive|runaround|lied|refused|shattered|crumbs|flimsy|squashed|bent|busy|dragging|"
    r"pending|waste|regret|only one|charged|deducted|took|paid extra|twice as much|half the price|"
    r"raised|went up|wobbl\w*|smell\w*|loose|leaks|overheat\w*)\b"
    r"|不(?!错)|没|慢|差|破|坏|烂|贵|乱|(?<!不)错|丢|晚(?!上)|迟|漏|碎|压扁|闪退|卡[死住顿了]|报错|失败|一直|老是|总是|"
    r"还是|垃圾|失望|投诉|离谱|坑|骗|为什么|凭什么|为啥|湿|酸|陈|烫|掉|拖|等了|[好很太]久|久等|超时|抢钱|白花|亏|"
    r"吓人|隐藏|变相|凹|扁|洒",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(?:fast|quick|quickly|great|good|excellent|love|loved|nice|helpful|kind|friendly|polite|perfect|perfectly|"
    r"easy|well|fair|happy|impressive|impressed|solid|comfortable|eco-friendly|smooth|fine|thanks|thank)\b"
    r"|快(?!递)|好|棒|赞|满意|喜欢|精美|耐心|热情|客气|扎实|完好|公道|舒服|效率|不错|严实|环保|谢谢",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"[?？]\s*$|^\s*(?:what|how|when|where|which|who|can|could|do|does|is|are|will|would|may|should)\b"
    r"|吗\s*[?？]?\s*$|多少|怎么|哪|什么时候|能不能|可以.{0,8}吗",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[.!?;,，。！？；、\n]+|\s+(?:but|however|although|though|yet)\s+|但是|可是|不过|但", re.IGNORECASE)

_COMPILED = {a: re.compile("|".join(pats), re.IGNORECASE) for a, (_, _, pats) in ASPECTS.items()}
Tone = Literal["negative", "positive", "question", "neutral"]


def detect_aspects_by_keywords(text: str) -> list[str]:
    """Aspects whose keywords occur anywhere in ``text``, in a fixed order (no tone check)."""
    return [aspect for aspect, pattern in _COMPILED.items() if pattern.search(text)]


def split_clauses(text: str) -> list[str]:
    """``text`` cut at punctuation and contrastive conjunctions ("but", "但是")."""
    return [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]


def clause_tone(clause: str) -> Tone:
    """``negative`` (a complaint cue), ``positive`` (praise, no complaint cue), ``question`` or ``neutral``."""
    if _NEGATIVE.search(clause):
        return "negative"
    if _POSITIVE.search(clause):
        return "positive"
    if _QUESTION.search(clause):
        return "question"
    return "neutral"


def complained_aspects(text: str, negative: bool = True) -> list[str]:
    """Keyword aspects of the clauses of ``text`` that complain, in a fixed order.

    Args:
        text: the message.
        negative: whether the whole message reads negative (its neutral clauses then count).
    """
    found: set[str] = set()
    clauses = split_clauses(text) or [text]
    for i, clause in enumerate(clauses):
        aspects = detect_aspects_by_keywords(clause)
        if not aspects:
            continue
        tone = clause_tone(clause)
        if tone == "question" and i == len(clauses) - 1 and len(clauses) > 1:
            # "..., where is my parcel?": a question closing a complaint is part of it.
            tone = "negative" if clause_tone(" ".join(clauses[:-1])) == "negative" else tone
        if tone == "negative" or (tone == "neutral" and negative):
            found.update(aspects)
    return [a for a in ASPECTS if a in found]


def prototype_texts() -> list[str]:
    """All prototype descriptions, aspect by aspect (the order ``group_prototype_vectors`` expects)."""
    return [t for texts in ASPECT_PROTOTYPES.values() for t in texts]


def group_prototype_vectors(vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Split the vectors of ``prototype_texts()`` back into ``{aspect: (n, dim)}``."""
    out, start = {}, 0
    for aspect, texts in ASPECT_PROTOTYPES.items():
        out[aspect] = vectors[start : start + len(texts)]
        start += len(texts)
    return out


def aspect_name(aspect: str, language: str) -> str:
    """The customer-facing name of ``aspect`` in ``language`` ("zh" or "en")."""
    en, zh, _ = ASPECTS[aspect]
    return zh if language == "zh" else en


@dataclass
class AspectDetector:
    """Keyword lexicon (in complaining clauses) plus encoder similarity to the aspect prototypes.

    Args:
        prototype_vectors: ``{aspect: (n, dim) array}`` from ``AspectDetector.from_encoder``.
        threshold: cosine above which a prototype's aspect counts when no keyword matched.
        margin: how far the best aspect's similarity must lead the second's (a message close
            to several prototypes is a general complaint, not one about a specific aspect).
    """

    prototype_vectors: dict[str, np.ndarray]
    threshold: float = 0.86
    margin: float = 0.02

    @classmethod
    def from_encoder(cls, encoder: Any, threshold: float = 0.86, margin: float = 0.02) -> AspectDetector:
        """Embed the prototypes with ``encoder`` (once per process)."""
        return cls(group_prototype_vectors(encoder.encode(prototype_texts())), threshold, margin)

    def detect(self, text: str, vector: np.ndarray | None = None, negative: bool = True) -> list[dict[str, Any]]:
        """Aspects one message complains about: ``[{"aspect", "source", "score"}]``.

        Args:
            text: the message.
            vector: its embedding, for the similarity signal.
            negative: whether the message is a complaint (its sentiment); the prototypes
                describe complaints, so similarity is only used for negative messages.
        """
        found = [{"aspect": a, "source": "keyword", "score": 1.0} for a in complained_aspects(text, negative)]
        if found or vector is None or not negative or not self.prototype_vectors:
            return found
        if clause_tone(text) == "question" and not _NEGATIVE.search(text):
            return []  # a plain question
        judged = set(detect_aspects_by_keywords(text))  # the lexicon saw these and found no complaint
        scores = sorted(((float(np.max(p @ vector)), a) for a, p in self.prototype_vectors.items()), reverse=True)
        (best, aspect), runner_up = scores[0], scores[1][0] if len(scores) > 1 else -1.0
        if aspect not in judged and best >= self.threshold and best - runner_up >= self.margin:
            return [{"aspect": aspect, "source": "similarity", "score": round(best, 4)}]
        return []

    def detect_many(
        self, texts: Sequence[str], vectors: np.ndarray, negative: Sequence[bool] | None = None
    ) -> list[list[dict[str, Any]]]:
        flags = list(negative) if negative is not None else [True] * len(texts)
        return [self.detect(t, v, n) for t, v, n in zip(texts, vectors, flags)]
