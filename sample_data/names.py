"""Name pools for the sample city.

Roads and compounds start from real public names of 南山区 and go on with synthetic ones.
People are clearly synthetic: every name carries a digit and every ID number uses the
county code 4499xx, which does not exist, so no real person's name or ID can result.
"""

from __future__ import annotations

import random

REAL_ROADS = [
    "深南大道",
    "滨海大道",
    "北环大道",
    "沙河西路",
    "科苑路",
    "南海大道",
    "后海大道",
    "南山大道",
    "前海路",
    "桃园路",
    "高新南一道",
    "学府路",
    "海德三道",
    "工业八路",
    "望海路",
    "留仙大道",
    "白石路",
    "侨香路",
    "创业路",
    "登良路",
    "东滨路",
    "麒麟路",
    "龙珠大道",
    "丽山路",
    "茶光路",
    "同发路",
    "文心五路",
    "兴海大道",
    "月亮湾大道",
    "蛇口新街",
    "招商路",
    "工业一路",
    "南光路",
    "南新路",
    "大新路",
    "中山园路",
]
ROAD_STEMS = [
    "兴华",
    "文昌",
    "永安",
    "和平",
    "建设",
    "新民",
    "光明",
    "长青",
    "海湾",
    "明珠",
    "福田",
    "仙桥",
    "青云",
    "锦绣",
    "翠竹",
    "松坪",
    "玉泉",
    "怡海",
    "观澜",
    "南岭",
    "北斗",
    "金沙",
    "银湖",
    "香山",
    "碧波",
    "桂花",
    "紫荆",
    "梧桐",
    "荔枝",
    "龙井",
    "凤凰",
    "云峰",
    "清风",
    "朝阳",
    "华夏",
    "东方",
    "新安",
    "宝华",
    "海景",
    "科技",
    "创新",
    "智慧",
    "星海",
    "蓝湾",
]
ROAD_SUFFIXES = ["路", "街", "大道", "一路", "二路", "三路", "四路", "巷"]
ROAD_QUARTERS = ["", "东", "西", "南", "北", "中"]

REAL_COMPOUNDS = [
    ("科兴科学园", "座"),
    ("南山书城", "座"),
    ("海岸城", "座"),
    ("蔚蓝海岸", "栋"),
    ("海月花园", "栋"),
    ("南海玫瑰园", "栋"),
    ("阳光棕榈园", "栋"),
    ("荔香园", "栋"),
    ("桃源村", "栋"),
    ("大冲城市花园", "栋"),
    ("深圳湾科技生态园", "栋"),
    ("华侨城大厦", "座"),
]
COMPOUND_STEMS = ROAD_STEMS
COMPOUND_KINDS = [
    ("花园", "栋"),
    ("苑", "栋"),
    ("小区", "栋"),
    ("家园", "栋"),
    ("新村", "栋"),
    ("公寓", "栋"),
    ("大厦", "座"),
    ("科技园", "座"),
    ("广场", "座"),
]

# Villages of the townships (one each, in township order) and natural villages in them:
# names no division of the NBS table and no road of the sample carries.
VILLAGES = ["永西村", "禾坪村", "榕树村", "坑尾村", "鹿岭村", "后岗村", "坳背村", "前岭村",
            "下围村"]
NATURAL_VILLAGES = ["上屋", "北坑", "中屋", "老屋", "新屋"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁"
GIVEN = "甲乙丙丁戊己庚辛壬癸"
ORG_WORDS = ["科技", "信息", "贸易", "物流", "餐饮", "咨询", "电子", "医疗", "教育", "文化"]
ORG_FORMS = ["有限公司", "股份有限公司", "服务中心", "工作室"]
# Guangdong's cities end at 4453, so no county 4499xx exists: a sample ID number can
# never be a real person's. Each township gets its own (449901 …) to keep numbers unique.
FAKE_COUNTY_PREFIX = "4499"


def road_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct road names, the real ones of 南山区 first."""
    names = list(REAL_ROADS[:count])
    seen = set(names)
    while len(names) < count:
        name = rng.choice(ROAD_STEMS) + rng.choice(ROAD_QUARTERS) + rng.choice(ROAD_SUFFIXES)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def road_aliases(name: str) -> list[str]:
    """Other names people use for a road (大道 ↔ 路)."""
    if name.endswith("大道"):
        return [name[:-2] + "路"]
    return []


def person_name(rng: random.Random, serial: int) -> str:
    """A synthetic name: surname, a stem character and a digit (李甲3)."""
    return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{serial % 10}"


def organization_name(rng: random.Random, stem: str, serial: int) -> str:
    """A synthetic organization name under 深圳市."""
    return f"深圳市{stem}{rng.choice(ORG_WORDS)}样例{serial}号{rng.choice(ORG_FORMS)}"
