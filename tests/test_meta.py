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
