"""The SSML subset: what each element becomes, and what is refused (with its name)."""

from __future__ import annotations

import pytest

from clarion.errors import InvalidSsml
from clarion.text.ssml import Pause, Say, looks_like_ssml, parse_ssml


def test_text_and_breaks_in_order() -> None:
    pieces = parse_ssml('<speak>Hello <break time="500ms"/> world <break time="1.5s"/><break/></speak>')
    assert pieces == [Say("Hello "), Pause(0.5), Say(" world "), Pause(1.5), Pause(0.5)]
    assert parse_ssml('<speak>a<break strength="x-strong"/>b<break strength="none"/></speak>')[1] == Pause(
        1.2
    )


def test_namespaces_language_and_sentences() -> None:
    doc = (
        '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        '<p><s>One</s><s>Two</s></p><lang xml:lang="zh-CN">你好</lang></speak>'
    )
    assert parse_ssml(doc) == [Say("One\nTwo\n\n", language="en"), Say("你好", language="zh")]


def test_say_as_spells_dates_and_phones() -> None:
    def said(inner: str, language: str = "en-US") -> str:
        pieces = parse_ssml(f'<speak xml:lang="{language}">{inner}</speak>')
        assert all(isinstance(p, Say) for p in pieces)
        return "".join(p.text for p in pieces if isinstance(p, Say))

    assert said('<say-as interpret-as="characters">SQL</say-as>') == "S Q L"
    assert said('<say-as interpret-as="digits">2024</say-as>') == "two zero two four"
    assert said('<say-as interpret-as="telephone">+1 415 555 0100</say-as>') == (
        "plus one, four one five, five five five, zero one zero zero"
    )
    assert (
        said('<say-as interpret-as="telephone">010-12345678</say-as>', "zh-CN") == "零幺零，幺二三四五六七八"
    )
    assert said('<say-as interpret-as="date" format="dmy">15/06/2024</say-as>') == "2024-06-15"
    assert said('<say-as interpret-as="date" format="md">6/15</say-as>') == "June 15"
    assert said('<say-as interpret-as="date" format="ymd">24.6.15</say-as>', "zh") == "2024年6月15日"
    assert said('<say-as interpret-as="ordinal">3</say-as>') == "3rd"
    assert said('<say-as interpret-as="ordinal">3</say-as>', "zh") == "第3"
    assert said('<sub alias="World Wide Web">WWW</sub>') == "World Wide Web"
    assert said('<phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme>') == "tomato"


def test_prosody_rate_multiplies() -> None:
    pieces = parse_ssml('<speak><prosody rate="slow">a<prosody rate="200%">b</prosody></prosody></speak>')
    assert pieces == [Say("a", rate=0.75), Say("b", rate=1.5)]


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ("<speak>unclosed", "not well-formed"),
        ("<voice>hi</voice>", "root element"),
        ('<speak><audio src="a.wav"/></speak>', "<audio> is not supported"),
        ('<speak><break time="20s"/></speak>', "longer than 10 s"),
        ('<speak><break time="soon"/></speak>', "'500ms'"),
        ('<speak><say-as interpret-as="unit">5kg</say-as></speak>', "interpret-as='unit'"),
        ('<speak><prosody rate="warp">x</prosody></speak>', "prosody rate='warp'"),
        ('<speak><lang xml:lang="fr-FR">bonjour</lang></speak>', "xml:lang='fr-FR'"),
        ("<speak><sub>WWW</sub></speak>", "alias"),
        ('<!DOCTYPE speak [<!ENTITY a "aaaaaaaaaa">]><speak>&a;&a;</speak>', "DTD"),
        (
            '<speak xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></speak>',
            "include",
        ),
        ("<speak>" + "<s>" * 40 + "x" + "</s>" * 40 + "</speak>", "too deep"),
    ],
)
def test_malformed_unsafe_or_unsupported_ssml_is_refused_by_name(doc: str, needle: str) -> None:
    with pytest.raises(InvalidSsml, match=None) as caught:
        parse_ssml(doc)
    assert needle in caught.value.message
    assert caught.value.status == 400 and caught.value.code == "invalid_ssml"


def test_a_billion_laughs_is_refused_without_expanding() -> None:
    lol = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    with pytest.raises(InvalidSsml):
        parse_ssml(lol + "]><speak>&lol9;</speak>")


def test_detection() -> None:
    assert looks_like_ssml("  <speak>hi</speak>")
    assert looks_like_ssml('<?xml version="1.0"?><speak>hi</speak>')
    assert looks_like_ssml("<!DOCTYPE speak><speak>hi</speak>")
    assert not looks_like_ssml("I <3 <speak> tags")
    assert not looks_like_ssml("<speaker> said hi")
