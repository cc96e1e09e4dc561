"""How clerks mistype an address: characters that sound alike, traditional forms, numbers
written or read out in Chinese, full-width forms and a slipped key (the messy set's tools)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

# Characters that sound alike (same toneless pinyin) for the homophone class; typed by an
# input method that picked the wrong candidate.
HOMOPHONES = {
    "苑": "园",
    "园": "苑",
    "海": "还",
    "深": "申",
    "南": "男",
    "山": "删",
    "科": "可",
    "新": "心",
    "大": "达",
    "道": "到",
    "路": "陆",
    "华": "化",
    "兴": "星",
    "光": "广",
    "明": "名",
    "湾": "弯",
    "桃": "陶",
    "源": "元",
    "学": "雪",
    "府": "付",
    "后": "候",
    "前": "钱",
    "沙": "纱",
    "河": "和",
    "北": "背",
    "环": "还",
    "滨": "彬",
    "望": "旺",
    "留": "流",
    "仙": "先",
    "白": "百",
    "石": "时",
    "侨": "桥",
    "香": "乡",
    "创": "窗",
    "业": "叶",
    "登": "灯",
    "良": "梁",
    "东": "冬",
    "龙": "隆",
    "珠": "朱",
    "丽": "力",
    "茶": "查",
    "同": "童",
    "发": "法",
    "文": "闻",
    "心": "新",
    "五": "午",
    "月": "越",
    "亮": "量",
    "蛇": "舌",
    "口": "扣",
    "街": "接",
    "招": "昭",
    "商": "伤",
    "工": "公",
    "中": "钟",
    "德": "得",
    "三": "叁",
    "高": "糕",
    "一": "壹",
    "八": "吧",
    "林": "琳",
    "安": "按",
    "平": "苹",
    "和": "河",
    "建": "见",
    "设": "社",
    "民": "敏",
    "长": "常",
    "青": "清",
    "明珠": "",
    "云": "芸",
    "峰": "锋",
    "清": "青",
    "风": "丰",
    "朝": "潮",
    "阳": "杨",
    "夏": "下",
    "方": "芳",
    "宝": "保",
    "景": "井",
    "技": "记",
    "智": "志",
    "慧": "惠",
    "星": "兴",
    "蓝": "兰",
    "金": "今",
    "银": "银",
    "湖": "胡",
    "碧": "必",
    "波": "播",
    "桂": "贵",
    "花": "化",
    "紫": "子",
    "荆": "京",
    "梧": "吴",
    "桐": "同",
    "荔": "利",
    "枝": "知",
    "井": "景",
    "凤": "奉",
    "凰": "黄",
    "锦": "紧",
    "绣": "秀",
    "翠": "脆",
    "竹": "珠",
    "松": "送",
    "坪": "平",
    "玉": "预",
    "泉": "全",
    "怡": "宜",
    "观": "关",
    "澜": "兰",
    "岭": "领",
    "斗": "豆",
    "永": "勇",
    "昌": "常",
    "桥": "侨",
    "沙河": "",
}
TRADITIONAL = str.maketrans(
    {
        "广": "廣",
        "东": "東",
        "圳": "圳",
        "区": "區",
        "街": "街",
        "道": "道",
        "号": "號",
        "栋": "棟",
        "单": "單",
        "层": "層",
        "门": "門",
        "华": "華",
        "兴": "興",
        "学": "學",
        "园": "園",
        "湾": "灣",
        "丽": "麗",
        "龙": "龍",
        "后": "後",
        "环": "環",
        "侨": "僑",
        "业": "業",
        "发": "發",
        "亲": "親",
        "苏": "蘇",
        "乐": "樂",
        "头": "頭",
        "汉": "漢",
        "联": "聯",
        "厦": "廈",
        "场": "場",
        "寓": "寓",
        "阳": "陽",
        "凤": "鳳",
        "锦": "錦",
        "绣": "繡",
        "荔": "荔",
        "云": "雲",
        "风": "風",
        "叶": "葉",
        "银": "銀",
        "紫": "紫",
        "观": "觀",
        "岭": "嶺",
        "长": "長",
        "青": "青",
        "宝": "寶",
        "湖": "湖",
    }
)
CHINESE_DIGITS = "零一二三四五六七八九"
# Common characters a slip of the keyboard may put in a name.
RANDOM_CHARS = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会"


def slip(name: str, rng: random.Random) -> str | None:
    """`name` with one character (not the last) replaced by a random one; None if too short."""
    if len(name) < 3:
        return None
    i = rng.randrange(len(name) - 1)
    return name[:i] + rng.choice(RANDOM_CHARS) + name[i + 1 :]


def one_substitution_from(typo: str, names: Iterable[str]) -> list[str]:
    """The names one substituted character away from `typo`."""
    return [n for n in names if len(n) == len(typo)
            and sum(a != b for a, b in zip(n, typo, strict=True)) == 1]


def number_in_chinese(n: int) -> str:
    """15 → 十五, 20 → 二十, 101 → 一百零一 (as people write door numbers)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CHINESE_DIGITS[n // 10] + "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = (
            ""
            if rest == 0
            else (
                "零" + CHINESE_DIGITS[rest]
                if rest < 10
                else number_in_chinese(rest)
                if rest >= 20
                else "一" + number_in_chinese(rest)
            )
        )
        return CHINESE_DIGITS[n // 100] + "百" + tail
    return "".join(CHINESE_DIGITS[int(c)] for c in str(n))


def numbers_in_chinese(text: str) -> str:
    """Every run of digits in Chinese: 1号之1 → 一号之一, 12-14号 → 十二-十四号."""
    return re.sub(r"[0-9]+", lambda m: number_in_chinese(int(m.group(0))), text)


def digits_in_chinese(text: str) -> str:
    """1201 → 一二零一 (how room numbers are read out)."""
    return "".join(CHINESE_DIGITS[int(c)] for c in text)


def full_width(text: str) -> str:
    """ASCII letters, digits and dashes in their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
