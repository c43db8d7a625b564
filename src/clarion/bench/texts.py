"""Text sets the bench sends: built-in short, medium and long texts in English and Mandarin,
or the user's own file (one text per line)."""

from __future__ import annotations

from pathlib import Path

from clarion.bench.errors import BenchError

SIZES = ("short", "medium", "long")
LANGUAGES = ("en", "zh")

# Short texts are under 20 characters: what a voice assistant or a UI prompt says.
# Medium texts are one or two sentences; long texts are a paragraph of several sentences,
# which a sentence-streaming server can start speaking well before it has synthesised all.
BUILTIN: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "short": (
            "Hello there.",
            "Good morning!",
            "Your order shipped.",
            "Turn left ahead.",
            "See you at nine.",
            "Thanks for calling.",
            "Doors are closing.",
            "Battery is low.",
        ),
        "medium": (
            "The meeting has moved to Thursday afternoon, so please bring the updated budget figures.",
            "Light rain is expected this evening, clearing from the west before sunrise tomorrow.",
            "Your parcel left our warehouse this morning and should arrive within three working days.",
            "At the next roundabout, take the second exit and continue for about two miles.",
            "All of our advisers are busy right now. Please stay on the line and we will answer soon.",
            "The museum opens at ten. Guided tours of the new gallery start every half hour.",
        ),
        "long": (
            "Good evening, and welcome to the late bulletin. Heavy snow closed two mountain passes "
            "this afternoon, and road crews expect them to stay shut until at least midday tomorrow. "
            "Drivers heading north are asked to use the coastal route instead, which adds roughly "
            "forty minutes to the journey. In the city, the council approved a plan to plant six "
            "thousand trees along the main avenues over the next five years. Supporters say the "
            "shade will cool the streets in summer; critics worry about the cost of watering them. "
            "Finally, the local football club won its third match in a row, lifting it to fourth "
            "place in the league with eight games left to play.",
            "Before you begin the installation, make sure the device is switched off and unplugged. "
            "Remove the back cover by pressing both clips at the same time and sliding it gently "
            "towards you. Insert the new battery with the label facing up, then replace the cover "
            "until you hear a click. Hold the power button for three seconds to turn the device on. "
            "The screen will show a short welcome message, followed by a prompt to choose your "
            "language. If nothing happens, check that the battery is seated correctly and try again. "
            "Should the problem persist, contact our support team with the serial number printed "
            "inside the cover.",
            "The old lighthouse stands at the end of a narrow spit of land, a short walk from the "
            "harbour. It was built more than a century ago to guide fishing boats through the rocks "
            "at the mouth of the bay. Today the lamp is automatic, and the keeper's cottage has "
            "become a small museum. Visitors can climb the spiral staircase to the gallery, where on "
            "a clear day the view reaches the islands twenty miles offshore. The museum is open every "
            "day from April to October, and at weekends during the winter months. Entry is free, "
            "although donations help to pay for the upkeep of the building.",
        ),
    },
    "zh": {
        "short": (
            "你好。",
            "早上好！",
            "请稍等一下。",
            "会议改到明天。",
            "前方路口左转。",
            "电量不足。",
            "谢谢你的来电。",
            "列车即将进站。",
        ),
        "medium": (
            "会议改到星期四下午举行，请大家提前准备好最新的预算数据。",
            "今晚有小雨，明天早上雨势减弱，气温略有回升。",
            "您的包裹已经从仓库发出，预计三个工作日内送达。",
            "在下一个环岛走第二个出口，然后沿着大路继续行驶大约三公里。",
            "目前所有客服人员都在忙，请不要挂机，我们会尽快为您服务。",
            "博物馆上午十点开门，新展厅的讲解每半小时开始一次。",
        ),
        "long": (
            "各位听众晚上好，欢迎收听晚间新闻。今天下午的大雪导致两条山区公路暂时封闭，"
            "养护人员预计最早要到明天中午才能恢复通行。前往北部的司机请改走沿海公路，"
            "全程大约会多花四十分钟。市议会今天通过了一项计划，将在未来五年内沿主要街道种植六千棵树。"
            "支持者认为树荫能让夏天的街道更加凉爽，反对者则担心日常浇水的费用。"
            "最后是体育消息，本地足球队取得三连胜，目前在联赛中排名第四，还剩八场比赛。",
            "开始安装之前，请确认设备已经关机并拔掉电源。同时按下两侧的卡扣，轻轻向外推开后盖。"
            "将新电池标签朝上放入电池仓，然后装回后盖，听到咔嗒一声即表示安装到位。"
            "长按电源键三秒钟即可开机，屏幕会先显示欢迎信息，接着提示您选择语言。"
            "如果没有任何反应，请检查电池是否放好，然后再试一次。"
            "如果问题依然存在，请记下后盖内侧的序列号，并联系我们的客服团队。",
            "老灯塔矗立在一条狭长沙嘴的尽头，从港口步行过去只需要几分钟。"
            "它建于一百多年前，用来引导渔船穿过海湾入口处的礁石。如今灯光已经实现自动控制，"
            "守塔人的小屋也改成了一座小型博物馆。游客可以沿着螺旋楼梯登上瞭望台，"
            "天气晴朗的时候，能一直望到三十公里外的海岛。博物馆四月到十月每天开放，"
            "冬季只在周末开放。参观免费，但游客的捐款会用来维护这座古老的建筑。",
        ),
    },
}


def builtin(name: str, lang: str) -> list[str]:
    """A built-in set: 'short', 'medium', 'long', or 'builtin' for all three interleaved
    (short, medium, long, short, ...) so every size shows up early in a run."""
    if lang not in BUILTIN:
        raise BenchError(f"no built-in texts in language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    sets = BUILTIN[lang]
    if name in sets:
        return list(sets[name])
    if name != "builtin":
        raise BenchError(f"unknown built-in text set {name!r}; choose builtin, {', '.join(SIZES)}")
    longest = max(len(v) for v in sets.values())
    return [sets[s][i] for i in range(longest) for s in SIZES if i < len(sets[s])]


def load_texts(spec: str, lang: str = "en") -> list[str]:
    """``spec`` is a built-in set name or the path of a UTF-8 file with one text per line
    (blank lines and lines starting with '#' are skipped)."""
    if spec == "builtin" or spec in SIZES:
        return builtin(spec, lang)
    path = Path(spec)
    if not path.is_file():
        raise BenchError(
            f"--texts {spec!r} is neither a built-in set (builtin, {', '.join(SIZES)}) nor a file"
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise BenchError(f"cannot read texts from {path}: {e}") from e
    texts = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not texts:
        raise BenchError(f"{path} holds no texts (one per line; blank and '#' lines are skipped)")
    return texts
