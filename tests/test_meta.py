import pytest

from nlp_reports.meta import read_meta


@pytest.mark.parametrize("title,place,level,year,rtype", [
    ("X镇2023年法治建设工作自查报告", "X镇", "镇", 2023, "法治建设工作自查报告"),
    ("青阳县司法局2022年法治政府建设年度报告", "青阳县司法局", "部门", 2022, "法治政府建设年度报告"),
    ("安平县城关镇2023年法治建设工作自查报告", "安平县城关镇", "镇", 2023, "法治建设工作自查报告"),
    ("南湖区人民政府2022年度法治政府建设情况报告", "南湖区", "区", 2022, "法治政府建设年度报告"),
    ("白沙乡党委书记2023年度述法报告", "白沙乡", "乡", 2023, "述法报告"),
    ("X街道20xx年法治建设工作自查报告", "X街道", "街道", None, "法治建设工作自查报告"),
    ("梅林街道办事处2022年普法工作总结", "梅林街道", "街道", 2022, "普法工作总结"),
    ("XX县交通运输局2023年安全生产自查报告", "XX县交通运输局", "部门", 2023, "安全生产自查报告"),
    ("某某街道党工委书记述法报告", "某某街道", "街道", None, "述法报告"),
    ("2021年泉溪镇法治建设工作自查报告", "泉溪镇", "镇", 2021, "法治建设工作自查报告"),
    ("城关镇2022年意识形态工作自查报告", "城关镇", "镇", 2022, "意识形态工作自查报告"),
    ("红旗村2023年普法工作总结", "红旗村", "村", 2023, "普法工作总结"),
    ("临江市财政局2021年度预算执行情况自查报告", "临江市财政局", "部门", 2021, "预算执行自查报告"),
    # the party committee and the government report together: one place
    ("中共青石镇委员会青石镇人民政府关于2022年度法治政府建设情况的报告", "青石镇", "镇", 2022, "法治政府建设年度报告"),
    ("x镇2021年上半年法治政府建设工作情况报告", "X镇", "镇", 2021, "法治政府建设年度报告"),
])
def test_meta_from_title(title, place, level, year, rtype):
    m = read_meta(title + "\n今年以来开展活动3次。", title)
    assert (m.place, m.place_level, m.year, m.report_type) == (place, level, year, rtype)


def test_place_from_opening_paragraph_when_title_has_none():
    title = "关于2022年度安全生产工作的自查报告"
    m = read_meta(title + "\n今年以来，长寿镇坚持以人民为中心的发展思想。", title)
    assert (m.place, m.place_level, m.year) == ("长寿镇", "镇", 2022)


def test_overrides_win():
    m = read_meta("X镇2023年法治建设工作自查报告", "X镇2023年法治建设工作自查报告", place="泉溪镇", year=2021)
    assert (m.place, m.year) == ("泉溪镇", 2021)


@pytest.mark.parametrize("title,place,level", [
    ("西河县城关镇2022年安全生产自查报告", "西河县城关镇", "镇"),   # 城关镇 is a town, never the county
    ("城关镇党委2023年度述法报告", "城关镇", "镇"),
    ("某某街道2022年信访工作自查报告", "某某街道", "街道"),
    ("XX县司法局关于2022年度法治政府建设情况的报告", "XX县司法局", "部门"),
    ("青石县人民政府关于2022年度法治政府建设情况的报告", "青石县", "县"),
    ("桃源镇人民政府2023年法治建设工作自查报告", "桃源镇", "镇"),
])
def test_places_and_levels(title, place, level):
    m = read_meta(title + "\n今年以来开展活动3次。", title)
    assert (m.place, m.place_level) == (place, level)


def test_a_title_after_the_year_names_no_place():
    # 2022年度法治政府… once left 度法治政府 as the place
    title = "关于2022年度法治政府建设情况的报告"
    m = read_meta(title + "\n全年开展活动3次。", title)
    assert m.place is None and m.report_type == "法治政府建设年度报告"


def test_a_preposition_before_a_unit_names_who_asked_not_who_reports():
    title = "关于2023年度安全生产工作的自查报告"
    text = title + "\n为全面落实安全生产责任，按照县委全面部署，我镇开展了自查。\n一、主要工作\n检查企业。"
    assert read_meta(text, title).place is None


@pytest.mark.parametrize("signature,place,level", [
    ("安平县城关镇人民政府", "安平县城关镇", "镇"),
    ("中共永安镇委员会永安镇人民政府", "永安镇", "镇"),
    ("和平社区居民委员会", "和平社区", "社区"),
    ("中共东湖区住房和城乡建设局党组", "东湖区住房和城乡建设局", "部门"),
    ("XX县司法局", "XX县司法局", "部门"),
])
def test_place_from_the_signature(signature, place, level):
    title = "关于2023年度工作的自查报告"
    text = f"{title}\n今年以来，我们认真开展了自查。\n一、主要工作\n开展活动3次。\n{signature}\n2023年12月5日"
    m = read_meta(text, title)
    assert (m.place, m.place_level) == (place, level)


def test_a_title_on_two_lines_is_read_as_one_and_the_opening_follows_it():
    text = "青石县人民政府\n关于2022年度法治政府建设情况的报告\n2021年，县政府召开常务会议。"
    m = read_meta(text, "青石县人民政府\n关于2022年度法治政府建设情况的报告")
    assert (m.title, m.place, m.year) == ("青石县人民政府关于2022年度法治政府建设情况的报告", "青石县", 2022)


def test_the_sites_header_is_never_title_or_place():
    from nlp_reports.analyse import analyse_text

    raw = ("首页 > 政务公开 > 工作动态\n西山县人民政府门户网站\n发布时间：2023-01-16 10:42 来源：西山县委办\n"
           "红旗村2022年普法工作总结\n2022年，红旗村围绕村民需求开展普法宣传，现总结如下。\n一、主要做法\n举办讲座4场。")
    m = analyse_text(raw).meta
    assert (m.title, m.place, m.place_level, m.year) == ("红旗村2022年普法工作总结", "红旗村", "村", 2022)


@pytest.mark.parametrize("byline,place", [("青溪镇党委书记 王某某", "青溪镇"), ("白水县交通运输局局长 李某", "白水县交通运输局")])
def test_place_from_a_byline_under_the_title_of_a_long_report(byline, place):
    from nlp_reports.analyse import analyse_text

    body = "一、履职情况\n" + "本人认真履行第一责任人职责，主持召开专题会议3次。\n" * 30  # the byline far from the end
    assert analyse_text(f"2023年度述法报告\n{byline}\n{body}").meta.place == place
