"""Finds catalog products and categories a message talks about, by meaning, in either language.

Example:
    >>> search = ProductSearch(products, encoder)          # doctest: +SKIP
    >>> [(p.sku, round(s, 2)) for p, s in search.search("有没有降噪耳机", k=2)]  # doctest: +SKIP
    [('SHOP-HEAD-003', 0.91), ('SHOP-HEAD-001', 0.89)]
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.catalog import (
    CATEGORY_ALIASES,
    CATEGORY_KINDS,
    CATEGORY_LABELS,
    ProductInfo,
    category_label,
)
from bot.encoder import Encoder

logger = logging.getLogger(__name__)


def _product_texts(product: ProductInfo) -> tuple[str, str]:
    brand = f"{product.brand} " if product.brand else ""
    return (
        f"{brand}{product.name_en}, {category_label(product.category, 'en')}",
        f"{brand}{product.name_zh}，{category_label(product.category, 'zh')}",
    )


def _category_words(category: str, kinds: bool = True) -> tuple[str, ...]:
    """The words that name ``category``: its labels, aliases and (with ``kinds``) kinds of product."""
    words = CATEGORY_LABELS.get(category, (category.replace("_", " "),)) + CATEGORY_ALIASES.get(category, ())
    return words + CATEGORY_KINDS.get(category, ()) if kinds else words


def _word_pattern(label: str) -> str:
    """A regex for an English label as a whole word, singular or plural ("smartwatch(es)")."""
    word = label.lower()
    stem = word[:-2] if word.endswith(("ches", "shes", "sses", "xes")) else word.removesuffix("s")
    return rf"\b{re.escape(stem)}(?:s|es)?\b"


def _names_category(text: str, category: str) -> bool:
    """Whether ``text`` names ``category`` in English (as a word, singular or plural) or Chinese."""
    for label in _category_words(category):
        if label.isascii():
            if re.search(_word_pattern(label), text.lower()):
                return True
        elif label in text:
            return True
    return False


#: Words of a request that ask for something without saying what it should be like.
_EN_WORDS = """i i'd i'm im me my myself we us our you your a an the some any something anything one ones this that
    it its is are be am was want wanna would like need needs needed looking look for to buy get getting have
    has had do does sell sells show recommend recommendation recommendations suggest suggestion please can
    could what which there suit suits suitable good great nice best new latest top popular product products item items thing
    things of with in on kind kinds type types sort interested interest thanks thank asap now today
    mom mum dad son daughter wife husband kid kids child children friend friends grandma grandpa parents
    mother father boyfriend girlfriend gift gifts present hmm hm um uh ok okay well so also just maybe really
    very then again still else more other another you'd you'll i'll i've what's that's there's don't can't
    it's let's he's she's"""
_REQUEST_WORDS_EN = frozenset(_EN_WORDS.split())
#: The same in Chinese, removed longest first (single characters would break words: 买 in 买房).
_ZH_WORDS = """我想要 我想买 我要买 想买 想要 我要 给我 推荐 有没有 有什么 什么 一下 一个 一款 一台 一部 一些 几款
    一双 一套 买个 买一 来个 来一 请问 请 帮我 看看 谢谢 你们 哪个 哪款 适合 最好 不错 礼物 送给
    妈妈 爸爸 老婆 老公 孩子 儿子 女儿 朋友 父母 爷爷 奶奶 最新 新款 好的 好用 好一点 有吗 需要 需求
    产品 商品 东西 吧 吗 呢 啊 的 了 我 你 卖 最 啥 哪 点"""
_REQUEST_WORDS_ZH = tuple(sorted(_ZH_WORDS.split(), key=len, reverse=True))


def brand_zh(product: ProductInfo) -> str:
    """The Chinese name of ``product``'s brand, where its names start with the brand
    ("Nova Pro smartphone" / "诺瓦Pro 智能手机": "诺瓦"); "" otherwise (bank products)."""
    name = product.name_zh or ""
    named_first = bool(product.brand) and product.name_en.lower().startswith(str(product.brand).lower())
    return name[:2] if named_first and len(name) >= 2 and not name[:2].isascii() else ""


_WORD = re.compile(r"[a-z0-9][a-z0-9+.']*")


def _stem(word: str) -> str:
    """An English word without its plural ending ("headphones" -> "headphone", "boxes" -> "box")."""
    word = word.lower()
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def product_type(product: ProductInfo, language: str) -> str:
    """What kind of product ``product`` is, from its name without brand and model ("Kite Gaming
    laptop 16 E4" -> "gaming laptop", "臻拓游戏本16 B3" -> "游戏本"; acronyms keep their case).

    Example:
        >>> from bot.catalog import ProductInfo
        >>> watch = ProductInfo(id=1, sku="w", domain="shop", category="smartwatches", name_zh="轨迹户外GPS手表 D3",
        ...                     name_en="Orbit outdoor GPS watch D3", description_zh="", description_en="",
        ...                     price=1.0, currency="CNY", stock=1, brand="Orbit")
        >>> product_type(watch, "en"), product_type(watch, "zh")
        ('outdoor GPS watch', '户外GPS手表')
    """
    name = product.name(language)
    brand = (product.brand or "") if language == "en" else brand_zh(product)
    if brand and name.lower().startswith(brand.lower()):
        name = name[len(brand):]
    if language == "en":
        tokens = name.split()
        # Model numbers and sizes go, with a unit after a number ("organic rice 5 kg").
        words = [w for i, w in enumerate(tokens) if not any(c.isdigit() for c in w)
                 and not (i and any(c.isdigit() for c in tokens[i - 1]) and len(w) <= 2)]
        return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return re.sub(r"[\sA-Za-z]*\d[\w]*$", "", re.sub(r"\s+\S*\d\S*$", "", name.strip())).strip()


def brand_names(products: Iterable[ProductInfo]) -> list[str]:
    """The brands of the shop's ``products``, in English and Chinese, sorted (the bank's own
    name is not a brand customers choose between).

    Example:
        >>> from bot.catalog import ProductInfo
        >>> phone = ProductInfo(id=1, sku="p1", domain="shop", category="phones", name_zh="诺瓦手机",
        ...                     name_en="Nova phone", description_zh="", description_en="",
        ...                     price=1.0, currency="CNY", stock=1, brand="Nova")
        >>> brand_names([phone])
        ['Nova', '诺瓦']
    """
    shop = [p for p in products if p.domain == "shop" and p.brand]
    return sorted({str(p.brand) for p in shop} | ({brand_zh(p) for p in shop} - {""}))


class ProductSearch:
    """Semantic search over product names and categories (English and Chinese texts of each).

    Args:
        products: the catalog.
        encoder: the shared encoder.
        cache_dir: where product vectors are cached between restarts (keyed by encoder and
            catalog content); ``None`` disables the cache.
    """

    def __init__(self, products: Sequence[ProductInfo], encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.products = list(products)
        self._encoder = encoder
        texts = [t for p in self.products for t in _product_texts(p)]
        self._vectors = self._load_or_embed(texts, cache_dir).reshape(len(self.products), 2, encoder.dim)
        labels = sorted({c for p in self.products for c in [p.category]})
        self._category_ids = labels
        self._product_category = np.array([labels.index(p.category) for p in self.products], dtype=np.int64)
        self._category_vectors = (
            encoder.encode([f"{category_label(c, 'en')} / {category_label(c, 'zh')}" for c in labels])
            if labels else np.zeros((0, encoder.dim), np.float32)
        )
        # What each product offers (features, description clauses, its name), in both languages:
        # "a phone with a long battery life" is matched against these, not against names alone.
        # (Embedding each trait after the product's name as well, "Haven robot vacuum A9: quiet
        # operation", changed nothing on the development requests and took 2.5 times as long.)
        owners, trait_language, texts, traits, quotable = [], [], [], [], []
        for i, product in enumerate(self.products):
            for language in ("en", "zh"):
                offers = product.traits(language)  # its last item is the whole description
                for text, trait in ((product.name(language), ""), *((t, t) for t in offers)):
                    owners.append(i)
                    trait_language.append(language)
                    texts.append(text)
                    traits.append(trait)
                    # A reason quotes one clause ("5000 mAh battery"), not the whole description,
                    # unless the description has just one.
                    quotable.append(bool(trait) and (trait != offers[-1] or len(offers) == 1))
        self._trait_owner = np.asarray(owners, dtype=np.int64)
        self._trait_language = np.asarray(trait_language)
        self._traits = traits  # what a pick's reason quotes ("" for the name itself)
        self._is_name = np.asarray([not t for t in traits], dtype=bool)
        self._quotable = np.asarray(quotable, dtype=bool)
        unique = list(dict.fromkeys(texts))
        unique_vectors = self._load_or_embed(unique, cache_dir, kind="trait")
        position = {t: j for j, t in enumerate(unique)}
        self._trait_vectors = (unique_vectors[[position[t] for t in texts]] if texts
                               else np.zeros((0, encoder.dim), np.float32))
        # For ``kind_of``: which products' kinds and features use each word (English stems,
        # Chinese character pairs).
        self._position = {p.sku: i for i, p in enumerate(self.products)}
        self._kinds = [(product_type(p, "en"), product_type(p, "zh")) for p in self.products]
        self._name_words: dict[str, set[int]] = {}
        self._name_pairs: dict[str, set[int]] = {}
        self._feature_words: dict[str, set[int]] = {}
        self._feature_pairs: dict[str, set[int]] = {}
        for i, (english, chinese) in enumerate(self._kinds):
            for word in {_stem(w) for w in _WORD.findall(english.lower())}:
                self._name_words.setdefault(word, set()).add(i)
            for pair in _bigrams(chinese):
                self._name_pairs.setdefault(pair, set()).add(i)
        for owner, language, trait in zip(owners, trait_language, traits):
            if trait and language == "en":
                for word in {_stem(w) for w in _WORD.findall(trait.lower())}:
                    self._feature_words.setdefault(word, set()).add(owner)
            elif trait:
                for pair in _bigrams(trait):
                    self._feature_pairs.setdefault(pair, set()).add(owner)
        # What names a category or brand in a request (longest first: "笔记本电脑" before "电脑"),
        # with and without the kinds of product; ``details`` removes it.
        brands = {rf"(?<![a-z0-9]){re.escape(p.brand.lower())}(?![a-z0-9])": len(p.brand)
                  for p in self.products if p.brand}
        brands |= {re.escape(b): len(b) for b in {brand_zh(p) for p in self.products} - {""}}
        self._naming: dict[bool, re.Pattern[str]] = {}
        for kinds in (True, False):
            words = {(_word_pattern(w) if w.isascii() else re.escape(w)): len(w)
                     for c in self._category_ids for w in _category_words(c, kinds=kinds)} | brands
            self._naming[kinds] = re.compile("|".join(sorted(words, key=lambda w: -words[w])) or r"(?!)")

    def _load_or_embed(self, texts: list[str], cache_dir: Path | None, kind: str = "product") -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._encoder.dim), np.float32)
        key = hashlib.sha256("\n".join([self._encoder.name, *texts]).encode()).hexdigest()[:20]
        path = cache_dir / f"{kind}-vectors-{key}.npz" if cache_dir else None
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as data:
                return np.asarray(data["vectors"], dtype=np.float32)
        logger.info("embedding %d %s texts", len(texts), kind)
        vectors = self._encoder.encode(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, vectors=vectors)
        return vectors

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        """The query vector of ``text``."""
        vector: npt.NDArray[np.float32] = self._encoder.encode([text])[0]
        return vector

    def _query(self, text: str, vector: npt.NDArray[np.float32] | None) -> npt.NDArray[np.float32]:
        return vector if vector is not None else self.embed(text)

    @property
    def dim(self) -> int:
        """Vector size of the encoder the index was built with."""
        return int(self._encoder.dim)

    def product_vectors(self) -> npt.NDArray[np.float32]:
        """One unit vector per product (mean of its English and Chinese texts), in catalog order."""
        from bot.encoder import normalize_rows

        return normalize_rows(self._vectors.mean(axis=1))

    def similarities(self, vector: npt.NDArray[np.float32]) -> dict[str, float]:
        """``{sku: cosine}`` of every product to ``vector`` (best of its two language texts)."""
        if not self.products:
            return {}
        scores = (self._vectors @ vector).max(axis=1)
        return {p.sku: float(s) for p, s in zip(self.products, scores)}

    def search(
        self,
        text: str,
        k: int = 3,
        domain: str | None = None,
        vector: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[ProductInfo, float]]:
        """The ``k`` products most similar to ``text``, best first, with cosine scores."""
        if not self.products:
            return []
        scores = (self._vectors @ self._query(text, vector)).max(axis=1)
        order = np.argsort(-scores)
        hits = [(self.products[i], float(scores[i])) for i in order
                if domain is None or self.products[i].domain == domain]
        return hits[:k]

    def find(self, text: str, k: int = 3, min_margin: float = 0.06) -> list[tuple[ProductInfo, float]]:
        """Products ``text`` is about, best first; empty when it names none in the catalog.

        Absolute cosines mean little with E5-style encoders (unrelated texts score ~0.8), so
        a product counts when it stands out from the catalog: its similarity exceeds the
        catalog's mean similarity by ``min_margin``. Measured on the demo catalog: questions
        about catalog products clear the mean by 0.067-0.146, questions about products it
        lacks ("do you sell tractors?", "QuietPro headphones") by 0.027-0.052.

        Returns:
            ``[(product, cosine)]``, at most ``k``.
        """
        sims = self.similarities(self.embed(text))
        if not sims:
            return []
        mean = float(np.mean(list(sims.values())))
        by_sku = {p.sku: p for p in self.products}
        ranked = sorted(sims.items(), key=lambda kv: -kv[1])[:k]
        return [(by_sku[sku], score) for sku, score in ranked if score - mean >= min_margin]

    def categories(
        self,
        text: str,
        vector: npt.NDArray[np.float32] | None = None,
        threshold: float = 0.80,
        margin: float = 0.025,
    ) -> list[str]:
        """Catalog categories ``text`` mentions: by name in either language, else by meaning.

        E5-style encoders put all texts at high cosine to each other, so a category found by
        meaning must also beat the runner-up by ``margin`` ("recommend something good" names
        no category; "I love new smartphones" names phones).
        """
        named = [c for c in self._category_ids if _names_category(text, c)]
        if named:
            return named
        if len(self._category_ids) < 2:
            return []
        (best, top), (_, second) = self.category_scores(text, vector)[:2]
        return [best] if top >= threshold and top - second >= margin else []

    def category_scores(self, text: str, vector: npt.NDArray[np.float32] | None = None) -> list[tuple[str, float]]:
        """Every category with its similarity to ``text``, best first: by its name or by its
        best product ("电饭煲" is closest to kitchenware through its rice cookers)."""
        query = self._query(text, vector)
        product_scores = (self._vectors @ query).max(axis=1)
        scores = self._category_vectors @ query
        np.maximum.at(scores, self._product_category, product_scores)
        return sorted(((c, float(v)) for c, v in zip(self._category_ids, scores)), key=lambda cv: -cv[1])

    def details(self, text: str) -> str:
        """What a request says beyond naming a category or brand and asking: the words that
        describe what the customer wants ("" for "recommend me a phone").

        Example:
            >>> search.details("I'd like a phone with a long battery life")  # doctest: +SKIP
            'long battery life'
            >>> search.details("推荐一款拍照好的手机"), search.details("给我妈妈买个手表")  # doctest: +SKIP
            ('拍照', '')
        """
        if not self._described(text, kinds=True):
            return ""  # "I'd like some earbuds": a kind of product (see ``kind``), nothing said about it
        return self._described(text, kinds=False)

    def kind(self, text: str) -> str:
        """The kind of product a request names and nothing more ("a robot vacuum", "有没有跑鞋"),
        "" otherwise: matched against product names (``wanted(..., names_only=True)``)."""
        return "" if self._described(text, kinds=True) else self._described(text, kinds=False)

    def _described(self, text: str, kinds: bool) -> str:
        lowered = self._naming[kinds].sub(" ", text.lower())
        words: list[str] = []
        for word in re.findall(r"[a-z0-9][a-z0-9'+.\-]*|[\u3400-\u9fff]+", lowered):
            if word.isascii():
                if word not in _REQUEST_WORDS_EN:
                    words.append(word)
                continue
            for phrase in _REQUEST_WORDS_ZH:
                word = word.replace(phrase, " ")
            # A lone character left between request words says little ("买房" keeps 买 and 房 together).
            words.extend(w for w in word.split() if len(w) > 1)
        return " ".join(words)

    def kind_name(self, sku: str, language: str = "en") -> str:
        """The kind of product ``sku`` is (``product_type``, computed once at indexing)."""
        return self._kinds[self._position[sku]][0 if language == "en" else 1]

    def kind_of(self, details: str, skus: Collection[str], language: str) -> tuple[dict[str, str], str]:
        """The products among ``skus`` whose names say what kind of product ``details`` asks for,
        each with its kind in ``language``, and the rest of ``details`` ("a quiet vacuum cleaner":
        the robot vacuums, "quiet"). ``({}, details)`` when the names single out none.

        Words are matched in the names (English words singular or plural, Chinese by shared
        character pairs): the products whose names share the most with ``details`` are that kind,
        if they are not all of ``skus`` and all of one kind. "A gaming laptop" is the gaming
        laptops. A word that the features of a candidate not named with it use ("organic",
        "GPS") names no kind: it describes, and stays in the rest for ``wanted``; so does a
        description no name says ("a phone with a long battery life"), and words that the names
        of several kinds share ("baby": strollers or bottle sets?).

        Example:
            >>> search.kind_of("quiet vacuum cleaner", appliances, "en")  # doctest: +SKIP
            ({'SH-HOME-001': 'robot vacuum', ...}, 'quiet cleaner')
        """
        english = _WORD.findall(details.lower())
        chinese = re.findall(r"[\u3400-\u9fff]{2,}", details)
        # A word that the features of a product not named with it use describes ("organic": the
        # organic rice and whatever else is organic): ``wanted`` matches those. A word only the
        # features of the products named with it repeat ("a 4-litre rice cooker") names a kind.
        candidates = [s for s in dict.fromkeys(skus) if s in self._position]
        rows = {self._position[s] for s in candidates}

        def describes(key: str, features: dict[str, set[int]], names: dict[str, set[int]]) -> bool:
            return bool((features.get(key, set()) & rows) - names.get(key, set()))

        describing = {w for w in {_stem(w) for w in english} if describes(w, self._feature_words, self._name_words)}
        describing |= {b for c in chinese for b in _bigrams(c) if describes(b, self._feature_pairs, self._name_pairs)}
        scores: dict[int, int] = {}
        matched: dict[int, set[str]] = {}
        for word in set(english):
            if _stem(word) not in describing:
                for i in self._name_words.get(_stem(word), set()) & rows:
                    scores[i] = scores.get(i, 0) + 1
                    matched.setdefault(i, set()).add(word)
        for chunk in chinese:
            for pair in _bigrams(chunk) - describing:
                for i in self._name_pairs.get(pair, set()) & rows:
                    scores[i] = scores.get(i, 0) + 1
        best = max(scores.values(), default=0)
        having = [s for s in candidates if scores.get(self._position[s], 0) == best]
        if best == 0 or len(having) == len(candidates):
            return {}, details
        if len({self.kind_name(sku) for sku in having}) > 1:
            # Names of several kinds share the words ("baby": strollers and bottle sets): the
            # words do not say which kind; ``wanted`` matches the whole description.
            return {}, details
        used_words = set().union(*(matched.get(self._position[s], set()) for s in having))
        pairs = set().union(*(_bigrams(self.kind_name(s, "zh")) for s in having))
        rest_words = [w for w in english if w not in used_words]
        said: list[str] = []  # the kind in the request's own Chinese words ("游戏本")
        for chunk in chinese:
            # What a chunk says beyond the kind: "有机绿茶" asks for 绿茶 that is 有机.
            covered = {j for i in range(len(chunk) - 1) if chunk[i:i + 2] in pairs for j in (i, i + 1)}
            left = "".join(c if i not in covered else " " for i, c in enumerate(chunk))
            rest_words += [part for part in left.split() if len(part) > 1]
            said += "".join(c if i in covered else " " for i, c in enumerate(chunk)).split()
        kind_said = "".join(said) if language == "zh" else ""
        return {sku: kind_said or self.kind_name(sku, language) for sku in having}, " ".join(rest_words)

    def wanted(
        self,
        details: str,
        skus: Collection[str],
        language: str,
        min_z: float = 2.0,
        spread_limit: float = 0.05,
        min_separation: float = 0.02,
        names_only: bool = False,
    ) -> dict[str, str]:
        """The products among ``skus`` that have what ``details`` describes, with the trait that
        shows it in ``language`` (``""`` when it is the product's name); empty when nothing in
        the catalog answers the description. ``names_only`` compares with product names alone
        (for a kind of product: ``kind``).

        A product's score is its best trait's cosine to ``details``; the candidates above the
        widest drop in score among those within ``spread_limit`` of the best one have what it
        describes. The description counts only when it singles them out: the best score stands
        out from every trait in the catalog by ``min_z`` standard deviations (E5-style cosines
        are all high), and that drop is at least ``min_separation`` (a word that describes
        nothing, "asap", scores all candidates alike). Chosen on the development half of
        ``bench/data/descriptive_requests.csv`` (docs/benchmarks.md, "Descriptive requests").
        """
        if not details or not skus or not len(self._trait_vectors):
            return {}
        sims = self._trait_vectors @ self.embed(details)
        if names_only:  # a kind of product is in names, not in features ("novel" is no "bestseller")
            sims = np.where(self._is_name, sims, -1.0)
        index = {p.sku: i for i, p in enumerate(self.products)}
        rows = [index[s] for s in skus if s in index]
        if not rows:
            return {}
        best = np.full(len(self.products), -np.inf, dtype=np.float32)
        np.maximum.at(best, self._trait_owner, sims)
        top = float(best[rows].max())
        considered = sims[self._is_name] if names_only else sims
        spread = float(considered.std()) or 1.0
        if (top - float(considered.mean())) / spread < min_z:
            return {}
        ranked = sorted(rows, key=lambda r: -best[r])
        # The products that have it are those above the widest drop among the leaders (all within
        # ``spread_limit`` of the best): tied on one feature, or named alike ("X running shoes").
        scores = best[ranked]
        cuts = [n for n in range(1, len(ranked)) if top - scores[n - 1] <= spread_limit]
        if not cuts:
            return {}
        cut = max(cuts, key=lambda n: scores[n - 1] - scores[n])
        if scores[cut - 1] - scores[cut] < min_separation:
            return {}
        having = ranked[:cut]
        out: dict[str, str] = {}
        for i in having:
            mine = np.flatnonzero((self._trait_owner == i) & (self._trait_language == language))
            quotable = mine[self._quotable[mine]]
            if len(quotable) == 0 or not self._traits[int(mine[np.argmax(sims[mine])])]:
                out[self.products[i].sku] = ""  # its name answers ("老人手机" for "适合老人用的")
            else:
                out[self.products[i].sku] = self._traits[int(quotable[np.argmax(sims[quotable])])]

        return out
