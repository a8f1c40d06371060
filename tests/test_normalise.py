import pytest

from nlp_reports.normalise import normalise


@pytest.mark.parametrize("raw,expected", [
    ("问题解决率98.1％，群众满意率100％", "问题解决率98.1%，群众满意率100%"),
    ("“人大代表联络站＋社会治理”", "“人大代表联络站+社会治理”"),
    ("共培训２０２３人次", "共培训2023人次"),
    ("投入１，２００万元", "投入1,200万元"),
    ("投入1，200元，发放2000份", "投入1,200元，发放2000份"),
    ("⻄湖社区开展活动", "西湖社区开展活动"),
    ("⼀是加强领导", "一是加强领导"),
    ("在本##paidbegin##地贯彻落实", "在本地贯彻落实"),
    ("共 31 名调解员", "共31名调解员"),
    ("开展活动3次,发放资料200份;群众满意", "开展活动3次，发放资料200份；群众满意"),
    ("召开(一)会议:研究部署.下一步", "召开（一）会议：研究部署。下一步"),
    ("8:30召开", "8:30召开"),
    ("ＡＢＣ公司 Word 文档", "ABC公司Word文档"),
    # pinyin a converting site writes after characters goes; letters in brackets that are no pinyin stay
    ("機(jī)組2臺(tái)，設(shè)置保潔人員", "机组2台，设置保洁人员"),
    ("第(a)项与(1)项，A(Ⅰ)类", "第（a）项与（1）项，A（Ⅰ）类"),
])
def test_folds(raw, expected):
    assert normalise(raw) == expected


def test_boiler_lines_removed_and_wrapped_lines_joined():
    raw = ("X镇2023年工作总结\n"
           "今年以来，我镇坚持以习近平新时代中国特色社会主义思想为指导，认真落实上级各项\n"
           "决策部署，全年开展活动12次。\n"
           "第2页 共5页\n"
           "本文档由用户上传，仅供学习交流\n"
           "一、主要做法\n"
           "（一）加强领导\n"
           "##paidend##\n")
    assert normalise(raw) == ("X镇2023年工作总结\n"
                              "今年以来，我镇坚持以习近平新时代中国特色社会主义思想为指导，认真落实上级各项决策部署，全年开展活动12次。\n"
                              "一、主要做法\n（一）加强领导")


def test_line_ending_in_comma_joins_the_next():
    assert normalise("开展活动，\n发放资料200份。") == "开展活动，发放资料200份。"


def test_traditional_script_is_folded_to_simplified_keeping_length():
    raw = "全年開展法治宣傳活動11次，發放宣傳資料3千餘份，問題解決率98.1％。"
    out = normalise(raw)
    assert out == "全年开展法治宣传活动11次，发放宣传资料3千余份，问题解决率98.1%。"
    assert len(out) == len(raw)


def test_simplified_text_with_a_stray_traditional_character_is_left_alone():
    raw = "乾隆年间的古桥，全年开展活动3次。"
    assert normalise(raw) == raw


def test_page_fragment_number_before_a_heading_is_dropped():
    assert normalise("2、（二）抓好问题处置\n3、开展活动3次。") == "（二）抓好问题处置\n3、开展活动3次。"


def test_site_footer_fused_into_one_line_is_dropped():
    assert normalise("开展活动3次。\n第1页共1页本文档由网友上传，如有侵权请联系删除") == "开展活动3次。"


def test_figures_set_on_lines_of_their_own_rejoin_their_sentence():
    # a page that puts each figure in its own element: the number, the unit after it, the comma
    raw = "全年主动公开政府信息\n3120\n条，网上公开率达\n96.5%\n，其中新增\n845\n条。\n二、依申请公开情况\n"
    assert normalise(raw) == "全年主动公开政府信息3120条，网上公开率达96.5%，其中新增845条。\n二、依申请公开情况"


def test_a_heading_after_a_paragraph_is_not_joined_to_it():
    assert normalise("全年开展活动12次\n1.加强领导\n") == "全年开展活动12次\n1.加强领导"
