from addressing.admin import default_gazetteer
from addressing.lexicon import NameLexicon, sound_key
from addressing.parse import STREET_LEVELS, parse


def chains(text):
    return [[n.division.code for n in chain] for chain in default_gazetteer().parse(text).chains]


def test_full_chain_is_read_with_codes_and_spans():
    text = "广东省深圳市南山区粤海街道科苑路15号科兴科学园A座1201室"
    p = parse(text)
    got = {e.level: (e.value, text[e.span[0]:e.span[1]], e.code) for e in p.elements}
    assert got["province"] == ("广东省", "广东省", "440000000000")
    assert got["county"][2] == "440305000000"
    assert got["township"][2] == "440305007000"
    assert got["road"][:2] == ("科苑路", "科苑路")
    assert got["door"][:2] == ("15号", "15号")
    assert got["compound"][:2] == ("科兴科学园", "科兴科学园")
    assert got["building"][:2] == ("A栋", "A座")
    assert got["room"][:2] == ("1201室", "1201室")


def test_spans_point_into_messy_original():
    text = "收件人：张三 13800138000 深圳南山科苑路十五號３棟一单元12楼1201"
    p = parse(text)
    spans = {e.level: text[e.span[0]:e.span[1]] for e in p.elements}
    assert spans["door"] == "十五號"
    assert spans["building"] == "３棟"
    assert spans["unit"] == "一单元"
    assert spans["floor"] == "12楼"
    assert spans["room"] == "1201"
    assert spans["city"] == "深圳"


def test_duplicate_county_names_stay_a_tie_without_context():
    assert sorted(c[-1] for c in chains("南山区")) == ["230404000000", "440305000000"]
    assert sorted(c[-1] for c in chains("朝阳区")) == ["110105000000", "220104000000"]
    assert len(chains("鼓楼区")) == 4


def test_context_decides_duplicates():
    assert chains("深圳南山区")[0][-1] == "440305000000"
    assert chains("广东南山区") == [["440000000000", "440305000000"]]
    assert chains("北京朝阳区") == [["110000000000", "110105000000"]]
    assert chains("福州市鼓楼区")[0][-1] == "350102000000"


def test_short_names_and_autonomous_areas():
    assert chains("深圳南山") == [["440300000000", "440305000000"]]
    assert chains("吉林省延边")[0][-1] == "222400000000"
    assert chains("延边州延吉市")[0][-1] == "222401000000"
    assert chains("广西南宁市")[0] == ["450000000000", "450100000000"]


def test_renamed_and_merged_areas():
    assert chains("襄樊市") == [["420600000000"]]
    assert chains("北京市崇文区") == [["110000000000", "110101000000"]]
    # 龙华街道 moved from 宝安区 to 龙华区 in 2017: the old nesting is still understood.
    p = default_gazetteer().parse("深圳市宝安区龙华街道")
    assert p.chains[0][-1].division.code == "440309003000"
    assert any("宝安区" in n for n in p.notes)


def test_homophone_city():
    p = default_gazetteer().parse("广东省深证市南山区")
    assert p.chains[0][-1].division.code == "440305000000"
    assert any("深圳市" in n for n in p.notes)


def test_nesting_conflict_is_noted_not_guessed():
    p = default_gazetteer().parse("深圳市福田区粤海街道")
    assert p.chains[0][-1].division.code == "440304000000"
    assert any("粤海街道" in n and "not inside" in n for n in p.notes)


def test_road_names_that_start_like_areas():
    streets = NameLexicon()
    streets.add("南山大道", "road")
    streets.add("创业路", "road")
    p = parse("南山大道100号", streets=streets)
    assert p.get("road").value == "南山大道"
    assert not p.admin.chains
    p = parse("深圳市南山区创业路1号", streets=streets)
    assert p.get("road").value == "创业路"


def test_number_forms():
    p = parse("南山区科苑路15号3-1-1201")
    assert (p.get("building").key, p.get("unit").key, p.get("room").key) == ("3", "1", "1201")
    p = parse("科苑路15号A1201")  # a room with its letter: the base says if A is a building
    assert p.get("building") is None and p.get("room").key == "A1201"
    p = parse("科苑路15号3栋2-1201")
    assert (p.get("building").key, p.get("unit").key, p.get("room").key) == ("3", "2", "1201")
    p = parse("科苑路15号3楼1单元")
    assert p.get("building").key == "3"
    p = parse("科苑路15号3栋12楼")
    assert p.get("floor").key == "12"


def test_sound_key_folds_fuzzy_sounds():
    assert sound_key("深证") == sound_key("深圳")
    assert sound_key("科园路") == sound_key("科苑路")
    assert sound_key("科园路") != sound_key("科技路")


def test_names_at_the_very_end_have_their_own_length():
    p = parse("朝阳区")
    assert [(e.value, e.span) for e in p.elements] == [("朝阳区", (0, 3))]
    lexicon = NameLexicon()
    lexicon.add("科苑路", "road")
    assert lexicon.longest_at("科苑路", 0) == (3, "科苑路")


def test_unknown_area_before_a_known_street():
    streets = NameLexicon()
    streets.add("科苑路", "road")
    p = parse("粤海街道老围社区科苑路15号", streets=streets)
    assert p.get("road").value == "科苑路"
    assert [e.value for e in p.leftovers] == ["老围社区"]


def _county_of(text):
    # The county every reading of the text agrees on, or None.
    counties = {next((n.division.code[:6] for n in chain if n.division.level == "county"), None)
                for chain in default_gazetteer().parse(text).chains}
    return counties.pop() if len(counties) == 1 else None


def test_a_short_name_before_a_road_character_is_an_area_when_areas_inside_it_follow():
    assert _county_of("江苏盐城大丰区和平路217号") == "320904"  # 盐城 before 大…
    assert _county_of("广西河池南丹县人民路234号") == "451221"  # 广西 before 河…, 河池 short
    assert _county_of("西藏山南加查县建设路168号") == "540528"
    road = {e.level: e.value for e in parse("深圳南山大道1号").elements}
    assert road["road"] == "南山大道" and "county" not in road


def test_a_shorter_name_is_read_where_the_longest_leads_nowhere():
    assert _county_of("陕西榆林子洲县和平路218号") == "610831"  # not 榆林子(镇)
    assert _county_of("江苏镇江镇江新区中山路57号") == "321171"  # not 镇江镇
    assert _county_of("云南普洱镇沅彝族哈尼族拉祜族自治县长江路207号") == "530825"  # not 普洱镇
    assert _county_of("河南南阳镇平县建设路198号") == "411324"


def test_a_county_that_starts_with_the_city_character():
    # 青岛市北区 is 青岛 + 市北区, 济南市中区 is 济南 + 市中区, when 北区/中区 read as nothing.
    assert _county_of("山东青岛市北区新华街26号") == "370203"
    assert _county_of("四川内江市中区和平路285号") == "511002"
    assert _county_of("济南市中区经十路1号") == "370103"
    assert _county_of("青岛市市北区新华街") == "370203"
    assert _county_of("深圳市南山区桃园路") == "440305"


def test_official_names_keep_characters_that_opencc_would_fold():
    assert _county_of("吉林省松原市乾安縣建設路274號") == "220723"  # 乾 is not 干 here
    assert _county_of("吉林省松原市乾安县建设路274号") == "220723"


def test_a_city_whose_only_county_bears_its_name_says_that_county():
    # 嘉峪关市 is a city with one county, also named 嘉峪关市: the name decides the county.
    assert chains("嘉峪关市新华南路1号") == [["620201000000"]]
    assert _county_of("甘肃省嘉峪关市雄关街道") == "620201"
    p = default_gazetteer().parse("甘肃省嘉峪关市嘉峪关市新华路1号")
    assert _county_of("甘肃省嘉峪关市嘉峪关市新华路1号") == "620201" and not p.notes


def test_a_repeated_area_is_read_once_and_not_taken_for_an_area_inside_it():
    # Copy-paste doubles a district; 南山 after 南山区 is not 南山街道 when 粤海街道 follows.
    doubled = ("深圳市南山区南山区粤海街道", "深圳市南山区南山粤海街道",
               "深圳市深圳市南山区粤海街道")
    for text in doubled:
        p = default_gazetteer().parse(text)
        assert [d.code for d in p.finest()] == ["440305007000"], text
        assert not p.notes, text
    assert chains("深圳市南山区南山街道")[0][-1] == "440305002000"
    assert chains("深圳南山南山街道")[0][-1] == "440305002000"
    # A bare short name that repeats an area may start a road (南山达道, misspelt 南山大道).
    road = {e.level: e.value for e in parse("深圳市南山区沙河街道香山社区南山达道1号").elements}
    assert road["road"] == "南山达道"


def test_a_bare_short_area_before_a_door_number_reads_as_a_road_stem():
    p = parse("南山区沙河西5号1栋")
    levels = {e.level: e.value for e in p.elements}
    assert levels["county"] == "南山区" and levels["road"] == "沙河西" and "township" not in levels
    assert "county" not in {e.level for e in parse("沙河西5号").elements}
    # Areas are not numbered: a bare short name a door number follows is a road's stem.
    levels = {e.level: e.value for e in parse("南山区龙珠3号阳光棕榈园1栋").elements}
    assert levels["road"] == "龙珠" and "village" not in levels and "township" not in levels
    assert {e.level: e.value for e in parse("麒麟5号科技公寓").elements}.get("road") == "麒麟"
    # Typed in full, the area stands (沙河市 is an area; 西5号 is left over).
    assert {e.level for e in parse("河北省沙河市西5号").elements} >= {"county"}


def test_an_unknown_road_after_a_bare_short_area_that_together_begin_a_known_road():
    streets = NameLexicon()
    for name in ("文昌中一路", "中山路"):
        streets.add(name, "road")
    levels = {e.level: e.value for e in parse("南山区文昌中一119号", streets=streets).elements}
    assert levels["road"] == "文昌中一" and "village" not in levels  # not 文昌社区 + 中一
    # A road known as typed keeps the area before it (文昌社区 中山路).
    levels = {e.level: e.value for e in parse("南山区文昌中山路1号", streets=streets).elements}
    assert levels["road"] == "中山路" and levels["village"] == "文昌"
    # Without a known road that the two begin, the area stands (沙河 + 东北).
    assert parse("南山区沙河东北8号", streets=streets).get("township") is not None


def test_names_of_older_nbs_tables_read_as_the_areas_they_are_today():
    # division_changes.tsv, extracted from the 2015–2022 tables: 临安市 is 临安区 since 2017.
    assert chains("浙江省杭州市临安市") == [["330000000000", "330100000000", "330112000000"]]
    # 江干区 was split in 2021 (上城区, 钱塘区): alone it is either; its township decides.
    assert sorted(c[-1] for c in chains("杭州市江干区")) == ["330102000000", "330114000000"]
    p = default_gazetteer().parse("杭州市江干区下沙街道")
    assert [c[-1].division.code for c in p.chains] == ["330114001000"]
    assert any("江干区" in n and "钱塘区" in n for n in p.notes)
    # 乔司 went from 余杭区 to the new 临平区 in 2021: under its old county, in any kind.
    for text in ("杭州市余杭区乔司街道", "余杭区乔司镇"):
        p = default_gazetteer().parse(text)
        assert [c[-1].division.code for c in p.chains] == ["330113005000"], text
        assert any("余杭区" in n and "临平区" in n for n in p.notes)
    # 龙港镇 of 苍南县 became the county-level city 龙港市 in 2019.
    assert [c[-1] for c in chains("温州市苍南县龙港镇")] == ["330383000000"]
    # Under its county of today nothing is said about the move.
    p = default_gazetteer().parse("杭州市临平区乔司街道")
    assert [c[-1].division.code for c in p.chains] == ["330113005000"] and not p.notes


def test_a_parsed_old_area_is_an_element_of_its_level_with_the_text_as_typed():
    text = "浙江省杭州市余杭区乔司镇永玄路8号"
    spans = {e.level: text[e.span[0]:e.span[1]] for e in parse(text).elements}
    assert spans["county"] == "余杭区" and spans["township"] == "乔司镇"
    # a township typed that is a county now is the township typed; the area is the county
    p = parse("温州市苍南县龙港镇龙翔路1793")
    assert [(e.level, e.value) for e in p.elements][:3] == [
        ("city", "温州市"), ("county", "苍南县"), ("township", "龙港镇")]
    assert [d.code for d in p.admin.finest()] == ["330383000000"]


def test_an_old_kind_is_read_inside_its_county_even_where_a_real_name_is_elsewhere():
    # 飞云镇 is a real township in 甘肃; 瑞安市's 飞云街道 was a 镇 until 2011.
    p = default_gazetteer().parse("浙江省瑞安市飞云镇")
    assert [c[-1].division.code for c in p.chains] == ["330381009000"] and p.end == 9
    # Alone, the real one is read.
    assert chains("飞云镇") == [["620821106000"]]
    # A county that became a district (富阳市 → 富阳区 in 2014) under its old kind.
    assert chains("杭州市富阳市") == [["330100000000", "330111000000"]]


def test_the_sound_key_reads_word_by_word_as_pypinyin_reads_the_whole_text(sample_index):
    """Polyphones are read by the phrase they stand in (重庆 chong, 重量 zhong; 银行 hang,
    行政 xing), so the word cut must be pypinyin's own: the keys agree with a whole-text
    reading on names the base holds and on texts made of phrases."""
    from pypinyin import Style, lazy_pinyin

    from addressing.lexicon import _words

    texts = ["重庆路", "重量街", "银行大厦", "行政中心", "长沙朝阳路", "乐清会计所", "六安调度站",
             "音乐广场A座12楼", "厦门重庆中路行政服务中心", "12号楼长乐坊", "朝晖路416弄"]
    texts += list(sample_index.roads.names()) + list(sample_index.compounds.names())
    for text in texts:
        whole = lazy_pinyin(text, style=Style.NORMAL, errors="default")
        by_word = [s for w in _words(text) for s in lazy_pinyin(w, style=Style.NORMAL)]
        assert by_word == whole, text
    # The phrase decides how 重 is read (chong, zhong), not the character alone.
    assert sound_key("重庆路").split()[0] != sound_key("重量路").split()[0]


def test_an_estate_named_new_village_with_buildings_after_it_is_a_compound():
    def levels(text):
        return [(e.level, e.value) for e in parse(text).elements if e.level in (
            "compound", "building")]

    # 新村 with a building number after it is an estate; a 村 is a village before its place
    assert levels("平湖街道华家新村78-4-268") == [("compound", "华家新村"), ("building", "78栋")]
    assert ("compound", "花塘村") not in levels("花塘村西店陆186号")
    assert "华家新村" in {e.value for e in parse("平湖街道华家新村").leftovers}


def test_a_village_glued_before_a_compound_is_kept_apart_as_the_place_it_lies_in():
    def read(text):
        parsed = parse(text)
        return ([(e.level, e.value) for e in parsed.elements if e.level == "compound"],
                [(e.level, e.value) for e in parsed.leftovers])

    assert read("雁田村水贝工业区11号") == ([("compound", "水贝工业区")], [("village", "雁田村")])
    assert read("杨家部社区卫生服务中心") == ([("compound", "卫生服务中心")],
                                          [("village", "杨家部社区")])
    # a name with 村 inside it, or too short after it, stays one compound
    assert read("青松村小区8-132室")[0] == [("compound", "青松村小区")]
    assert read("沁园新村花园小区3栋")[0] == [("compound", "沁园新村花园小区")]
    # a village's own zone is the compound as typed, never a bare zone word
    assert read("凤亭村工业园区11号")[0] == [("compound", "凤亭村工业园区")]


def test_a_known_road_inside_unknown_text_needs_a_place_of_two_characters_before_it():
    streets = NameLexicon()
    streets.add("山西路", "road")
    streets.add("鲁家", "compound")
    streets.add("鲁川路", "road")
    # 乌山西路 is a road of its own, not 山西路 after a place 乌
    p = parse("洪山镇乌山西路凤湖新城9号楼", streets=streets)
    assert p.get("road").value == "乌山西路"
    p = parse("洪山镇乌石山西路凤湖新城9号楼", streets=streets)
    assert p.get("road").value == "山西路"
    # one character left after a name read is that name's rest, and the road follows it
    p = parse("沈家门鲁家峙鲁川路117号", streets=streets)
    assert p.get("road").value == "鲁川路"


def test_a_direction_and_distance_is_noise_and_the_road_before_it_stays_whole():
    p = parse("文三路东50米华星大厦")
    assert (p.get("road").value, p.get("compound").value) == ("文三路", "华星大厦")
    p = parse("延安路往南100米左右联华超市")
    assert (p.get("road").value, p.get("compound").value) == ("延安路", "联华超市")
    p = parse("文一西路荆长路以东200米八方城12幢")
    assert p.get("road").value == "文一西路" and p.get("building").value == "12栋"
    # 米 and 以 in names are not noise
    assert parse("米兰公寓12号").elements[0].value == "米兰公寓"
    assert parse("以色列大厦").get("compound").value == "以色列大厦"


def test_a_second_known_road_after_the_first_is_where_it_crosses_not_a_place():
    streets = NameLexicon()
    for name, kind in (("文一西路", "road"), ("荆长路", "road"), ("八方城", "compound")):
        streets.add(name, kind)
    p = parse("文一西路荆长路以东200米八方城12幢", streets=streets)
    assert (p.get("road").value, p.get("compound").value) == ("文一西路", "八方城")
    assert [(e.level, e.value) for e in p.leftovers] == [("crossing", "荆长路")]
    # the crossing's word goes with it (荆长路口), not read as a place of its own
    p = parse("文一西路荆长路口八方城12幢", streets=streets)
    assert p.get("compound").value == "八方城"
    assert [(e.level, e.value, e.span) for e in p.leftovers] == [("crossing", "荆长路", (4, 8))]


def test_an_unknown_place_and_a_place_inside_it_are_read_apart():
    def read(text):
        parsed = parse(text)
        return ([(e.level, e.value) for e in parsed.elements if e.level in STREET_LEVELS],
                [(e.level, e.value) for e in parsed.leftovers])

    assert read("杭州市西湖区华浙广场国税大厦2641室") == (
        [("compound", "华浙广场"), ("room", "2641室")], [("unknown", "国税大厦")])
    # what follows reads as after the whole (9F is the floor, as after any place)
    elements, _ = read("温州市鹿城区华侨饭店名品广场9楼1145")
    assert elements == [("compound", "华侨饭店"), ("floor", "9楼"), ("room", "1145")]
    # one place named with its kind twice stays whole
    assert read("宁波市海曙区石化新村小区5号楼6单元")[0] == [
        ("compound", "石化新村小区"), ("building", "5栋"), ("unit", "6单元")]


def test_a_dash_between_elements_separates_them_and_is_no_part_of_a_name():
    def read(text):
        parsed = parse(text)
        return ([(e.level, e.value) for e in parsed.elements if e.level in STREET_LEVELS],
                [e.value for e in parsed.leftovers])

    assert read("浙江省杭州市文三路-12号") == ([("road", "文三路"), ("door", "12号")], [])
    assert read("杭州市某某小区-3栋-2单元-501") == (
        [("compound", "某某小区"), ("building", "3栋"), ("unit", "2单元"), ("room", "501")], [])


def test_a_dash_chain_whose_last_number_is_a_unit_is_read_up_to_the_unit():
    # 58-130-7单元793 after a road: door 58 and what it holds numbered 130, unit 7, room 793
    # (never unit 130 and room 7, the 单元 typed left unread)
    elements = [(e.level, e.value) for e in parse("温州市龙港市柳南一街58-130-7单元793").elements
                if e.level in STREET_LEVELS]
    assert ("unit", "7单元") in elements and ("room", "793") in elements, elements
    assert not any(level == "unit" and value != "7单元" for level, value in elements), elements
    # (not 21单元 cut to building 8, unit 3, room 2 and 1单元)
    elements = [(e.level, e.value) for e in parse("杭州市某某小区8-3-21单元501").elements]
    assert ("unit", "21单元") in elements, elements
