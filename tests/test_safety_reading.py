"""How the safety reader takes what residents write: conjugation, kana, dialect, English,
negation, quotes, past events and figures of speech."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from flows import safety
from flows.safety import rules
from flows.safety.features import features
from flows.text import analyse, voicing


def level(text: str) -> str | None:
    alarm = safety.check(text)
    return alarm.level if alarm else None


def kind(text: str) -> str | None:
    alarm = safety.check(text)
    return alarm.kind if alarm and alarm.level in ("emergency", "possible") else None


def kinds_shown(text: str) -> tuple[str, ...]:
    """The kinds whose numbers the answer shows, at once or with the question."""
    alarm = safety.check(text)
    return alarm.kinds if alarm and alarm.level in ("emergency", "possible") else ()


def kinds_the_rules_raise(text: str) -> list[str]:
    """The kinds the rules themselves alarm for, not softened to a note: what no retraining
    of the model can take away."""
    return [hit.kind for hit in rules.hits(analyse(text)) if hit.tier != "concern"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("母が倒れて動かない", "medical"),
        ("はははがたおれてうごかない", "medical"),  # kana only, as typed without converting
        ("ﾊﾊｶﾞ ﾀｵﾚﾃ ｳｺﾞｶﾅｲ", "medical"),  # half-width katakana
        ("おかんが倒れてもうて動かへん", "medical"),  # Kansai
        ("ばあちゃんが息しとらん", "medical"),  # western dialect negation
        ("動かない、母が、倒れて", "medical"),  # word order
        ("顔の片方がゆがんで、ろれつが回らない", "medical"),  # signs of a stroke
        ("胸がしめつけられるように痛い", "medical"),
        ("もう死にたい", "suicide"),
        ("いなくなりたい", "suicide"),
        ("生きていたくない", "suicide"),
        ("包丁を持った男が家にいる", "violence"),
        ("夫に殴られた", "violence"),
        ("ガス臭い", "gas"),
        ("台所から火が出た", "fire"),
        ("My father fell down and is not moving", "medical"),
        ("he isn't breathing", "medical"),
        ("I want to die", "suicide"),
        ("I don't want to live anymore", "suicide"),
        ("my husband hits me", "violence"),
    ],
)
def test_an_emergency_is_read_however_it_is_written(text: str, expected: str) -> None:
    assert kind(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "死にたいとは思わない",  # negation of the thought
        "死にたいわけじゃないけど、疲れた",
        "死にたくないから健康診断に行く",  # a wish not to
        "I'm not suicidal, just lonely",
        "I don't want to die alone without anyone noticing, so I'd like the watch-over",
    ],
)
def test_a_negated_danger_gives_no_numbers(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "ドラマで「死にたい」って言ってた",  # a quote from fiction
        "救命講習で、倒れている人への声かけを習いました",  # a course
        "もし火事になったらどう逃げればいいですか",  # a hypothetical
        "昔、夫に殴られていましたが、今は平和です",  # long past
        "去年父が脳梗塞で倒れましたが、今は元気です",
        "my mother had a stroke 3 years ago, now she needs help with shopping",
    ],
)
def test_quotes_courses_questions_and_past_events_give_no_numbers(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "死ぬほど笑った",
        "火事場の馬鹿力",
        "家計が火の車です",
        "顔から火が出るほど恥ずかしかった",
        "お尻に火がついて、やっと書類が終わった",
        "肩を叩かれた",
        "this heat is killing me lol",
        "my phone died",
    ],
)
def test_figures_of_speech_give_no_numbers(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "中州で釣りをしていた人が増水で戻れなくなっています",  # stranded by rising water
        "someone swept away in the river near the campsite",
        "屋根の雪が落ちて隣のおじさんが埋まった",  # buried
        "認知症の父が朝からおらん。もう暗くなってきた",  # a missing person who cannot find the way
        "母が浴槽から出られなくなっています",  # stuck in a cooling bath
    ],
)
def test_water_disaster_and_the_missing_raise_an_alarm(text: str) -> None:
    assert level(text) in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "周りの空気に流されて買ってしまった",
        "娘が修学旅行でいない夜は寂しい",
        "car wash with the hose this weekend",
    ],
)
def test_their_look_alikes_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text", ["カラオケしたい", "またお出かけしたいな", "ちょっとだけしたい", "声かけしたい"]
)
def test_a_wish_ending_in_kesitai_is_not_erasing_oneself(text: str) -> None:
    # Folded to hiragana, からおけしたい holds けしたい (消したい): a salon member's wish
    # was given the suicide numbers at once.
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text", ["ホームセンターに行きたい", "母は老人ホームにいます", "ホームセンターにいます"]
)
def test_a_home_centre_or_a_care_home_is_not_a_station_platform(text: str) -> None:
    # ホーム is a platform in 「駅のホームにいる」, and a shop or a care home in these; and
    # 「行きたい」 holds きた (来た), which a rule took for "I have come (to the platform)".
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize("text", ["駅のホームにいます", "ホームから飛び降りたい", "いま屋上に来た"])
def test_a_platform_or_a_roof_is_still_an_alarm(text: str) -> None:
    assert kind(text) == "suicide"


@pytest.mark.parametrize("text", ["自分をけしたい", "もう けしたい", "わたしなんか けしてほしい"])
def test_erasing_oneself_in_kana_is_still_an_alarm(text: str) -> None:
    assert kind(text) == "suicide"


@pytest.mark.parametrize(
    "text",
    [
        "かにさされて かゆい",  # 蚊に刺されて
        "かじが はかどらない",  # 家事
        "かじを てつだって ほしい",
        "かじばの ばかぢからが でた",  # 火事場の馬鹿力, typed in kana
        "まるで かじばの ようです",
        "部屋の電気消したいんだけど、リモコンどこ?",
        "写真のデータを全部消したい",
        "児童虐待防止のオレンジリボンを配っています",
    ],
)
def test_words_that_only_look_like_danger_once_typed_in_kana_give_no_numbers(text: str) -> None:
    # Older residents type in kana only: folded, わたしのうち holds しのう (死のう), かじ is
    # housework as often as a fire, and か before にさされた is a mosquito.
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "わたしのうちに きてください",  # 私の家: わたし + のう
        "はしのうえで ゆうひを みてます",  # 橋の上
        "スマホなしでは いきていけない",  # 生きていけない read as 息 + not
        # Not about now, in kana: a dream, last year, a course (ゆめ, きょねん, こうしゅう).
        "かいだんから おちる ゆめを みた",
        "きょねん きゃたつから おちて あたまを うったけど いじょうなし",
        "きゅうめいこうしゅうで のどに つまったときの たいしょほうを ならった",
    ],
)
def test_a_kana_word_that_holds_a_danger_does_not_give_the_numbers_at_once(text: str) -> None:
    # They were certain alarms (the numbers, an urgent ticket, the team alerted); what is left is
    # at most the question "do you need help now?".
    assert level(text) != "emergency"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("もう しのう", "suicide"),
        ("しのうかな", "suicide"),
        ("自分を消したい", "suicide"),
        ("この世から消したい", "suicide"),
        ("私なんか消してほしい", "suicide"),
        ("だれかに さされた", "violence"),
        ("ばあちゃん いきしとらん", "medical"),
        ("おじいちゃんが いきしてないみたい", "medical"),
        ("となりが かじ", "fire"),
    ],
)
def test_the_same_words_in_danger_still_raise_the_alarm(text: str, expected: str) -> None:
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and alarm.kind == expected


@pytest.mark.parametrize(
    "text",
    [
        "すとーぶ つけて ねた。みんな あたま いたい",
        "煙突が雪で詰まってるみたいで、父がぐったりしてる",
        "camping in the van, the exhaust got buried overnight and my partner is confused",
        "the heater was on all night and we all feel sick and dizzy",
    ],
)
def test_fumes_told_by_their_source_and_signs_get_the_gas_advice(text: str) -> None:
    # Carbon monoxide is rarely named: a heater, a flue or an exhaust, and what it does.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and "gas" in alarm.kinds


@pytest.mark.parametrize(
    "text", ["ストーブの前でうとうとしてた", "ストーブが壊れて寒い", "煙突掃除の業者さんを頼みたい"]
)
def test_a_heater_on_an_ordinary_day_raises_nothing(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    ["兄がまた母さん叩いとる", "息子がおばあちゃんに手ぇ上げよる", "my uncle is hitting nan again"],
)
def test_an_older_relative_hit_by_family_is_elder_abuse(text: str) -> None:
    # Its answer names the council's line for abuse of an older person beside 110.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and "elder_abuse" in alarm.kinds


@pytest.mark.parametrize(
    "text",
    [
        "緊急です",
        "至急対応お願いします。助けが必要です",
        "5歳の息子がショッピングモールで見当たらない。30分探してる",
        "my son is missing at the mall, 5 years old, we searched 30 minutes",
        "can't find my 6 year old at the beach, it's been an hour",
    ],
)
def test_a_bare_cry_or_a_missing_child_is_asked_about_at_least(text: str) -> None:
    assert level(text) in ("emergency", "possible")


@pytest.mark.parametrize(
    "text", ["パソコンのことで助けてほしい", "至急、サロンの場所を教えてください"]
)
def test_an_everyday_request_for_help_raises_no_alarm(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I'm stuck in the elevator and can't get out", "distress"),
        ("my son is missing since this morning", "distress"),
    ],
)
def test_a_rule_reads_an_english_word_in_the_middle_of_a_sentence(text: str, kind: str) -> None:
    # Folded, "my son is missing" is MySonIsMissing: a pattern's word must start at a capital,
    # not after no letter at all, or it only ever matched a clause's first word.
    assert kind in [hit.kind for hit in rules.hits(analyse(text))]


def test_a_figure_of_speech_does_not_hide_a_real_alarm_beside_it() -> None:
    assert kind("死ぬほど笑ったけど、今は死にたい") == "suicide"


def test_several_kinds_at_once_name_the_most_pressing_and_keep_the_rest() -> None:
    alarm = safety.check("夫に殴られて、もう死にたい")
    assert alarm is not None and alarm.level == "emergency"
    assert alarm.kind == "suicide" and "violence" in alarm.kinds


def test_a_very_long_message_is_read_whole() -> None:
    assert kind("あ" * 2990 + "しにたい") == "suicide"


@pytest.mark.parametrize(
    "text", ["123119", "家族コードは 110945 です", "090-1110-1190に電話ください", "0465-00-1190"]
)
def test_a_code_or_phone_number_holding_119_or_110_raises_nothing(text: str) -> None:
    assert level(text) is None


def test_an_emergency_number_on_its_own_asks() -> None:
    assert level("119") == "possible"


# How a consultation begins: a worry about family, not an emergency. Asking these people
# "do you need help right now?" would frighten them and teach them to ignore the question.
@pytest.mark.parametrize(
    "text",
    [
        "母が一人暮らしで、",
        "叔父が一人暮らしです",
        "祖父がひとりで住んでいて、",
        "My uncle lives alone and",
    ],
)
def test_the_start_of_an_ordinary_worry_raises_nothing(text: str) -> None:
    assert level(text) is None


@pytest.mark.parametrize("text", ["", "   ", "👍😀", "スタンプ", "ok"])
def test_empty_and_odd_messages_raise_nothing(text: str) -> None:
    assert level(text) is None


def test_words_carry_their_negation_and_wish() -> None:
    words = {w.lemma: w for w in analyse("母がたおれてうごかない").words}
    assert "倒れる" in words and not words["倒れる"].negated
    assert words["動く"].negated
    (wish,) = analyse("死にたくない").words
    assert (wish.lemma, wish.chain) == ("死ぬ", ("たい", "ない"))
    english = {w.lemma: w for w in analyse("he isn't breathing").words}
    assert english["breathing"].negated
    # "Unable to" negates as "not able to" does.
    unable = {w.lemma: w for w in analyse("he is unable to grip his fork").words}
    assert unable["grip"].negated and not unable["fork"].negated


def test_a_space_between_kana_words_keeps_the_negation_with_its_word() -> None:
    # As older residents type in kana: a space after each word, the auxiliary on its own.
    words = {w.lemma: w for w in analyse("おかあさん いきを して いません").words}
    assert words["為る"].negated
    assert level("おかあさん いきを して いません") == "emergency"
    assert level("となりの おばあちゃん よんでも へんじ しない") == "emergency"
    assert level("しにたい とは おもわない") is None


def test_a_noun_followed_by_nashi_is_negated() -> None:
    # 意識なし, as a carer or a family member writes it in a hurry: "no consciousness".
    words = {w.lemma: w for w in analyse("母、意識なし。家。").words}
    assert words["意識"].negated
    assert level("母、意識なし。家。") == "emergency"
    assert level("父 反応なし") == "emergency"
    assert level("検査の結果、異常なし") is None


def test_kansai_shimatta_after_te_is_not_a_song() -> None:
    # 食べてもうた, 飲んでもた: Kansai for 食べてしまった. The dictionary read もう + 歌 (a song),
    # which the rules took for fiction and the verb lost its past.
    lemmas = {w.lemma: w for w in analyse("孫が薬を何個か食べてもうた").words}
    assert "歌" not in lemmas
    assert lemmas["食べる"].chain == ("た",)
    assert "歌" in {w.lemma for w in analyse("みんなで歌をうたった").words}


@pytest.mark.parametrize(
    ("text", "noun"),
    [("あたまいたい はきけ", "頭"), ("のどはれてる", "喉"), ("かおゆがんでる", "顔")],
)
def test_a_kana_noun_typed_without_its_particle_stays_a_word(text: str, noun: str) -> None:
    # The dictionary cuts あたまいたい into あ|たまい|たい ("may it please"); a resident who
    # types in kana without particles means 頭 + 痛い.
    assert noun in {w.lemma for w in analyse(text).words}
    assert kind(text) == "medical"
    assert "明日" in {w.lemma for w in analyse("あしたいく").words}  # not 足 + …


@pytest.mark.parametrize(
    "text",
    [
        "じいちゃん、田んぼの畦でマムシにかまれたち。指が腫れてきた",
        "my dad got bitten by a snake in the garden, his hand is swelling",
    ],
)
def test_a_snake_bite_is_an_injury_not_an_assault(text: str) -> None:
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency"
    assert alarm.kinds == ("medical",)


@pytest.mark.parametrize(
    "text",
    [
        "boat engine dead. drifting out. 3 of us",
        "おとうが漁に出たまんま戻らんのよ。無線も通じん。海はもう荒れてきとる",
        "My husband, who has dementia, left the house at 5 this morning. It is noon and cold.",
    ],
)
def test_a_boat_adrift_or_an_older_person_gone_for_hours_is_asked_about(text: str) -> None:
    assert kind(text) == "distress"


def test_cleaners_mixed_with_a_cough_get_the_gas_advice_and_a_warning_does_not() -> None:
    alarm = safety.check("漂白剤とトイレの洗剤を混ぜてしまって、咳が止まらない")
    assert alarm is not None and alarm.level == "emergency" and "gas" in alarm.kinds
    assert level("漂白剤と洗剤を混ぜないでね、咳が出るから") not in ("emergency", "possible")
    assert level("Never mix bleach with toilet cleaner, it makes you cough") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "車の中に赤ちゃん置いたまま、親がパチンコ行っとる。車ん中、もう暑うなっとる",
            "child_abuse",
        ),
        ("睡眠薬をためとったのをいま全部出したところです", "suicide"),
        ("野焼きの火が燃え広がって、家の方に来よる", "fire"),
        ("the grass on the hill is going up, it's jumping toward the houses", "fire"),
        ("むすめが たたく いえに かえりたくない", "elder_abuse"),
        ("夫に殴られてる 78歳です もう体がもたない", "elder_abuse"),
        ("弟がまたお父さんに蹴られてる、わたしじゃ止められない", "child_abuse"),
        ("my husband is 88, very drowsy, and I cannot rouse him", "medical"),
        ("stepdad is drunk and hitting me again", "child_abuse"),  # a child's own words
    ],
)
def test_the_kind_is_named_as_the_writer_means_it(text: str, expected: str) -> None:
    # Each kind brings its own numbers: a child left in a car, the council's line for an older
    # person hit by family, an overdose planned.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The kerosene heater tipped over and the rug's alight", "fire"),
        ("主人の寝たばこで布団がくすぶって、部屋が煙だらけです", "fire"),
        ("階段室に都市ガスと思われる強い臭気があります", "gas"),
        ("トイレそうじで せんざい まぜた めが いたい", "gas"),
        ("Car stuck in a drift, engine running for heat, snow is up past the exhaust now", "gas"),
        ("the baby drank some cleaning liquid from under the sink", "medical"),
    ],
)
def test_signs_told_in_everyday_words_name_their_kind(text: str, expected: str) -> None:
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "いつもお世話になっております。先月のサロンでは大変楽しい時間を過ごさせていただきました。"
        "来月の日程についてお聞きしたいことがございます。それと、実はきのうの夜から台所で転んだまま"
        "起き上がれません。お茶の会の会費は来週お持ちします。よろしくお願いいたします。",
        "Good morning and thank you for the lovely newsletter. The photos of the autumn outing "
        "were wonderful. I wanted to ask about the next tea gathering. Also, since last night I "
        "have fallen in the kitchen and cannot get up. I shall bring the membership fee next "
        "week. Kind regards.",
    ],
)
def test_an_emergency_inside_a_long_polite_letter_gets_the_numbers_at_once(text: str) -> None:
    # An older resident's way: greetings and the salon's news first. The classifier, reading
    # the whole letter, held it a look-alike and quieted the rules' certain alarm.
    assert level(text) == "emergency"


def test_a_son_hitting_his_mother_is_not_read_as_child_abuse() -> None:
    alarm = safety.check("my brother is strangling our mum i cant pull him off")
    assert alarm is not None and "child_abuse" not in alarm.kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i drank all my sleeping pills with wine, so sleepy, bye", "suicide"),
        ("my brother says he will hang himself tonight, he locked the shed", "suicide"),
        ("she wrote that tonight she will end everything and now her phone is off", "suicide"),
        ("かいごにつかれた母が「父さんと一緒に逝く」と言って電話を切った", "suicide"),
        ("じいちゃんが畑で転んで頭から血が出とる", "medical"),
        ("grandma's lips are turning blue and she is gasping", "medical"),
        ("妹が母の彼氏に殴られて、いま泣いてる", "child_abuse"),
        ("兄嫁がばっちゃのストーブを取り上げた。ばっちゃ震えとる", "elder_abuse"),
        ("上の部屋から怒鳴り声と物を壊す音、女の人が「やめて」って叫んでる", "violence"),
        ("叔母の家のエアコンが壊れてて、今日は37度、叔母は頭がぼーっとして立てんって", "medical"),
    ],
)
def test_emergencies_said_in_words_no_rule_had_met_name_their_kind(
    text: str, expected: str
) -> None:
    # Misses of the twelfth fresh author (December 2026), written again in other words: an
    # overdose "drunk", a hanging and an ending said by someone else, a carer's 一緒に逝く,
    # bleeding from the head, a grandchild hit, warmth taken from an older person, a fight
    # heard through the ceiling, heat told by a broken cooler and the day's temperature.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "this commute is gonna kill me, an hour on the bypass again",
        "孫の「だいすき」に胸がキュンとして死にそうやった",
        "my daughter does judo and has bruises on her arms, she loves it",
        "頭が痛くなるほど悩んだけど、結局いつものカレーにした",
    ],
)
def test_figures_of_speech_and_sport_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_someone_unreachable_after_clearing_snow_from_the_roof_is_asked_about() -> None:
    text = "父と朝から連絡がとれません。昨日「屋根の雪下ろしをする」と言っていました"
    assert level(text) in ("emergency", "possible")


def test_an_english_word_is_found_inside_a_sentence() -> None:
    # A rule bounded as a word ("…me", not "…meal") finds it mid-sentence, where folding took
    # the spaces out, not only at a clause's edge: certain, not only asked about.
    alarm = safety.check("he kicked me in the stomach")
    assert alarm is not None and (alarm.kind, alarm.level) == ("violence", "emergency")


def test_english_word_edges_survive_folding() -> None:
    (clause,) = analyse("He kicked me, don't").clauses[:1]
    assert clause.marked == "HeKickedMe" and clause.folded == "hekickedme"
    assert analyse("don't go").clauses[0].marked == "DontGo"  # one word, not don and t
    # Japanese is not marked; a Latin word inside it is.
    assert analyse("ママがDVを受けてる").clauses[0].marked.startswith("ままがDvを")


def test_words_of_one_meaning_share_a_feature_the_model_can_learn() -> None:
    # Sudachi's synonym groups: 息 and 呼吸 (breath), negated alike, are one sign to the model,
    # so a word one author wrote is known when another writes its synonym.
    def groups(text: str) -> set[str]:
        return {f for f in features(analyse(text)) if f.startswith("g:")}

    shared = groups("母が息をしていない") & groups("母が呼吸をしていない")
    assert any(feature.endswith("~") for feature in shared)  # the negated breath
    assert not groups("母が息をしていない") & groups("母がご飯を食べた") - groups("母")


def test_the_model_quiets_only_rules_that_rang_on_a_look_alike_in_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The classifier has seen no snow-blocked exhaust and may hold this "nothing" all but
    # surely (0.99 when the rule was new); the rule never rang on a look-alike, so it is
    # softened into the question, not silenced. Had the rule rung on look-alikes, the model
    # would quiet it into a note. The model's reading is fixed here, so that a retrained
    # model's doubt does not decide the test.
    from flows.safety import model

    text = "Car stuck in a drift, engine running for heat, snow is up past the exhaust now"
    monkeypatch.setattr(model, "probabilities", lambda *_: {"none": 0.999, "gas": 0.001})
    safety._check.cache_clear()
    try:
        alarm = safety.check(text)
    finally:
        safety._check.cache_clear()
    assert alarm is not None and alarm.level == "possible" and "gas" in alarm.kinds
    (hit,) = [hit for hit in rules.hits(analyse(text)) if hit.kind == "gas"]
    loaded = model._model()
    assert loaded is not None and hit.rule not in loaded.rung_on_lookalikes
    wrong_before = loaded.rung_on_lookalikes | {hit.rule}
    assert _level_if_only_these_rang_on_look_alikes(monkeypatch, text, wrong_before) == "concern"


def test_a_rule_written_for_exactly_this_is_not_hidden_behind_a_broader_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two rules of one kind match: a broad one listed first that once rang on a look-alike,
    # and one written for exactly this that never has. The model, however sure of "nothing",
    # softens the alarm into the question; it quiets it only when every rule that matched has
    # rung on a look-alike. The model's reading is fixed, as in the test above.
    text = "the lad next door is kicking his elderly mother in the garden"
    (hit,) = [hit for hit in rules.hits(analyse(text)) if hit.kind == "elder_abuse"]
    assert hit.tier == "certain" and len(hit.rules) >= 2
    assert _level_if_only_these_rang_on_look_alikes(monkeypatch, text, hit.rules[:1]) == "possible"
    assert _level_if_only_these_rang_on_look_alikes(monkeypatch, text, hit.rules) == "concern"


def test_a_look_alikes_rule_beside_an_alarm_does_not_let_the_model_quiet_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two kinds alarm: one from a rule that rang on a look-alike in training, one from a rule
    # that never has. However sure the model is of "nothing", it softens both into the
    # question; it quiets them into a note only when every alarm's rules have rung on a
    # look-alike. (One such alarm used to suffice.) The model's reading is fixed.
    text = "母の家のガスメーターから「ガスが流れ続けています」と通知、母が倒れて返事がない"
    found = rules.hits(analyse(text))
    assert {hit.kind for hit in found} >= {"gas", "medical"}
    (medical,) = [hit for hit in found if hit.kind == "medical"]
    everything = {rule for hit in found for rule in hit.rules}
    assert _level_if_only_these_rang_on_look_alikes(monkeypatch, text, medical.rules) == "possible"
    assert _level_if_only_these_rang_on_look_alikes(monkeypatch, text, everything) == "concern"


def _level_if_only_these_rang_on_look_alikes(
    monkeypatch: pytest.MonkeyPatch, text: str, rung: Iterable[str]
) -> str | None:
    """The level of `text` were `rung` the only rules that rang on a look-alike in training,
    with the model all but sure the message is nothing."""
    from dataclasses import replace

    from flows.safety import model

    loaded = model._model()
    assert loaded is not None
    seen = replace(loaded, rung_on_lookalikes=frozenset(rung))
    monkeypatch.setattr(model, "_model", lambda: seen)
    monkeypatch.setattr(model, "probabilities", lambda *_: {"none": 0.999})
    safety._check.cache_clear()
    try:
        return level(text)
    finally:
        safety._check.cache_clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A check-in answered "fine" out of habit, then what happened: the news is read alone.
        ("はい げんきです。でも けさ ころんで こしを うって たてません", "medical"),
        ("げんき  さっきから みぎてが しびれて うまく しゃべれない", "medical"),
        (
            "yes I'm fine thanks. but my husband just collapsed in the garden and won't answer",
            "medical",
        ),
    ],
)
def test_fine_and_then_the_news_raises_the_alarm(text: str, expected: str) -> None:
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "はい げんきです。いまから こうえんで ラジオたいそう",
        "元気です。先週転んだけど、もう痛くありません",
        "fine thanks, but the salon was closed today",
    ],
)
def test_fine_and_then_an_ordinary_day_stays_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Japanese typed in Latin letters, alone or mixed with English.
        ("otto ga taoreta. iki shitenai. tasukete", "medical"),
        ("Kaji desu! tonari no ie kara hi ga deteru", "fire"),
        ("obaachan ga kaidan kara ochita, she can't stand up, atama kara chi ga deteru", "medical"),
    ],
)
def test_japanese_typed_in_latin_letters_is_read_as_japanese(text: str, expected: str) -> None:
    assert expected in kinds_shown(text)


def test_only_japanese_in_latin_letters_is_read_in_kana() -> None:
    assert "動く" in {word.lemma for word in analyse("otto ga ugokanai").words}
    # English with no Japanese particle in it stays English, whatever its syllables.
    english = analyse("he made a cake, so we ate it at home")
    assert all(word.lemma.isascii() for word in english.words)
    # Only the Japanese words of a mixed message are read in kana ("fell" is not フェル).
    mixed = {word.lemma for word in analyse("ojiichan fell, atama kara chi ga deteru").words}
    assert "頭" in mixed and "fall" in mixed and "フェル" not in mixed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("隣のおじいさんが本棚の下敷きになって動けない", "medical"),
        ("新聞配達です。お宅の中から「助けて」と小さく聞こえます。鍵がかかっています", "medical"),
        ("父は糖尿で、さっきから汗びっしょりで手が震えて話がおかしい", "medical"),
        ("dad's oximeter says 83 and he can't finish a sentence", "medical"),
        ("納屋の梁にロープがかけてあって、兄の姿が見えない", "suicide"),
        ("my flatmate is on the other side of the balcony railing, 9th floor", "suicide"),
        ("孫が嫁に叩かれてる。泣き声がやまない", "child_abuse"),
        ("heard a gunshot next door and then a woman screaming", "violence"),
        ("ODして吐いてる、30錠くらい飲んだって", "suicide"),
    ],
)
def test_emergencies_of_the_thirteenth_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Misses of the thirteenth fresh author (December 2026), written again in other words:
    # pinned under furniture, a call for help behind a locked door, low blood sugar, an
    # oximeter's reading, a rope over a beam, someone outside a railing, a grandchild hit, a
    # gunshot and a scream, an overdose called OD. The numbers at once, not only the question.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and expected in alarm.kinds


def test_the_question_names_a_second_kind_only_when_the_model_holds_it_nearly_as_likely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No rule speaks; the model asks. Unsure between two kinds, it shows both kinds' numbers.
    from flows.safety import model

    text = "father 78 sitting up all night, oximeter 84, legs swollen"
    loaded = model._model()
    assert loaded is not None
    nothing = dict.fromkeys(loaded.classes, 0.0)
    readings = {
        "near": {**nothing, "none": 0.2, "elder_abuse": 0.45, "medical": 0.35},
        "far": {**nothing, "none": 0.2, "elder_abuse": 0.7, "medical": 0.1},
    }
    monkeypatch.setattr(rules, "hits", lambda *_: [])
    try:
        for reading, expected in (("near", ("elder_abuse", "medical")), ("far", ("elder_abuse",))):
            monkeypatch.setattr(model, "probabilities", lambda *_, r=reading: readings[r])
            safety._check.cache_clear()
            alarm = safety.check(text)
            assert alarm is not None and (alarm.level, alarm.kinds) == ("possible", expected)
    finally:
        safety._check.cache_clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A word or three of Japanese in Latin letters, too short to carry a particle.
        ("shinitai", "suicide"),
        ("Tasukete!!", "distress"),
        ("ojiichan taoreta", "medical"),
        ("kaji da", "fire"),
        # "haha" beside Japanese words is a mother, not a laugh.
        ("haha ga ugokanai, please help", "medical"),
    ],
)
def test_a_few_words_of_japanese_in_latin_letters_are_read_as_japanese(
    text: str, expected: str
) -> None:
    assert expected in kinds_shown(text)


def test_latin_words_that_are_english_stay_english() -> None:
    # English words of Hepburn syllables are not read as kana on their own.
    assert [word.lemma for word in analyse("sake").words] == ["sake"]
    assert [word.lemma for word in analyse("fire").words] == ["fire"]
    # In a mixed message "no" is both の and English's no: "no hitting" stays a denial.
    words = analyse("tonari no ie, kodomo ga naiteru but no hitting").words
    assert any(word.lemma == "hit" and "ない" in word.chain for word in words)


@pytest.mark.parametrize(
    "text",
    ["help! I can't open this jar lol", "たすけて！ビンのふたが開かない笑"],
)
def test_a_joke_at_the_end_lightens_the_cry_before_it(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_a_joke_does_not_lighten_what_comes_after_it() -> None:
    text = "that show was killer lol. anyway mum just fell and can't get up"
    assert "medical" in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    ["兄に「ゲーム貸さないと殺す」って言われたｗ いつもの", "部長に殺すぞって言われたww まあ冗談"],
)
def test_a_w_after_japanese_ends_its_joke_like_a_laughing_emoji(text: str) -> None:
    # Left inside the sentence, 「言われたw いつもの」 folded to 言われた笑いつもの: 笑い is not
    # a laugh, and the threat was read as meant.
    assert level(text) not in ("emergency", "possible")


def test_a_w_after_japanese_does_not_lighten_the_news_after_it() -> None:
    assert "gas" in kinds_shown(
        "数学の小テスト死んだw てか帰ったら家じゅうガス臭くて母がぼーっとしてる"
    )


def test_a_cramp_is_not_a_limb_gone_weak() -> None:
    assert level("マラソン大会のあと足つって一歩も動けん、帰って風呂入る") not in (
        "emergency",
        "possible",
    )
    assert level("父の右手に急に力が入らなくて箸を落とす") in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("となりの部屋から たすけてって声が きこえる へんじ ない", "medical"),
        (
            "Can hear someone shouting help from the flat upstairs, they don't open the door",
            "medical",
        ),
        ("父が40度の熱で、ここがどこか分からないと言っている", "medical"),
        ("もう限界 このままだと娘を叩いてしまいそう", "child_abuse"),
        ("息子が出かける時に外から鍵をかけていく。ごはんもない", "elder_abuse"),
    ],
)
def test_emergencies_of_the_fourteenth_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Misses of the fourteenth fresh author (December 2026), written again in other words: a
    # weak cry heard through a neighbour's door, a high fever with confusion, a parent at the
    # end of their tether, an older person locked in by the family. The numbers at once.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and expected in alarm.kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The signs at the door of someone living alone: asked, as often they are only away.
        ("一人暮らしの隣のおばあさん、一週間見かけないし玄関から嫌なにおいがする", "medical"),
        ("一人暮らしの父、三日電話に出ないし郵便受けがいっぱい", "medical"),
        # A goodbye after "fine".
        ("fine. you won't need to check on me anymore. thank you for everything", "suicide"),
    ],
)
def test_signs_that_may_be_an_emergency_are_asked_about(text: str, expected: str) -> None:
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "子どもたちが外で雪遊びしてる",
        "電気はつけたまま寝ちゃった",
        "血のにじむような練習でやっと優勝した",
        "去年、隣から助けてって声が聞こえたことがあった",
    ],
)
def test_the_same_words_in_ordinary_days_stay_quiet(text: str) -> None:
    # A child outside is not shut out; まま is not ママ; an idiom; a cry heard long ago.
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text", ["ガスのにおいがする", "プロパンのにおいがします", "がすの においが する"]
)
def test_the_smell_of_gas_is_gas(text: str) -> None:
    # のに ends a clause (来たのに), but cut inside ガスのにおい the smell was read as おい (a
    # nephew) and the message as a possible fire, or as nothing.
    assert "gas" in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A call that said only "help" and broke off, and no answer since.
        (
            "うちの父から電話があって「たすけて」とだけ聞こえて切れた。かけ直しても出ない",
            "distress",
        ),
        # "Fine" said twice out of habit, then the news.
        ("yes fine fine. my chest is so tight i can't catch my breath", "medical"),
        # 家の子 is one word to the dictionary, and a child.
        ("隣の家の子がベランダに出されて泣いてる、もう一時間", "child_abuse"),
    ],
)
def test_a_cry_on_the_phone_fine_said_twice_and_the_child_of_a_house(
    text: str, expected: str
) -> None:
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Cold, and not getting up; cold, and confused: the body losing heat.
        (
            "my husband's been on the floor since this morning, he can't feel his feet it's so cold",
            "medical",
        ),
        (
            "Grandpa's hands are ice cold and he's slurring and confused, the heating's been off all day",
            "medical",
        ),
        ("近所のおばあさんが水路に落ちて体が冷たい、まだ息はある", "medical"),
        # After a blow to the head; found with blood about the head; bleeding through cloths.
        ("found my neighbour slumped by his gate with blood on his head", "medical"),
        # A month's pills at once.
        ("母が一か月分の薬をいっぺんに飲んでしまった", "medical"),
        ("Mum swallowed her whole month's supply of pills all together", "medical"),
        # The heat, an air conditioner that broke, confusion.
        (
            "it's a heatwave and the air con broke yesterday, grandpa is confused and drowsy",
            "medical",
        ),
        # A fever and not knowing one's own, in Scots.
        ("ma da's burnin up wi fever and disnae recognise us", "medical"),
        # A fire that got away toward the houses; smoke too thick to see through.
        ("田んぼの火が止まらない、家の方まで来てる", "fire"),
        ("the hallway's full of smoke and I can't see through it", "fire"),
        # Threatened by family for telling, and "fine" said where they may be listening.
        ("my nephew said if I tell the social worker he will lock me in", "elder_abuse"),
        (
            "My son-in-law is in the next room. He said if I tell you he'll lock me in the shed."
            " I'm fine. Please come.",
            "elder_abuse",
        ),
    ],
)
def test_emergencies_of_the_fifteenth_author_kinds_in_other_words(text: str, expected: str) -> None:
    # Misses of the fifteenth fresh author (December 2026: learners of Japanese, voice input,
    # Kansai, Ibaraki, Niigata, Scots, Caribbean English), written again in other words. The
    # numbers at once.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and expected in alarm.kinds


def test_news_after_a_sentence_about_the_past_is_read_as_now() -> None:
    # Read whole, a short message was all past for one sentence about last week; a sentence
    # that turns to now (just, さっき) is read on its own. One that does not stays in the past.
    assert level("Her insulin ran out last week. She just collapsed in the kitchen") == "emergency"
    assert level("Dad had a stroke last year. Now he can't move his right arm well") == "concern"


@pytest.mark.parametrize(
    "text",
    [
        "How do I get rid of the slugs eating my lettuce, can I kill them with salt?",
        "We nearly killed ourselves laughing at the best man's speech",
        "Mum's pension book needs renewing, where do I go?",
        "病院で血をたくさん取られて疲れた",
        "古い薬は全部捨てました",
        "一酸化炭素の警報器の電池を替えた",
        "My knees have been hurting for an hour after the walk, dad says rest",
    ],
)
def test_pests_laughter_a_pension_book_and_a_blood_test_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_the_days_pills_taken_are_no_overdose_and_a_months_at_once_is() -> None:
    # "All my pills" is the commonest check-in answer about medicine: asked at most when it
    # says which (the morning's, today's), never the numbers at once; a month's at once, or
    # every sleeping tablet swallowed, is an emergency.
    assert level("朝の薬、ちゃんと全部飲みました") not in ("emergency", "possible")
    assert level("yes I took all my tablets today with breakfast") != "emergency"
    assert level("母が一か月分の薬をまとめて飲んだ") == "emergency"
    assert level("he swallowed all his sleeping tablets an hour ago") == "emergency"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Holding the chest, grey and sweating, with no word of pain.
        ("on the phone mum was clutching her chest and looked ashen and clammy", "medical"),
        ("父が胸をおさえて冷や汗をかいてる", "medical"),
        # A blow to the head, then seeing double; asking the same thing over and being sick.
        ("fell off the step and hit my head, now everything looks double", "medical"),
        ("祖父がさっきから同じことを何回も聞いてきて、吐いてしまった", "medical"),
        # A seizure told as "fitting", and shaking that will not stop.
        ("my brother's been fitting for five minutes, it won't stop", "medical"),
        ("grandad is shaking all over on the floor and won't answer", "medical"),
        # Low blood sugar in an Australian's words; a week's pills at once.
        ("my sugars have crashed, I'm all shaky and sweaty and can't think", "medical"),
        ("dad swallowed a fortnight's tablets in one go, he's drowsy", "medical"),
        # A home full of smoke; a heater that caught the curtains; a pot boiled dry.
        ("the flat upstairs is filled with smoke and nobody is answering", "fire"),
        ("my oil heater caught the curtains, I got out", "fire"),
        ("鍋を空焚きして台所が煙で充満、母がぐったりしている", "fire"),
        # A whiff of gas; a note saying sorry beside pills; a poison about to be drunk.
        ("there's a whiff of gas in the hallway and I feel woozy", "gas"),
        ("he left a note saying sorry to everyone and his tablets are gone", "suicide"),
        ("my aunt says she is going to drink the weedkiller", "suicide"),
        # A farewell: thanks for everything, and where the papers are.
        (
            "Mum texted thanking me for everything and telling me where her insurance papers are",
            "suicide",
        ),
        # A son's threat to finish his mother; a son beating his father.
        ("my son said he would finish me off tonight", "elder_abuse"),
        ("the lad next door is kicking his elderly mother in the garden", "elder_abuse"),
        ("息子が来て、また叩かれた", "elder_abuse"),
        # Many sleeping pills swallowed: the hotline's numbers too.
        ("my roommate swallowed lots of sleeping pills and won't wake up", "suicide"),
    ],
)
def test_emergencies_of_the_sixteenth_author_kinds_in_other_words(text: str, expected: str) -> None:
    # Misses of the sixteenth fresh author (December 2026: Tohoku dialect, young carers,
    # family abroad, Australian and Pacific English, interns' English), written again in
    # other words. The numbers at once.
    alarm = safety.check(text)
    assert alarm is not None and alarm.level == "emergency" and expected in alarm.kinds


def test_asking_for_the_number_does_not_make_what_was_told_before_it_hypothetical() -> None:
    # Read whole, a question about the number spoke for the message, as in "What number do
    # I call if he collapses?". What was told before the question is read on its own too.
    told = "Smoke pouring out of the flat downstairs!! Old Mr Sato is in there. What's the number?"
    assert level(told) == "emergency"
    assert level("My mum has fits. She doesn't know the emergency number. She's fitting now") == (
        "emergency"
    )
    assert level("What number do I call if my husband collapses?") not in ("emergency",)


@pytest.mark.parametrize(
    "text",
    [
        "all good! burnt the toast, smoke alarm went off, windows open now",
        "はい げんき〜 きょうは さんぽして おわり。ばんごはんは カレー",
        "the new dress fits her now",
        "he has a headache from the paperwork, what a headache this form is",
        "my wife says she'll kill me if I go up the ladder again",
        "im gonna kill my sister she drank my bubble tea",
        "filled the pill organiser for the whole week in one go",
    ],
)
def test_the_sixteenth_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_fine_said_out_of_habit_then_the_news() -> None:
    # "all good", "I'm fine", 「元気ですよ〜」 open a check-in answer as 「はい げんき」 does:
    # the news after them is read on its own.
    assert level("all good. my husband fell and can't get up") == "emergency"
    assert level("元気ですよ〜 となりの子が「やめて」って泣き叫んでる、ドンって音も今してる") == (
        "emergency"
    )
    # The resident's own "he insists he's fine" is not the writer's reassurance.
    assert level("父が転んで血が止まらない。本人は大丈夫だと言い張っている") == "emergency"


def test_the_signs_at_a_door_are_asked_about() -> None:
    # A TV left on is a sign at a door, not a show; the light on and the papers piling up.
    assert level("the man in 3 hasn't answered for days and his TV is still on loud") in (
        "possible",
        "emergency",
    )
    assert level("近所のおばあちゃん、電気がつけっぱなしで新聞も三日分たまってる") in (
        "possible",
        "emergency",
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("けむりか すこい", "fire"),
        ("ケムリカ スコイ", "fire"),
        ("くすり せんふ のんてしまつた", "suicide"),
        # Some marks typed, others not.
        ("みちで すへって うこけない つめたい", "medical"),
        ("だんなが なくる けるする いたい たすけて", "violence"),
    ],
)
def test_kana_typed_without_voicing_marks_is_asked_about(text: str, kind: str) -> None:
    # 「けむりが すごい」 typed by someone who never reaches the dakuten key.
    alarm = safety.check(text)
    assert alarm is not None and kind in alarm.kinds
    assert alarm.level == "possible"


def test_marks_put_back_by_guess_never_give_the_numbers_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Whatever the restored text says, the marks were a guess (かし is 菓子 and 火事).
    typed = "あいうえお かきくけこ"
    assert safety.check(typed) is None
    monkeypatch.setattr(voicing, "restored", lambda text: "いえが もえてる ひが すごい")
    assert level("いえが もえてる ひが すごい") == "emergency"
    assert level(typed) == "possible"


@pytest.mark.parametrize(
    "text",
    [
        "おかし たへた おいしかった",
        "ともたちと からおけ たのしかった",
        "けさは はたけて たいこん ほった",
    ],
)
def test_everyday_kana_without_voicing_marks_stays_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Papers are all in order now and I've swallowed the lot. Sorry love.", "suicide"),
        ("I'm gonna take all the sleeping pills in the drawer tonight", "suicide"),
        ("もう限界です 今夜くるまごと崖から飛び込もうと思う", "suicide"),
        ("じいちゃんが除草剤を飲んだ", "suicide"),
        ("となりの だんなさん なやで ひもが くびに かかってた いま みつけた", "suicide"),
        ("my grandson is foaming at the mouth and won't answer me", "medical"),
        ("孫がくちから泡ふいてる", "medical"),
        ("my toddler might have swallowed a button battery from the scales", "medical"),
        ("her waters just broke and the baby's head is coming, we're in the car", "medical"),
        ("grandad with dementia walked out in his slippers and it's snowing", "medical"),
        ("認知症の夫が夜中にパジャマのまま出ていった、外は雪", "medical"),
        ("the curtains have caught from the candle", "fire"),
        ("cleaning the tank with chemicals, my coworker collapsed inside", "gas"),
        ("工場でアンモニアが漏れて同僚が倒れた", "gas"),
        ("they're stomping on a man outside the station, he's on the ground", "violence"),
        ("the neighbour is holding his son's head under the bath water", "child_abuse"),
        ("mum locked my little sister out in the snow in her pyjamas", "child_abuse"),
        ("toddler grabbed the kettle, boiling water all over his arm", "medical"),
        ("baby's arms are jerking and he won't look at me", "medical"),
    ],
)
def test_emergencies_of_the_seventeenth_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Told after the means (the lot taken, a car into the sea), found hanging, pesticide, foam
    # at the mouth, a button battery, a birth, dementia out in the cold, curtains caught, fumes
    # at work, a beating on the ground, a child held under water or thrown out in the snow.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "キムチ鍋で口の中が火事や",
        "バンジーの動画見て寿命縮んだわ",
        "drowning in paperwork this week, send help",
        "the maths test gave me a heart attack",
        "I nearly jumped out of my skin when the cat knocked the vase",
        "I am going to end it with my landlord, he never fixes anything",
        "株で大損して倒れたわ",
        "火曜サスペンス劇場で犯人が崖から飛び降りた",
        "It's hot today",
        "子どもがボタン電池を飲み込んだら大変なので電池のふたをテープでとめた",
    ],
)
def test_the_seventeenth_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_asking_whom_to_call_about_what_is_happening_since_the_morning() -> None:
    # "…since this morning, where do I call about this?" asks about now, not about "if".
    assert level(
        "母が朝から冷たくなっていて動かないんですが、これはどこに連絡すればいいでしょうか"
    ) == ("emergency")
    assert level("父が倒れたら、どこに連絡すればいいでしょうか") not in ("emergency", "possible")


def test_the_news_after_fine_begins_at_the_first_opening_that_matches() -> None:
    # Both "fine〜" and "fine … but" open this one: the news is the fish and its smoke, not
    # 「窓あけておしまい」 alone, which read as a farewell.
    text = "げんきだよ〜 さんま焼いたら煙すごくて報知器なったけど 窓あけておしまい 晩ごはんはさんま"
    news = rules.news_after_opening(text)
    assert news is not None and news.startswith("さんま焼いたら")
    # Smoke in the kitchen, the window opened and that was the end of it: no question.
    assert (
        level(
            "げんきです〜 かき揚げしてたら煙すごくて警報なったけど 窓あけておしまい 今日はかき揚げ丼"
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my flatmate has been giving away all his belongings and stopped eating", "suicide"),
        ("たかいところから とびおりる もう つかれた", "suicide"),
        ("近所のおばあさんが納屋に置かれて、おむつも替えてもらえない", "elder_abuse"),
        ("うちの父、兄嫁に三日も食べさせてもらえないって", "elder_abuse"),
        ("a man yelling and loud thuds from the flat next door, a woman screaming", "violence"),
        ("the old man's room is smoking and he will not open the door", "fire"),
        ("mi cyaan get up off di floor", "medical"),
    ],
)
def test_warning_signs_the_retrained_model_no_longer_carried(text: str, expected: str) -> None:
    # Each was caught by the model alone until a retraining moved it: giving things away, a
    # high place and "jumping", an older person left in their own mess or not fed for days,
    # screams and thuds from a flat, a room smoking, patois for "can't get up".
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "高いところが苦手で観覧車に乗れない",
        "he gave his old clothes away to the charity shop",
        "the neighbours are smoking on their balcony again",
        "my son was screaming at the match, the drums banging all game",
    ],
)
def test_the_look_alikes_of_those_signs_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "my daughter is autistic and ran out the front door towards the highway 15 mins ago",
            "distress",
        ),
        ("祖母が夕方から帰ってこない、田んぼの水路の方へ歩いていったらしい", "distress"),
        ("隣のじいさん、嫁さんは寝てるって言うけど、もう十日も姿を見てない", "elder_abuse"),
        ("ストーブの火が洗濯物に燃え移った", "fire"),
        ("消火器を使ったけど全然間に合わない、台所です", "fire"),
        ("カセットボンベが破裂した、じいちゃんが顔を押さえてる", "fire"),
        ("こたつに練炭入れてたら、ばあちゃんが気持ち悪いって横になった", "gas"),
        (
            "the guy cleaning the septic tank collapsed and the one who went down after him too",
            "gas",
        ),
        ("kyukyusha kite", "medical"),
        ("dad is having the fit on the kitchen floor", "medical"),
        ("grandpa's chainsaw kicked back, deep gash in his thigh", "medical"),
        ("I coughed up a lot of blood this morning, is that bad", "medical"),
        ("祖母が増水した川に流された", "medical"),
        ("父が牛に蹴られて胸をおさえてうずくまってる", "medical"),
        (
            "fell off the step and I think I've broken my hip, been lying here since lunch",
            "medical",
        ),
        ("田んぼで除草剤をまいてた夫が吐いて震えてる", "medical"),
        ("my coworker got pinned under the forklift, his legs are crushed", "medical"),
        ("I think jumping off the roof of my dorm is the only way now", "suicide"),
        ("夫が「探さないでくれ」と書き置きを残していなくなった", "suicide"),
        ("パパがママのくびしめてる たすけて", "violence"),
        (
            "a stranger grabbed a little boy at the station and is pulling him into a white van",
            "violence",
        ),
        ("おじいさんの家の窓が割られてて、中で人影が動いてる", "violence"),
        ("two men pushed me against the wall at my door and won't leave", "violence"),
    ],
)
def test_emergencies_of_the_eighteenth_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Missing towards a road or a ditch, a family hiding someone unseen, fire caught from one
    # thing to the next or beyond an extinguisher, a canister burst, charcoal and an old bath
    # heater, a septic tank, romaji for the ambulance, work and farm injuries, blood vomited,
    # swept away, a fracture and no getting up, the jump named as the way, "don't look for
    # me", a strangling in kana, an abduction, a break-in, men who will not leave.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "This flu has me feeling like I got hit by a truck",
        "血を吐くような思いで貯めたお金です",
        "夜回りで「火の用心、マッチ一本火事のもと」と言って回るのが楽しみです",
        "明日バルサンをたくので、窓から煙が見えても火事じゃないから通報しないでね",
        "ガス警報器がピッピッと鳴ると思ったら電池切れでした",
        "Is the 'gas leak check' letter from the city real or a scam?",
        "Sorry, my last message was from my son playing with the phone",
        "My father took his medicine this morning and his blood pressure is fine now",
        "近所の子が毎晩お風呂いやいやで泣いてるけど、笑って出てくる",
        "父は畑にいます",
        "隣の畑でトマトがとれた",
        "カセットボンベは高温になると破裂することがあります",
        "激辛カレーで口から火が出た",
        "the bus was hit by a car on the way, we were late",
        "Don't look for me at the party, I'm staying home",
        "I'm on the roof fixing the aerial, thanks for the help earlier",
        "ask the caller to send the money to the bank",
        "庭で焚き火、火出てるけど消火用の水も用意してる",
        "うずくまって泣いてた子がいたので声をかけました",
    ],
)
def test_the_eighteenth_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("granddad caught his shin with the grass cutter, blood spurting everywhere", "medical"),
        ("I'm done. Going to walk out into the sea tonight and never come back", "suicide"),
        ("left a note so someone finds me at the old quarry", "suicide"),
        ("im up on the roof of the library rn, thanks for all the talks", "suicide"),
        ("ストーブが止まってて母が冷え切ってる、うわごとばっかり言う", "medical"),
        ("じっちゃ むね いでぇ いぎでぎね", "medical"),
        ("大雨で裏の土砂が台所に流れ込んだ、じいちゃんが中にいる", "medical"),
    ],
)
def test_signs_the_rules_took_over_when_the_eighteenth_authors_rules_moved_the_model(
    text: str, expected: str
) -> None:
    # Each was caught by the model alone until the new rules retrained it: a grass cutter and
    # blood spurting, walking into the sea and never coming back, "so someone finds me", on a
    # roof thanking them for the talks, cold through and raving, chest and breath in Tōhoku,
    # mud run into the house.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the boy downstairs is screaming and there was a loud bang just now", "child_abuse"),
        ("my friend says her boyfriend is hitting her right now in their flat", "violence"),
        ("he said he will set fire to the house with us in it", "violence"),
        (
            "a caller told my dad to withdraw 2 million yen and hand it to a man at the station",
            "elder_abuse",
        ),
        ("two workers dropped in the sewage pit, the second went down after the first", "gas"),
        ("the flat next door has its windows taped over and a danger sign on the door", "gas"),
        ("車の窓をガムテープで目張りして、中でエンジンがかかってる", "suicide"),
        ("someone just came into my mother's house while she is alone", "violence"),
        (
            "I haven't seen or heard the mother for two days and the baby keeps crying",
            "child_abuse",
        ),
        ("室温計が36度、目が回って水も飲めない", "medical"),
        ("物置で炭おこしてたら父が倒れた、窓のない物置です", "gas"),
        ("母が「このまま寝れば楽に逝ける」と言って雪の中へ出ていった", "suicide"),
    ],
)
def test_signs_the_rules_took_over_when_the_eighteenth_sessions_training_moved_the_model(
    text: str, expected: str
) -> None:
    # Each was caught by the model alone until this session's training lines moved it: a bang
    # and a child screaming, a partner hitting her now, burning a home with people in it, a
    # phone scam under way, a pit that fells the rescuer, windows taped shut beside a sign or
    # an engine, a stranger come in, a baby's mother unseen, a hot room and a spinning head,
    # charcoal in a shed, dying named as ease.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my son fell through the ice on the reservoir, we pulled him out", "medical"),
        ("二階の窓から火出てる、中に人がいるかも", "fire"),
        ("父が畑の隅でうずくまって、胸が痛いと言ったきり", "medical"),
        ("there's a burning smell upstairs and the landing is going hazy", "fire"),
        ("my uncle is waving a cleaver at my aunt, we are hiding", "violence"),
        ("みちに まよった えきの ちかく あしが いたい", "distress"),
    ],
)
def test_signs_the_rules_took_over_after_the_last_retraining(text: str, expected: str) -> None:
    # Through the ice; fire said without が; curled up and saying only "my chest"; a burning
    # smell and haze; a cleaver; lost near the station with sore legs.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("露天風呂でおじいさんが背中を上にして浮いてる", "medical"),
        ("脈がとれない、いま胸を押してます", "medical"),
        ("the lifeguard is doing CPR on a man at the pool", "medical"),
        ("飲み会の帰りに道端で寝てる人がいる、体が冷え切ってて起きない", "medical"),
        ("his toes have gone black and he keeps taking his gloves off", "medical"),
        ("原付が電柱に突っ込んで、運転してた人が倒れたまま動かない", "medical"),
        ("母が浴槽から立てなくなって、もう2時間お湯につかったまま", "medical"),
        ("my uncle cut off two fingers on the table saw", "medical"),
        ("a slab of snow slid off the roof onto grandpa, we're digging with our hands", "medical"),
        ("もしもし、父が倒れて動きません", "medical"),
        ("the hut smells like rotten eggs and two hikers just collapsed", "gas"),
        ("硫黄のにおいがする谷で、連れが倒れた", "gas"),
        ("he's been slicing his wrists in the bathroom, there's blood everywhere", "suicide"),
        ("じいちゃんが除草剤を飲んだ、ばあさんのとこへ行くって", "suicide"),
        ("my flatmate texted he'll lie down in the river and never get up", "suicide"),
        ("a gang is stomping on a guy outside the station, he's not moving", "violence"),
        ("some man is dragging a woman into his van, she's screaming", "violence"),
        ("客が私を倉庫に閉じ込めた、出られない", "violence"),
        ("the kids were left outside all night in the snow", "child_abuse"),
        ("the care worker yelled at grandpa and then I heard a slap", "elder_abuse"),
        ("帰り道がわからなくなった、暗くて寒くて歩けない", "distress"),
        ("認知症の母が「昔の職場に行く」と言って出たまま、雪が降ってきた", "distress"),
        # Japanese in Latin letters beside a few kana, and without a particle.
        ("tonari no heya, kodomo naite iru. 「いたい」 nankai mo", "child_abuse"),
        ("mou shinitai. kusuri zenbu nonda. nemui", "suicide"),
        # A laughing emoji ends the joke, not the news after it.
        (
            "lol the cat knocked the tree over 😂 wait grandma just collapsed, she isn't answering",
            "medical",
        ),
    ],
)
def test_emergencies_of_the_nineteenth_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Floating in a bath, no pulse and CPR under way, lying out in the cold, frostbite and
    # undressing, a crash and the rider down, stuck in the bath for hours, fingers cut off, an
    # avalanche or roof snow, hot-spring gas, cutting, poison and "going to her", lying down
    # never to get up, a beating, an abduction, shut in by a stranger, children left out in
    # the cold, a carer's slap, lost on the way home; もしもし is not もし (if), 昔の職場 not the
    # past; romaji beside kana; the news after a laughing emoji.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "温泉でぷかぷか浮いて最高でした",
        "湯船にアヒルのおもちゃを浮かべて孫と遊んだ",
        "the avalanche course made us dig out a buried backpack",
        "drowning in homework this week",
        "killing it at work today",
        "the boss is gonna kill me if I'm late again 💀",
        "火まつりで山が一面燃えてて感動した",
        "夜勤の怪談、作り話なのに新人が怖がってた",
        "娘がくすぐられて「殺される〜」って笑ってた",
        "もちは喉につまらんごと小さく切っとるけん",
        "ばあちゃん鍵を忘れて家に入れんかったけど、隣の人が開けてくれた",
        "共同浴場で人が倒れたときの連絡の順番を当番表に書いておきます",
        "湯気が火事の煙みたいにもくもく出てて写真映えする",
        "my fingers went white in the cold but they're fine now",
        "玉ねぎで目がしみて、しゃがみこんじゃった",
        "母が書き置きして買い物に出ていった",
        "風呂から出られないほど気持ちいい、何時間でも入っていられる",
        "駅のホームに立っていたら昔の同僚に会って、お茶しました",
    ],
)
def test_the_nineteenth_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("孫が飴を喉に詰まらせたみたい、声が出ない", "medical"),
        ("grandpa was weeding all day, skin hot and dry, confused. necchuushou I think", "medical"),
        ("a man just shoved a girl into a grey car outside the konbini and drove off", "violence"),
        (
            "mum slipped down in the bath and I can't lift her, her face keeps going under",
            "medical",
        ),
        ("found an old man on the bench, hands like ice, not making sense", "medical"),
        ("the woman upstairs is screaming for help and there's glass smashing", "violence"),
        ("お風呂から出られなくなって体が冷えてきた、携帯を持っていてよかった", "distress"),
    ],
)
def test_signs_the_rules_took_over_when_the_nineteenth_sessions_training_moved_the_model(
    text: str, expected: str
) -> None:
    # Each of these the model alone had caught before the retraining that read the nineteenth
    # author's lessons: choking and no voice, heatstroke in romaji, a shove into a car, slipping
    # under in the bath, hands like ice, screams and breaking glass; "glad I had my phone" is
    # not an all-clear.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "兄のおならがガス漏れ並み",
        "押し入れから古い練炭が出てきた、捨て方を教えてください",
        "this ramen is to die for, I can't breathe I'm so full",
        "お腹いっぱいで死にそう",
        "the toddler slipped under in the bath but I picked her up at once, she's laughing",
        "救急法の講習で心臓マッサージを習いたいです",
    ],
)
def test_look_alikes_the_nineteenth_sessions_retraining_showed(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("おばあちゃんがトイレに入ったまま出てこない、ノックしても返事がない", "medical"),
        ("彼から「屋上、寒い、さよなら」ってきた、電話に出ない", "suicide"),
        ("元彼が玄関を蹴って「開けろ」って叫んでる", "violence"),
        ("友達が海に行くって、もう戻らないつもりだと言って電話を切った", "suicide"),
        ("除雪車が通った後、道端の雪の山から人の手が見える", "medical"),
        (
            "the slab released above the chairlift and my friend is under it, we're digging",
            "medical",
        ),
        (
            "my aunt with dementia left the station an hour ago and nobody knows where she is",
            "distress",
        ),
        ("祖母が、亡くなった祖父を迎えに行くと言って雪の中を出ていった", "distress"),
        ("こたつに突っ伏して起きない、灯油のにおいがする", "gas"),
    ],
)
def test_warning_signs_the_nineteenth_sessions_training_lines_taught_the_rules(
    text: str, expected: str
) -> None:
    # From the training lines written this session (not the held-out split): a toilet door
    # knocked on and no answer, a farewell from a height in the cold, an ex-partner kicking the
    # door, "not coming back", a hand out of a snow bank, a slab released, "nobody knows where
    # she is", going to fetch the dead (a death long ago does not make today's news the past),
    # slumped over the kotatsu.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "橋の上から花火を見たよ、バイバイまたね",
        "息子がトイレにこもって出てこない、ゲームしてる",
        "元夫から子どもの誕生日プレゼントが届いた",
        "元夫が子どもを迎えに来た、面会交流の日です",
    ],
)
def test_the_look_alikes_of_those_signs_stay_quiet_too(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he sent me a picture of his rifle on the table and wrote 'goodbye'", "suicide"),
        ("dad is sitting in his car in the garage with the engine on and the door shut", "suicide"),
        ("I'll step in front of the next train, I can't do this anymore", "suicide"),
        ("im walking into the sea tonight, dont look for me", "suicide"),
        ("he gave me his cat and said he won't need her anymore, then locked the door", "suicide"),
        ("she took the entire box of paracetamol an hour ago", "suicide"),
        ("my brother is up on the roof of the school saying he's done", "suicide"),
        ("my son swallowed a coin battery, he seems fine", "medical"),
        ("the baby is limp and burning hot and won't wake properly", "medical"),
        ("purple spots on her legs that don't fade under a glass", "medical"),
        ("he smoked something a stranger gave him and now he's fitting on the floor", "medical"),
        ("my mum rang me gasping, she couldn't get any air, now she won't pick up", "medical"),
        ("the left side of my face and body won't move, typing with one hand", "medical"),
        ("two men pulled my sister into a van outside the school", "violence"),
        ("some guy is dragging a woman by her hair along the platform", "violence"),
        ("a kid got jumped by four older boys behind the store and isn't moving", "violence"),
        ("a drunk man just punched an old man at the station and he fell", "violence"),
        ("my friend says her stepdad is beating her and her mum right now", "child_abuse"),
        ("her father pressed her hand onto the iron because she lied", "child_abuse"),
        ("a toddler is standing on the balcony railing upstairs, alone", "child_abuse"),
        (
            "old man next door is outside in pyjamas in the snow, they won't let him back in",
            "elder_abuse",
        ),
        ("the stove knob is turned on, no flame, a strong smell, grandma is on the floor", "gas"),
        ("the flat below: the balcony is on fire", "fire"),
        ("押し入れの戸のすきまがオレンジ色に光ってる、焦げたにおいもする", "fire"),
        ("祖母のパジャマの袖に火がついた、ガスコンロで", "fire"),
        ("父の部屋に「家族へ」と書いた手紙があって、本人がいない、電話も出ない", "suicide"),
        ("ビルの屋上のふちに女の子が立ってて、ずっと下を見てる", "suicide"),
        ("アパートの隣から「助けて」って声と壁をドンドン叩く音がする", "violence"),
        ("血液サラサラの薬を飲んでる父が転んで頭をぶつけた", "medical"),
        ("呼びかけても目を開けない、息が浅い", "medical"),
        ("子どもがおばあちゃんの薬を何錠か飲み込んだみたい", "medical"),
        ("孫が薬の袋を開けて何粒かかじってしもうた", "medical"),
        ("息子が頭打ってその時は元気やったけど、今になって何回も吐いとる", "medical"),
        (
            "先日はありがとうございました。ところで、夫がさっきから右手に力が入らないと言ってます",
            "medical",
        ),
    ],
)
def test_emergencies_of_the_twentieth_author_kinds_in_other_words(text: str, expected: str) -> None:
    # A gun and a farewell, a car in a shut garage, the next train, walking into the sea, a
    # pet handed over "I won't need her", a whole box of a medicine named by brand, a roof and
    # "done"; a button battery "but he seems fine", a floppy baby, a rash that stays under a
    # glass, a drug from a stranger, gasping for air, one side that will not work; forced into
    # a van, dragged by the hair, a group beating, a stranger striking an older person; a
    # parent hitting a friend, a hand held to a hot iron, a toddler on a railing; an older
    # person shut out in the cold; a burner open with no flame; a balcony alight; a glow
    # through a gap, clothes alight; a letter "to the family" and the writer gone; the edge of
    # a roof; cries and thuds next door; a blow to the head on a blood thinner, eyes that do
    # not open, a child who ate the grown-ups' pills (食べてもうた, Kansai for しまった), "fine
    # then, but now…", the news after thanks.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "we tried the gun range in Guam, sorry I didn't reply sooner",
        "I always sit in the car in the garage for a minute after work with the engine off",
        "the kids are walking into the sea for a swim, it's cold!",
        "gasping for a cup of tea after that walk",
        "I got beat up at sparring tonight, love it",
        "grandma locked herself out again, we let her in with the spare key",
        "my cat knocked the stove knob but the gas was off at the main",
        "we had a barbecue on the balcony and the smoke went everywhere",
        "the kids swallowed their vitamins without a fuss today",
        "長い間お世話になりました。来月から娘の近くに引っ越します",
        "散らかしっぱなしやと嫁に殺されるわ",
        "この雪で自転車に乗るのは自殺行為だよ",
        "鯛をさばいたらまな板が血だらけになった",
        "ストーブの火がパチパチいって、あったかい",
        "ガスのにおいがしたら、どうしたらいいですか",
        "スマホの画面が真っ暗になった、たすけて、どこ押したらいい",
        "めがねがない、さがして…あ、頭の上にあった　うふふ",
    ],
)
def test_the_twentieth_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "he's been handing out all his things, says he won't need them where he's going",
            "suicide",
        ),
        ("my mate is having a seizure that won't stop and he hit his head on the floor", "medical"),
        (
            "the little ones next door are shut out on the balcony again, it's snowing",
            "child_abuse",
        ),
        ("she posted 'see you in the next life' and a photo from the bridge, no answer", "suicide"),
        ("my friend swallowed like 15 of her grandma's pills and is being sick", "suicide"),
        ("my uncle keeps texting 'I'm done' and says he's by the cliff, no answer now", "suicide"),
        ("my son texted 'took everything in the medicine cabinet, love you'", "suicide"),
        ("うちのおじいちゃん、今朝からおらんようになった。認知症で、外は雨", "distress"),
        ("犬を頼むって書いた手紙があって、明日にはいないって", "suicide"),
        ("ナイフがお腹に刺さったまま、血が止まらない", "medical"),
        ("子ども連れて消えます、もう疲れた", "suicide"),
        ("だれかが外から窓の鍵をこじ開けようとしてる", "violence"),
        ("119 119", "medical"),
        ("ayoko na mabuhay, sorry sa lahat", "suicide"),
        ("生命保険で子どもたちが楽になるなら、それでいい。いま海に来てる", "suicide"),
        ("さようなら", "suicide"),
        ("もう無理、飛ぶ", "suicide"),
        ("父が玄関で倒れて口から泡を吹いてる", "medical"),
        ("冷や汗が止まらなくて、左の腕から顎まで痛い", "medical"),
        ("隣の子が柵の外側に立たされて泣いてる", "child_abuse"),
        ("高校生の息子が帰ってこない、ネットで知り合った人に会うって言ってた", "distress"),
        ("川で父が流された", "distress"),
        ("誰か来て", "distress"),
        ("裏の竹やぶが燃えてる、風でこっちに来る", "fire"),
    ],
)
def test_signs_the_rules_took_over_when_the_twentieth_sessions_training_moved_the_model(
    text: str, expected: str
) -> None:
    # Read by the model alone before the retraining of the twentieth session: belongings given
    # away "where he's going", a fit that will not stop, children shut out in the cold, a
    # goodbye "in the next life", a friend's overdose of someone else's pills, "done" at a
    # cliff, the medicine cabinet emptied, gone missing in dialect (おらんようになった), a pet
    # entrusted and "gone tomorrow", a blade in the belly, a parent taking a child to
    # disappear, a lock forced from outside.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "saying my final goodbyes at work today, moving back to Perth next week!",
        "あの人の一言が胸に刺さった",
        "猫を頼むね、旅行の間だけ",
        "子ども連れて実家に帰ります、月曜に戻ります",
        "I won't need my winter coat where I'm going, it's Hawaii baby",
        "in nihongo class we practised the call 'my mother collapsed, send an ambulance'",
        "畑で枯れ草を燃やしてます、消防には届けてあります",
        "保険金で借金が返せて本当に助かりました",
        "来月帰国します。皆さんありがとう、さようなら、またいつか",
        "カニが泡を吹いてて面白かった",
        "店員さんの勢いに流されて、母が高い布団を買ってしまった",
        "誰かこの漢字の読み方わかりますか",
    ],
)
def test_the_look_alikes_of_the_signs_the_twentieth_retraining_moved_stay_quiet(
    text: str,
) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the chip pan caught and now the cupboards above are going", "fire"),
        ("the kerosene heater tipped over and the futon is catching", "fire"),
        ("smoke is seeping out from under the old man's door, he's not answering", "fire"),
        ("flames are pouring out of the aircon unit on the balcony opposite", "fire"),
        ("the house across the road is glowing inside and crackling", "fire"),
        ("台所の油に火が上がった、消えない", "fire"),
        ("our room heater catch the curtain and the smoke is black", "fire"),
        ("仏壇のろうそくがカーテンに燃え移った", "fire"),
        ("it smells like somebody left the gas on, the whole corridor reeks", "gas"),
        ("ハイターとトイレの洗剤を混ぜちゃって、咳が止まらない", "gas"),
        ("たまご くさった におい。 おとうさん おきない", "gas"),
        ("he handed me his room key and said it's for the police tomorrow", "suicide"),
        ("部屋に薬の空き箱がたくさん、呼んでも起きない", "suicide"),
        ("手首を切ってたら思ったより深くて血が止まらない", "suicide"),
        ("友達のSNSに「明日決行」って書いてある", "suicide"),
        ("浴槽で母が口まで沈みかけてた、引き上げたけど呼んでもうなるだけ", "medical"),
        ("転んだおじいさんの頭の下に血だまりができてる", "medical"),
        ("カフェイン錠を大量に飲んだ友達が吐いてて脈がすごく速い", "medical"),
        ("his arm slipped into the deep fryer, the skin is blistering", "medical"),
        ("a cyclist flew off his bike and hasn't moved, blood coming from his ear", "medical"),
        ("my boyfriend locked me in the flat, he says he'll kill me when he's back", "violence"),
        ("姉の彼氏が姉の髪の毛をつかんで床に叩きつけてる", "violence"),
        ("上級生がプールで後輩の頭を押さえつけて沈めてる", "violence"),
        (
            "can't find my flatmate after the festival, she's really drunk and her phone is dead",
            "distress",
        ),
    ],
)
def test_emergencies_of_the_twenty_first_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # An oil pan alight and the cupboards "going", a heater knocked over, smoke from under a
    # door, flames pouring, a house glowing; a hob left on through a building, bleach and an
    # acid cleaner mixed, rotten eggs in kana's order; a key "for the police", blister packs
    # strewn and no waking, cutting deeper than meant, 「決行」; sinking in the bath, a pool of
    # blood, caffeine tablets, a hand in the fryer, thrown off a bike; locked in by a partner
    # (a threat for later is not the past), hair pulled and slammed, a head held under the
    # water; a friend lost, drunk, her phone dead.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "塩素系の漂白剤と酸性の洗剤は混ぜないでください",
        "トマトを落として床が血の海みたいになった",
        "my brother murdered me in mario kart all night",
        "おかんの焼き魚、毎回火事かってくらい煙が出る",
        "the gas alarm was beeping, it was just the low battery, replaced it",
        "my classmate fainted in the heat last term, she's fine now",
        "I left the spare key with my neighbour while I'm away",
    ],
)
def test_the_twenty_first_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "on a video call with my mum and half her face just stopped moving, she's not answering now",
            "medical",
        ),
        ("父が電話の途中で急に話が噛み合わなくなって、「それが」しか言わない", "medical"),
        ("母のLINEが変な文になってて、電話しても出ない。朝までは普通だった", "medical"),
        ("夫の腹が板みたいに硬くなって、触ると飛び上がるほど痛がる", "medical"),
        (
            "my husband's stomach has gone hard as a board and he can't bear to be touched",
            "medical",
        ),
        ("急にめまいがして吐いた。物が二重に見える", "medical"),
        ("baby was choking on a grape, now she's gone quiet and looks grey", "medical"),
        ("dad's oximeter reads 84 and he's breathing fast", "medical"),
        ("after the fall his pupils look different sizes and I can't keep him awake", "medical"),
        ("畑でマムシに噛まれた、足がどんどん腫れてくる", "medical"),
        ("a snake bit my son's hand by the river, two holes and it's swelling fast", "medical"),
        ("おじいちゃんが雪で透析に行けなくて、息が苦しいって", "medical"),
        ("mum can't finish a sentence without stopping for breath", "medical"),
        ("ばあちゃんの右手が言うこと聞かん、急に", "medical"),
        (
            "grandad sounds drowsy on the phone and says the stove smells funny and keeps clicking",
            "gas",
        ),
        (
            "there's an orange glow in the neighbour's upstairs window getting bigger, nobody has come out",
            "fire",
        ),
        ("dad says his kitchen is all smoky and he can't find the door", "fire"),
        ("flood warning and my mother can't walk, I can't carry her out on my own", "distress"),
        ("the power is out and my oxygen concentrator has stopped, the battery is low", "distress"),
        ("地震のあと祖母と連絡がとれません、一人暮らしです", "distress"),
        (
            "found a letter on his desk saying sorry, his door is locked and he won't answer",
            "suicide",
        ),
        (
            "she sent everyone her passwords for whoever needs them and now her phone is off",
            "suicide",
        ),
        ("通帳は箪笥の引き出しにあります。いままでお世話になりました", "suicide"),
        ("押し入れにもう準備してある。誰も気づいてない", "suicide"),
        ("upstairs a man shouting and a woman crying yamete, then thuds, then nothing", "violence"),
        (
            "a little boy held a たすけて sign at the window and a man dragged him back inside",
            "child_abuse",
        ),
        (
            "my 12 year old is meeting a grown man she met on roblox, she's not answering",
            "child_abuse",
        ),
        ("小学生の女の子が男に車に押し込まれて連れて行かれた", "child_abuse"),
        ("隣の人が小学生の娘をベランダに出して鍵をかけた、雪が降ってる", "child_abuse"),
        ("へやに とじこめられた ごはん もらえない", "child_abuse"),
        (
            "her son won't take her to the doctor for her broken wrist, says she's old anyway",
            "elder_abuse",
        ),
        ("my aunt's husband gives her sleeping pills so she keeps quiet all day", "elder_abuse"),
        ("嫁に突き飛ばされて腰を打った。立てん", "elder_abuse"),
        ("むすこに なぐられた。はなぢ とまらん", "elder_abuse"),
    ],
)
def test_emergencies_of_the_twenty_second_author_kinds_in_other_words(
    text: str, expected: str
) -> None:
    # Half a face still on a video call, the talk not fitting together, a parent's message
    # gone strange, a belly like a board, double vision, a child gone quiet after choking, an
    # oximeter under 90, unequal pupils, a mamushi bite, missed dialysis; a stove ticking and a
    # funny smell; an orange flicker upstairs, a house "foggy" inside; a flood or tsunami and
    # someone who cannot be carried, the power out for an oxygen machine, a parent out of
    # reach after a disaster; a note and a locked door, passwords handed out, the bankbook's
    # place and thanks, something ready in the closet; やめて and thuds; a child pulled from a
    # window, lured by an adult met online, forced into a car, locked out; an injury left
    # untreated "because she's old", sleeping pills to keep someone quiet, a grown child's
    # blows.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "お灸をしてたら煙がすごくて、夫が火事かと飛んできた",
        "餅つきの煙がすごかけど火事やないけん心配せんでね",
        "孫が学芸会で倒れる役になったって、練習を見に行く",
        "父が昨日は救急車で運ばれましたが、今日はもう元気に畑に出てます。お騒がせしました",
        "What's the procedure if there's a fire in my building? Asking in advance, nothing wrong now.",
        "is this a mamushi in my garden? nobody got bitten, just curious",
        "停電の時に在宅酸素はどうすればいいか心配です",
        "台風のあと連絡が取れなかった姉、避難所にいました。無事でした",
        "主人がソファの前で倒れてた（昼寝）",
        "the sunset makes an orange glow in the upstairs window every evening",
        "嫁にボタンを押されてテレビが消えた",
    ],
)
def test_the_twenty_second_authors_look_alikes_in_other_words_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "The smell of gas is back in the kitchen and I feel dizzy. Is this normal?",
        "父が胸が痛いと言って冷や汗をかいています。これって大丈夫ですか",
    ],
)
def test_asking_whether_it_is_normal_does_not_make_what_was_told_a_question(text: str) -> None:
    # "Is that normal?" asks because it is happening: what was told before it is read on its
    # own, as before "what number do I call?".
    assert level(text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "My smoke alarm chirps once an hour. Is that normal?",
        "Grandpa fell last month and bruised his hip. Is that normal?",
    ],
)
def test_asking_whether_something_past_or_harmless_is_normal_stays_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


def test_after_practice_sets_the_time_it_is_no_course() -> None:
    # 練習 made the sentence a course (a first-aid class), so the chest pain after it was a note.
    assert level("母が体操教室の練習のあと胸が苦しいと言ってうずくまってる") == "emergency"
    assert level("心肺蘇生の練習のあと、みんなでお茶を飲みました") is None
    assert level(
        "after the first aid training I finally know how to do chest compressions on someone who collapsed"
    ) not in ("emergency", "possible")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "her grandson is shouting at grandma and grabbing her wallet, she's crying",
            "elder_abuse",
        ),
        (
            "my stepmother doesn't give dad his heart pills anymore, he told me in a whisper",
            "elder_abuse",
        ),
        ("娘にくらされる、今も台所で暴れとる", "elder_abuse"),
        ("甥が母の通帳を勝手に持っていって、灯油も買えない", "elder_abuse"),
        ("うちのおばあちゃんに近所の男が変なことしようとしてる、いま家におる", "elder_abuse"),
        ("she left her father in the bath and went out, that was two hours ago", "elder_abuse"),
        ("her mum's boyfriend burned my friend's hand with a cigarette, she is 14", "child_abuse"),
        ("she locked herself in the toilet and her ex is kicking the door", "violence"),
        ("ないふ を もった おとこ が いる こわい", "violence"),
        ("今夜で最後です。いままでありがとう", "suicide"),
        (
            "granddad said he'll go to see grandma soon, she died in spring, then he hung up",
            "suicide",
        ),
        ("隣のおじいさんの家の中から弱い声で助けてって聞こえる、鍵がかかってる", "medical"),
        ("父に「頭が痛い」ってLINEしたきり既読がつかない", "medical"),
        ("my sister fainted and now her heart is racing and won't slow down", "medical"),
        ("孫が丸い電池を口に入れてたみたいで、一個見当たらない", "medical"),
        ("部屋が煙たくて報知器が鳴ってる、母が歩けない", "fire"),
        ("吹雪で車が側溝にはまって動かない、母が乗ってる", "distress"),
        ("my son ate a button battery from the tv remote and he's drooling", "medical"),
        ("this is my last message if anyone reads this, I'm at the river, it's ok", "suicide"),
        ("じいちゃん、のどに何か詰まらしとる、咳が出ん", "medical"),
    ],
)
def test_signs_the_rules_took_over_when_the_twenty_second_sessions_training_moved_the_model(
    text: str, expected: str
) -> None:
    # A purse taken by force, medicine withheld, a grown child's blows (くらす), a bankbook
    # taken, "strange things" done to an old person, one left in the bath; cigarettes pressed
    # on a child; locked in a toilet with someone at the door; a knife in kana; "my last
    # day" and thanks; "going to see grandma" (who died); a weak voice behind a locked door;
    # symptoms and no read mark; a faint and a racing heart; a round battery missing; smoke
    # and the alarm; a car stuck in a ditch in a blizzard; a TV remote is no TV programme;
    # "if anyone reads this" is no reassurance.
    assert expected in kinds_shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "the smoke alarm keeps beeping, I think the battery is dying, how do I change it?",
        "お線香の煙で火災報知器が鳴ってびっくりした",
        "焼き魚の煙で報知器が鳴った、換気扇回して止めた",
        "I'll be with grandma soon, my flight lands at six!",
        "文字を大きくする方法ってありますか、たすけて",
        "the tv remote is mine, I will die on this hill",
        "サロンは今日で最後です、ありがとうございました",
        "Coin batteries are deadly if swallowed: tape the cover of the TV remote shut",
    ],
)
def test_the_look_alikes_of_those_signs_stay_quiet_as_well(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "パパがママをなぐってる こわい",
        "おとうさんが おかあさんを けってる",
        "お父さんがお母さんの首をしめてる",
        "my stepfather has my mother by the throat",
    ],
)
def test_a_father_hurting_the_mother_is_violence_as_a_child_tells_it(text: str) -> None:
    # Read as child abuse and elder abuse only (お母さん an older person, お父さんが a child's
    # word), the police's number was missing.
    assert "violence" in kinds_shown(text)


@pytest.mark.parametrize(
    "text", ["パパがママの肩をたたいてあげてる", "dad and mum are play fighting with pillows lol"]
)
def test_a_father_and_mother_at_play_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


_TWENTY_THIRD_AUTHORS_SCENES = [
    # The twenty-third author's unseen scenes, each in other words.
    (
        "a baby is strapped in a parked car outside the supermarket, windows up, 33 degrees",
        "child_abuse",
    ),
    ("スーパーの駐車場で車の中に赤ちゃん、窓閉め切って汗びっしょり、親がいない", "child_abuse"),
    (
        "someone abandoned a newborn in a cardboard box by the shrine, she is so cold",
        "child_abuse",
    ),
    ("公園のトイレで赤ちゃんが紙袋に入れて置かれてた、まだ息してる", "child_abuse"),
    (
        "my 12 year old met a guy on roblox and he picked her up at the station, she's in his car",
        "child_abuse",
    ),
    ("my little brother swam out in the sea and I can't see him anymore", "distress"),
    ("川で遊んでた孫の姿が見えなくなった", "distress"),
    (
        "my friend just put up a last sunset photo from the rooftop of his office and isn't picking up",
        "suicide",
    ),
    ("took all my sleeping tablets with whisky. thank you for the calls", "suicide"),
    ("睡眠薬をお酒で飲んだ。いままでありがとう", "suicide"),
    ("my grandma is choking on mochi, her lips are going blue", "medical"),
    ("草刈り機の刃が足に刺さって抜けない、血が止まらん", "medical"),
    ("床が血だまりになってる、父が手首を切った", "medical"),
    ("母の脈が35くらいしかない、ふらふらしてる", "medical"),
    ("my dad's pulse is 32 and he feels faint", "medical"),
    ("化学工場の方から白い煙が来て、喉が痛くて咳が止まらない", "gas"),
    ("隣の部屋のドアに「硫化水素発生中 入るな」と書いてある", "suicide"),
    ("子どもが「あつい！あつい！ごめんなさい！」って泣いてる、お風呂場から", "child_abuse"),
    ("父が一時間前から鼻血が止まらず、こういう時は病院に行ったほうがいいですか", "medical"),
    ("my father in law is choking, nothing comes out. 119 is ambulance yes?", "medical"),
    ("old man collapsed in the shop, staff running around, is anyone calling?", "medical"),
    ("母は「ちょっとめまいがしただけや」と笑ってるけど、片方の口がさがってる", "medical"),
    (
        "訪問介護の者です。息子さんが車椅子のお母さんを叩いていて、額から血が出ています",
        "elder_abuse",
    ),
    ("弟(小2)がお父さんにベルトで叩かれてミミズ腫れ、いま家の外にいる", "child_abuse"),
]

_WHO_WAS_HURT = [
    # Shown the police's number but not the child line's, or the other way round.
    ("旦那が息子を蹴った、息子泣いてる", "child_abuse"),
    ("娘が孫をたたいてる、孫は3つ", "child_abuse"),
    ("おかあさん こわい たたく いま かくれてる", "child_abuse"),
    ("兄に殴られた 親いない トイレに隠れてる", "child_abuse"),
    (
        "a little boy is standing on the outside of the balcony railing, 4th floor",
        "child_abuse",
    ),
    (
        "my daughter's friend says her dad hit her with a belt and she's scared to go home",
        "child_abuse",
    ),
    (
        "my son told me on the phone the man kicks him and he's hungry, then the call cut",
        "child_abuse",
    ),
    ("孫が金を出さんと殴るぞと言うて包丁を持っとる", "elder_abuse"),
    ("父の首を絞めてしまった 息してるかわからない", "elder_abuse"),
    ("someone snatched her handbag and knocked her down, she's bleeding", "violence"),
]

_SIGNS_THE_RETRAINING_MOVED = [
    # Signs the retraining took from the model: rules now, tested in other words.
    (
        "grandpa was out in the snow, he has stopped shivering and his words are slurred",
        "medical",
    ),
    ("toddler choking on a peanut", "medical"),
    ("mi cyaan stan up, mi fall inna di bathroom", "medical"),
    ("her husband burned her with a cigarette and locked the door", "violence"),
    ("the wall next to the stove is so hot and there's a burning smell inside it", "fire"),
    ("祖母の家に知らない男が来て、通帳を出せと居座っている", "elder_abuse"),
    ("姉から「今までありがとう、猫のことは頼みます」とLINEが来た", "suicide"),
    (
        'old lady next door calling "help… help…" faintly since this morning, door locked',
        "distress",
    ),
    ("my roommate put a rope on the ceiling hook and locked himself in", "suicide"),
    ("he has stopped his insulin, says he wants to go and I'm not to come", "suicide"),
    ("同僚が練炭を買ったとグループに書いて退会した", "suicide"),
    ("a guy smashed a bottle and slashed my friend's face", "violence"),
    ("the car is running inside his closed garage and he won't answer", "gas"),
    ("my husband ate fugu his friend cooked and his lips are numb", "medical"),
    ("I got drain cleaner in my eye and it burns", "medical"),
    ("dad got an electric shock from the pump and his heart is racing", "medical"),
    ("夫がインスリンを打ったのにごはんを食べていない、汗がすごい", "medical"),
]

_PLAIN_WORDS = [
    # Plain words no rule had been written for, each in words of its own.
    ("楽に死ねる方法ってありますか、もう疲れた", "suicide"),
    ("shinitai yo... nobody would notice", "suicide"),
    ("i just want tae be deid the night", "suicide"),
    ("父の薬を20錠くらい飲んだ、なんか眠い", "suicide"),
    ("took 40 tablets of my sleeping meds an hour ago", "medical"),
    ("玄関に靴をそろえて置いてきました。ありがとうございました", "suicide"),
    ("お薬は飲まずにためてあります。今夜で終わりにします", "suicide"),
    ("もう明日を迎えたくありません", "suicide"),
    ("これが最後のLINEになります。みんな元気で", "suicide"),
    ("犬のこと よろしく たのむ ありがとう", "suicide"),
    ("祖母が別の人の薬を飲んでしまって、ずっと眠そう", "medical"),
    ("吸入を三回しても発作がおさまらない", "medical"),
    ("父の血糖値が38、汗びっしょり", "medical"),
    ("ことばが でない みぎてが うごかん", "medical"),
    ("めまいがして意識が遠のく、一人です", "medical"),
    ("揚げ物の鍋に火が入った、どうしよう", "fire"),
    ("カーテンに燃え移った", "fire"),
    ("上の階から火の粉が降ってくる", "fire"),
    ("ガス管が外れてる、すごい臭い", "gas"),
    ("男が日本刀を持ってうろうろしてる", "violence"),
]

_TWENTY_FOURTH_AUTHORS_SCENES = [
    # The twenty-fourth author's scenes, in other words.
    (
        "my waters broke and the contractions are 3 minutes apart, the road is flooded",
        "medical",
    ),
    ("妻が陣痛で、もう赤ちゃんの頭が見えてる、間に合わない", "medical"),
    ("エアコンの止まった部屋で母が汗もかかず、ぼんやりしてる", "medical"),
    ("じいちゃんが「海に入る」言うて、堤防で靴を脱いどる", "suicide"),
    ("親父が弟の胸ぐらつかんで壁に押し付けとる", "child_abuse"),
    ("her stepdad locked her in the garage again and she's freezing", "child_abuse"),
    ("mum's boyfriend tipped grandpa's wheelchair over and he's on the floor", "elder_abuse"),
    ("a man forced his way into my dad's flat and is shoving him around", "violence"),
    ("the fire is coming down the hill towards the houses", "fire"),
    ("神社の前に段ボールが置いてあって、生まれたばかりの赤ちゃんが入ってる", "child_abuse"),
    ("火鉢を焚いて戸を閉め切ってたら、みんな頭が痛いと言い出した", "gas"),
    ("a boy smashed a bottle and my mate is bleeding from his head", "violence"),
]


_FIFTEENTH_SESSIONS_LOOK_ALIKES = [
    "Smelled gas this morning, turned out to be the cabbage. All clear.",
    "The gas company man came to inspect the meter today, is that a real visit or a scam?",
    "I'm writing a short story for my class about a boy trapped in a lift in the earthquake",
    "ガス漏れ警報器の点検のお知らせが来たのですが、これは本物ですか",
    "再放送の刑事ドラマで犯人が包丁持って崖の上に立ってた、毎回同じやね",
    "歌舞伎で心中物を見てきました、泣けました",
    "読書感想文で太宰を読んでたら死にとうなるわ、暗くて",
    "ボクシングジムで殴られて顔がパンパン、楽しい",
    "車がガス欠で止まりました、ガス漏れではありません",
    "孫に「年寄りをいじめるな」って言ったのは将棋で手加減してくれないから",
    "焼き芋が火事や、皮まっくろ",
    "母に「殺す気か」って言われた、お茶が熱すぎて",
    "サウナで蒸気が上がって「火事？」って飛び出した人がいた、煙じゃないからね",
    "おばあちゃんが「ごはんもらえない」って言うけど、食べたのを忘れてるだけでした",
    "肩たたき券で毎晩ばあさんに叩かれとる",
    "How long can you legally leave kids in the car at the konbini? Asking for a heat talk",
    "【注意】塩素系と酸性の洗剤を混ぜると有毒なガスが発生します",
    "nosebleed at work, blood everywhere, stopped after five minutes",
    # And those of the signs the retraining moved.
    "he choked on mochi at new year, we got it out and he was fine, as a warning for others",
    "my daughter's boxing class does sparring on Tuesdays",
    "the wall is warm where the afternoon sun hits it",
    "she stopped shivering once she had the blanket and tea, all good now",
    # Those of the plain words, and the twenty-fourth author's in other words.
    "小説の主人公が死ぬ方法を考える場面がこわかった",
    "飛行機は12時になったら飛ぶよ",
    "今年最後のLINEになります、よいお年を",
    "猫のえさ、お隣さんによろしく頼んだ、ありがとう、旅行いってきます",
    "処方は30錠、一日一錠ずつ飲んでいます",
    "子どもの頃は先生に叩かれるのが普通だった、今の子は幸せや",
    "「死んだ方がまし」はうちの母の口癖です",
    "明日テストまじ死ぬ",
    "猫にいじめられてるっておばあちゃんが笑ってる",
    "the kids screamed blue murder at the haunted house",
    "he thought the house was on fire but it was the new pizza oven",
    "the sulphur spring smells like a gas leak, is that normal?",
    "娘が今日は友達の家に泊まるので帰ってきません",
]


@pytest.mark.parametrize(
    "text", ["母がハエを新聞紙で叩いてる音がうるさい", "カメムシが入ってきて部屋がガス臭い"]
)
def test_a_pest_swatted_or_smelled_is_no_blow_and_no_gas_to_the_rules(text: str) -> None:
    # The model alone still asks about these two (a guess the rules cannot quiet).
    assert kinds_the_rules_raise(text) == []


def test_a_short_quotation_does_not_end_the_sentence_that_quotes_it() -> None:
    # 「熱い！熱い！」って泣き叫んでて: the cry and who cried it are one sentence.
    quoted = analyse("子が「熱い！熱い！」って泣いてる")
    assert len(quoted.sentences) == 1
    assert len(analyse("熱い！熱い！って泣いてる").sentences) == 3


def test_a_denial_reaches_only_as_far_as_its_own_jya_nakute() -> None:
    # 「…じゃなくて」 denies what comes before it, not the wish said after it.
    assert "suicide" in kinds_shown("消えたいとかじゃなくて普通に死にたい")
    assert level("死にたいわけじゃなくて、ただ疲れてるだけ") not in ("emergency", "possible")


_TWENTY_FIFTH_AUTHORS_SCENES = [
    # The twenty-fifth author's scenes (a farm advisor; a health visitor), in other words.
    ("I cut way deeper than I meant to tonight and it keeps bleeding", "suicide"),
    ("いつもより深く切ってしまって血が止まらない", "suicide"),
    ("兄から「ガレージでエンジンかけたまま寝る、子どもたちを頼む」ってLINEが来た", "suicide"),
    ("my brother is sitting in the garage with the engine running, he said sorry", "suicide"),
    ("店をたたむことになった、わしもこの店と一緒に行くって言うて電話が切れた", "suicide"),
    ("I'll save everyone the trouble, I'm on the bridge now", "suicide"),
    ("川の土手に父のサンダルが揃えて置いてあって、父の姿が見えない", "suicide"),
    ("母から「あとのことは頼むね」って電話があって切れた、かけ直しても出ない", "suicide"),
    ("the tractor rolled and Dad's leg is pinned under it, he's gone grey", "medical"),
    ("コンバインに腕を巻き込まれて血がすごい", "medical"),
    ("a hornet stung my grandad and his face is swelling up and he's dizzy", "medical"),
    ("イノシシに噛まれて足から血が出てる", "medical"),
    ("we ate mushrooms we picked in the woods and now we're both throwing up", "medical"),
    ("フグを自分でさばいて食べたら口がしびれてきた", "medical"),
    ("my 3 week old is grunting with every breath and her ribs are sucking in", "medical"),
    ("赤ちゃんの小鼻がぴくぴくして、息をするたびに胸がへこむ", "medical"),
    ("夫が脚立で電線に触れて感電したみたい、倒れて動かない", "medical"),
    ("父の部屋の温度計が34度で、話がかみ合わない", "medical"),
    ("夫が猟銃をこっちに向けてる", "violence"),
    ("he put his hands round my throat until I couldn't breathe", "violence"),
    ("i'm 8 and my dad drank and wont wake up and my sister is crying", "child_abuse"),
    ("孫が物置に閉じ込められて泣いてる、外は氷点下", "child_abuse"),
    ("my ex sent a photo of our son with a busted lip, he's drunk and yelling", "child_abuse"),
    ("I'm her helper, and her son just slapped her across the face", "elder_abuse"),
    ("bruises all up her arms, and she whispered that her son did it", "elder_abuse"),
    ("her grandson is shoving her around for her pension", "elder_abuse"),
    ("隣の畑で土壌くん蒸をしていて、目が痛くて咳が止まらない", "gas"),
    ("the heater was smouldering in the shed and grandpa has a headache and threw up", "gas"),
    ("I used the mould spray and the toilet cleaner together and now my chest hurts", "gas"),
    ("my 80 year old mother got separated from us at Hakata station, she has no phone", "distress"),
    ("my 6 year old went into the changing room and never came out, 20 minutes now", "distress"),
    ("lost my five year old in the shopping centre, ten minutes now", "distress"),
]

_READ_AS_MEANT = [
    # 〜てへん is Kansai for "not": it was read as テヘ (a giggle) and the sentence dropped.
    ("おばあちゃんが倒れて息してへん", "medical"),
    # 「本人は大丈夫と言うけど」 is what someone says, not a reassurance.
    ("母は大丈夫と言うけど、口がゆがんでろれつが回ってない", "medical"),
    # 「近づいても大丈夫ですか」 is asked in the emergency, not after it.
    ("隣の人が感電して倒れて動かない、近づいても大丈夫ですか", "medical"),
    # 「何かをぶつける音」 is no question of what something is.
    (
        "隣で赤ちゃんがずっと泣いてて、ドンって何かをぶつける音のあと急に泣き声が止まった",
        "child_abuse",
    ),
    # Asked how to speak to him, and to come now: no mere question.
    ("兄の部屋のドアノブに紐がかけてある、どう声をかけたらいいの、今すぐ来て", "suicide"),
    # Followed now, threatened last month: the threat is old, the danger is not.
    ("my ex is waiting outside the door, last month he said he would kill me", "violence"),
]

_SIGNS_THE_RETRAINING_MOVED_AGAIN = [
    # Held-out emergencies the model alone had found, before this session's retraining
    # moved them, in other words.
    ("acid from the tank splashed into my colleague's eyes and he can't open them", "medical"),
    ("父が急に字が読めないと言って、新聞を逆さまに持ってる", "medical"),
    ("her boyfriend took her phone and won't let her leave, he's hitting her", "violence"),
    ("ガスは何も使ってないのにガスメーターが回ってる", "gas"),
    ("嫁がうるさいからって母に睡眠薬を多めに飲ませてる", "elder_abuse"),
    (
        "my sister's boyfriend locked her in his flat and took her passport, she texted me",
        "violence",
    ),
    ("my husband dragged me out by my hair and locked me out, it's freezing", "violence"),
    ("もうお迎えが来てほしい、本気でそう思う", "suicide"),
    ("父が車の窓にテープを貼って、排気ガスを引き込んでる", "suicide"),
]


_TWENTY_SIXTH_AUTHORS_SCENES = [
    # The twenty-sixth author's scenes (a home-security responder; a first-aid instructor
    # in factory towns) and the session's training authors', in other words.
    ("my daughter 3 yo got lost at the shopping mall, 30 min and nobody has found her", "distress"),
    ("my nephew (6) slipped away in the crowd at the fireworks 20 minutes ago", "distress"),
    (
        "my mother 78 years went to the shrine this morning, still not come back, getting dark",
        "distress",
    ),
    (
        "grandma got on the train and the doors shut before I could get on, she has no phone",
        "distress",
    ),
    ("stuck inside the walk-in freezer at work, the handle broke, nobody here", "distress"),
    ("the taxi driver won't stop and won't let me out, we're on a dark road", "distress"),
    ("he grabbed my sister by the hair and is dragging her down the stairs", "violence"),
    ("a big fight outside the station, one man is bleeding and they're still swinging", "violence"),
    ("さっき駅前で財布ひったくられて転んだ、まだ近くにいるかも、こわい", "violence"),
    ("彼氏に閉じ込められてる、トイレからこっそり送ってる", "violence"),
    ("I drank the bleach because I wanted to end it, my stomach is burning", "suicide"),
    ("父がベランダの柵を乗り越えようとしてる、5階", "suicide"),
    ("夫の車から練炭の袋のレシートが出てきて、夫は車で出たきり電話がつながらない", "suicide"),
    (
        "the old lady next door shouts from the window that her son won't let her out, she's crying",
        "elder_abuse",
    ),
    ("継父が弟の首を絞めてる、お母さんは仕事", "child_abuse"),
    ("豆炭ごたつの部屋で母がふらふらして頭が割れそうだと言ってる", "gas"),
    ("ガスメーターの見守りから「ガスが流れ続けています」と通知、父は電話に出ない", "gas"),
    ("コンロのガスホースに穴があいてシューシューいってる", "gas"),
    ("父がお粥を飲み込めなくて喉がゴロゴロいって顔色が悪い", "medical"),
    ("おなかが痛くて転げ回ってる、触ると板みたいに硬い", "medical"),
    ("隣の家の火災報知器が鳴りっぱなしで、窓の中が赤い", "fire"),
    ("火災警報器がずっと鳴ってて、廊下に黒い煙が出てる", "fire"),
    # Read as meant: 「…だと助かる」 and a phone that was luckily in a pocket are no reassurance.
    (
        "ヘルパーさんの件、大きな声で話してくれる人だと助かるわ。あ、待って、台所から煙が出てる、"
        "鍋から火が上がって壁が黒くなってる",
        "fire",
    ),
    ("用水に落ちて腰を打って立てない、水が冷たい、携帯がポケットにあってよかった", "medical"),
    # Held-out emergencies the model alone had found, before this session's retrainings
    # moved them, and standing misses in plain words, in other words.
    ("コンセントが焦げ臭いと思ったら、タップが溶けて火が出てる", "fire"),
    ("ばさまの年金、孫が勝手に持ってって、米も買えねえ", "elder_abuse"),
    ("へやで すみを たきました。あたまが いたい。ねむい", "gas"),
    ("パパが包丁を持って、弟とわたしに向けてる", "child_abuse"),
    (
        "the man next door said to his wife 'ur dead when i get home', he's been drinking",
        "violence",
    ),
    ("snowed in for four days, the kerosene has run out and grandpa is shivering", "distress"),
    ("雪で玄関の戸が開かね、灯油もねぐなった", "distress"),
    ("かかとの傷が黒くなって臭う、熱もある", "medical"),
    ("駅前で喧嘩、一人倒れて血が出てる、まだ続いてる", "violence"),
    ("隣の火災警報器がずっと鳴ってて、窓が白く曇ってる", "fire"),
]


_TWENTY_SEVENTH_AUTHORS_SCENES = [
    # The twenty-seventh author's scenes (an appliance repairer in snow-country homes; a
    # Nepali former trauma nurse) and the session's training authors', in other words.
    ("my flatmate wrote a note saying sorry and locked himself in the bathroom", "suicide"),
    ("my brother sent a voice message forgive me, now his phone is switched off", "suicide"),
    ("I can't live anymore. I'm standing at the bridge with my son", "suicide"),
    ("Mum said thank you for everything and gave her house keys to the neighbour", "suicide"),
    ("he talked about dying and now he is not answering the phone for hours", "suicide"),
    ("my roommate drank weedkiller and keeps saying sorry sorry", "suicide"),
    ("I found my brother hanging in the garage, he's cold", "suicide"),
    ("フォロワーの子がライブ配信でOD中、ろれつが回ってない", "suicide"),
    ("彼が排気ガスを車の中に引いたって言ってる", "suicide"),
    ("近所の子が車にはねられて動かない", "medical"),
    ("じいちゃんが耕運機の下敷きになって、足が抜けん", "medical"),
    ("祖母が部屋で火鉢に炭をおこして寝てて、起きない", "gas"),
    ("温室で農薬の消毒をしてた母が倒れてる", "gas"),
    ("再婚相手が娘を叩いて、娘が泣きやまない", "child_abuse"),
    (
        "公園で若い人たちが寝てる人を殴ったり蹴ったりしてて、その人がもう動かなくなってる",
        "violence",
    ),
    ("兄が母のエアコンのリモコンを隠してて、部屋が35度、母がぐったりしてる", "elder_abuse"),
    ("madat garnus please", "distress"),
    ("110 110 please", "distress"),
]

_TWENTY_EIGHTH_AND_NINTH_AUTHORS_SCENES = [
    # The twenty-eighth and twenty-ninth authors' scenes (a co-op delivery driver; a hotel
    # night auditor from Manila; a pharmacist delivering to lone older residents; a nikkei
    # factory interpreter) and the session's training authors', in other words.
    ("a girl in my class is on live cutting herself and says tonight is the end", "suicide"),
    ("my dad texted from the harbour that he will drive his car off the pier", "suicide"),
    ("granny swallowed all her sleeping pills to go be with her late husband", "suicide"),
    ("at the station now. next train i jump", "suicide"),
    ("standing on a stool with a rope round the beam", "suicide"),
    ("my brother showed me a noose on video and hung up", "suicide"),
    ("I've written the note and the rope is in my car", "suicide"),
    ("on the roof of the dorm. i cant do this anymore", "suicide"),
    ("he sent forgive me and his location is the dam, he wont answer", "suicide"),
    ("手首を切りすぎた、血が止まらない", "suicide"),
    ("やっぱり無理。もう椅子に乗ってます、ありがとう", "suicide"),
    ("お元気ですかって、元気なんかない。薬を全部飲みました", "suicide"),
    ("the baby has had diarrhoea all day and the soft spot on her head is sunken", "medical"),
    ("my daughter bit a laundry pod and is coughing", "medical"),
    ("脈が速すぎて数えきれない、目の前が暗くなってきた", "medical"),
    ("雪の中でおじいさんが座り込んでて、体が冷たくて話しかけても返事がはっきりしない", "medical"),
    ("3階から子どもが落ちてきた", "medical"),
    ("朝からおしっこが出なくておなかがぱんぱんで痛い", "medical"),
    ("神社が燃えてる、中に人がいるかも", "fire"),
    ("牛舎の干し草が燃えてる", "fire"),
    ("石油ストーブの部屋を閉め切ってて、父の話がおかしい", "gas"),
    ("yellow gas is leaking from the tank and workers are coughing", "gas"),
    ("a man is attacking the taxi driver with a bottle", "violence"),
    ("someone punched the shop clerk and ran off, he's bleeding", "violence"),
    ("older boys beat up my son and he isn't waking up", "violence"),
    ("喧嘩で一人が瓶で頭を割られた", "violence"),
    ("酒に酔って暴れて、隣の人を殴ってる", "violence"),
    ("店長が来て殴られた、顔が痛い", "violence"),
    ("隣でパンって音がして悲鳴が聞こえた", "violence"),
    ("トイレに閉じ込められて水をかけられてる", "violence"),
    ("赤ちゃんを揺さぶったらぐったりしてる", "child_abuse"),
    ("a man is shaking a baby hard and it went limp", "child_abuse"),
    ("孫が物置に閉じ込められてて、娘はしつけだって言う", "child_abuse"),
    ("a care worker is slapping a resident and won't stop", "elder_abuse"),
    ("my uncle hides grandpa's insulin to punish him", "elder_abuse"),
    ("the carer forced mum to drink something and she's drowsy", "elder_abuse"),
    ("孫が通帳を出せと殴ってくる", "elder_abuse"),
    ("介護中にかっとなって母を突き飛ばした、起きない", "elder_abuse"),
    ("息子がバットを持って暴れてて、夫と逃げた", "elder_abuse"),
    # A question for the number after a comma, in the same sentence as what happened.
    ("his arm got caught in the roller at the plant, lots of blood, what number", "medical"),
    ("hlep me plz hlep", "distress"),
]

_SIGNS_THE_NINETEENTH_RETRAINING_MOVED = [
    # Held-out emergencies the model had caught and the session's retraining let go, now rules.
    ("a boy says his mum pressed his hands on the stove, he has burns", "child_abuse"),
    ("three of us lost in the backcountry in a whiteout, one can't walk", "distress"),
    (
        "my sister sent a photo of her dog saying please look after her, she's not answering, "
        "she's been so low since the divorce",
        "suicide",
    ),
    ("I locked myself out on the balcony, it's minus two and I'm in pyjamas", "distress"),
    ("dad's lips are swelling after the new antibiotic", "medical"),
    (
        "he keeps sending me painless methods pages and his location is at the gorge bridge",
        "suicide",
    ),
    ("子どもがビー玉を飲み込んだみたい、咳をしようとしても声が出ない", "medical"),
    ("家族が薬代がもったいないと言って母に薬を渡していない", "elder_abuse"),
    ("吹雪で車が動けない、エンジンかけたままでマフラーが雪で埋まってる、夫が眠いって", "gas"),
    ("通帳を持ってる兄が父を連れ出したまま帰ってこない、父は認知症", "elder_abuse"),
    ("また落ちた。今から駅のホームに行く、ごめん", "suicide"),
    ("睡眠薬を一箱飲んだ、体が動かない", "medical"),
]

_WORDS_NO_RULE_KNEW = [
    ("my wife's speech is unintelligible and she is unable to lift her cup", "medical"),
    ("grandpa sounds drunk but he never drinks, and he's dragging his right leg", "medical"),
    ("no job, no visa, there is no way out, I'm done with this life", "suicide"),
    ("my son says he will finish himself tonight", "suicide"),
]

_SIGNS_THE_EIGHTEENTH_RETRAINING_MOVED = [
    # Held-out emergencies the model had caught and a retraining let go, now rules.
    ("my husband can't find his words and his left hand is limp, I'd appreciate advice", "medical"),
    (
        "my son is wheezing and can only say one word at a time, the inhaler isn't helping",
        "medical",
    ),
    ("she used her epipen after eating peanuts but she's getting worse", "medical"),
    ("2歳の息子がいじってたリモコンの丸い電池が見当たらない", "medical"),
    ("じいちゃんが起ぎらいねぐなって、朝から何も食ってねぇ", "medical"),
    (
        "dad answered the video call but just stared and didn't speak, then the call ended",
        "medical",
    ),
    ("standing at the level crossing watching the trains, can't stop thinking about it", "suicide"),
    ("近所の子がベランダに出されて、はだしで泣き叫んでる", "child_abuse"),
    ("隣の子がずっと泣いてて、親が怒鳴って物を投げる音がする", "child_abuse"),
    (
        "娘の部屋に「さよなら」と書いた手紙があって、娘がいません。この前ネットで練炭を買っていました",
        "suicide",
    ),
    (
        "A boy in my English class showed me bruises on his arms and said his dad does it",
        "child_abuse",
    ),
    ("the old man at the next table is chocking, he can't cough or speak", "medical"),
    ("black tarry stools since this morning and she's too dizzy to stand", "medical"),
    ("除雪機のエンジンの下から火が出てきた、ガソリンの缶がそばにある", "fire"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    _TWENTY_THIRD_AUTHORS_SCENES
    + _WHO_WAS_HURT
    + _SIGNS_THE_RETRAINING_MOVED
    + _PLAIN_WORDS
    + _TWENTY_FOURTH_AUTHORS_SCENES
    + _TWENTY_FIFTH_AUTHORS_SCENES
    + _READ_AS_MEANT
    + _SIGNS_THE_RETRAINING_MOVED_AGAIN
    + _TWENTY_SIXTH_AUTHORS_SCENES
    + _TWENTY_SEVENTH_AUTHORS_SCENES
    + _SIGNS_THE_EIGHTEENTH_RETRAINING_MOVED
    + _WORDS_NO_RULE_KNEW
    + _TWENTY_EIGHTH_AND_NINTH_AUTHORS_SCENES
    + _SIGNS_THE_NINETEENTH_RETRAINING_MOVED,
)
def test_the_later_sessions_emergencies_are_read_by_the_rules_themselves(
    text: str, expected: str
) -> None:
    # The fifteenth to eighteenth sessions': fresh authors' scenes in other words; violence
    # in the family shown the numbers of who was hurt (the child line's, the elder-abuse
    # desk's); the signs retrainings took from the model, now rules; plain words no rule had
    # been written for; readings that had hidden an emergency. The rules raise each kind
    # themselves: what no retraining of the model can take away.
    assert expected in kinds_shown(text)
    assert expected in kinds_the_rules_raise(text)


_SIXTEENTH_SESSIONS_LOOK_ALIKES = [
    "thanks for everything this year! I'll look after the cat while you're away",
    "ばあちゃんに閉じ込められた〜言うて笑いよるけど、鍵が固かっただけなんよ",
    "燃えとる燃えとる言うから何かと思たら、カープ勝って父ちゃんが燃えとるだけや",
    "リハビリ中の父が、今日はじめて一人で散歩に行けました",
    "there was blood all over the kitchen floor, it was the beetroot juice",
    "our toddler learned the word help and now shouts it at bath time",
    "my mum grounded me and took my phone, literally child abuse",
    "water gun fight in the park, kids screaming don't hit me and laughing",
    "Is it illegal to leave a 10 year old home alone in Japan? Asking because we travel",
    "Is the CO alarm on sale at Nitori worth buying?",
    "使い終わった農薬の瓶の回収はいつですか",
    "子ども110番の家の旗をもらいました",
    "トラクターの排気ガスがくさいって孫に言われた",
    "腹がよじれるくらい笑うた",
    "わな猟の講習会でナイフの使い方を習った",
    "watched a thriller where the wife stabbed her husband, no spoilers!",
    "The Daimonji bonfire lit up the whole hillside, amazing",
    "we had mushroom risotto last week and my son threw up, he's fine now",
    "腹立って机たたいたけど、息子には手ぇ出してへん",
]

_SEVENTEENTH_SESSIONS_LOOK_ALIKES = [
    "🔥my heart is on fire🔥 she said yes!",
    "the neighbour thought it was a gas leak, it was the durian my cousin sent",
    "ガス警報器が鳴ったけど、原因はヘアスプレーでした",
    "火事みたいな夕焼けやったね、海が真っ赤やった",
    "battery at 3%, gonna jump on the bus now, talk later",
    "we're filming the school play tomorrow, the fight scene is so funny",
    "警報器がピッピ鳴るけど、煙も何もない、電池かな",
    "my little one wandered off at the fair but the lost child tent found her in five minutes",
    "兄弟げんかで弟が鼻血を出した",
]

_EIGHTEENTH_SESSIONS_LOOK_ALIKES = [
    "gonna jump for joy, I passed the JLPT!",
    "the momos at the festival were fire bro",
    "grandpa is locked out of his LINE account on the old phone",
    "今日も子どもに怒鳴っちゃって自己嫌悪、寝顔見て反省中",
    "grandma nearly had a heart attack when she saw the gas bill",
]


_NINETEENTH_SESSIONS_LOOK_ALIKES = [
    "心が骨折した、推しが結婚するって",
    "スマホが息してない、充電器どこ",
    "正月に父が食べる餅、喉につまらせない切り方を教えて",
    "Is it abuse if I take dad's car keys away?",
    "花火の音で火事かと思って外に出たら、花火大会だった",
    "子どもに怒鳴って反省…でも仲直りした",
    "お腹ぱんぱんで動けない笑",
]

# A cry for help about a chore: the bare-cry rules do not ring for it, and where the model
# hears only the cry it is a note for staff at most.
_CRIES_ABOUT_A_CHORE = [
    "誰か助けて〜 理科の宿題が終わらない",
    "HELP!! the rice cooker says E4",
    "help pls, how to reset my LINE password",
    "たすけて　リモコンの使い方がわからん",
    "SOS my cat is missing, where to report",
    "help me pls with the kanji homework",
    "だれか助けて〜 部屋にでっかいクモが出た",
]


@pytest.mark.parametrize(
    "text",
    _FIFTEENTH_SESSIONS_LOOK_ALIKES
    + _SIXTEENTH_SESSIONS_LOOK_ALIKES
    + _SEVENTEENTH_SESSIONS_LOOK_ALIKES
    + _EIGHTEENTH_SESSIONS_LOOK_ALIKES
    + _NINETEENTH_SESSIONS_LOOK_ALIKES
    + _CRIES_ABOUT_A_CHORE,
)
def test_the_later_sessions_look_alikes_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(
    "text",
    [
        "my toddler put his hands round my neck and squeezed me in a big hug",
        "I'll save you the trouble of driving, I'll take the train from platform 3",
        "the car is stuck in the mud, we called JAF and they are on the way",
        "デイサービスのお迎えが早く来てほしい、待ちくたびれた",
        "車の排気ガスが車内に入ってくるので修理に出しました",
    ],
)
def test_the_sixteenth_sessions_rules_leave_these_alone(text: str) -> None:
    # The session's strangling, sparing-the-trouble and stuck-in-the-mud rules do not ring on
    # these; the model alone still asks about them (a guess the rules cannot quiet).
    assert kinds_the_rules_raise(text) == []


def test_a_kansai_negation_is_no_giggle() -> None:
    # 見てへん, 出えへん: the sentence is read, not set aside as said in play.
    analysis = analyse("おじいさん一週間見てへん、呼んでも出えへん")
    assert rules.as_read(analysis) is analysis


def test_someone_who_has_a_headache_is_not_saying_what_a_headache_it_is() -> None:
    # "has a headache" had been read as the figure "it's a headache" and set aside.
    assert "gas" in kinds_the_rules_raise(
        "the heater was smouldering and grandpa has a headache and threw up"
    )
    assert kinds_the_rules_raise("the paperwork is such a headache") == []


def test_a_long_message_is_read_three_sentences_at_a_time() -> None:
    # Six sentences are read one by one, and the farewell's parts were in three of them.
    text = (
        "Good evening. Thank you for all your help this year. I can't look after her "
        "anymore. We're at the dam. I'm sorry. Please tell my brother."
    )
    assert "suicide" in kinds_the_rules_raise(text)
    # A letter's greeting still does not lend its words to news three sentences on.
    letter = (
        "Thank you for everything at the salon this year. The singing was lovely. My mother "
        "enjoyed the tea. The volunteers were kind. We will look after the dog while you travel."
    )
    assert kinds_the_rules_raise(letter) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my son threw up twice after dinner and has a fever", []),
        ("grandpa keeps throwing up and his speech is slurred", ["medical"]),
    ],
)
def test_throwing_up_is_no_throw(text: str, expected: list[str]) -> None:
    # "threw up" had been read as "throw", a blow, beside a family word.
    assert kinds_the_rules_raise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 「肩をたたいても返事がない」 is first aid, not the figure 肩たたき (a massage, a hint to
        # retire); the clause had been set aside.
        ("母が倒れて、肩をたたいても返事がない", ["medical"]),
        ("父の肩をたたいてあげたら喜んでた", []),
        # "ok?? no." answers the check-in: not a reassurance.
        ("ok?? no. can't move my legs since this morning, nobody here", ["medical"]),
        # 転び (the noun the dictionary reads in 転び、) and 立てません are a fall and no standing.
        ("夜中にトイレで転び、腰が痛くて立てません", ["medical"]),
        ("旗を立てないでください", []),
    ],
)
def test_the_seventeenth_sessions_readings(text: str, expected: list[str]) -> None:
    assert kinds_the_rules_raise(text) == expected


def test_a_long_message_is_re_read_by_the_model_without_the_letter_around_its_news() -> None:
    # Where only three sentences together alarm, the model re-reads those three, not the
    # whole letter: its greetings and thanks do not speak for the news.
    text = (
        "Good evening. Thank you for all your help this year. The salon was lovely. "
        "I can't look after her anymore. We're at the dam. I'm sorry. Please tell my brother."
    )
    analysis = analyse(text)
    read = rules.as_read(analysis)
    assert read is not analysis
    assert "dam" in read.text and "salon" not in read.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A laugh inside a sentence ends what it laughs at, not the news after it.
        (
            "mum loves the heated toilet haha but now she slipped in the bath and can't get up",
            ["medical"],
        ),
        # A laugh that opens a sentence still lightens it.
        ("lol my brother got hit by a truck in the anime and woke up as a slime", []),
        # "Tonight" starts news after the past: last week's class does not speak for it.
        (
            "Thanks for the Japanese class last week. Tonight there's a man lying in the snow by "
            "the river, his lips are purple and he only moans.",
            ["medical"],
        ),
    ],
)
def test_the_eighteenth_sessions_readings(text: str, expected: list[str]) -> None:
    assert kinds_the_rules_raise(text) == expected


def test_english_beside_romaji_is_read_in_its_own_order() -> None:
    # Words that are both English and Hepburn ("he", "me") had been read twice in place,
    # "he へ won't let me め out", and no English phrase matched across them.
    (sentence,) = analyse("tasukete, he won't let me out").sentences
    assert "hewontletmeout" in sentence.clauses[1].folded
    assert "elder_abuse" in kinds_the_rules_raise("obaachan ga sakende iru, he won't let her out")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("誰か助けて", "distress"),
        ("help me please", "distress"),
        # A chore beside an emergency does not hide it.
        ("たすけて　スマホの使い方わからんけど、とうさんがたおれてうごかない", "medical"),
        ("sorry don't know how this app works but my dad fell and isn't moving", "medical"),
        # Water at hand does not set aside a fire that got away.
        ("焚き火が枯れ草に燃え広がった、バケツの水じゃ追いつかない", "fire"),
    ],
)
def test_a_cry_for_help_is_still_heard_beside_a_chore(text: str, expected: str) -> None:
    assert expected in kinds_shown(text)


def test_what_a_chore_is() -> None:
    assert rules.set_aside("distress", analyse("たすけて　くつひも　むすべない　どうやるの"))
    assert rules.set_aside("distress", analyse("someone help, how to fill the application form"))
    # Words that only contain a chore's word are not one: "app" in "appeared".
    assert not rules.set_aside("distress", analyse("a man appeared at the door and won't leave"))
    assert not rules.set_aside("distress", analyse("stuck on the chairlift and it's getting dark"))


_THIRTIETH_AND_FIRST_AUTHORS_SCENES = [
    # The thirtieth and thirty-first authors' scenes (a city refuse collector; a retired navy
    # corpsman; a rural railway station's staff; a pub landlord who had crewed a lifeboat), in
    # other words.
    (
        "been holding the kitchen knife for an hour now, trying to decide",
        "suicide",
    ),
    ("I jumped from the roof of the school but landed in a bush and cannot move", "suicide"),
    ("dad has run a hose from the exhaust into the car and shut himself in", "suicide"),
    ("浴室を目張りしました。これから洗剤を混ぜます", "suicide"),
    ("兄が首を…まだ息はあるって救急の人が", "suicide"),
    ("隣の部屋から練炭の燃える臭い、ノックしても返事がない", "suicide"),
    ("my brother says he is going to go over the side of the ferry tonight", "suicide"),
    ("the kids are better off without me. I am on the roof of the car park", "suicide"),
    ("im down at the bridge. goodbye everyone", "suicide"),
    ("ive been cutting again and it wont stop, the towel is soaked", "suicide"),
    ("going up the lighthouse tonight and I won't be coming down", "suicide"),
    ("tied my scarf to the door handle, just wanted to say bye", "suicide"),
    ("I took all of dad's sleeping pills, so tired of it all", "suicide"),
    ("首にロープ巻いたけど切れた、また巻く", "suicide"),
    ("I won't be here for next week's call. Sorry, and thank you for everything", "suicide"),
    ("最後に部屋を片付けて、きれいにしてから行きたいんです", "suicide"),
    ("もう無理。いま駅のホームで電車を待ってる", "suicide"),
    ("so shaky, cant find the sugar", "medical"),
    ("車が用水に落ちて動かない、母が乗ってる", "distress"),
    ("父が車庫で車のエンジンかけたまま、シャッター閉めて出てこない", "suicide"),
    (
        "an old woman on the bench by the harbour, soaked, shivering, can't say where she lives",
        "medical",
    ),
    ("a fish hook went into my son's eye and it's stuck there", "medical"),
    ("祖母と電話で話したら言ってることが全然わからない、切れてから出ません", "medical"),
    ("おふろで たてへん さむい", "medical"),
    ("grandad says it's only indigestion but he's grey and sweaty and his jaw hurts", "medical"),
    ("my mother has a fever and her legs are mottled, she is talking nonsense", "medical"),
    ("a boy fell in the canal and is being swept along, he went under", "medical"),
    (
        "thanks for the midwife visit yesterday. now my wife is bleeding a lot of blood and fainted",
        "medical",
    ),
    ("孫が蜂に刺されて顔がぱんぱんに腫れて、ぜーぜーしてる", "medical"),
    ("ワーファリン飲んでる母の鼻血が一時間止まらない", "medical"),
    ("認知症の父が見つからない、外は雪でパジャマのまま出て行った", "medical"),
    ("I just stood up and the whole left side of my face went numb", "medical"),
    ("a man got glassed outside the pub, blood everywhere", "violence"),
    ("two men are stamping on his head in the car park", "violence"),
    ("駅前で男が駅員さんに殴りかかっとる", "violence"),
    ("some lads have my brother cornered, one has a knife and they're hitting him", "violence"),
    ("母が兄に殴られて泣きながら逃げてきた", "elder_abuse"),
    ("嫁がわしに熱湯をかけた", "elder_abuse"),
    ("old lady in bed, family left her with no water for days, she barely answers", "elder_abuse"),
    ("夫にまた殴られた。わたしは七十九です", "elder_abuse"),
    ("my niece whispered that her mum's boyfriend is hitting her", "child_abuse"),
    ("兄貴が妹の首しめてる 親は止めない", "child_abuse"),
    ("the gas heater was on all night in the shut room and now I have a headache", "gas"),
    ("いまつけてる石油ストーブのせいか頭が痛くて子どもが吐いた", "gas"),
]


_TWENTIETH_SESSIONS_LOOK_ALIKES = [
    "I could die of embarrassment, I sang the wrong song at the salon",
    "hay fever again, can't breathe through my nose at all",
    "孫の発表会、胸がいっぱいで涙が止まらんかった",
    "my thesis is on suicide prevention in rural Japan, could I interview a volunteer?",
    "はちに さされた でも ちょっと はれた だけ",
    "had all my tablets with breakfast, don't worry",
    "Tip: before warming up the engine in snow, clear the car's exhaust pipe",
    "Never mind!!! found the cat, she was in the cupboard. I thought someone had broken in",
    # The session's garage, bath and hose rules, narrowed after they rang on these.
    "倉庫にエンジン式の草刈り機をしまいました",
    "ガレージでエンジンオイルの交換をします",
    "お風呂あがれないくらい長湯しちゃった",
    "富士山が見えて、息が止まるほど美しかった",
]


# A matter consulted on before, named and left (the twenty-first session).
_CONSULTED_ON_BEFORE = [
    ("先週ご相談した母の介護保険の件です。いま母が倒れて動きません", "いま母が"),
    ("先日ゴミ出しの件で相談した者です。父が息をしていません", "父が息"),
    ("About the salon booking, you can cancel it. My wife has collapsed", "My wife"),
]


@pytest.mark.parametrize(
    ("text", "news"),
    [
        *_CONSULTED_ON_BEFORE,
        ("I was going to ask about the flu jab but he just fell and hit his head", "he just fell"),
        ("About the form question, never mind. My husband is not breathing", "My husband"),
        ("Sorry to trouble you but now the heater is on fire", "the heater"),
        ("thanks for the visit last week. now my father won't wake up", "my father"),
        ("回覧板の件ですが、それより今、母が倒れて", "今、母が"),
        ("ごみ当番の話どころじゃない、隣が火事", "隣が火事"),
        ("書類のこと聞こうとしたら、父が胸を押さえて", "父が胸"),
    ],
)
def test_a_matter_left_for_the_news_is_read_from_the_news(text: str, news: str) -> None:
    # A resident who began on business and turned: the business (a course, a form, last
    # week) does not speak for the news.
    found = rules.news_after_opening(text)
    assert found is not None and found.startswith(news)


def test_a_matter_left_for_the_news_is_shown_its_numbers() -> None:
    text = "I wanted to ask about the first aid class but my husband just collapsed and isn't breathing"
    assert level(text) == "emergency" and "medical" in kinds_shown(text)
    # "Never mind" as the first words closes nothing: there is no matter before it.
    assert rules.news_after_opening("Never mind!!! found the cat") is None


def test_what_a_cry_says_beside_it() -> None:
    beside = rules.beside_the_cry(analyse("たすけてー、庭の柿が多すぎて取りきれん"))
    assert beside is not None and "柿" in beside.text and "たすけ" not in beside.text
    # Only pleas beside it: nothing said.
    assert rules.beside_the_cry(analyse("誰か助けてください、お願いします")) is None
    assert rules.beside_the_cry(analyse("help. now. please")) is None


def test_only_a_cry_is_a_cry() -> None:
    assert rules.only_a_cry(rules.hits(analyse("たすけて")))
    assert not rules.only_a_cry(rules.hits(analyse("たすけて　父が倒れて動かない")))
    # A distress rule that is not a bare cry: water rising.
    assert not rules.only_a_cry(rules.hits(analyse("help, the water is up to my chest in the car")))


@pytest.mark.parametrize(
    "text",
    [
        "たすけてー、庭の柿が多すぎて取りきれん",
        "SOS! the cat knocked the goldfish bowl over again",
        "help! my neighbour gave me 30 persimmons, want some?",
        "Help pls, my bus card got eaten by the ticket machine",
    ],
)
def test_a_cry_about_what_is_no_danger_is_not_alarmed_at_once(text: str) -> None:
    # No chore word names it, the bare cry rings, and the model reads what is beside the cry
    # as nothing: the question "do you need help now?" (or, where the model reads the whole
    # as nothing, a note), not the numbers at once.
    assert "distress" in kinds_the_rules_raise(text)
    assert level(text) in ("possible", "concern")


@pytest.mark.parametrize(
    "text", ["誰か助けてください、お願いします", "help. now. please", "たすけて"]
)
def test_a_cry_with_only_its_pleas_keeps_its_numbers_at_once(text: str) -> None:
    assert level(text) == "emergency"


def test_a_cry_beside_what_no_word_places_is_still_shown_the_numbers() -> None:
    # Nothing the rules know is beside the cry, and the model is not sure it is nothing.
    assert level("ice broke. friend in the lake. help") in ("emergency", "possible")


def test_a_chore_cry_is_a_note_for_staff() -> None:
    # The chore named: a note for staff, where the rule still heard the cry.
    text = "数学の宿題わからん誰か助けて〜"
    assert "distress" in kinds_the_rules_raise(text)
    assert level(text) == "concern"


_THIRTY_SECOND_AUTHORS_SCENES = [
    # The thirty-second author's scenes (a night receptionist at emergency hospitals; a postie
    # and volunteer firefighter who runs a hostel), in other words.
    ("I'm by the level crossing behind the school, waiting for the next train", "suicide"),
    ("踏切のとこにおる。次の電車を待っとる", "suicide"),
    ("at the station. I've been working out which trains don't stop here", "suicide"),
    ("I'm at the harbour. I'll go into the water and finish, sorry", "suicide"),
    ("at the bridge. going over once it's dark", "suicide"),
    ("my son sent a photo of his wrists and then 'sorry'. his phone is off", "suicide"),
    ("she hit her head on the ice, seemed fine but now she's being sick and drowsy", "medical"),
    ("味噌汁を子どもがかぶって、胸の皮がむけてきた", "medical"),
    ("he punched his mother and he's still very angry downstairs", "violence"),
    ("姉から、彼氏に閉じ込められてスマホを取られたって。それから既読にならない", "violence"),
    ("お母さんに包丁を向けられた、いま友だちの家", "child_abuse"),
    ("ヘルパーです。訪問先で息子さんがお父さんを殴っていました", "elder_abuse"),
    ("my client's daughter just threw boiling water at her", "elder_abuse"),
    ("the propane tank by the barbecue has caught fire at the valve", "gas"),
    ("I won't be here tomorrow. thank you for everything", "suicide"),
    # The thirty-third author's (a visiting hairdresser; a former seafarer and ship's cook).
    ("Lolo not breathing", "medical"),
    ("I left the gas on without lighting it and shut the windows", "suicide"),
    ("橋の欄干に、知らない人がまたがってる", "suicide"),
    ("ぼくは こんや しぬ", "suicide"),
    ("息子から「もう会えない。母さんは長生きしてな」って", "suicide"),
    ("I'm at the top of the hospital car park. goodbye", "suicide"),
    ("scooter crash outside, rider not moving", "medical"),
    ("入居者さんがヒューヒューして、唇が紫っぽい", "medical"),
    ("頭痛で痛み止めをまとめて飲んだら、耳鳴りがして吐き気がする", "medical"),
    ("a candle fell onto the futon, the room is filling with smoke", "fire"),
    ("the toaster at the salon is on fire", "fire"),
    ("金を出さないと痛い目にあわせるぞと男に言われています", "violence"),
    ("酔った父が包丁持って暴れてる", "violence"),
    ("隣の子が逃げてきた。お父さんに殴られたって", "child_abuse"),
    ("言うことを聞かないからって子どもを熱湯につけてる", "child_abuse"),
    ("だして ここから だして", "distress"),
    # Emergencies the session's retrainings moved, as rules (in other words).
    ("知らない男が上がり込んで帰らないと母から電話", "violence"),
    ("元夫が職場の前で待ち伏せしていて帰れません", "violence"),
    ("配食のお弁当がドアノブにかかったまま、ノックしても返事がありません", "medical"),
    ("gave my dog to my neighbour. won't need anything now", "suicide"),
    ("told my son I've had a good innings. the rope is in the shed", "suicide"),
]

_TWENTY_FIRST_SESSIONS_LOOK_ALIKES = [
    "I'm at the station now, which train is fastest to Hakodate? I have a clinic at 3",
    "at the level crossing, waiting for the train to pass, 5 mins late",
    "my granddaughter sent a photo of her wrists with her new bracelets, so cute",
    "My client's husband poured her a cup of tea, lovely visit",
    "the gas canister for the camping stove won't light",
    "I won't be here next week, we're visiting my son in Osaka",
    "won't be here for the salon next week, sorry! thank you",
    "not really, the fire drill was moved to Friday",
    # Cries for help about a chore: a note for staff.
    "HELP!!! the toilet is overflowing and I need a plumber",
    "SOS my cat is stuck on the roof again",
    "SOS!!! spilt soy sauce on the tatami",
    "たすけてー ショッピングモールで車どこに停めたかわからん",
    # The thirty-third author's look-alikes, in other words.
    "Lola says hi to everyone at the salon",
    "the sisig is fire today, come try it",
    "we visited the fire station and the kids climbed on the fire truck",
    "the gas barbecue next door smells so good",
    "is the gas leak detector supposed to blink green?",
    "the wellbeing session on Friday, the topic is suicide prevention",
    "im gonna kill my daughter she ate all my chocolate 😤",
    "新しい演歌、胸に火がつくね",
    "転勤になるので、もう会えないかもしれません。お元気でいてください",
    "お線香が畳に落ちたけど、すぐ拾いました",
    "孫とやってるゲームで敵が待ち伏せしてて帰れんかった（笑）",
    "gave my old coat away, I won't need it now I have the new one",
]


@pytest.mark.parametrize(
    ("text", "expected"), _THIRTIETH_AND_FIRST_AUTHORS_SCENES + _THIRTY_SECOND_AUTHORS_SCENES
)
def test_fresh_authors_scenes_are_read_by_the_rules_themselves(text: str, expected: str) -> None:
    # The twentieth and twenty-first sessions' rules, each tried in other words than the
    # held-out line it was written for: a rule, not the model, must hear them.
    assert expected in kinds_shown(text)
    assert expected in kinds_the_rules_raise(text)


@pytest.mark.parametrize(
    "text", _TWENTIETH_SESSIONS_LOOK_ALIKES + _TWENTY_FIRST_SESSIONS_LOOK_ALIKES
)
def test_the_look_alikes_written_to_try_those_rules_stay_quiet(text: str) -> None:
    assert level(text) not in ("emergency", "possible")


@pytest.mark.parametrize(("text", "_news"), _CONSULTED_ON_BEFORE)
def test_a_matter_consulted_on_before_is_shown_its_numbers(text: str, _news: str) -> None:
    assert level(text) == "emergency"


def test_seemed_fine_and_not_really_are_no_reassurance() -> None:
    # "Seemed fine, but now…" tells of a turn for the worse; "not really" answers "are you all
    # right?", it is no "not real" (a drill).
    assert level("he fell and hit his head, seemed fine but now he keeps throwing up") == (
        "emergency"
    )
    assert "suicide" in kinds_the_rules_raise(
        "not really. I'm at the level crossing waiting for the next train"
    )
