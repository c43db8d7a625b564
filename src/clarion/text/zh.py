"""Mandarin text normalisation: digits, symbols and units become the Chinese words a
TTS engine should read.

Conventions (documented choices, see also tests/data/text/zh_golden.tsv):

* Integers go through cn2an (``an2cn(..., "low")``); a leading 二 before 千/万/亿 is
  spoken 两 (2000 -> 两千), and a bare 2 before a measure word or unit is 两 (2个 -> 两个,
  2kg -> 两公斤, 2GB -> 两G B, 2G内存 -> 两G内存) and in money (2元 -> 两元), also at the start
  of a range (2-3周 -> 两到三周); 第2/2月/2号/2年级 and a network generation (2G网络) keep 二.
* Years (4 digits before 年), phone numbers, codes after 验证码/编号/取件码/..., service
  numbers (123xx, 955xx, 10086, 10010; 110/114/119/120/122 only near 打/拨/报警/急救/...),
  capital-letter codes with 3+ digits (CA1234, RTX4090; a round hundred stays a model
  number: H100 -> H一百), numbers with a leading zero and long non-round digit strings
  (> 8 digits, not after 第), room numbers (1308房间) and named numbers (618大促, 315晚会,
  996工作制, 985高校, N95, 5·12 -> 五一二) are read digit by digit; ``yao=True`` reads 1 as 幺
  in phones and codes (never in amounts, years, dates or named numbers). A country code is
  加 and digits without 幺 (+86 -> 加八六; other codes only after 区号/国际/拨/电话).
* Dates: yyyy-mm-dd, yyyy/m/d, yyyy.m.d and yyyy年m月d日 -> 二零二四年六月十五日;
  dd-mm-yyyy is month first (08-08-2008) unless the first field is over 12 (25/12/2024);
  yy/m/d with slashes is Chinese order with the year read as written (12/2/2 ->
  一二年二月二日: no guess between 19xx and 20xx); yyyy/mm and yyyy-mm -> 年月
  (2002/01 -> 二零零二年一月). Two fields without a year (3/4) stay a fraction unless a date
  word says otherwise: after 于/截至/日期 (or 从/自 with no fraction word after), or before
  大促/当天/起/前/后/发布/... (6/18大促 -> 六月十八日大促, 7/1至7/15 as a pair). 1月1日-1月3日 and
  2024-2025赛季 are ranges (到); generations 90后/00后/85后 -> 九零后/零零后/八五后.
* Times: h:mm -> 十四点三十分; a.m./p.m. (8:00 a.m., 8pm, 8 P.M.) becomes a period word
  before the hour: 凌晨 (0-5), 上午 (6-11), 中午 (12 p.m.), 下午 (1-5 p.m.), 晚上 (6-11 p.m.);
  12 a.m. is 凌晨零点. A range says its period once: 6-8 a.m. -> 上午六点到八点 (上午, not 早上,
  like any 6-11 a.m.), 11 a.m.-2 p.m. -> 上午十一点到下午两点. Glued durations: 2h30min ->
  两小时三十分钟. Race times: hundredths after 秒 digit by digit (9秒83 -> 九秒八三).
* Scores (3:2, 1-2 near 比分/比赛/队/负于/...) -> 三比二, except h:mm after 晚上/将于/...
  or before 开球/开始 (a kick-off time); otherwise h:mm is a time and other a:b a ratio.
  Without a sport word, a pair between two names with no measure word after it is a score
  too (中国1-2日本, 皇马2-1巴萨), while 1-2天, 3-5个, 1-5月 stay ranges.
* Money is read as a decimal with the currency word last: 3.50元 -> 三点五元,
  ¥100 -> 一百元, $5 -> 五美元, HKD13.5 -> 十三点五港元, A$/C$/S$/NZ$ and the ISO codes
  before or after the number; a written currency word after it is not doubled
  (¥100元 -> 一百元, $5美元 -> 五美元).
* Metric units use their everyday spoken names: km -> 公里, kg -> 公斤, m² -> 平方米, in
  any case where the case does not change the meaning (12KG, 5Km, 3ML); lower-case w and
  k after a number are 万 and 千 (300w -> 三百万, 15k -> 一万五千), x is 倍; W/K/M/G stay.
  Speeds are said per time first: 10km/h -> 每小时十公里, 5m/s -> 每秒五米 (after
  时速/车速 just 一百二十公里).
* Data units (KB/MB/GB/TB/PB, any case) stay Latin letters, as people say them, spelled
  with spaces (16GB -> 十六G B): the English front end spells every capital run in a
  Chinese sentence that way, so the output is a fixed point. Likewise every capital run
  of 2-5 letters left beside Chinese (MP3 -> M P三) except those read as words (COVID).
* Digits glued to Latin letters are read as Chinese numbers and the letters are
  left alone: iPhone15 -> iPhone十五, A4纸 -> A四纸, 5G -> 五G.
* Maths: 3×4=12 -> 三乘四等于十二, 1+1, 6÷2 (除以), 5-3=2 (减 only inside an equation,
  else - is a range 到 or a minus 负), 2^10 -> 二的十次方, ≥ ≤ ≠ ≈ > < before a number ->
  大于等于/小于等于/不等于/约等于/大于/小于, ± -> 正负; 1920x1080 -> 乘; 3² -> 三的二次方.
  + and × also join a unit or an acronym to a number (8GB+256GB, 60cm×40cm, UTC+8 -> U T C加八),
  and a + after a number with nothing after it is 加 (10w+ -> 十万加). An equation or inequality
  in one-letter variables is read whole, its letters by name: x²+y²=1 -> X的平方加Y的平方等于一,
  f(x)=2x+1 -> F(X)等于二X加一 (not 两倍), a>b -> A大于B.
* Punctuation: half-width marks after Chinese become full-width (好的,收到 -> 好的，收到;
  什么?! -> 什么？！), and so do parentheses around Chinese (注意(重要) -> 注意（重要）).
* Erhua: 儿 always stays in the text. ``erhua="merge"`` only logs ``zh.erhua``;
  :func:`erhua_suffixes` tells the phonemiser which 儿 are suffixes (玩儿, 哪儿) to merge
  into the syllable before, while 女儿, 儿子, 婴儿, 幼儿园 ... keep 儿 as a syllable.

Every pattern starts with a digit lookbehind so the engine tries each number once;
no nested quantifiers over the same characters, so 100k-character inputs stay linear.
"""

from __future__ import annotations

import decimal
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Literal

from clarion.text.en import DEFAULT_ACRONYMS_AS_WORDS
from clarion.text.spans import ALGEBRA, ENCLOSED_NUMBER, LINK, TO_PAIR, algebra_parts, is_algebra
from clarion.text.types import Normalized, RuleLog, guarded

__all__ = ["erhua_suffixes", "normalize_zh", "preload", "spell_digits"]

_DIGITS = "零一二三四五六七八九"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# A number: optional thousands groups, optional decimal part. Only ASCII digits:
# \d would also match other scripts' digits, which cn2an cannot read.
_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?"
_NB = r"(?<![0-9.,])"  # number start: not in the middle of another number
# A range separator: tight ("3-5") or spaced on both sides ("3 - 5"); "50% -5" is two numbers.
_RSEP = r"([~～\-–—至到]|\s[~～\-–—至到]\s)"


def _digits(s: str, yao: bool = False) -> str:
    out = "".join(_DIGITS[ord(c) - 48] for c in s if "0" <= c <= "9")
    return out.replace("一", "幺") if yao else out


spell_digits = _digits  # public: SSML's say-as reads digits one by one the same way


@functools.cache
def _an2cn() -> Callable[[str, str], str]:
    # cn2an's import is 0.2 s (its parser library): off the server's start-up, see preload.
    import cn2an

    return cn2an.an2cn  # type: ignore[no-any-return]


def preload() -> None:
    """Import what reading numbers needs, so that the first Mandarin number is not slower."""
    _an2cn()


def _int(s: str) -> str:
    s = s.replace(",", "")
    if len(s) > 16:  # cn2an's limit; nobody says numbers this long as amounts anyway
        return _digits(s)
    digits = str(int(s))
    t = str(_an2cn()(digits, "low"))
    if len(digits) > 8 and digits[-8:-4] == "0000" and digits[-4] != "0":
        # 100001000: a whole 万 section of zeros is said (一亿零一千); cn2an drops it.
        cut = t.rfind("亿") + 1
        t = t[:cut] + "零" + t[cut:]
    if len(t) > 1 and t[0] == "二" and t[1] in "千万亿":
        t = "两" + t[1:]
    return t


def _num(s: str, *, money: bool = False) -> str:
    """Reads a _NUM match (commas allowed) as a Chinese number."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if money:
        frac = frac.rstrip("0")
    if not frac:
        return _int(whole)
    # cn2an handles the fractional part too, but we read it digit by digit
    # ourselves so long fractions never hit its 16-digit limit.
    return _int(whole) + "点" + _digits(frac)


def _signed(sign: str | None, s: str, **kw: bool) -> str:
    return ("负" if sign else "") + _num(s, **kw)


class _Ctx(RuleLog):
    """Carries options and the fired-rule log through the passes."""

    def __init__(self, yao: bool) -> None:
        super().__init__()
        self.yao = yao


# ---------------------------------------------------------------- width folding

# Full-width Chinese punctuation stays; everything else in FF01-FF5E folds to ASCII.
_KEEP_FULL = set("！，：；？（）～")
_WIDTH_TABLE: dict[int, int | str] = {
    c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP_FULL
}
_WIDTH_TABLE.update({0x3000: 0x20, 0xFFE5: ord("¥"), 0xFFE0: ord("¢"), 0xFFE1: ord("£"), 0x2212: ord("-")})
_WIDTH_TABLE[0xBA] = ord("°")  # º (the ordinal indicator) typed for ° in 20ºC
# Roman numeral characters (第Ⅲ章, Ⅱ期) are their numbers.
_WIDTH_TABLE.update({0x2160 + i: str(i + 1) for i in range(12)} | {0x2170 + i: str(i + 1) for i in range(12)})
_FULL_COLON = re.compile(r"(?<=[0-9])[：∶](?=[0-9])")


# ---------------------------------------------------------------- phones, codes

_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?:"
    r"\+[0-9]{1,3}(?:[- ][0-9]{1,4})?[- ]?[0-9]{3,4}[- ]?[0-9]{4}"  # international
    r"|1[3-9][0-9](?:[- ]?[0-9]{4}){2}"  # mainland mobile
    r"|\(0[0-9]{2,3}\) ?[0-9]{7,8}|0[0-9]{2,3}-[0-9]{7,8}"  # landline with area code
    r"|[48]00-?[0-9]{3}-?[0-9]{4}"  # 400/800 service lines
    r")(?:转[0-9]{1,6})?(?![0-9])"  # 转8001: an extension, digit by digit too
)
_CODE_WORDS = (
    "验证码|校验码|密码|编号|单号|订单号|运单号|快递单号|卡号|账号|帐号|工号|学号|车次|航班|房间号|房号|尾号"
    "|邮编|邮政编码|号码|电话|热线|手机|拨打|致电|呼叫|QQ|qq|微信号|身份证|证件号|序列号|批号|代码|股票代码"
    "|取件码|取货码|提货码|取餐号|座位号|车牌号|会员号|客户号|房间|端口|端口号|号(?=[:：])"
    "|(?:后|末|最后)(?:[一二三四五六七八九]|[1-9])位(?:数字|数)?"  # 后四位是1234: the digits a number ends in
)
_CODE = re.compile(
    rf"((?:{_CODE_WORDS})(?:是|为|:|：|\s){{0,4}}(?:[A-Z]{{1,3}})?)([0-9]+(?:[- ][0-9]+)*)"
    r"(?![0-9.A-Za-z]|[:：][0-9]|\s?[个部台只张件元块岁平间])"  # not a clock, a model (2G) or a count
)


def _phone(ctx: _Ctx, m: re.Match[str]) -> str:
    s = m.group(0)
    head = ""
    if s.startswith("+"):
        cc = re.match(r"\+[0-9]{1,3}", s)
        assert cc is not None
        # Country codes are short and never use 幺 ("加八六").
        head, s = "加" + _digits(cc.group(0)) + "，", s[cc.end() :].lstrip(" -")
    number, ext, extension = s.partition("转")
    return head + _grouped_digits(number, ctx.yao) + ext + _digits(extension, ctx.yao)


_GROUP_SEP = re.compile(r"[- ()]+")


def _grouped_digits(s: str, yao: bool) -> str:
    """Digits read one by one, with a pause where the writer put a dash or a space, as people
    read phone and card numbers (138-0013-8000 -> 幺三八，零零幺三，八零零零); a bare 11-digit
    mobile number is grouped 3-4-4 the same way."""
    groups = [g for g in _GROUP_SEP.split(s) if g]
    if len(groups) == 1 and len(s) == 11 and s[0] == "1":
        groups = [s[:3], s[3:7], s[7:]]
    if all(len(g) == 1 for g in groups):  # "8 2 4 1": one code spaced out
        return _digits("".join(groups), yao)
    return "，".join(_digits(g, yao) for g in groups)


# Service numbers read digit by digit wherever they stand, unless a measure word or unit
# follows ("给12315打个电话" vs "12315人"). The 3-digit emergency numbers are also
# ordinary amounts, so they need a calling word nearby ("打110", "120急救").
_MEASURE_AFTER = (
    r"\s?(?:[个位次点天年月日号岁本张只条件种名人台辆家周倍双杯碗斤米克升吨元块角分秒度场部所间遍趟"
    r"声句段篇份支把套层节票项门颗片盒瓶袋箱架艘头匹万千百亿%％‰℃°]|小时|分钟|公里|公斤|千克|千米|多)"
)
_SERVICE = re.compile(
    r"(?<![0-9.,:/+\-第A-Za-z])(?:123[0-9]{2}|955[0-9]{2}|100(?:86|10)|12580|11185|96110)"
    rf"(?![0-9.,A-Za-z]|{_MEASURE_AFTER})"
)
_EMERGENCY = re.compile(
    rf"(?<![0-9.,:/+\-第A-Za-z])(?:110|114|119|120|122)(?![0-9.,A-Za-z]|{_MEASURE_AFTER})"
)
_CALL_BEFORE = re.compile(r"打|拨|报警|急救|火警|求助|求救|呼叫|致电|电话|热线|查号")
_CALL_AFTER = re.compile(r"打|报警|急救|火警|求助|求救|电话|热线|救护|消防")


def _emergency(ctx: _Ctx, m: re.Match[str]) -> str:
    s = m.string
    if _CALL_BEFORE.search(s, max(0, m.start() - 6), m.start()) or _CALL_AFTER.search(
        s, m.end(), m.end() + 4
    ):
        return _digits(m.group(0), ctx.yao)
    return m.group(0)


# Capital letters glued to 3+ digits are a code (flight CA1234, train G1234, model
# RTX4090, room A-301), read digit by digit; a round hundred is a model number (H100 -> H一百).
# After a space the letters name a product line only before 3-4 digits that no unit or measure
# word follows (RTX 4090 but GDP 5000亿); after 波音 or 空客 the digits name a jet (波音737).
_LETTER_CODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{1,5}-?|[A-Z]{2,5} |波音|空客)([0-9]{3,})(?![0-9]|\.[0-9])"
    r"(?:-([0-9]{1,4})(?![0-9.]))?"
)
_SPACED_CODE_AFTER = re.compile(rf"{_MEASURE_AFTER}|\s?(?:[A-Za-z%％]|[0-9])")


def _letter_code(ctx: _Ctx, m: re.Match[str]) -> str:
    head, n = m.group(1).rstrip("-"), m.group(2)
    if head.rstrip() in _CUR_PREFIX:
        return m.group(0)  # HKD100 is money, read by the currency pass
    if head.endswith(" ") and (len(n) > 4 or _SPACED_CODE_AFTER.match(m.string, m.end())):
        return m.group(0)
    jet = head in ("波音", "空客")
    tail = ""
    if variant := m.group(3):  # 波音777-300ER, A100-80G, G1234-5: a variant, not a minus sign
        short = len(variant) <= 2 or variant.rstrip("0") == variant[0]
        tail = " " + (_int(variant) if jet or short else _digits(variant, ctx.yao))
    if len(n) == 3 and n.endswith("00") and not jet:
        return head + _int(n) + tail
    return head + _digits(n, ctx.yao) + tail


# Room numbers are codes (1308房间 -> 幺三零八房间), after a building or its unit too
# (3单元502 -> 三单元五零二); 3室2厅 stays a count.
_ROOM = re.compile(
    r"(?<![0-9.,:/\-])([0-9]{3,4})(?=\s?(?:号?房间|号房|室(?![温内外])))"
    r"|(?:(?<=单元)|(?<=号楼)|(?<=[栋幢座]))([0-9]{3,4})(?![0-9.,%]|\s?(?:[个位人户元块米平]|平方|号楼))"
)
# Numbers that name a day or a scheme are said digit by digit: 618大促, 315晚会, 996工作制,
# 985高校, 211工程, 911事件, N95口罩, status codes (429错误); a date with a middle dot too
# (5·12 -> 五一二, 9·11 and 9/11事件 -> 九一一).
_NAMED_NUMBER = re.compile(
    r"(?<![0-9.,:/\-])(?:[0-9]{3}(?=大促|晚会|购物节|狂欢节|工作制|高校|院校|大学|工程|事件|\s?(?:错误|状态码|报错))"
    r"|(?:1[0-2]|0?[1-9])(?:[·•・]|/(?=[0-9]{1,2}事件))(?:[12][0-9]|3[01]|0?[1-9])(?![0-9])"
    r"|(?<![A-JL-Za-z]N)(?<=N)9[59](?![0-9.]))"  # N95/KN95 masks -> N九五
)
# "No.5香水", "NO.23球衣" -> 五号, 二十三号; "No.1" names a rank (销量No.1 -> 销量第一).
_NUMBER_SIGN = re.compile(r"(?<![A-Za-z])(?:No|NO|no)\.\s?([0-9]{1,4})(?![0-9]|\.[0-9])")
# A list item's number at a line's start or inline after a colon, a semicolon, a sentence's or
# a clause's end ("建议：1. 运动；2. 睡眠", "如下。1. 运动，2. 睡眠"): "1. 苹果" -> 一、苹果, a pause
# rather than the end of a sentence (its full stop became 。 and the number a sentence of its own).
_ITEM_NUMBER = re.compile(
    r"(?m)(?:^|(?<=[：:；;。！？，…]))(\s*[0-9]{1,2})[.．)）]\s*(?=[\u4e00-\u9fff])"
    r"|(?<=[\u4e00-\u9fff] )([0-9]{1,2})[)）]\s*(?=[\u4e00-\u9fff])"  # "1)打开 2)点击": the next item
)
# A height in metres and centimetres: 1米85 -> 一米八五, 2米10 -> 两米一零 (not 一米八十五).
_HEIGHT = re.compile(r"(?<![0-9.,])([12])米([0-9]{2})(?![0-9]|\.[0-9]|\s?(?:厘米|毫米|公分|cm|mm))")


def _height(m: re.Match[str]) -> str:
    return ("一" if m.group(1) == "1" else "两") + "米" + _digits(m.group(2))


# Generations: 90后, 00后, 85后 (born in the 1990s, 2000s, 1985-89) -> 九零后, 零零后, 八五后.
_GENERATION = re.compile(r"(?<![0-9.,:/\-第])([0-9]0|[089][0-9])(?=后(?![面来方天]))")
# A country code: +86 -> 加八六 (never 幺); the rest of a phone number is read by _PHONE.
_COUNTRY_CODE = re.compile(r"(?<![0-9A-Za-z])\+(?:(86|852|853|886)|([0-9]{1,3}))(?![0-9.,%])")


_CALLING_CODE_BEFORE = re.compile(r"区号|代码|国际|拨|电话")


# "#1234" (an issue, a ticket): 一二三四号; "#5" 五号; after 第 the number alone.
_HASH_NUMBER = re.compile(r"(?<![0-9A-Za-z&#])(第)?#\s?([0-9]{1,8})(?![0-9.,]|[:：][0-9])")


def _hash_number(ctx: _Ctx, m: re.Match[str]) -> str:
    n = m.group(2)
    if m.group(1):
        return "第" + _int(n)
    return (_digits(n, ctx.yao) if len(n) >= 3 else _int(n)) + (
        "" if m.string.startswith("号", m.end()) else "号"
    )


def _number_sign(m: re.Match[str]) -> str:
    n = m.group(1)
    if m.string.startswith("号", m.end()):  # "No.7号" already says it
        return _int(n)
    return "第一" if int(n) == 1 else _int(n) + "号"


def _country_code(m: re.Match[str]) -> str:
    if m.group(1):
        return "加" + _digits(m.group(1))
    before = m.string[max(0, m.start() - 4) : m.start()]
    if _CALLING_CODE_BEFORE.search(before):
        return "加" + _digits(m.group(2))
    return m.group(0)


# ---------------------------------------------------------------- dates, years

_SEP_DATE = re.compile(r"(?<![0-9.])([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?![0-9]|\.[0-9])")
_CN_DATE = re.compile(r"(?<![0-9])([0-9]{4})\s*年\s*([0-9]{1,2})\s*月(?:\s*([0-9]{1,2})\s*([日号]))?")
# dd-mm-yyyy / mm-dd-yyyy: month first (08-08-2008) unless the first field is over 12.
_DMY_DATE = re.compile(r"(?<![0-9.])([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})(?![0-9]|\.[0-9])")
# yy/m/d with slashes only (12/2/2): Chinese order, the year read as written.
_YY_DATE = re.compile(r"(?<![0-9./])([0-9]{2})/([0-9]{1,2})/([0-9]{1,2})(?![0-9]|/[0-9])")
# yyyy/mm and yyyy-mm (2002/01, 2024-06): year and month.
# Also yyyy.mm with a two-digit month (2008.08), unless a measure word follows (2008.08点), and
# month first: 08/2008, 8-2008, 08.2008 (10.2008 is a decimal).
_NOT_AMOUNT = rf"(?!{_MEASURE_AFTER})"
_YM_DATE = re.compile(
    r"(?<![0-9.,/\-])(1[0-9]{3}|20[0-9]{2})(?:/([0-9]{1,2})|-([0-9]{2})|\.(0[1-9]|1[0-2]))"
    r"(?![0-9]|[/.\-][0-9])" + _NOT_AMOUNT
)
_MY_DATE = re.compile(
    r"(?<![0-9.,/\-])(0[1-9]|1[0-2](?=[/\-])|(?<![0-9])[1-9](?=-))[/.\-](1[89][0-9]{2}|20[0-9]{2})"
    r"(?![0-9]|[/.\-][0-9])" + _NOT_AMOUNT
)
# A month and day both written with two digits and one of them padded (08/08, 08-08, 08.08): a
# date without a date word, which no fraction, range or decimal is written as.
# A padded month, day or count of days said without its 0: 02月 -> 二月, 第05天 -> 第五天.
_PADDED_DAY = re.compile(r"(?<![0-9.,:/\-])0(?=[1-9]\s?[月日天])")
_PADDED_MD = re.compile(
    r"(?<![0-9.,/:\-])(0[1-9]|1[0-2])([/.\-])(0[1-9]|[12][0-9]|3[01])(?![0-9]|[/.:\-][0-9])" + _NOT_AMOUNT
)
_YEAR_RANGE = re.compile(
    r"(?<![0-9.])([0-9]{4})\s*([-~～—–/至到])\s*([0-9]{4}|[0-9]{2})(?![0-9])(?=\s*(?:年|赛季|学年|财年|季度|年度))"
)
# m/d without a year is a date only in a date's context: after 于/截至/日期 (or 从/自 when
# no fraction word follows: "从1/3降到1/4"), or before 大促/当天/起/前/后 ... (6/18大促 ->
# 六月十八日大促); otherwise it stays a fraction (3/4的人, 控制在1/3以内, 等于1/2).
_MD = r"(1[0-2]|0?[1-9])/(3[01]|[12][0-9]|0?[1-9])"
# A card's expiry (有效期12/27, 有效期至08/2026) is a month and a year: 二七年十二月.
_CARD_EXPIRY = re.compile(
    r"(?<=有效期|到期日|过期日|有效至)(至|到|为|是)?([:：]?\s?)(0?[1-9]|1[0-2])/([0-9]{2}|20[0-9]{2})(?![0-9]|[/.][0-9])"
)
# One m/d or a range of two (7/1至7/15, 6/1-6/18), judged by the context of the whole.
_MD_DATE = re.compile(rf"(?<![0-9./]){_MD}(?:\s?([-~～–—至到])\s?{_MD})?(?![0-9]|[/.][0-9])")
_MD_STRONG_BEFORE = re.compile(r"(?:(?<![等小大高低当对属至关善])于|截至|截止|截止到|日期|时间)[:：]?\s?$")
_MD_WEAK_BEFORE = re.compile(r"(?:从|自)\s?$")
_MD_AFTER = re.compile(
    r"\s?(?:大促|当天|当日|零点|凌晨|晚上|晚|早上|上午|下午|起|之前|之后|以前|以后|前|后|开始|开售|开幕"
    r"|上线|发布|发售|举行|举办|截止|生效|实施|到期|结束|出发|放假|生日|开学|开业|开工|开播|返校|到账)"
)
_MD_FRACTION_AFTER = re.compile(r"\s?(?:的|以|之|左右|多|强|弱|提|增|降|减|上|下)")


def _md_date(m: re.Match[str]) -> str:
    s = m.string
    before = s[max(0, m.start() - 4) : m.start()]
    if not (
        _MD_STRONG_BEFORE.search(before)
        or _MD_AFTER.match(s, m.end())
        or (_MD_WEAK_BEFORE.search(before) and not _MD_FRACTION_AFTER.match(s, m.end()))
    ):
        return m.group(0)
    out = _int(m.group(1)) + "月" + _int(m.group(2)) + "日"
    if m.group(3):
        out += _sep(m.group(3)) + _int(m.group(4)) + "月" + _int(m.group(5)) + "日"
    return out


# "1月1日-1月3日", "5月1日-5日": the dash between two dates is 到.
_DATE_RANGE = re.compile(r"(?<=[日号])\s?[-~～–—]\s?(?=[0-9]{1,2}\s?[月日号])")
_YEAR = re.compile(
    r"(?<![0-9.,])([0-9]{4})(?=\s*年)"
    # 24年底, 25年上半年: a two-digit year before a part of the year (not 工作了24年)
    r"|(?<![0-9.,:/\-])([0-9]{2})(?=年(?:底|初|末|中(?![国学心])|[上下]半年|春节|第[一二三四1-4]季度|[0-9]{1,2}月"
    r"|的时候|[春夏秋冬]天?(?![0-9])))"
    # 在24年, 成立于98年, 从23年到24年: after a word that places an event in time, unless a span
    # follows (在30年里, 在10年前); 到 and 至 only after another year (3到5年 is a span).
    r"|(?:(?<=在)|(?<=于)|(?<=从)|(?<=自)|(?<=截至)|(?<=截止)|(?<=直到)|(?<=年到)|(?<=年至)|(?<=年-))"
    r"([0-9]{2})(?=年(?![里内间中来后前之以多左右时期光]|的(?:时间|历史|发展|努力|岁月)))"
)


def _md(month: str, day: str | None) -> str | None:
    mo = int(month)
    if not 1 <= mo <= 12:
        return None
    if day is None:
        return _int(month) + "月"
    d = int(day)
    if not 1 <= d <= 31:
        return None
    return _int(month) + "月" + _int(day)


def _sep_date(m: re.Match[str]) -> str:
    md = _md(m.group(3), m.group(4))
    return m.group(0) if md is None else _digits(m.group(1)) + "年" + md + "日"


def _dmy_date(m: re.Match[str]) -> str:
    a, b = m.group(1), m.group(3)
    if int(a) > 12:
        a, b = b, a
    md = _md(a, b)
    return m.group(0) if md is None else _digits(m.group(4)) + "年" + md + "日"


def _yy_date(m: re.Match[str]) -> str:
    md = _md(m.group(2), m.group(3))
    return m.group(0) if md is None else _digits(m.group(1)) + "年" + md + "日"


def _ym_date(m: re.Match[str]) -> str:
    md = _md(m.group(2) or m.group(3) or m.group(4), None)
    return m.group(0) if md is None else _digits(m.group(1)) + "年" + md


def _padded_md(m: re.Match[str]) -> str:
    if not (m.group(1).startswith("0") or m.group(3).startswith("0")):
        return m.group(0)  # 10.12, 12-25: a decimal, a score or a range as much as a date
    if m.group(2) == "." and not m.group(1).startswith("0"):
        return m.group(0)  # 10.01 is a decimal; 08.08 cannot be one
    return _int(m.group(1)) + "月" + _int(m.group(3)) + "日"


def _cn_date(m: re.Match[str]) -> str:
    md = _md(m.group(2), m.group(3))
    if md is None:
        return m.group(0)
    return _digits(m.group(1)) + "年" + md + (m.group(4) or "")


def _year_range(m: re.Match[str]) -> str:
    sep = m.group(2) if m.group(2) in "至到" else "到"
    end = m.group(3)
    if len(end) == 2:  # 2023/24赛季 -> 2024; 1999-00赛季 -> 2000
        century = int(m.group(1)[:2]) + (int(end) < int(m.group(1)[2:]))
        end = f"{century}{end}"
    return _digits(m.group(1)) + sep + _digits(end)


# ---------------------------------------------------------------- scores, time

_SCORE_WORDS = re.compile(
    r"比分|比赛|赢|输|战胜|击败|负于|打败|获胜|胜|夺冠|决赛|半决赛|半场|全场|主队|客队|主场|客场|战平|逆转|领先|落后|进球|大比分|总比分|队"
    r"|言和|不敌|力克|险胜|完胜|惨败|憾负|告负|取胜|战成|绝杀|爆冷"
)
# "中国1-2日本", "皇马2-1巴萨": a pair between two names, with no measure word after it,
# is a score even without a sport word; "1-2天", "3-5个", "1-5月" stay ranges.
_NAME_BEFORE = re.compile(rf"[{_HAN}]{{2}}$")
_NOT_A_NAME_BEFORE = re.compile(
    r"[约共需要有为达是在了近每第前后和或及从由于到至等占打的用花仅只已再多少增减长涨降跌高低按排余剩"
    r"内外间期周年月日号第]$"
)
_NAME_AFTER = re.compile(
    rf"(?:日本|日方|天津|周口)|(?![个位次点天年月日号岁本张只条件种名人台辆家周倍双杯碗斤米克升吨元块角"
    rf"分秒度场部所间遍趟声句段篇份支把套层节票项门颗片盒瓶袋箱架艘头匹万千百亿级成折楼集期季码区栋单批班"
    rf"届轮局盘组公英寸尺两毫厘微纳兆吉赫瓦伏安帧线路站排列行章页代款类积室厅卫折股手]|小时)[{_HAN}]"
)
_PAIR = re.compile(r"(?<![0-9.:])([0-9]{1,3})\s?([:：\-])\s?([0-9]{1,3})(?![0-9]|[:.][0-9])")
_TIME = re.compile(r"(?<![0-9.:])([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?![0-9]|[:.][0-9])")
_RATIO = re.compile(r"(?<![0-9.:])(" + _NUM + r"):(" + _NUM + r")(?![0-9])")


# h:mm right after a time of day or before a start word is a kick-off time, not a score.
_TIME_BEFORE = re.compile(r"(?:上午|下午|晚上|早上|凌晨|中午|今晚|明晚|将于|定于|时间|北京时间)\s?$")
_TIME_AFTER = re.compile(r"\s?(?:开球|开赛|开打|开始|举行|进行|出发|见|前|后|左右)")


def _score(m: re.Match[str]) -> str:
    s = m.string
    before = s[max(0, m.start() - 12) : m.start()]
    after = s[m.end() : m.end() + 4]
    clock = m.group(2) != "-" and len(m.group(3)) == 2 and int(m.group(1)) <= 24 and int(m.group(3)) < 60
    if not (_SCORE_WORDS.search(before) or _SCORE_WORDS.search(after)) and not (
        not clock
        and " " not in m.group(0)
        and _NAME_BEFORE.search(before)
        and not _NOT_A_NAME_BEFORE.search(before)
        and _NAME_AFTER.match(s, m.end())
    ):
        return m.group(0)
    if clock and (_TIME_BEFORE.search(before) or _TIME_AFTER.match(s, m.end())):
        return m.group(0)
    return _int(m.group(1)) + "比" + _int(m.group(3))


def _hour(h: int) -> str:
    return "两" if h == 2 else _int(str(h))


# h:mm:ss after a word for how long something took is a duration: 用时2:05:30 -> 两小时五分三十秒.
_DURATION_CUE = re.compile(
    r"(?:用时|耗时|历时|时长|成绩|跑出|游出|以|净用时|总用时|完赛时间)(?:为|是|达|仅)?\s?$"
)


def _time(m: re.Match[str]) -> str:
    h, mi = int(m.group(1)), int(m.group(2))
    sec = m.group(3)
    if mi > 59 or (sec is not None and int(sec) > 59):
        return m.group(0)
    if sec is not None and _DURATION_CUE.search(m.string, max(0, m.start() - 6), m.start()):
        head = _hour(h) + "小时" if h else ""
        return head + (_int(str(mi)) + "分" if mi else "") + (_int(str(int(sec))) + "秒" if int(sec) else "")
    if h > 24:
        return m.group(0)
    out = _hour(h) + "点"
    if mi or sec:
        out += ("零" if mi < 10 and mi else "") + _int(str(mi)) + "分"
    if sec is not None and int(sec):
        s = int(sec)
        out += ("零" if s < 10 else "") + _int(str(s)) + "秒"
    return out


_AMPM = re.compile(
    r"(?<![0-9.:])(?:([0-9]{1,2})(?::([0-9]{2}))?\s?[-~～–—至到]\s?)?"
    r"([0-9]{1,2})(?::([0-9]{2}))?(?::([0-5][0-9]))?\s?([AaPp])\.?\s?[Mm]\.?(?![A-Za-z0-9])"
)


def _clock(h: int, mi: int, pm: bool) -> tuple[str, str] | None:
    """The period word and the reading of h[:mi] a.m./p.m., or None when it is no time."""
    if not 1 <= h <= 12 or mi > 59:
        return None
    if pm:
        period = "中午" if h == 12 else "下午" if h < 6 else "晚上"
    else:
        h = 0 if h == 12 else h
        period = "凌晨" if h < 6 else "上午"
    out = _hour(h) + "点"
    if mi:
        out += ("零" if mi < 10 else "") + _int(str(mi)) + "分"
    return period, out


def _ampm(m: re.Match[str]) -> str:
    pm = m.group(6) in "Pp"
    end = _clock(int(m.group(3)), int(m.group(4) or 0), pm)
    if end is None:
        return m.group(0)
    if m.group(5) and (seconds := int(m.group(5))):  # 1:02:36am -> 凌晨一点零二分三十六秒
        end = (end[0], end[1] + ("零" if seconds < 10 else "") + _int(str(seconds)) + "秒")
    if m.group(1) is None:
        return end[0] + end[1]
    # A range says its period once when both ends share it: 6-8 a.m. -> 上午六点到八点.
    start = _clock(int(m.group(1)), int(m.group(2) or 0), pm)
    if start is None:
        return m.group(0)
    return start[0] + start[1] + "到" + ("" if start[0] == end[0] else end[0]) + end[1]


# "11 a.m.-2 p.m." -> 上午十一点到下午两点.
_TIME_RANGE = re.compile(r"(?<=[点分])\s?[-~～–—]\s?(?=上午|下午|晚上|凌晨|中午|早上)")


# ---------------------------------------------------------------- maths

_POWER = re.compile(rf"{_NB}({_NUM})\^(-?)({_NUM})(?![0-9])")
_MINUS = re.compile(r"(?<=[0-9])\s?-\s?(?=[0-9]+(?:\.[0-9]+)?\s?=)")
_OPS = {"+": "加", "×": "乘", "✕": "乘", "*": "乘", "x": "乘", "X": "乘", "÷": "除以"}
# √16 -> 根号十六; A→B -> A到B.
_ROOT = re.compile(r"√\s?(?=[0-9(])")
_ARROW = re.compile(r"\s?[→⟶]\s?")
# After a digit any operator; after a unit, an acronym or a Chinese word only + and ×
# (8GB+256GB, UTC+8, 60cm×40cm, 体力+5); the letter x is 乘 only between digits.
_OP = re.compile(
    rf"(?:(?<=[0-9])\s?([+×✕*÷]|[xX](?=[0-9]))|(?<=[A-Za-z²³])\s?([+×✕])"
    rf"|(?<=[{_HAN}])\s?([+×✕])(?![0-9.]+\s?(?:℃|°)))\s?(?=[0-9])"  # 温度+5℃ is no sum
)
# A plus after a number with nothing after it is 加: 10w+ -> 十万加, 100+ -> 一百加.
_TRAILING_PLUS = re.compile(r"(?<=[0-9wWkK万千亿])\+(?![0-9A-Za-z+])")
_SUPERSCRIPT = re.compile(rf"{_NB}({_NUM})([²³])(?![0-9²³])")
_EQUALS = re.compile(r"(?<=[0-9])\s?=\s?|(?<![<>!=])=\s?(?=-?[0-9])")
_CMP_WORDS = {
    "≥": "大于等于", "⩾": "大于等于", ">=": "大于等于", "≤": "小于等于", "⩽": "小于等于", "<=": "小于等于",
    "≠": "不等于", "≈": "约等于", ">": "大于", "<": "小于", "±": "正负", "﹢": "加",
}  # fmt: skip
_CMP = re.compile(r"(>=|<=|[≥⩾≤⩽≠≈><±])\s?(?=[-+]?[0-9]|[¥$€£])|([≥⩾≤⩽≠≈])\s?(?=[A-Za-z])")
# A plus sign before a number that nothing is added to: +5 -> 正五 (a sum is read 加 above).
_PLUS_SIGN = re.compile(r"(?<![0-9A-Za-z\u4e00-\u9fff)）\]])\+(?=[0-9])")
# Three or more numbers in a ratio (1:1:1, 3:2:1); a time has two-digit minutes and seconds.
_RATIO_CHAIN = re.compile(r"(?<![0-9.:])[0-9]+(?::[0-9]+){2,}(?![0-9:])")
# An IPv4 address, read digit by digit per part: 192.168.1.1 -> 一九二点一六八点一点一.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?<![0-9.])(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9.])")


# An equation or inequality in one-letter variables: "x²+y²=1", "f(x)=2x+1", "a>b", "2x+3≤7".
_ALGEBRA = re.compile(ALGEBRA)
_ENCLOSED = re.compile(ENCLOSED_NUMBER + r"\s*")


def _enclosed(m: re.Match[str]) -> str:
    """①运动 -> 1、运动 (its digits read later with the others); 注① -> 注1."""
    n = str(int(unicodedata.numeric(m.group(0).strip())))
    following = m.string[m.end() : m.end() + 1]
    return n + "、" if following and following not in "，。；、！？,.;!?)）" else n


_TO_PAIR = re.compile(TO_PAIR)
_ALGEBRA_OPS = {
    "+": "加", "-": "减", "×": "乘", "*": "乘", "÷": "除以", "/": "除以", "=": "等于", "<=": "小于等于",
    ">=": "大于等于",
}  # fmt: skip


def _algebra(m: re.Match[str]) -> str:
    """Read an equation in one-letter variables: "x²+y²=1" -> X的平方加Y的平方等于一."""
    text = m.group(0)
    if not is_algebra(text):
        return text  # numbers only, or words ("id=5"): read by the other rules
    out: list[str] = []
    for kind, value in algebra_parts(text):
        if kind == "num":
            out.append(_num(value))
        elif kind in ("var", "call"):
            out.append(value.upper())  # a letter's name: English "a" alone is the article
        elif kind == "paren":
            out.append(value)
        elif kind == "sup":
            out.append("的平方" if value == "²" else "的立方")
        elif kind == "pow":
            power = (
                "负" + _num(value[1:]) if value.startswith("-") else _num(value) if value.isdigit() else value
            )
            out.append(f"的{power}次方")
        elif kind == "sign":
            out.append("负")
        else:
            out.append(_ALGEBRA_OPS.get(value) or _CMP_WORDS[value])
    return "".join(out)


def _ratio_chain(m: re.Match[str]) -> str:
    parts = m.group(0).split(":")
    if len(parts) == 3 and all(len(p) == 2 for p in parts[1:]) and int(parts[1]) < 60 and int(parts[2]) < 60:
        return m.group(0)  # hh:mm:ss, read by the time rule
    return "比".join(_int(p) for p in parts)


def _superscript(m: re.Match[str]) -> str:
    return _num(m.group(1)) + "的" + ("二" if m.group(2) == "²" else "三") + "次方"


def _power(m: re.Match[str]) -> str:
    return _num(m.group(1)) + "的" + ("负" if m.group(2) else "") + _num(m.group(3)) + "次方"


# ---------------------------------------------------------------- ranges, temperature, money, percent

_TEMP_UNITS = {
    "℃": "摄氏度",
    "°C": "摄氏度",
    "°c": "摄氏度",
    "℉": "华氏度",
    "°F": "华氏度",
    "°": "度",
    "度": "度",
}
_TEMP_U = r"(℃|°[CcF]?|℉)"
_TEMP_RANGE = re.compile(rf"{_NB}(-|零下)?({_NUM})\s?(℃|°[CcF]?|℉)?{_RSEP}(-|零下)?({_NUM})\s?{_TEMP_U}")
_TEMP = re.compile(rf"(?<![0-9.,A-Za-z])(-|零下)?({_NUM})\s?(?:{_TEMP_U}|(?<=[0-9])(度))")


def _sep(s: str) -> str:
    s = s.strip()
    return s if s in ("至", "到") else "到"


def _temp_val(sign: str | None, n: str) -> str:
    return ("零下" if sign else "") + _num(n)


def _temp_range(m: re.Match[str]) -> str:
    # "-2℃到5℃" keeps both units as written; "-5~3℃" says the unit once.
    first = _TEMP_UNITS[m.group(3)] if m.group(3) else ""
    sep = _sep(m.group(4))
    return (
        _temp_val(m.group(1), m.group(2))
        + first
        + sep
        + _temp_val(m.group(5), m.group(6))
        + _TEMP_UNITS[m.group(7)]
    )


def _temp(m: re.Match[str]) -> str:
    unit = m.group(3) or m.group(4)
    if unit == "度" and not m.group(1):
        return m.group(0)  # plain 25度 is left to the cardinal pass; only the sign matters here
    return _temp_val(m.group(1), m.group(2)) + _TEMP_UNITS[unit]


_CUR_PREFIX = {
    "¥": "元", "$": "美元", "US$": "美元", "HK$": "港元", "NT$": "新台币", "€": "欧元", "£": "英镑",
    "₩": "韩元", "₽": "卢布", "₹": "卢比", "RMB": "元", "CNY": "元", "USD": "美元", "EUR": "欧元",
    "GBP": "英镑", "JPY": "日元", "HKD": "港元", "A$": "澳元", "AU$": "澳元", "C$": "加元", "S$": "新加坡元",
    "NZ$": "新西兰元", "R$": "雷亚尔", "AUD": "澳元", "CAD": "加元", "SGD": "新加坡元", "KRW": "韩元",
    "TWD": "新台币", "CHF": "瑞士法郎", "INR": "卢比", "RUB": "卢布", "MOP": "澳门元", "NZD": "新西兰元",
}  # fmt: skip
_CUR_ISO = "|".join(k for k in _CUR_PREFIX if k.isalpha())
_CUR_P = "|".join(re.escape(k) for k in sorted(_CUR_PREFIX, key=len, reverse=True))
_MAG = r"(?:\s?(万亿|千亿|百亿|亿|千万|百万|万|千|百))?"
_CUR_PRE = re.compile(
    rf"(?<![0-9A-Za-z])(-)?({_CUR_P})\s?({_NUM})(?:{_RSEP}(?:{_CUR_P})?({_NUM}))?([KkMB](?![A-Za-z]))?{_MAG}"
)
_CUR_SCALE = {"K": 3, "k": 3, "M": 6, "B": 9}  # $200K -> 二十万美元, $1.5M -> 一百五十万美元
_CUR_CODE = re.compile(rf"{_NB}({_NUM}){_MAG}\s?({_CUR_ISO})(?![A-Za-z])")
_CUR_WORDS = (
    r"元|块|美元|欧元|英镑|日元|港元|港币|韩元|人民币|美金|卢布|卢比|澳元|加元|新台币|法郎|比特币"
    r"|新加坡元|澳门元"
)
_CUR_WORD_AFTER = re.compile(rf"\s?(?:{_CUR_WORDS})")
_CUR_SUF = re.compile(rf"{_NB}({_NUM})(?=\s?(?:万亿|亿|千万|百万|万|千|百)?\s?(?:{_CUR_WORDS}))")


def _cur_pre(m: re.Match[str]) -> str:
    word = _CUR_PREFIX[m.group(2)]
    scale = _CUR_SCALE.get(m.group(6) or "", 0)

    def amount(written: str) -> str:
        if scale:
            written = format(decimal.Decimal(written.replace(",", "")).scaleb(scale).normalize(), "f")
        return _num(written, money=True)

    out = ("负" if m.group(1) else "") + _liang(amount(m.group(3)))
    if m.group(5):
        out += _sep(m.group(4)) + amount(m.group(5))
    if _CUR_WORD_AFTER.match(m.string, m.end()):
        word = ""  # "¥100元", "$5美元": the written word says the currency once
    return out + (m.group(7) or "") + word


def _liang(reading: str) -> str:
    """A bare 2 in an amount of money is said 两 (2元 -> 两元, $2万 -> 两万美元)."""
    return "两" if reading == "二" else reading


def _cur_suf(m: re.Match[str]) -> str:
    return _liang(_num(m.group(1), money=True))


def _cur_code(m: re.Match[str]) -> str:
    return _liang(_num(m.group(1), money=True)) + (m.group(2) or "") + _CUR_PREFIX[m.group(3)]


_PCT_RANGE = re.compile(rf"{_NB}({_NUM})\s?[%％]?{_RSEP}({_NUM})\s?([%％‰])")
_PCT = re.compile(rf"(?<![0-9.,A-Za-z])(-)?({_NUM})\s?([%％‰])")


def _pct_word(sym: str) -> str:
    return "千分之" if sym == "‰" else "百分之"


def _pct_range(m: re.Match[str]) -> str:
    w = _pct_word(m.group(4))
    sep = _sep(m.group(2))
    return w + _num(m.group(1)) + sep + w + _num(m.group(3))


def _pct(m: re.Match[str]) -> str:
    return ("负" if m.group(1) else "") + _pct_word(m.group(3)) + _num(m.group(2))


# Generic ranges: only the separator changes here; the numbers are read by later
# passes, so "3-5km" still gets its unit.
_RANGE = re.compile(r"(?<=[0-9%])(?:[~～\-–—]|\s[~～\-–—]\s)(?=[0-9])")


# ---------------------------------------------------------------- fractions

_VULGAR = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
    "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10),
}  # fmt: skip
_VULGAR_RE = re.compile(r"(?<![0-9])([0-9]+)?([" + "".join(_VULGAR) + "])")
_FRACTION = re.compile(
    r"(?<![0-9.,/])(-)?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:/| / )([0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)"
    r"(?![0-9]|[/.,][0-9])"
)


# Blood pressure is two readings, not a fraction: 血压120/80 -> 一百二十、八十, before mmHg or after 血压.
_PRESSURE = re.compile(
    r"(?<![0-9./])([0-9]{2,3})(?:-([0-9]{2,3}))?/([0-9]{2,3})(?:-([0-9]{2,3}))?(?![0-9]|[./][0-9])"
    r"(\s?(?:mmHg|毫米汞柱))?"
)
_PRESSURE_CUE = re.compile(
    r"(?:血压|[高低]压)(?:值|读数)?(?:是|为|在|达|达到|高达|约|约为|维持在)?[:：]?\s?$"
)


def _pressure(m: re.Match[str]) -> str:
    if not m.group(5) and not _PRESSURE_CUE.search(m.string, max(0, m.start() - 8), m.start()):
        return m.group(0)

    def reading(low: str, high: str | None) -> str:
        return _int(low) + ("到" + _int(high) if high else "")

    unit = "毫米汞柱" if m.group(5) else ""
    return reading(m.group(1), m.group(2)) + "、" + reading(m.group(3), m.group(4)) + unit


def _vulgar(m: re.Match[str]) -> str:
    a, b = _VULGAR[m.group(2)]
    frac = _int(str(b)) + "分之" + _int(str(a))
    return (_int(m.group(1)) + "又" + frac) if m.group(1) else frac


def _fraction(m: re.Match[str]) -> str:
    if int(m.group(3).replace(",", "")) == 0:
        return m.group(0)
    return ("负" if m.group(1) else "") + _int(m.group(3)) + "分之" + _int(m.group(2))


# ---------------------------------------------------------------- units

_UNITS = {
    "km/h": "公里每小时", "km/s": "公里每秒", "m/s": "米每秒", "m/s²": "米每二次方秒",
    "km²": "平方公里", "m²": "平方米", "m2": "平方米", "㎡": "平方米", "cm²": "平方厘米", "mm²": "平方毫米",
    "m³": "立方米", "m3": "立方米", "cm³": "立方厘米", "km": "公里", "㎞": "公里", "m": "米", "dm": "分米",
    "cm": "厘米", "㎝": "厘米", "mm": "毫米", "㎜": "毫米", "μm": "微米", "um": "微米", "nm": "纳米",
    "kg": "公斤", "㎏": "公斤", "g": "克", "mg": "毫克", "μg": "微克", "t": "吨", "L": "升", "ml": "毫升",
    "mL": "毫升", "ms": "毫秒", "s": "秒", "min": "分钟", "h": "小时", "Hz": "赫兹", "kHz": "千赫兹",
    "MHz": "兆赫兹", "GHz": "吉赫兹", "kWh": "千瓦时", "kW": "千瓦", "MW": "兆瓦", "W": "瓦", "kV": "千伏",
    "V": "伏", "mAh": "毫安时", "mA": "毫安", "dB": "分贝", "kcal": "千卡", "cal": "卡", "Pa": "帕",
    "kPa": "千帕", "MPa": "兆帕", "mmHg": "毫米汞柱", "mol": "摩尔", "rpm": "转每分",
}  # fmt: skip
_UNITS.update(
    {
        "l": "升",
        "w": "万",
        "k": "千",
        "x": "倍",
        "X": "倍",
        "fps": "帧每秒",
        "Mbps": "兆比特每秒",
        "Gbps": "吉比特每秒",
        "ns": "纳秒",
        "μs": "微秒",
        "ng": "纳克",
        "ha": "公顷",
        "ft": "英尺",
        "in": "英寸",
        "yd": "码",
        "mi": "英里",
        "mph": "英里每小时",
        "lb": "磅",
        "lbs": "磅",
        "oz": "盎司",
        "v": "伏",
    }
)
# Units people write in any case ("12KG", "5Km", "3ML"); m/M, s/S, w/W, k/K, t/T keep exact
# case since the case changes the meaning (300w -> 三百万 but 100W -> 一百瓦).
_UNITS_CI = {
    u.lower(): _UNITS[u]
    for u in (
        "km²", "m²", "cm²", "mm²", "m³", "cm³", "km", "cm", "mm", "kg", "mg", "ml", "kWh", "kW", "kV", "mAh",
        "Hz", "kHz", "MHz", "GHz", "dB", "kcal", "kPa", "MPa", "mmHg", "mol", "rpm", "fps", "Mbps", "Gbps",
        "ft", "yd", "mph", "lb", "lbs", "oz",
    )
}  # fmt: skip
_UNITS_CI.update(
    {"km2": "平方公里", "cm2": "平方厘米", "mm2": "平方毫米", "cm3": "立方厘米", "kbps": "千比特每秒"}
)
# Data sizes stay letters, spelled as the English front end spells acronyms (16GB -> 十六G B),
# so a second pass leaves them alone.
_UNITS_CI.update({u.lower(): " ".join(u) for u in ("KB", "MB", "GB", "TB", "PB")})
_UNIT_P = "|".join(re.escape(k) for k in sorted(_UNITS, key=len, reverse=True))
_UNIT_CI_P = "|".join(re.escape(k) for k in sorted(_UNITS_CI, key=len, reverse=True))
_UNIT = re.compile(
    rf"(?<![0-9.,A-Za-z])(-)?({_NUM}|两)\s?(?:({_UNIT_P})|(?i:({_UNIT_CI_P})))(?![A-Za-z0-9²³])"
)

# Speeds are said per time first: 10km/h -> 每小时十公里 (after 时速 just 十公里).
_SPEED_UNITS = {
    "km/h": ("每小时", "公里"), "kmh": ("每小时", "公里"), "kph": ("每小时", "公里"),
    "mph": ("每小时", "英里"), "m/s": ("每秒", "米"), "km/s": ("每秒", "公里"),
}  # fmt: skip
_SPEED = re.compile(
    rf"(?<![0-9.,A-Za-z])({_NUM})(?:{_RSEP}({_NUM}))?\s?(?i:(km/h|kmh|kph|mph|km/s|m/s))(?![A-Za-z0-9²³])"
)


_SPEED_WORD = re.compile(r"(?:时速|车速|航速)(?:达到|高达|超过|约为|约|为|是|达)?\s?$")


def _speed(m: re.Match[str]) -> str:
    per, unit = _SPEED_UNITS[m.group(4).lower()]
    value = _num(m.group(1))
    if m.group(3):
        value += _sep(m.group(2)) + _num(m.group(3))
    if per == "每小时" and _SPEED_WORD.search(m.string, max(0, m.start() - 8), m.start()):
        per = ""  # 时速 already says "per hour"
    return per + value + unit


_PER_UNITS = (
    {k: v for k, v in _UNITS.items() if "/" not in k}
    | {c: c for c in "斤克天月年人次晚周件个台份瓶张盒箱吨升米秒股位间辆套亩户场节课夜只条本双"}
    | {"分": "分钟"}  # 72次/分: a rate per minute
    | {"小时": "小时", "分钟": "分钟", "公斤": "公斤", "千克": "千克", "平方米": "平方米", "公里": "公里"}
)
_PER_P = "|".join(re.escape(k) for k in sorted(_PER_UNITS, key=len, reverse=True))
_PER = re.compile(rf"(?<=元|块|角|米|克|斤|升|吨|次|个|件|瓦|度|字|页|份|人|里)/({_PER_P})(?![A-Za-z0-9²³])")


def _unit(m: re.Match[str]) -> str:
    n = m.group(2)
    if m.group(3) == "k" and n != "两":
        # 15k is 一万五千, not 十五千: thousands are folded into the number.
        whole, _, frac = n.replace(",", "").partition(".")
        if len(frac) <= 3 and len(whole) <= 12:
            value = int(whole + frac.ljust(3, "0"))
            return ("负" if m.group(1) else "") + _int(str(value))
    val = "两" if n == "两" else _signed(m.group(1), n)
    return val + (_UNITS[m.group(3)] if m.group(3) else _UNITS_CI[m.group(4).lower()])


# A unit after a fraction already read: 1/2kg -> 二分之一公斤.
_FRACTION_UNIT = re.compile(
    rf"(分之[一二三四五六七八九十百千万零两点]+)\s?(?:({_UNIT_P})|(?i:({_UNIT_CI_P})))(?![A-Za-z0-9²³])"
)


def _fraction_unit(m: re.Match[str]) -> str:
    if m.group(2) == "k":
        return m.group(0)
    return m.group(1) + (_UNITS[m.group(2)] if m.group(2) else _UNITS_CI[m.group(3).lower()])


# A duration in units glued together: 2h30min -> 两小时三十分钟, 1min30s -> 一分钟三十秒.
_DURATION = re.compile(
    r"(?<![0-9.,A-Za-z])(?:([0-9]+)\s?h\s?([0-9]{1,2})\s?m(?:in)?(?:\s?([0-9]{1,2})\s?s)?"
    r"|([0-9]+)\s?min\s?([0-9]{1,2})\s?s)(?![A-Za-z0-9])"
)


def _duration(m: re.Match[str]) -> str:
    if m.group(1):
        h = m.group(1)
        out = ("两" if h == "2" else _int(h)) + "小时" + _int(m.group(2)) + "分钟"
        return out + (_int(m.group(3)) + "秒" if m.group(3) else "")
    mi = m.group(4)
    return ("两" if mi == "2" else _int(mi)) + "分钟" + _int(m.group(5)) + "秒"


# Race times: the hundredths after 秒 are said digit by digit (9秒83 -> 九秒八三).
_HUNDREDTHS = re.compile(r"(?<=[0-9]秒)([0-9]{2})(?![0-9])")

# ---------------------------------------------------------------- versions, 两, numbers

_VERSION = re.compile(r"(?<![0-9.,])[0-9]+(?:\.[0-9]+){2,}(?![0-9])")
_LIANG_WORDS = (
    "个|位|次|点|天|年(?!级)|岁|本|张|只|条|件|种|名|人|台|辆|家|小时|分钟|周|倍|双|杯|碗|斤|公斤|公里|千克|千米|米"
    "|万|千|百|亿|场|部|所|间|遍|趟|声|句|段|篇|份|支|把|套|层|节|票|项|门|颗|片|盒|瓶|袋|箱|架|艘|头|匹"
    "|英寸|英尺|英里|寸|尺|晚|夜|款|届|轮|局|盘|组|副|对|根|粒|枚|块|口|成|室|厅|卫|番|顿|拨"
    "|公顷|磅|盎司|码|ha|ft|lb|lbs|oz|yd"
    "|km|kg|m|h|L|t|w|x|KG|Kg|KM|Km|GB|TB|MB|KB"
)
# A gigabyte of memory is 两G; a mobile generation is 二G (2G网络, 2G信号).
_G_MEMORY = r"G\s?(?:内存|运存|显存|存储|流量|硬盘|空间|的(?:内存|运存|流量))"
# 2 before a measure word is spoken 两 (两个, 两点, 两公里); 第2/2月/2号 keep 二.
# The start of a range counts too: 2-3周 -> 两到三周 (the dash is 到 by then).
# A floor after a building or a place is its number: 3号楼2层, 在2层 (but 有2层 is 两层).
_LIANG = re.compile(
    rf"(?<![0-9.,:/\-A-Za-z第])2(?![0-9.,])(?!(?<=[楼座栋在到去住]2)层)(?=\s?(?:{_LIANG_WORDS})(?![A-Za-z])|{_G_MEMORY}"
    rf"|[到至][0-9]+(?:\.[0-9]+)?\s?(?:{_LIANG_WORDS})(?![A-Za-z])"
    rf"|[到至][0-9一二三四五六七八九十百千万点]+\s?(?:{_CUR_WORDS}))"
)
_NUMBER = re.compile(r"(?<![0-9])(-)?([0-9]+(?:,[0-9]{3})*)(?:\.([0-9]+))?(?![0-9])")
_AMOUNT_AFTER = re.compile(
    r"\s?(?:万|亿|元|块|人|名|位|户|个|次|倍|美元|欧元|辆|件|吨|公里|米|年|天|字|册|张|份|台|部|篇|条|股|套|平方)"
)
# Before a long number, words that make it an amount (人口1411778724) rather than a code.
_AMOUNT_BEFORE = re.compile(
    r"(?:人口|总数|总计|合计|共计|共有|总额|金额|余额|收入|营收|销量|产量|数量|票数|人数|市值|资产|估值|达到|高达|超过|约为|共)"
    r"(?:为|是|达|约|有)?\s?$"
)
_ORDINAL = re.compile(r"第\s?[0-9]")


def _number(ctx: _Ctx, m: re.Match[str]) -> str:
    sign, whole, frac = m.group(1), m.group(2), m.group(3)
    s = m.string
    prev = s[m.start() - 1] if m.start() > 0 else ""
    prefix = ""
    if sign:
        # "-" after a letter or digit is a hyphen (COVID-19), not a minus.
        if prev.isalnum() and prev.isascii():
            prefix = "-"
        else:
            prefix = "负"
            ctx.fire("zh.negative")
    if "," in whole and not re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", whole):
        # "1,2,3" is a list, not a number: read each item.
        return prefix + "，".join(_int(p) for p in whole.split(","))
    plain = whole.replace(",", "")
    if frac is not None:
        ctx.fire("zh.decimal")
        return prefix + _int(plain) + "点" + _digits(frac)
    if "," not in whole and len(plain) > 1 and plain[0] == "0":
        ctx.fire("zh.digits")
        return prefix + _digits(plain, ctx.yao)
    if "," not in whole and len(plain) > 8 and prev != "第":
        round_number = len(plain.rstrip("0")) <= 4
        amount = (
            _AMOUNT_AFTER.match(s, m.end()) is not None
            or _AMOUNT_BEFORE.search(s, max(0, m.start() - 6), m.start()) is not None
        )
        if len(plain) > 16 or not (round_number or amount):
            ctx.fire("zh.digits")
            return prefix + _digits(plain, ctx.yao)
    if prev == "第":
        ctx.fire("zh.ordinal")
    else:
        ctx.fire("zh.cardinal")
    return prefix + _int(plain)


# ---------------------------------------------------------------- punctuation

_ASCII_DIGIT = re.compile("[0-9]")
_ELLIPSIS = re.compile(r"\.{3,}|。{3,}|…{2,}|⋯+")
_REPEAT = re.compile(r"([！？!?，,。])\1+")
_HAN_PUNCT = re.compile(
    rf"(?<=[{_HAN}])([,.!?;:])(?=[{_HAN}“”‘’\s]|$)|(?<=[{_HAN}])([,!?;:])(?=[^A-Za-z0-9])"
)
_HAN_CHAR = re.compile(f"[{_HAN}]")
_AFTER_FULL = re.compile(r"(?<=[！？])[!?]")  # 什么?! -> 什么？！
_PARENS = re.compile(r"\(([^()\n]{1,50})\)")  # (重要) -> （重要）, around Chinese only
_HALF_TO_FULL = {",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "："}
_CORNER = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’", "＂": '"'})


def _parens(m: re.Match[str]) -> str:
    return "（" + m.group(1) + "）" if _HAN_CHAR.search(m.group(1)) else m.group(0)


def _quotes(text: str) -> str:
    if '"' not in text:
        return text
    parts = text.split('"')
    out = [parts[0]]
    for i, p in enumerate(parts[1:]):
        out.append(("“" if i % 2 == 0 else "”") + p)
    return "".join(out)


# ---------------------------------------------------------------- erhua

# 儿 is a real syllable, never an erhua suffix, in these words. Two lists: words
# where 儿 is second (checked against the previous character) and words where it
# starts the word (checked against the next one).
# 女儿 婴儿 幼儿 孤儿 健儿 男儿 胎儿 患儿 宠儿 弃儿 少儿 育儿 妻儿 孙儿 侄儿 小儿(科) 托儿(所)
# 乳儿 养儿 (新)生儿 (早)产儿 病儿 (混)血儿 佳儿 ...
_ER_AFTER = set("女婴幼孤健男胎患宠弃少育妻孙侄小托乳养生产病犬混血佳")
_ER_BEFORE = set("子童女科孙媳时歌戏化郎")  # 儿子 儿童 儿女 儿科 儿孙 儿媳 儿时 儿歌 儿戏 儿化 儿郎
_ERHUA = re.compile(rf"(?<=[{_HAN}])儿")


def _is_erhua(s: str, i: int) -> bool:
    prev = s[i - 1]
    nxt = s[i + 1] if i + 1 < len(s) else ""
    return not (prev in _ER_AFTER or nxt in _ER_BEFORE or prev == "儿")


def erhua_suffixes(text: str) -> list[int]:
    """Indices of the 儿 in ``text`` that are erhua suffixes (玩儿, 哪儿), not syllables of
    their own (女儿, 儿子, 婴儿). The phonemiser merges these into the syllable before."""
    return [m.start() for m in _ERHUA.finditer(text) if _is_erhua(text, m.start())]


# ---------------------------------------------------------------- web and e-mail addresses

# Read as a Mandarin speaker gives them out: words as written, 点 for the dots, 艾特 for @,
# digits one by one; the scheme (https://) is not said, as the English front end leaves it.
_LINK = re.compile(rf"(?<![A-Za-z0-9._%+-])(?:{LINK})")
_LINK_PART = re.compile(r"[A-Za-z]+|[0-9]+|.")
_LINK_SIGNS = {
    ".": "点", "@": "艾特", "/": "斜杠", "-": "杠", "_": "下划线", ":": "冒号", "?": "问号",
    "=": "等于", "&": "和", "#": "井号", "~": "波浪号", "+": "加", "%": "百分号",
}  # fmt: skip


def _link(ctx: _Ctx, m: re.Match[str]) -> str:
    link = re.sub(r"^https?://", "", m.group(0)).rstrip("/")
    return "".join(
        _digits(part, ctx.yao) if part[0].isdigit() else _LINK_SIGNS.get(part, part)
        for part in _LINK_PART.findall(link)
    )


# ---------------------------------------------------------------- acronyms

# Capital runs the rules above left next to Chinese (MP三, C A幺二三四) are spelled out
# with spaces, exactly as the English front end spells an acronym in a Chinese sentence,
# so normalising the output again changes nothing.
_ACRONYM = re.compile(r"(?<![A-Za-z'’.\-])([A-Z]{2,5})(s?)(?![A-Za-z'’])")


def _acronym(m: re.Match[str]) -> str:
    if m.group(1) in DEFAULT_ACRONYMS_AS_WORDS:
        return m.group(0)
    return " ".join(m.group(1)) + m.group(2)


# ---------------------------------------------------------------- pipeline


def normalize_zh(text: str, *, yao: bool = False, erhua: Literal["keep", "merge"] = "keep") -> Normalized:
    """Normalise Mandarin text for TTS. ``yao`` reads 1 as 幺 in digit strings
    (phones, codes). 儿 stays in the text either way; with ``erhua="merge"`` the
    rule log says that erhua suffixes are there for the phonemiser to merge."""
    ctx = _Ctx(yao)

    folded = text.translate(_WIDTH_TABLE)
    folded = _FULL_COLON.sub(":", folded)
    if folded != text:
        ctx.fire("zh.width")
    t = folded
    if _ENCLOSED.search(t):
        t = ctx.sub("zh.punct", _ENCLOSED, _enclosed, t)

    if "@" in t or "www." in t or "://" in t or "localhost:" in t:
        t = ctx.sub("zh.url", _LINK, lambda m: _link(ctx, m), t)
    if any(c in t for c in "=<>≤≥≠"):
        t = ctx.sub("zh.math", _ALGEBRA, _algebra, t)
    if _ASCII_DIGIT.search(t):  # every rule below reads a number
        t = ctx.sub("zh.punct", _ITEM_NUMBER, lambda m: (m.group(1) or m.group(2)) + "、", t)
        t = ctx.sub("zh.phone", _PHONE, lambda m: _phone(ctx, m), t)
        t = ctx.sub("zh.code", _CODE, lambda m: m.group(1) + _grouped_digits(m.group(2), ctx.yao), t)
        t = ctx.sub("zh.code", _SERVICE, lambda m: _digits(m.group(0), ctx.yao), t)
        t = ctx.sub("zh.code", _EMERGENCY, lambda m: _emergency(ctx, m), t)
        t = ctx.sub("zh.code", _TO_PAIR, lambda m: f"{m.group(0)[0]} to {m.group(0)[2]}", t)
        t = ctx.sub("zh.code", _LETTER_CODE, lambda m: _letter_code(ctx, m), t)
        if "+" in t:
            t = ctx.sub("zh.phone", _COUNTRY_CODE, _country_code, t)
        if "房" in t or "室" in t or "单元" in t or "楼" in t or "栋" in t or "幢" in t or "座" in t:
            t = ctx.sub("zh.code", _ROOM, lambda m: _digits(m.group(1) or m.group(2), ctx.yao), t)
        t = ctx.sub("zh.code", _NAMED_NUMBER, lambda m: _digits(m.group(0)), t)
        if "o." in t or "O." in t:
            t = ctx.sub("zh.ordinal", _NUMBER_SIGN, _number_sign, t)
        if "#" in t:
            t = ctx.sub("zh.ordinal", _HASH_NUMBER, lambda m: _hash_number(ctx, m), t)
        if "米" in t:
            t = ctx.sub("zh.unit", _HEIGHT, _height, t)
        if "后" in t:
            t = ctx.sub("zh.code", _GENERATION, lambda m: _digits(m.group(1)), t)
        t = ctx.sub("zh.date", _PADDED_DAY, lambda m: "", t)
        t = ctx.sub("zh.date", _CN_DATE, _cn_date, t)
        t = ctx.sub("zh.date", _SEP_DATE, _sep_date, t)
        t = ctx.sub("zh.date", _DMY_DATE, _dmy_date, t)
        t = ctx.sub("zh.date", _YY_DATE, _yy_date, t)
        t = ctx.sub("zh.date", _YM_DATE, _ym_date, t)
        t = ctx.sub("zh.date", _MY_DATE, lambda m: _digits(m.group(2)) + "年" + _int(m.group(1)) + "月", t)
        t = ctx.sub("zh.date", _PADDED_MD, _padded_md, t)
        t = ctx.sub("zh.year", _YEAR_RANGE, _year_range, t)
        t = ctx.sub("zh.year", _YEAR, lambda m: _digits(m.group(1) or m.group(2) or m.group(3)), t)
        if "/" in t:
            t = ctx.sub(
                "zh.date",
                _CARD_EXPIRY,
                lambda m: (
                    (m.group(1) or "") + m.group(2) + _digits(m.group(4)) + "年" + _int(m.group(3)) + "月"
                ),
                t,
            )
            t = ctx.sub("zh.date", _MD_DATE, _md_date, t)
        t = ctx.sub("zh.date", _DATE_RANGE, lambda m: "到", t)
        t = ctx.sub("zh.time", _AMPM, _ampm, t)
        t = ctx.sub("zh.time", _TIME_RANGE, lambda m: "到", t)
        t = ctx.sub("zh.math", _POWER, _power, t)
        t = ctx.sub("zh.math", _ROOT, lambda m: "根号", t)
        t = ctx.sub("zh.math", _MINUS, lambda m: "减", t)
        if "²" in t or "³" in t:
            t = ctx.sub("zh.math", _SUPERSCRIPT, _superscript, t)
        t = ctx.sub("zh.math", _OP, lambda m: _OPS[m.group(1) or m.group(2) or m.group(3)], t)
        if "+" in t:
            t = ctx.sub("zh.math", _TRAILING_PLUS, lambda m: "加", t)
        t = ctx.sub("zh.math", _CMP, lambda m: _CMP_WORDS[m.group(1) or m.group(2)], t)
        t = ctx.sub("zh.math", _EQUALS, lambda m: "等于", t)
        if "+" in t:
            t = ctx.sub("zh.math", _PLUS_SIGN, lambda m: "正", t)
        if t.count(":") >= 2:
            t = ctx.sub("zh.ratio", _RATIO_CHAIN, _ratio_chain, t)
        t = ctx.sub("zh.unit", _PRESSURE, _pressure, t)
        t = ctx.sub("zh.score", _PAIR, _score, t)
        t = ctx.sub("zh.temperature", _TEMP_RANGE, _temp_range, t)
        t = ctx.sub("zh.percent", _PCT_RANGE, _pct_range, t)
        t = ctx.sub("zh.unit", _SPEED, _speed, t)
        t = ctx.sub("zh.currency", _CUR_PRE, _cur_pre, t)
        t = ctx.sub("zh.range", _RANGE, lambda m: "到", t)
        t = ctx.sub("zh.time", _TIME, _time, t)
        t = ctx.sub("zh.ratio", _RATIO, lambda m: _num(m.group(1)) + "比" + _num(m.group(2)), t)
        t = ctx.sub("zh.temperature", _TEMP, _temp, t)
        t = ctx.sub("zh.currency", _CUR_CODE, _cur_code, t)
        t = ctx.sub("zh.currency", _CUR_SUF, _cur_suf, t)
        t = ctx.sub("zh.percent", _PCT, _pct, t)
        t = ctx.sub("zh.fraction", _VULGAR_RE, _vulgar, t)
        t = ctx.sub("zh.fraction", _FRACTION, _fraction, t)
        t = ctx.sub("zh.unit", _DURATION, _duration, t)
        t = ctx.sub("zh.time", _HUNDREDTHS, lambda m: _digits(m.group(1)), t)
        t = ctx.sub("zh.cardinal", _LIANG, lambda m: "两", t)
        t = ctx.sub("zh.unit", _UNIT, _unit, t)
        t = ctx.sub("zh.unit", _FRACTION_UNIT, _fraction_unit, t)
        t = ctx.sub("zh.digits", _IPV4, lambda m: "点".join(_digits(p) for p in m.group(0).split(".")), t)
        t = ctx.sub("zh.version", _VERSION, lambda m: "点".join(_int(p) for p in m.group(0).split(".")), t)
        t = _NUMBER.sub(guarded("zh.number", lambda m: _number(ctx, m)), t)
    else:
        t = ctx.sub("zh.fraction", _VULGAR_RE, _vulgar, t)
    t = ctx.sub("zh.unit", _PER, lambda m: "每" + _PER_UNITS[m.group(1)], t)

    if "→" in t or "⟶" in t:
        t = ctx.sub("zh.math", _ARROW, lambda m: "到", t)
    t = ctx.sub("zh.punct", _ELLIPSIS, lambda m: "…", t)
    t = ctx.sub("zh.punct", _REPEAT, lambda m: m.group(1), t)
    t = ctx.sub("zh.punct", _HAN_PUNCT, lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], t)
    t = ctx.sub("zh.punct", _AFTER_FULL, lambda m: _HALF_TO_FULL[m.group(0)], t)
    t = ctx.sub("zh.punct", _PARENS, _parens, t)
    quoted = _quotes(t.translate(_CORNER)) if re.search(f"[{_HAN}]", t) else t
    if quoted != t:
        ctx.fire("zh.punct")
    t = quoted
    t = ctx.sub("zh.acronym", _ACRONYM, _acronym, t)

    if erhua == "merge" and "儿" in t and erhua_suffixes(t):
        ctx.fire("zh.erhua")
    return Normalized(t, tuple(ctx.rules))
