from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.text.zh import erhua_suffixes, normalize_zh

# ------------------------------------------------------------ per-rule checks


def test_rules_are_reported_once_in_firing_order() -> None:
    r = normalize_zh("2024年6月15日14:30，花了¥100，跑了5km，又花了¥200")
    assert r.text == "二零二四年六月十五日十四点三十分，花了一百元，跑了五公里，又花了二百元"
    assert r.rules == ("zh.date", "zh.currency", "zh.time", "zh.unit")
    assert normalize_zh("你好").rules == ()


def test_yao_only_in_digit_strings() -> None:
    r = normalize_zh("电话13811112222，共11个，2011年", yao=True)
    assert r.text == "电话幺三八，幺幺幺幺，二二二二，共十一个，二零一一年"


def test_long_digit_strings_vs_amounts() -> None:
    assert normalize_zh("123456789").text == "一二三四五六七八九"
    assert normalize_zh("123456789元").text == "一亿二千三百四十五万六千七百八十九元"
    assert normalize_zh("300000000").text == "三亿"
    assert normalize_zh("12345678").text == "一千二百三十四万五千六百七十八"


def test_score_needs_context_otherwise_time() -> None:
    assert normalize_zh("比分10:30").text == "比分十比三十"
    assert normalize_zh("10:30见").text == "十点三十分见"
    assert normalize_zh("3-2").text == "三到二"
    assert normalize_zh("最终3-2获胜").text == "最终三比二获胜"


def test_minus_vs_hyphen_vs_range() -> None:
    assert normalize_zh("温差-5").text == "温差负五"
    assert normalize_zh("50% -5").text == "百分之五十 负五"
    assert normalize_zh("COVID-19").text == "COVID-十九"
    assert normalize_zh("5-8").text == "五到八"


def test_invalid_dates_and_times_fall_back() -> None:
    assert normalize_zh("2024-13-45").text == "二千零二十四到十三到四十五".replace("二千", "两千")
    assert normalize_zh("25:61").text == "二十五比六十一"


def test_liang() -> None:
    assert normalize_zh("2个、2月、第2个、2点、12个").text == "两个、二月、第二个、两点、十二个"
    assert normalize_zh("2000").text == "两千"
    assert normalize_zh("200").text == "二百"


def test_erhua_merge_keeps_er_for_the_phonemiser() -> None:
    text = "女儿和儿子去哪儿玩儿了？婴儿在托儿所。"
    r = normalize_zh(text, erhua="merge")
    assert r.text == text  # 儿 keeps its r-colouring: the phonemiser merges it
    assert "zh.erhua" in r.rules
    assert [text[i - 1 : i + 1] for i in erhua_suffixes(text)] == ["哪儿", "玩儿"]
    assert erhua_suffixes("儿子、女儿、幼儿园、小儿科") == []
    assert "zh.erhua" not in normalize_zh("女儿", erhua="merge").rules
    assert normalize_zh("哪儿").text == "哪儿"


def test_service_numbers_and_calls_read_digit_by_digit() -> None:
    assert normalize_zh("给12315打个电话", yao=True).text == "给幺二三幺五打个电话"
    assert normalize_zh("打95588转人工", yao=False).text == "打九五五八八转人工"
    assert normalize_zh("有事打110，120急救", yao=True).text == "有事打幺幺零，幺二零急救"
    assert (
        normalize_zh("共有110人，体重120斤，12315人").text
        == "共有一百一十人，体重一百二十斤，一万二千三百一十五人"
    )


def test_letter_codes() -> None:
    assert normalize_zh("乘坐CA1234航班", yao=True).text == "乘坐C A幺二三四航班"
    assert normalize_zh("H100显卡").text == "H一百显卡"
    assert normalize_zh("A380客机").text == "A三八零客机"
    # After a space, a product line before its model number; not an amount after an acronym.
    assert normalize_zh("显卡为RTX 4090，显存24GB").text == "显卡为R T X 四零九零，显存二十四G B"
    assert normalize_zh("GDP 5000亿元，CPU 100%").text == "G D P 五千亿元，C P U 百分之一百"
    # Jets after their maker, and a variant after a dash, which is no minus sign.
    assert normalize_zh("波音737和波音777-300ER").text == "波音七三七和波音七七七 三百E R"
    assert normalize_zh("A100-80G，G1234-5次").text == "A一百 八十G，G一二三四 五次"


def test_units_any_case_and_wan_qian() -> None:
    assert normalize_zh("12KG、5Km、3ML、2kg").text == "十二公斤、五公里、三毫升、两公斤"
    assert normalize_zh("独得300w张，月入5k，100W灯泡").text == "独得三百万张，月入五千，一百瓦灯泡"
    assert normalize_zh("16GB和16gb").text == "十六G B和十六G B"


def test_speeds_are_per_time_first() -> None:
    assert normalize_zh("10km/h的速度").text == "每小时十公里的速度"
    assert normalize_zh("时速120km/h").text == "时速一百二十公里"
    assert normalize_zh("60-80KM/H").text == "每小时六十到八十公里"
    assert normalize_zh("风速5m/s").text == "风速每秒五米"


def test_currency_is_said_once() -> None:
    assert normalize_zh("¥100元和$5美元").text == "一百元和五美元"
    assert normalize_zh("价格是HKD13.5，A$20，100CAD").text == "价格是十三点五港元，二十澳元，一百加元"


def test_am_pm() -> None:
    assert normalize_zh("8:00 a.m.准时开会").text == "上午八点准时开会"
    assert normalize_zh("8:30 pm、3 P.M.、12 p.m.、12:15 am、5am").text == (
        "晚上八点三十分、下午三点、中午十二点、凌晨零点十五分、凌晨五点"
    )


def test_numbers_in_circles_and_brackets_are_list_items() -> None:
    # ①②③ were passed through unread, and most voices say nothing for them.
    assert normalize_zh("建议：①运动②读书⑶睡觉，见注❶。").text == "建议：一、运动二、读书三、睡觉，见注一。"
    # Items numbered "1)" on one line: the ones after the first follow a space, not a colon.
    assert normalize_zh("步骤：1)打开 2)点击 3)保存").text == "步骤：一、打开 二、点击 三、保存"


def test_maths_signs() -> None:
    assert (
        normalize_zh("3×4=12，2^10，5-3=2，1+1=2").text
        == "三乘四等于十二，二的十次方，五减三等于二，一加一等于二"
    )
    assert normalize_zh("≥100万，≤5，±2，≠0，≈3.14，>5").text == (
        "大于等于一百万，小于等于五，正负二，不等于零，约等于三点一四，大于五"
    )
    # Between one-letter variables too, whose letters are read by name ("a" alone is no article).
    assert normalize_zh("a>b, x=y").text == "A大于B, X等于Y"
    assert normalize_zh("方程x²+y²=1，f(x)=2x+1，解得x=-1，a^2≥0").text == (
        "方程X的平方加Y的平方等于一，F(X)等于二X加一，解得X等于负一，A的二次方大于等于零"
    )
    assert normalize_zh("直线y=kx+b").text == "直线Y等于K X加B"  # a product: its letters one by one
    assert normalize_zh("B2B平台和O2O模式，H2O是水").text == "B to B平台和O to O模式，H二O是水"
    # Words, or a sign that states nothing, stay as written.
    assert normalize_zh("key=value，A-B测试，A+B轮融资，id=x").text == "key=value，A-B测试，A+B轮融资，id=x"


def test_date_conventions() -> None:
    assert normalize_zh("12/2/2").text == "一二年二月二日"  # yy/m/d, the year read as written
    assert normalize_zh("2002/01").text == "二零零二年一月"
    assert normalize_zh("08-08-2008").text == "二零零八年八月八日"  # month first
    assert normalize_zh("25/12/2024").text == "二零二四年十二月二十五日"  # day first when > 12
    assert normalize_zh("3/4").text == "四分之三"  # two fields stay a fraction


def test_long_ordinal() -> None:
    assert normalize_zh("第101111111").text == "第一亿零一百一十一万一千一百一十一"


def test_non_ascii_digits_are_left_alone() -> None:
    assert normalize_zh("٣ ௩").text == "٣ ௩"


# ------------------------------------------------------------ robustness

ADVERSARIAL = {
    "ones": "1" * 100_000,
    "dotted": "1." * 50_000,
    "dashes": "-" * 100_000,
    "dash-digits": "1-" * 50_000,
    "years": "年1" * 50_000,
    "years4": "2024年" * 20_000,
    "colons": "1:" * 50_000,
    "commas": "1,000" * 20_000,
    "spaces": "1" + " " * 100_000 + "-",
    "percent": "5%-" * 33_000,
    "currency": "¥1" * 50_000,
    "units": "5k" * 50_000,
    "slashes": "1/" * 50_000,
    "dots": "." * 100_000,
    "phone-ish": "138 " * 25_000,
    "erhua": "儿" * 100_000,
    "maths": "1+1=" * 25_000,
    "minus-eq": "1-" * 50_000 + "=",
    "ampm": "1 p" * 33_000,
    "codes": "CA1" * 33_000,
    "speed": "5-km/h" * 16_000,
    "service": "12315" * 20_000,
    "slash-dates": "12/2/" * 20_000,
    "md-dates": "于1/1-" * 20_000,
    "plus": "A+1" * 33_000,
    "durations": "2h3m" * 25_000,
    "ampm-ranges": "1-2 " * 25_000 + "am",
    "bare-scores": "中国1-2" * 14_000,
    "parens": "(中" * 50_000,
    "pressure": "血压12-12/12-" * 9_000,
    "heights": "1米11" * 20_000,
    "hash-numbers": "第#1" * 25_000,
    "dollar-scales": "$1-1K" * 20_000,
    "padded-days": "01月0" * 25_000,
    "fraction-units": "1/1kg" * 20_000,
    "grouped-fractions": "1,000/1,000/" * 9_000,
    "arrows": "→" * 100_000,
    "algebra-chain": "x+" * 50_000 + "=1",
    "algebra-equals": "a=" * 50_000,
}


@pytest.mark.timing
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_are_fast(name: str) -> None:
    text = ADVERSARIAL[name]
    start = time.perf_counter()
    normalize_zh(text, erhua="merge")
    elapsed = time.perf_counter() - start
    print(f"{name}: {elapsed:.3f}s")
    assert elapsed < 5.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    r = normalize_zh(text)
    assert isinstance(r.text, str)
    normalize_zh(text, yao=True, erhua="merge")


_PIECES = st.sampled_from(
    list("的是在了我人有这他们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年月日点")
    + list("0123456789")
    + ["km", "kg", "m", "cm", "元", "%", "℃", "个", "米", "公里", "万", "亿", "GB", ".", ":", "-", "/", "~"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_no_ascii_digits_left_in_chinese_text(pieces: list[str]) -> None:
    out = normalize_zh("".join(pieces)).text
    assert not re.search(r"[0-9]", out), out


def test_money_two_thousands_and_race_times() -> None:
    assert normalize_zh("花了2元，$2万，2.5元").text == "花了两元，两万美元，二点五元"
    assert normalize_zh("月薪15k，1.5k").text == "月薪一万五千，一千五百"
    assert normalize_zh("他以9秒83夺冠").text == "他以九秒八三夺冠"
    assert normalize_zh("比赛将于晚上7:35开球，比分2:1").text == "比赛将于晚上七点三十五分开球，比分二比一"


def test_capital_runs_are_spelled_like_the_english_front_end() -> None:
    assert normalize_zh("MP3和COVID-19").text == "M P三和COVID-十九"
    assert normalize_zh("HKD100").text == "一百港元"
    once = normalize_zh("内存16GB，航班CA1234").text
    assert normalize_zh(once).text == once


# ------------------------------------------------------------ generalisation (unseen-style cases)


def test_bare_score_between_names_but_ranges_before_measure_words() -> None:
    assert normalize_zh("中国1-2日本").text == "中国一比二日本"
    assert normalize_zh("皇马2-1巴萨").text == "皇马二比一巴萨"
    assert normalize_zh("双方以3-3握手言和").text == "双方以三比三握手言和"
    assert (
        normalize_zh("1-2天内发货，每人3-5个，今年1-5月").text == "一到两天内发货，每人三到五个，今年一到五月"
    )
    assert normalize_zh("北京1-3号线").text == "北京一到三号线"
    assert normalize_zh("约1-2公里").text == "约一到两公里"


def test_month_day_without_year_needs_a_date_word() -> None:
    assert normalize_zh("6/18大促").text == "六月十八日大促"
    assert normalize_zh("截至6/30，新品于3/15发布").text == "截至六月三十日，新品于三月十五日发布"
    assert normalize_zh("从7/1至7/15").text == "从七月一日至七月十五日"
    assert normalize_zh("3/4的人").text == "四分之三的人"
    assert normalize_zh("控制在1/3以内，约等于1/2").text == "控制在三分之一以内，约等于二分之一"
    assert normalize_zh("从1/3降到1/4").text == "从三分之一降到四分之一"
    assert normalize_zh("1/3至1/2").text == "三分之一至二分之一"


def test_date_ranges_seasons_and_generations() -> None:
    assert normalize_zh("1月1日-1月3日放假").text == "一月一日到一月三日放假"
    assert normalize_zh("2024-2025赛季").text == "二零二四到二零二五赛季"
    assert normalize_zh("90后和00后，85后").text == "九零后和零零后，八五后"
    assert normalize_zh("30后面").text == "三十后面"


def test_durations_and_am_pm_ranges() -> None:
    assert normalize_zh("这部电影时长2h30min").text == "这部电影时长两小时三十分钟"
    assert normalize_zh("1min30s").text == "一分钟三十秒"
    assert normalize_zh("6-8 a.m.").text == "上午六点到八点"
    assert normalize_zh("5-7 p.m.").text == "下午五点到晚上七点"
    assert normalize_zh("11 a.m.-2 p.m.").text == "上午十一点到下午两点"


def test_plus_and_times_beside_units_and_acronyms() -> None:
    assert normalize_zh("UTC+8").text == "U T C加八"
    assert normalize_zh("8GB+256GB").text == "八G B加二百五十六G B"
    assert normalize_zh("60cm×40cm").text == "六十厘米乘四十厘米"
    assert normalize_zh("粉丝10w+，100+").text == "粉丝十万加，一百加"
    assert normalize_zh("C++").text == "C++"
    assert normalize_zh("3²=9，10³").text == "三的二次方等于九，十的三次方"


def test_country_codes_rooms_and_named_numbers() -> None:
    assert normalize_zh("国际区号+86，区号+1").text == "国际区号加八六，区号加一"
    assert normalize_zh("+5").text == "正五"  # a sign alone; a sum or country code is 加
    assert normalize_zh("住在1308房间，3室2厅", yao=True).text == "住在幺三零八房间，三室两厅"
    assert normalize_zh("618大促，315晚会，N95口罩", yao=True).text == "六一八大促，三一五晚会，N九五口罩"
    assert normalize_zh("5·12汶川地震").text == "五一二汶川地震"
    assert normalize_zh("QQ号：12345678", yao=True).text == "Q Q号：幺二三四五六七八"
    assert normalize_zh("航班19:45起飞").text == "航班十九点四十五分起飞"


def test_liang_generalises() -> None:
    assert normalize_zh("2G网络，2G内存").text == "二G网络，两G内存"
    assert normalize_zh("需要2-3周，2英寸，3天2晚").text == "需要两到三周，两英寸，三天两晚"
    assert normalize_zh("2年级，2个级别").text == "二年级，两个级别"


def test_status_codes_and_lettered_rooms_are_codes() -> None:
    assert normalize_zh("超出会返回429错误，或500 错误").text == "超出会返回四二九错误，或五零零 错误"
    assert normalize_zh("会议室A-301").text == "会议室A三零一"
    assert normalize_zh("需要429人").text == "需要四百二十九人"


def test_padded_dates_months_of_years_and_seconds_with_am_pm() -> None:
    assert normalize_zh("08/08、08-08、08.08").text == "八月八日、八月八日、八月八日"
    assert normalize_zh("2008.08，08/2008，8-2008，08.2008").text == "二零零八年八月，" * 3 + "二零零八年八月"
    # A decimal, an amount or a range stays one.
    kept = normalize_zh("10.12，10.2008，报2008.08点，05.20元").text
    assert kept == "十点一二，十点二零零八，报两千零八点零八点，五点二元"
    assert normalize_zh("1:02:36am，1:02:36 pm").text == "凌晨一点零二分三十六秒，下午一点零二分三十六秒"
    assert normalize_zh("1 / 2").text == "二分之一"


def test_a_floor_after_a_place_is_its_number() -> None:
    assert normalize_zh("地点在3号楼2层，B座2层").text == "地点在三号楼二层，B座二层"
    assert normalize_zh("他在2层等你").text == "他在二层等你"
    assert normalize_zh("这栋楼有2层，上2层楼").text == "这栋楼有两层，上两层楼"


def test_punctuation_after_full_width_and_parentheses() -> None:
    assert normalize_zh("什么?!").text == "什么？！"
    assert normalize_zh("注意(重要)，版本(1)，f(x)").text == "注意（重要），版本（一），f(x)"
    assert normalize_zh("该股报12.35元/股").text == "该股报十二点三五元每股"


def test_blood_pressure_heights_and_rates_per_minute() -> None:
    assert normalize_zh("血压120/80mmHg，正常").text == "血压一百二十、八十毫米汞柱，正常"
    assert normalize_zh("他的血压是140/90，偏高").text == "他的血压是一百四十、九十，偏高"
    assert (
        normalize_zh("血压为120-129/80-84毫米汞柱").text == "血压为一百二十到一百二十九、八十到八十四毫米汞柱"
    )
    assert normalize_zh("这是3/4的人").text == "这是四分之三的人"  # no cue: a fraction
    assert normalize_zh("他身高1米85，姚明2米26").text == "他身高一米八五，姚明两米二六"
    assert normalize_zh("长1米20厘米").text == "长一米二十厘米"
    assert normalize_zh("心率72次/分").text == "心率七十二次每分钟"
    assert normalize_zh("血压是120/80.").text == "血压是一百二十、八十。"  # a full stop after it
    assert normalize_zh("他1米85.").text == "他一米八五。"


def test_the_digits_a_number_ends_in_are_read_one_by_one() -> None:
    assert normalize_zh("身份证后四位是1234").text == "身份证后四位是一二三四"
    assert normalize_zh("手机号末4位为5678").text == "手机号末四位为五六七八"
    assert normalize_zh("得分是1234分").text == "得分是一千二百三十四分"


def test_seasons_written_with_the_second_year_short() -> None:
    assert normalize_zh("2023/24赛季").text == "二零二三到二零二四赛季"
    assert normalize_zh("2023-24赛季").text == "二零二三到二零二四赛季"
    assert normalize_zh("1999-00赛季").text == "一九九九到二零零零赛季"
    assert normalize_zh("2023/2024财年").text == "二零二三到二零二四财年"
    assert normalize_zh("3/4的人").text == "四分之三的人"


def test_dollar_amounts_in_thousands_and_millions_and_numbered_tickets() -> None:
    assert normalize_zh("年薪$200K，估值$1.5B").text == "年薪二十万美元，估值十五亿美元"
    assert normalize_zh("融资$3-5M").text == "融资三百万到五百万美元"
    assert normalize_zh("详见PR #1234").text == "详见P R 一二三四号"
    assert normalize_zh("详见PR #1234", yao=True).text == "详见P R 幺二三四号"
    assert normalize_zh("第#3条，C#语言").text == "第三条，C#语言"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("在24年，我们推出了新产品。", "在二四年，我们推出了新产品。"),
        ("这家公司成立于98年。", "这家公司成立于九八年。"),
        ("从23年到24年，变化很大。", "从二三年到二四年，变化很大。"),
        ("自08年起，截至23年", "自零八年起，截至二三年"),
        ("19年的时候我在北京，22年夏天很热。", "一九年的时候我在北京，二二年夏天很热。"),
        # Spans stay numbers of years.
        ("在30年里变化很大，他于20年前离开。", "在三十年里变化很大，他于二十年前离开。"),
        ("需要3到5年，5至10年的经验", "需要三到五年，五至十年的经验"),
        ("在24年的时间里", "在二十四年的时间里"),
    ],
)
def test_a_two_digit_year_after_a_word_that_places_it_in_time(text: str, expected: str) -> None:
    assert normalize_zh(text).text == expected


def test_ports_read_digit_by_digit_with_their_host() -> None:
    assert normalize_zh("端口8080，访问localhost:3000。").text == "端口八零八零，访问localhost冒号三零零零。"


def test_a_card_expiry_is_a_month_and_a_year() -> None:
    assert normalize_zh("有效期12/27。").text == "有效期二七年十二月。"
    assert normalize_zh("卡片有效期至08/2026").text == "卡片有效期至二零二六年八月"
    assert normalize_zh("有效期为3年").text == "有效期为三年"


def test_short_years_rooms_extensions_and_roman_numeral_characters() -> None:
    assert normalize_zh("24年底完成，25年上半年").text == "二四年底完成，二五年上半年"
    assert normalize_zh("工作了24年").text == "工作了二十四年"
    assert normalize_zh("住在3单元502，5号楼1203").text == "住在三单元五零二，五号楼一二零三"
    assert normalize_zh("1号楼200平").text == "一号楼二百平"
    assert normalize_zh("电话：021-12345678转8001").text == "电话：零二一，一二三四五六七八转八零零一"
    assert normalize_zh("GDP翻了2番").text == "G D P翻了两番"
    assert normalize_zh("第Ⅲ章，Ⅱ期临床试验").text == "第三章，二期临床试验"


def test_what_nemo_text_processing_cases_showed() -> None:
    # A whole 万 section of zeros is said: 一亿零一千, not 一亿一千 (which means 一亿一千万).
    assert normalize_zh("共有100,001,000元").text == "共有一亿零一千元"
    assert normalize_zh("10000001000元").text == "一百亿零一千元"
    assert normalize_zh("今年02月05日").text == "今年二月五日"
    assert normalize_zh("第05天").text == "第五天"
    assert normalize_zh("10点05分").text == "十点零五分"
    assert normalize_zh("1/2kg").text == "二分之一公斤"
    assert normalize_zh("一共有101111111名选民").text == "一共有一亿零一百一十一万一千一百一十一名选民"
    assert normalize_zh("全国人口1411778724").text == "全国人口十四亿一千一百七十七万八千七百二十四"
    assert normalize_zh("订单123456789已发货").text == "订单一二三四五六七八九已发货"


def test_phone_and_card_numbers_pause_between_their_groups() -> None:
    card = normalize_zh("卡号6222 0212 3456 7890", yao=True).text
    assert card == "卡号六二二二，零二幺二，三四五六，七八九零"
    assert normalize_zh("手机13800138000", yao=True).text == "手机幺三八，零零幺三，八零零零"
    assert normalize_zh("+86 138 0013 8000", yao=True).text == "加八六，幺三八，零零幺三，八零零零"
    assert normalize_zh("验证码：8 2 4 1").text == "验证码：八二四一"  # one code spaced out
    assert normalize_zh("10.01").text == "十点零一"  # a decimal; 08.08 is a date
    assert normalize_zh("中奖概率是1/1000").text == "中奖概率是一千分之一"


def test_roots_arrows_and_fractions_of_grouped_numbers() -> None:
    assert normalize_zh("√16=4").text == "根号十六等于四"
    assert normalize_zh("步骤：A→B→C").text == "步骤：A到B到C"
    assert normalize_zh("经验值1,200/5,000").text == "经验值五千分之一千二百"


def test_a_time_with_seconds_after_a_word_for_how_long_is_a_duration() -> None:
    assert normalize_zh("用时2:05:30").text == "用时两小时五分三十秒"
    assert normalize_zh("耗时0:45:12").text == "耗时四十五分十二秒"
    assert normalize_zh("会议在10:30:00开始").text == "会议在十点三十分开始"
