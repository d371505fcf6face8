"""Generates the bilingual demo catalogs and demo customers/interactions/reviews (seeded, deterministic).

Usage:
    python scripts/make_demo_data.py            # writes data/catalog/*.jsonl and data/demo/*.csv

The same seed always yields byte-identical files, so the committed data can be checked
with ``git diff --exit-code`` after regenerating.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20250630
#: All timestamps fall in the 180 days before this moment.
END = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
DAYS = 180

# --- the shop ------------------------------------------------------------------------------
# category: (brands [(en, zh)], items [(en, zh, min price, max price)], features [(en, zh)],
#            aspects reviews talk about)
SHOP: dict[str, dict[str, Any]] = {
    "phones": {
        "brands": [("Nova", "诺瓦"), ("Zento", "臻拓"), ("Lumi", "流明"), ("Orbit", "轨迹")],
        "items": [
            ("Pro smartphone", "Pro 智能手机", 3999, 6999),
            ("Lite smartphone", "轻薄手机", 999, 1999),
            ("Camera phone", "影像手机", 2999, 4999),
            ("Foldable phone", "折叠屏手机", 6999, 9999),
            ("Senior phone", "老人手机", 299, 699),
            ("Gaming phone", "游戏手机", 2499, 3999),
        ],
        "features": [
            ("6.7-inch OLED screen", "6.7英寸OLED屏幕"),
            ("5000 mAh battery", "5000毫安大电池"),
            ("50 MP main camera", "5000万像素主摄"),
            ("65 W fast charging", "65W快充"),
            ("IP68 water resistance", "IP68级防水"),
            ("dual SIM 5G", "双卡5G"),
            ("256 GB storage", "256GB存储"),
            ("night mode photography", "夜景拍照"),
        ],
        "aspects": ["battery", "screen", "quality"],
    },
    "laptops": {
        "brands": [("Zento", "臻拓"), ("Apex", "巅峰"), ("Vela", "维拉"), ("Kite", "风筝")],
        "items": [
            ("Ultrabook 14", "轻薄本14", 4999, 7999),
            ("Gaming laptop 16", "游戏本16", 6999, 11999),
            ("Student laptop 15", "学生本15", 2999, 4299),
            ("2-in-1 tablet laptop", "二合一平板电脑", 3499, 5999),
            ("Creator laptop 16", "创作本16", 8999, 13999),
            ("Business laptop 14", "商务本14", 5499, 8499),
        ],
        "features": [
            ("16 GB memory", "16GB内存"),
            ("1 TB SSD", "1TB固态硬盘"),
            ("2.8K display", "2.8K高清屏"),
            ("all-day battery", "全天续航"),
            ("backlit keyboard", "背光键盘"),
            ("1.2 kg light body", "1.2公斤轻薄机身"),
            ("dedicated graphics", "独立显卡"),
            ("fingerprint login", "指纹登录"),
        ],
        "aspects": ["battery", "screen", "quality"],
    },
    "headphones": {
        "brands": [("Echo", "回声"), ("Nova", "诺瓦"), ("Pulse", "脉冲"), ("Aria", "咏叹")],
        "items": [
            ("wireless earbuds", "无线耳机", 199, 899),
            ("noise-cancelling headphones", "降噪头戴耳机", 599, 2499),
            ("sports earbuds", "运动耳机", 149, 499),
            ("gaming headset", "游戏耳麦", 299, 999),
            ("open-ear earbuds", "开放式耳机", 399, 1199),
            ("kids headphones", "儿童耳机", 99, 299),
        ],
        "features": [
            ("active noise cancelling", "主动降噪"),
            ("30-hour battery", "30小时续航"),
            ("Bluetooth 5.3", "蓝牙5.3"),
            ("sweat resistant", "防汗防水"),
            ("low-latency game mode", "低延迟游戏模式"),
            ("spatial audio", "空间音频"),
            ("comfortable fit", "佩戴舒适"),
            ("clear calls", "通话清晰"),
        ],
        "aspects": ["sound", "battery", "quality"],
    },
    "smartwatches": {
        "brands": [("Orbit", "轨迹"), ("Pulse", "脉冲"), ("Lumi", "流明"), ("Stride", "步履")],
        "items": [
            ("smartwatch", "智能手表", 899, 2499),
            ("fitness band", "运动手环", 149, 399),
            ("kids smartwatch", "儿童电话手表", 399, 899),
            ("outdoor GPS watch", "户外GPS手表", 1499, 3999),
            ("health watch", "健康手表", 999, 2999),
            ("running watch", "跑步手表", 799, 1999),
        ],
        "features": [
            ("heart-rate and SpO2 tracking", "心率血氧监测"),
            ("14-day battery", "14天续航"),
            ("built-in GPS", "内置GPS"),
            ("sleep tracking", "睡眠监测"),
            ("NFC payment", "NFC支付"),
            ("5 ATM water resistance", "5ATM防水"),
            ("AMOLED display", "AMOLED屏幕"),
            ("100 sport modes", "100种运动模式"),
        ],
        "aspects": ["battery", "screen", "quality"],
    },
    "home_appliances": {
        "brands": [("Haven", "和风"), ("Breeze", "清风"), ("Vela", "维拉"), ("Sola", "索拉")],
        "items": [
            ("robot vacuum", "扫地机器人", 1299, 3999),
            ("air purifier", "空气净化器", 899, 2999),
            ("dehumidifier", "除湿机", 699, 1699),
            ("hair dryer", "吹风机", 199, 1299),
            ("washing machine", "洗衣机", 1999, 4999),
            ("electric fan", "电风扇", 199, 699),
        ],
        "features": [
            ("quiet operation", "静音运行"),
            ("app control", "App智能控制"),
            ("energy class 1", "一级能效"),
            ("HEPA filter", "HEPA滤网"),
            ("auto mode", "自动模式"),
            ("two-year warranty", "两年质保"),
            ("compact size", "小巧机身"),
            ("timer", "定时功能"),
        ],
        "aspects": ["quality", "delivery", "service"],
    },
    "kitchen": {
        "brands": [("Sola", "索拉"), ("Haven", "和风"), ("Chef", "厨神"), ("Maple", "枫叶")],
        "items": [
            ("rice cooker", "电饭煲", 299, 1299),
            ("air fryer", "空气炸锅", 299, 899),
            ("non-stick wok", "不粘炒锅", 129, 499),
            ("knife set", "刀具套装", 199, 899),
            ("coffee machine", "咖啡机", 899, 3999),
            ("blender", "破壁机", 399, 1499),
        ],
        "features": [
            ("easy to clean", "易清洗"),
            ("food-grade materials", "食品级材质"),
            ("5-litre capacity", "5升大容量"),
            ("smart presets", "智能预设菜单"),
            ("stainless steel", "不锈钢材质"),
            ("induction compatible", "电磁炉可用"),
            ("reservation timer", "预约定时"),
            ("dishwasher safe", "可洗碗机清洗"),
        ],
        "aspects": ["quality", "packaging", "delivery"],
    },
    "beauty": {
        "brands": [("Rosa", "玫瑰坊"), ("Aqua", "水漾"), ("Lotus", "莲语"), ("Silk", "丝语")],
        "items": [
            ("moisturising cream", "保湿面霜", 129, 499),
            ("sunscreen SPF50", "防晒霜SPF50", 89, 259),
            ("lipstick", "口红", 99, 329),
            ("facial cleanser", "洁面乳", 59, 169),
            ("serum", "精华液", 199, 899),
            ("sheet mask set", "面膜套装", 69, 199),
        ],
        "features": [
            ("for sensitive skin", "敏感肌适用"),
            ("fragrance free", "无香精"),
            ("hyaluronic acid", "玻尿酸"),
            ("long lasting", "持久不脱妆"),
            ("vitamin C", "维生素C"),
            ("dermatologist tested", "皮肤科测试"),
            ("vegan formula", "纯素配方"),
            ("lightweight texture", "轻薄质地"),
        ],
        "aspects": ["quality", "packaging", "price"],
    },
    "sportswear": {
        "brands": [("Stride", "步履"), ("Peak", "峰行"), ("Aero", "飞羽"), ("Trail", "山径")],
        "items": [
            ("running shoes", "跑步鞋", 399, 1099),
            ("yoga leggings", "瑜伽裤", 149, 399),
            ("windbreaker jacket", "防风夹克", 299, 799),
            ("basketball shoes", "篮球鞋", 499, 1299),
            ("training T-shirt", "训练T恤", 79, 199),
            ("hiking backpack", "登山背包", 259, 699),
        ],
        "features": [
            ("breathable fabric", "透气面料"),
            ("cushioned sole", "缓震鞋底"),
            ("quick-dry", "速干"),
            ("reflective details", "反光设计"),
            ("lightweight", "轻量化"),
            ("water repellent", "防泼水"),
            ("slim fit", "修身版型"),
            ("non-slip grip", "防滑抓地"),
        ],
        "aspects": ["size", "quality", "delivery"],
    },
    "books": {
        "brands": [
            ("Lantern Press", "灯塔出版"),
            ("Bamboo Books", "竹简书局"),
            ("Starlight", "星光文库"),
            ("Harbor", "港湾出版"),
        ],
        "items": [
            ("Python programming guide", "Python编程指南", 59, 129),
            ("mystery novel", "悬疑小说", 29, 69),
            ("children's picture book", "儿童绘本", 25, 79),
            ("history of China", "中国通史", 68, 168),
            ("personal finance basics", "个人理财入门", 39, 89),
            ("cookbook", "家常菜谱", 39, 99),
        ],
        "features": [
            ("hardcover", "精装"),
            ("illustrated", "全彩插图"),
            ("bestseller", "畅销书"),
            ("new edition", "新版"),
            ("bilingual edition", "双语版"),
            ("with exercises", "附练习题"),
            ("award winning", "获奖作品"),
            ("large print", "大字版"),
        ],
        "aspects": ["quality", "packaging", "delivery"],
    },
    "groceries": {
        "brands": [
            ("Green Valley", "绿谷"),
            ("Mountain", "山野"),
            ("Harvest", "丰收"),
            ("Ocean", "海之味"),
        ],
        "items": [
            ("organic rice 5 kg", "有机大米5公斤", 59, 129),
            ("green tea", "绿茶", 49, 299),
            ("mixed nuts", "每日坚果", 39, 129),
            ("fresh fruit box", "鲜果礼盒", 69, 199),
            ("instant noodles pack", "方便面组合装", 29, 69),
            ("olive oil", "橄榄油", 59, 169),
        ],
        "features": [
            ("organic", "有机"),
            ("no additives", "无添加"),
            ("family size", "家庭装"),
            ("fresh from farm", "产地直发"),
            ("gift box", "礼盒装"),
            ("low sugar", "低糖"),
            ("cold-chain delivery", "冷链配送"),
            ("local produce", "本地出产"),
        ],
        "aspects": ["taste", "delivery", "packaging"],
    },
    "baby_toys": {
        "brands": [
            ("Sprout", "萌芽"),
            ("Panda Kids", "熊猫宝贝"),
            ("Tiny", "小不点"),
            ("Joy", "欢乐"),
        ],
        "items": [
            ("building blocks", "积木", 99, 499),
            ("baby stroller", "婴儿推车", 699, 2499),
            ("plush toy", "毛绒玩具", 49, 199),
            ("diapers pack", "纸尿裤", 89, 199),
            ("educational tablet", "早教机", 199, 599),
            ("baby bottle set", "奶瓶套装", 79, 259),
        ],
        "features": [
            ("BPA free", "不含BPA"),
            ("for ages 3+", "适合3岁以上"),
            ("safety certified", "安全认证"),
            ("soft materials", "柔软材质"),
            ("foldable", "可折叠"),
            ("educational", "益智"),
            ("washable", "可水洗"),
            ("gift packaging", "礼品包装"),
        ],
        "aspects": ["quality", "delivery", "price"],
    },
}

# --- the bank ------------------------------------------------------------------------------

DEPOSIT_NOTE = (
    (
        "存款产品受《存款保险条例》保护，同一存款人在本行的存款本息合计最高偿付限额为人民币50万元。"
        "利率以存入当日本行挂牌利率为准，提前支取按活期利率计息。"
    ),
    (
        "Deposits are protected under the Deposit Insurance Regulations up to CNY 500,000 per depositor "
        "per bank, principal and interest combined. The rate applied is the bank's posted rate on the day "
        "of deposit; early withdrawal earns the demand-deposit rate."
    ),
)
LOAN_NOTE = (
    "贷款年化利率（单利）以审批结果为准，请理性借贷、按时还款，逾期将影响个人征信。贷款资金不得用于购房、投资理财等禁止用途。",
    (
        "The annual interest rate (simple) is set on approval. Borrow responsibly and repay on time: late "
        "payment is reported to the credit bureau. Loan funds must not be used for home purchase, "
        "investment or other prohibited purposes."
    ),
)
CARD_NOTE = (
    "信用卡请按时还款，未全额还款将按日计收利息，取现及分期会产生手续费，具体以领用合约为准。",
    (
        "Repay your credit card on time: unpaid balances accrue daily interest, and cash advances and "
        "instalments carry fees as set out in the cardholder agreement."
    ),
)
INSURANCE_NOTE = (
    "本产品由合作保险公司承保，本行仅为代理销售，不承担保险责任。请仔细阅读保险条款，特别是责任免除条款，犹豫期内可全额退保。",
    (
        "Underwritten by our partner insurer; the bank acts only as the sales agent and bears no insurance "
        "liability. Read the policy terms, especially the exclusions, carefully; you may cancel for a full "
        "refund within the cooling-off period."
    ),
)
DEBIT_NOTE = (
    "请妥善保管银行卡及密码，切勿向他人透露验证码。跨行取现手续费以本行公布的收费标准为准。",
    (
        "Keep your card and PIN safe and never share verification codes. Interbank withdrawal fees follow "
        "the bank's published fee schedule."
    ),
)

BANK: list[dict[str, Any]] = [
    # credit cards: price = annual fee
    {
        "sku": "BK-CC-CLASSIC",
        "category": "credit_card",
        "name": ("Classic credit card", "经典信用卡"),
        "price": 0,
        "desc": (
            "No annual fee with 5 purchases a year, up to 50 days interest-free.",
            "年消费满5笔免年费，最长50天免息期。",
        ),
        "risk": "R1",
        "elig": {"min_age": 18, "max_age": 65, "min_annual_income": 30000},
        "note": CARD_NOTE,
    },
    {
        "sku": "BK-CC-TRAVEL",
        "category": "credit_card",
        "name": ("Travel rewards credit card", "旅行白金信用卡"),
        "price": 600,
        "desc": (
            "Airline miles on every purchase, airport lounge access and travel accident cover.",
            "消费累积航空里程，机场贵宾厅礼遇，附赠航空意外保障。",
        ),
        "risk": "R1",
        "elig": {"min_age": 22, "max_age": 65, "min_annual_income": 120000},
        "note": CARD_NOTE,
    },
    {
        "sku": "BK-CC-YOUNG",
        "category": "credit_card",
        "name": ("Young card", "青春信用卡"),
        "price": 0,
        "desc": (
            "For graduates: cashback on streaming, food delivery and ride hailing.",
            "面向毕业生：视频会员、外卖、打车消费返现。",
        ),
        "risk": "R1",
        "elig": {"min_age": 18, "max_age": 30, "min_annual_income": 20000},
        "note": CARD_NOTE,
    },
    {
        "sku": "BK-CC-PLATINUM",
        "category": "credit_card",
        "name": ("Platinum credit card", "白金信用卡"),
        "price": 2000,
        "desc": (
            "Concierge service, golf and hotel benefits, high credit limit.",
            "专属礼宾服务，高尔夫与酒店礼遇，高额度。",
        ),
        "risk": "R1",
        "elig": {"min_age": 25, "max_age": 65, "min_annual_income": 300000},
        "note": CARD_NOTE,
    },
    {
        "sku": "BK-CC-SHOP",
        "category": "credit_card",
        "name": ("Online shopping co-brand card", "网购联名信用卡"),
        "price": 0,
        "desc": (
            "Extra points and instalment offers on the partner shop.",
            "合作商城消费加倍积分，分期优惠。",
        ),
        "risk": "R1",
        "elig": {"min_age": 18, "max_age": 60, "min_annual_income": 30000},
        "note": CARD_NOTE,
    },
    # debit cards
    {
        "sku": "BK-DC-BASIC",
        "category": "debit_card",
        "name": ("Everyday debit card", "日常借记卡"),
        "price": 0,
        "desc": (
            "Free account management, mobile banking and instant transfer alerts.",
            "免账户管理费，手机银行，动账即时提醒。",
        ),
        "risk": "R1",
        "elig": {"min_age": 16},
        "note": DEBIT_NOTE,
    },
    {
        "sku": "BK-DC-YOUTH",
        "category": "debit_card",
        "name": ("Campus debit card", "校园借记卡"),
        "price": 0,
        "desc": (
            "For students: free interbank withdrawals 5 times a month.",
            "学生专属：每月5次免费跨行取现。",
        ),
        "risk": "R1",
        "elig": {"min_age": 16, "max_age": 28, "employment": ["student"]},
        "note": DEBIT_NOTE,
    },
    # deposits: price = minimum amount
    {
        "sku": "BK-DEP-3M",
        "category": "deposit",
        "name": ("3-month time deposit", "3个月定期存款"),
        "price": 50,
        "desc": ("Fixed term of 3 months, posted rate 1.05% p.a.", "期限3个月，挂牌年利率1.05%。"),
        "risk": "R1",
        "elig": {"min_age": 16},
        "note": DEPOSIT_NOTE,
        "attrs": {"term_months": 3, "posted_rate": 1.05},
    },
    {
        "sku": "BK-DEP-1Y",
        "category": "deposit",
        "name": ("1-year time deposit", "1年期定期存款"),
        "price": 50,
        "desc": ("Fixed term of 1 year, posted rate 1.35% p.a.", "期限1年，挂牌年利率1.35%。"),
        "risk": "R1",
        "elig": {"min_age": 16},
        "note": DEPOSIT_NOTE,
        "attrs": {"term_months": 12, "posted_rate": 1.35},
    },
    {
        "sku": "BK-DEP-3Y",
        "category": "deposit",
        "name": ("3-year time deposit", "3年期定期存款"),
        "price": 50,
        "desc": ("Fixed term of 3 years, posted rate 1.75% p.a.", "期限3年，挂牌年利率1.75%。"),
        "risk": "R1",
        "elig": {"min_age": 16},
        "note": DEPOSIT_NOTE,
        "attrs": {"term_months": 36, "posted_rate": 1.75},
    },
    {
        "sku": "BK-DEP-CD",
        "category": "deposit",
        "name": ("Large certificate of deposit", "大额存单"),
        "price": 200000,
        "desc": ("From CNY 200,000, transferable, 3-year term.", "20万元起存，可转让，期限3年。"),
        "risk": "R1",
        "elig": {"min_age": 18},
        "note": DEPOSIT_NOTE,
        "attrs": {"term_months": 36, "posted_rate": 1.9},
    },
    {
        "sku": "BK-DEP-SMART",
        "category": "deposit",
        "name": ("Smart notice deposit", "智能通知存款"),
        "price": 50000,
        "desc": (
            "7-day notice deposit, withdraw with 7 days' notice.",
            "七天通知存款，提前7天通知即可支取。",
        ),
        "risk": "R1",
        "elig": {"min_age": 18},
        "note": DEPOSIT_NOTE,
        "attrs": {"notice_days": 7, "posted_rate": 1.0},
    },
    # loans: price = 0 (fees disclosed in text)
    {
        "sku": "BK-LN-PERSONAL",
        "category": "loan",
        "name": ("Personal consumer loan", "个人消费贷款"),
        "price": 0,
        "desc": (
            "Up to CNY 300,000 for home renovation, education or travel; annual rate from 3.45%.",
            "最高30万元，用于装修、教育、旅游等消费，年化利率3.45%起。",
        ),
        "risk": "R2",
        "elig": {
            "min_age": 22,
            "max_age": 60,
            "min_annual_income": 60000,
            "employment": ["employed", "self_employed"],
        },
        "note": LOAN_NOTE,
    },
    {
        "sku": "BK-LN-CAR",
        "category": "loan",
        "name": ("Car loan", "汽车贷款"),
        "price": 0,
        "desc": ("Finance up to 80% of a new car over 1-5 years.", "新车最高可贷80%，期限1至5年。"),
        "risk": "R2",
        "elig": {"min_age": 22, "max_age": 60, "min_annual_income": 80000},
        "note": LOAN_NOTE,
    },
    {
        "sku": "BK-LN-MORTGAGE",
        "category": "loan",
        "name": ("Home mortgage", "个人住房贷款"),
        "price": 0,
        "desc": ("Up to 30 years, rate linked to the LPR.", "最长30年，利率挂钩LPR。"),
        "risk": "R2",
        "elig": {"min_age": 22, "max_age": 65, "min_annual_income": 100000},
        "note": LOAN_NOTE,
    },
    {
        "sku": "BK-LN-BIZ",
        "category": "loan",
        "name": ("Small business loan", "小微企业经营贷"),
        "price": 0,
        "desc": (
            "Working capital for small business owners, quick online approval.",
            "面向小微企业主的经营周转资金，线上快速审批。",
        ),
        "risk": "R3",
        "elig": {
            "min_age": 25,
            "max_age": 65,
            "min_annual_income": 150000,
            "employment": ["self_employed"],
        },
        "note": LOAN_NOTE,
    },
    # insurance: price = yearly premium from
    {
        "sku": "BK-INS-HEALTH",
        "category": "insurance",
        "name": ("Million medical insurance", "百万医疗险"),
        "price": 299,
        "desc": (
            "Hospital costs covered up to CNY 2 million a year after the deductible.",
            "免赔额以上住院医疗费用最高保障200万元/年。",
        ),
        "risk": "R2",
        "elig": {"min_age": 0, "max_age": 60},
        "note": INSURANCE_NOTE,
    },
    {
        "sku": "BK-INS-ACCIDENT",
        "category": "insurance",
        "name": ("Personal accident cover", "综合意外险"),
        "price": 99,
        "desc": (
            "Accidental injury and medical expenses, one-year term.",
            "意外身故伤残及意外医疗，保障一年。",
        ),
        "risk": "R1",
        "elig": {"min_age": 18, "max_age": 65},
        "note": INSURANCE_NOTE,
    },
    {
        "sku": "BK-INS-TRAVEL",
        "category": "insurance",
        "name": ("Travel insurance", "境外旅行险"),
        "price": 59,
        "desc": (
            "Medical, delay and lost luggage cover abroad.",
            "境外医疗、航班延误、行李丢失保障。",
        ),
        "risk": "R1",
        "elig": {"min_age": 1, "max_age": 80},
        "note": INSURANCE_NOTE,
    },
    {
        "sku": "BK-INS-CRITICAL",
        "category": "insurance",
        "name": ("Critical illness insurance", "重大疾病保险"),
        "price": 1999,
        "desc": (
            "Lump-sum payment on diagnosis of one of 120 covered illnesses.",
            "确诊120种合同约定重疾即一次性给付。",
        ),
        "risk": "R2",
        "elig": {"min_age": 18, "max_age": 55, "min_annual_income": 50000},
        "note": INSURANCE_NOTE,
    },
]

# --- people ---------------------------------------------------------------------------------

# persona: (shop category weights, bank category weights)
PERSONAS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "tech": (
        {"phones": 5, "laptops": 4, "headphones": 4, "smartwatches": 3, "books": 1},
        {"credit_card": 3, "loan": 1},
    ),
    "beauty": (
        {"beauty": 6, "sportswear": 2, "groceries": 1, "kitchen": 1},
        {"credit_card": 3, "insurance": 1},
    ),
    "home": (
        {"kitchen": 5, "home_appliances": 5, "groceries": 3},
        {"deposit": 2, "loan": 2, "insurance": 1},
    ),
    "sport": (
        {"sportswear": 6, "smartwatches": 3, "headphones": 2, "groceries": 1},
        {"insurance": 2, "debit_card": 1},
    ),
    "parent": (
        {"baby_toys": 6, "groceries": 3, "books": 2, "kitchen": 1},
        {"insurance": 3, "deposit": 2},
    ),
    "reader": ({"books": 6, "groceries": 1, "laptops": 1}, {"deposit": 3, "debit_card": 1}),
    "saver": ({"groceries": 3, "kitchen": 2, "books": 1}, {"deposit": 6, "insurance": 2}),
}
#: Only the showcase customer demo-0001 has this one.
SHOWCASE_PERSONA: tuple[str, tuple[dict[str, float], dict[str, float]]] = (
    "phone_fan",
    ({"phones": 8, "headphones": 2, "smartwatches": 1}, {"credit_card": 1}),
)
CITIES = [
    "Shanghai",
    "Beijing",
    "Shenzhen",
    "Hangzhou",
    "Chengdu",
    "Wuhan",
    "Nanjing",
    "Xi'an",
    "Guangzhou",
    "Suzhou",
]

# Review templates by aspect: ((en positive, zh positive), (en negative, zh negative)).
ASPECT_TEXT: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "delivery": (
        ("Arrived the next day, very fast delivery.", "第二天就到了，物流很快。"),
        (
            "Delivery took almost two weeks and the courier never called.",
            "快递走了快两周，快递员也没打电话。",
        ),
    ),
    "service": (
        ("Customer service was patient and solved my problem.", "客服很耐心，帮我解决了问题。"),
        (
            "Customer service kept me waiting and never answered my question.",
            "客服一直让我等，问题也没解决。",
        ),
    ),
    "quality": (
        ("Excellent quality, feels solid.", "质量非常好，做工扎实。"),
        ("Poor quality, it broke after a week.", "质量太差了，用了一周就坏了。"),
    ),
    "price": (
        ("Great value for the price.", "性价比很高。"),
        ("Too expensive for what you get.", "太贵了，不值这个价。"),
    ),
    "packaging": (
        ("Nicely packed, arrived in perfect condition.", "包装很好，完好无损。"),
        ("The box was crushed and the packaging was torn.", "盒子被压扁了，包装也破了。"),
    ),
    "battery": (
        ("Battery easily lasts two days.", "电池续航能撑两天。"),
        ("Battery drains in half a day.", "电池半天就没电了。"),
    ),
    "screen": (
        ("The screen is bright and sharp.", "屏幕很亮很清晰。"),
        ("The screen has a yellow tint.", "屏幕发黄。"),
    ),
    "sound": (
        ("Sound is clear with deep bass.", "音质清晰，低音很足。"),
        ("Sound is tinny and distorted.", "音质发闷还有杂音。"),
    ),
    "size": (
        ("True to size and comfortable.", "尺码标准，穿着舒服。"),
        ("Runs small, had to return it.", "尺码偏小，只能退货。"),
    ),
    "taste": (
        ("Tastes fresh and delicious.", "味道新鲜好吃。"),
        ("Tasted stale, not fresh at all.", "味道不新鲜。"),
    ),
    "fees": (
        ("No hidden fees, everything was transparent.", "没有隐藏费用，收费透明。"),
        ("I was charged an annual fee nobody told me about.", "被收了没人告诉过我的年费。"),
    ),
    "waiting_time": (
        ("Approval took only a day.", "审批一天就通过了。"),
        (
            "Waited over an hour at the branch and the approval took a month.",
            "在网点等了一个多小时，审批拖了一个月。",
        ),
    ),
    "app": (
        ("The mobile app makes it easy to manage.", "手机银行App用起来很方便。"),
        ("The app keeps crashing when I try to log in.", "App登录的时候总是闪退。"),
    ),
    "interest_rate": (
        ("The rate was clearly explained.", "利率解释得很清楚。"),
        ("The actual rate was higher than I expected.", "实际利率比预期的高。"),
    ),
}
BANK_ASPECTS = {
    "credit_card": ["fees", "app", "service"],
    "debit_card": ["app", "fees", "waiting_time"],
    "deposit": ["interest_rate", "waiting_time", "service"],
    "loan": ["waiting_time", "interest_rate", "service"],
    "insurance": ["service", "waiting_time", "fees"],
}
OPENERS: list[tuple[str, str]] = [
    ("", ""),
    ("", ""),
    ("Bought this as a gift.", "买来送人的。"),
    ("Second time buying here.", "第二次在这里买了。"),
    ("Used it for a month now.", "用了一个月了。"),
    ("Ordered during the sale.", "活动的时候下的单。"),
    ("My family uses it every day.", "家里人每天都在用。"),
]
# A few reviews leave contact details in the text (fake numbers): the importer must redact them.
PII_TAILS = [
    (" Call me back on 13912345678.", "请回电13912345678。"),
    (" My email is li.ming@example.com.", "我的邮箱是li.ming@example.com。"),
    (" Refund to card 6222021234567890128 please.", "请退款到卡号6222021234567890128。"),
]


@dataclass
class Person:
    sender_id: str
    locale: str
    personas: list[str]
    age: int
    income: int
    employment: str
    #: aspects this person is grumpy about (they complain about these)
    grudges: list[str]


def _ts(rng: random.Random, days_back_max: float = DAYS) -> datetime:
    return (
        END - timedelta(days=rng.uniform(0, days_back_max), seconds=rng.randint(0, 86399))
    ).replace(microsecond=0)


def make_shop(rng: random.Random) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for category, spec in SHOP.items():
        n = 0
        for bi, (brand_en, brand_zh) in enumerate(spec["brands"]):
            for ii, (item_en, item_zh, lo, hi) in enumerate(spec["items"]):
                n += 1
                model = f"{chr(65 + (bi + ii) % 26)}{rng.randint(1, 9)}"
                feats = rng.sample(spec["features"], 3)
                price = round(rng.uniform(lo, hi) / 10) * 10 - 1
                name_en = f"{brand_en} {item_en} {model}"
                name_zh = f"{brand_zh}{item_zh} {model}"
                desc_en = f"{name_en}: {feats[0][0]}, {feats[1][0]} and {feats[2][0]}."
                desc_zh = f"{name_zh}：{feats[0][1]}，{feats[1][1]}，{feats[2][1]}。"
                products.append(
                    {
                        "sku": f"SH-{category[:4].upper()}-{n:03d}",
                        "domain": "shop",
                        "category": category,
                        "name_zh": name_zh,
                        "name_en": name_en,
                        "description_zh": desc_zh,
                        "description_en": desc_en,
                        "price": float(max(price, 9)),
                        "currency": "CNY",
                        "stock": rng.choice([0, 3, 8, 15, 30, 60, 120, 250])
                        if rng.random() > 0.05
                        else 0,
                        "brand": brand_en,
                        "attributes": {
                            "features": [f[0] for f in feats],
                            "rating_avg": round(rng.uniform(3.6, 4.9), 1),
                        },
                    }
                )
    return products


def make_bank() -> list[dict[str, Any]]:
    out = []
    for spec in BANK:
        out.append(
            {
                "sku": spec["sku"],
                "domain": "bank",
                "category": spec["category"],
                "name_zh": spec["name"][1],
                "name_en": spec["name"][0],
                "description_zh": spec["desc"][1],
                "description_en": spec["desc"][0],
                "price": float(spec["price"]),
                "currency": "CNY",
                "stock": None,
                "brand": "IPM Bank",
                "attributes": spec.get("attrs", {}),
                "eligibility": spec["elig"],
                "compliance_zh": spec["note"][0],
                "compliance_en": spec["note"][1],
                "risk_level": spec["risk"],
            }
        )
    return out


def make_people(rng: random.Random, n: int) -> list[Person]:
    people = []
    persona_names = list(PERSONAS)
    all_aspects = list(ASPECT_TEXT)
    for i in range(1, n + 1):
        if i == 1:
            # the showcase customer: loves phones, hates slow deliveries
            people.append(
                Person("demo-0001", "zh", ["phone_fan"], 29, 180000, "employed", ["delivery"])
            )
            continue
        personas = [rng.choice(persona_names)]
        if rng.random() < 0.35:
            personas.append(rng.choice(persona_names))
        age = rng.randint(18, 70)
        employment = (
            "student"
            if age < 23 and rng.random() < 0.7
            else ("retired" if age > 62 else rng.choice(["employed", "employed", "self_employed"]))
        )
        income = (
            int(rng.lognormvariate(11.5, 0.6)) // 1000 * 1000
            if employment != "student"
            else rng.randint(0, 20) * 1000
        )
        grudges = rng.sample(all_aspects, rng.choice([0, 1, 1, 2]))
        people.append(
            Person(
                f"demo-{i:04d}",
                "zh" if rng.random() < 0.7 else "en",
                personas,
                age,
                income,
                employment,
                grudges,
            )
        )
    return people


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def make_behaviour(
    rng: random.Random,
    people: list[Person],
    shop: list[dict[str, Any]],
    bank: list[dict[str, Any]],
    target: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for p in shop + bank:
        by_cat.setdefault(p["category"], []).append(p)
    interactions: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    per_person = max(1, target // len(people))
    seq = 0

    def add(person: Person, sku: str, kind: str, value: float | None, at: datetime) -> None:
        nonlocal seq
        seq += 1
        interactions.append(
            {
                "event_id": f"ev-{seq:06d}",
                "sender_id": person.sender_id,
                "sku": sku,
                "kind": kind,
                "value": "" if value is None else value,
                "occurred_at": at.isoformat().replace("+00:00", "Z"),
            }
        )

    for person in people:
        activity = max(1, int(rng.gauss(per_person, per_person * 0.5)))
        if person.sender_id == "demo-0001":
            activity = 30
        steps = 0
        while steps < activity:
            name = rng.choice(person.personas)
            persona = SHOWCASE_PERSONA[1] if name == SHOWCASE_PERSONA[0] else PERSONAS[name]
            bank_turn = rng.random() < 0.2
            category = _weighted(rng, persona[1] if bank_turn else persona[0])
            product = rng.choice(by_cat[category])
            at = _ts(rng)
            add(person, product["sku"], "view", None, at)
            steps += 1
            if rng.random() < 0.55:
                at += timedelta(seconds=rng.randint(5, 300))
                add(person, product["sku"], "click", None, at)
                steps += 1
                if rng.random() < 0.35:
                    at += timedelta(seconds=rng.randint(10, 600))
                    add(person, product["sku"], "cart", 1.0, at)
                    steps += 1
                    if rng.random() < 0.55:
                        at += timedelta(minutes=rng.randint(1, 120))
                        paid = product["price"] if product["domain"] == "shop" else None
                        add(person, product["sku"], "purchase", paid, at)
                        steps += 1
                        grumpy = [a for a in person.grudges]
                        if rng.random() < 0.6:
                            review_at = at + timedelta(days=rng.randint(2, 12))
                            rating, review = _review(
                                rng, person, product, review_at, grumpy, len(reviews) + 1
                            )
                            add(person, product["sku"], "rating", float(rating), review_at)
                            reviews.append(review)
    _showcase(rng, people[0], by_cat["phones"], add, reviews)
    interactions.sort(key=lambda r: (r["occurred_at"], r["event_id"]))
    reviews.sort(key=lambda r: (r["created_at"], r["review_id"]))
    return interactions, reviews


def _showcase(
    rng: random.Random,
    person: Person,
    phones: list[dict[str, Any]],
    add: Any,
    reviews: list[dict[str, Any]],
) -> None:
    """demo-0001 always bought a phone recently and complained about the delivery."""
    phone = phones[0]
    at = END - timedelta(days=6, hours=3)
    for kind, value, offset in (
        ("view", None, 0),
        ("click", None, 60),
        ("cart", 1.0, 300),
        ("purchase", phone["price"], 900),
    ):
        add(person, phone["sku"], kind, value, at + timedelta(seconds=offset))
    review_at = END - timedelta(days=1, hours=2)
    add(person, phone["sku"], "rating", 3.0, review_at)
    reviews.append(
        {
            "review_id": "rv-showcase",
            "sender_id": person.sender_id,
            "sku": phone["sku"],
            "rating": 3,
            "language": "zh",
            "text": "手机本身很好，拍照清楚，但是快递走了快两周，快递员也没打电话。",
            "sentiment": "neutral",
            "aspects": json.dumps(
                {"delivery": "negative", "quality": "positive"}, ensure_ascii=False, sort_keys=True
            ),
            "created_at": review_at.isoformat().replace("+00:00", "Z"),
        }
    )


def _review(
    rng: random.Random,
    person: Person,
    product: dict[str, Any],
    at: datetime,
    grudges: list[str],
    n: int,
) -> tuple[int, dict[str, Any]]:
    category = product["category"]
    pool = BANK_ASPECTS.get(category) or SHOP.get(category, {}).get("aspects") or ["quality"]
    pool = list(
        dict.fromkeys(
            pool + ["delivery", "service", "price", "packaging"]
            if product["domain"] == "shop"
            else pool
        )
    )
    aspects: dict[str, str] = {}
    complaint = [a for a in grudges if a in pool]
    if complaint and rng.random() < 0.8:
        aspects[complaint[0]] = "negative"
    main = rng.choice(pool)
    if main not in aspects:
        aspects[main] = "positive" if rng.random() < 0.7 else "negative"
    negatives = sum(v == "negative" for v in aspects.values())
    positives = len(aspects) - negatives
    if negatives and not positives:
        rating = rng.choice([1, 2, 2])
    elif negatives:
        rating = rng.choice([2, 3, 3, 4])
    else:
        rating = rng.choice([4, 5, 5])
    zh = person.locale == "zh"
    opener = rng.choice(OPENERS)[1 if zh else 0]
    parts = ([opener] if opener else []) + [
        ASPECT_TEXT[a][0 if s == "positive" else 1][1 if zh else 0] for a, s in aspects.items()
    ]
    text = ("" if zh else " ").join(parts)
    if rng.random() < 0.04:
        tail = rng.choice(PII_TAILS)
        text += tail[1] if zh else tail[0]
    sentiment = "positive" if rating >= 4 else ("negative" if rating <= 2 else "neutral")
    return rating, {
        "review_id": f"rv-{n:05d}",
        "sender_id": person.sender_id,
        "sku": product["sku"],
        "rating": rating,
        "language": "zh" if zh else "en",
        "text": text,
        "sentiment": sentiment,
        "aspects": json.dumps(aspects, ensure_ascii=False, sort_keys=True),
        "created_at": at.isoformat().replace("+00:00", "Z"),
    }


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(
    out: Path, *, seed: int = SEED, customers: int = 400, interactions: int = 9000
) -> dict[str, int]:
    """Write the demo files under ``out`` and return how many rows each has.

    Args:
        out: the project root (files go to ``data/catalog`` and ``data/demo`` below it).
        seed: random seed.
        customers: number of customers.
        interactions: approximate number of interactions.

    Returns:
        ``{file name: rows}``.
    """
    rng = random.Random(seed)
    shop = make_shop(rng)
    bank = make_bank()
    people = make_people(rng, customers)
    events, reviews = make_behaviour(rng, people, shop, bank, interactions)
    customer_rows = []
    for p in people:
        consent = rng.random() < 0.6 if p.sender_id != "demo-0001" else True
        customer_rows.append(
            {
                "sender_id": p.sender_id,
                "locale": p.locale,
                "marketing_consent": "true" if consent else "false",
                "consent_at": _ts(rng).isoformat().replace("+00:00", "Z"),
                "age": p.age,
                "city": rng.choice(CITIES),
                "annual_income": p.income,
                "employment": p.employment,
            }
        )
    _write_jsonl(out / "data/catalog/shop.jsonl", shop)
    _write_jsonl(out / "data/catalog/bank.jsonl", bank)
    _write_csv(
        out / "data/demo/customers.csv",
        customer_rows,
        [
            "sender_id",
            "locale",
            "marketing_consent",
            "consent_at",
            "age",
            "city",
            "annual_income",
            "employment",
        ],
    )
    _write_csv(
        out / "data/demo/interactions.csv",
        events,
        ["event_id", "sender_id", "sku", "kind", "value", "occurred_at"],
    )
    _write_csv(
        out / "data/demo/reviews.csv",
        reviews,
        [
            "review_id",
            "sender_id",
            "sku",
            "rating",
            "language",
            "text",
            "sentiment",
            "aspects",
            "created_at",
        ],
    )
    return {
        "shop.jsonl": len(shop),
        "bank.jsonl": len(bank),
        "customers.csv": len(customer_rows),
        "interactions.csv": len(events),
        "reviews.csv": len(reviews),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT, help="project root to write under (default: this repo)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--interactions", type=int, default=9000)
    args = parser.parse_args()
    counts = generate(
        args.out, seed=args.seed, customers=args.customers, interactions=args.interactions
    )
    for name, n in counts.items():
        print(f"{name}: {n} rows")


if __name__ == "__main__":
    main()
