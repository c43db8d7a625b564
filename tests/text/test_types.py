import logging
import re

import pytest

from clarion.text.frontend import TextFrontEnd
from clarion.text.types import Rule, RuleLog


def test_a_rule_that_raises_leaves_its_match_as_written_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    def broken(m: re.Match[str]) -> str:
        if m.group(0) == "4242":
            raise ValueError("unlucky")
        return "<" + m.group(0) + ">"

    log = RuleLog()
    with caplog.at_level(logging.ERROR, logger="clarion.text"):
        out = log.apply(Rule("test.numbers", re.compile(r"[0-9]+"), broken), "12 4242 14")
    assert out == "<12> 4242 <14>"  # the other matches are still read
    assert log.rules == ["test.numbers"]
    [record] = caplog.records
    assert "test.numbers" in record.getMessage() and "ValueError" in record.getMessage()
    assert "4242" not in record.getMessage()  # request text is private: the log names the rule


def test_the_front_end_reads_decimal_ranges_that_used_to_raise() -> None:
    # "1.25-30" raised ValueError in the range rule; through the route a user calls it is read.
    assert TextFrontEnd().process("The odds were 1.25-30 today.").text == (
        "The odds were one point two five to thirty today."
    )
