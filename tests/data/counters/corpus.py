"""The public counter corpus: whole small threads in nine languages, with what cleaning leaves.

One case is one thread, so the per-thread decision is what is tested: a style is a counter
only where the thread's posts agree with it. Counter cases number every post in one of the
styles real threads use (or open the thread with an opener); look-alike cases carry dates,
fractions, scores, ratios, times, versions, paths and numbers that must survive untouched.
Every sentence here was written for this corpus. `CASES` is built once, at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Case:
    """One thread as posted and as it must read after cleaning."""

    id: str
    language: str
    posts: tuple[str, ...]
    expected: tuple[str, ...]

    @property
    def is_look_alike(self) -> bool:
        """Say whether the thread must come back unchanged."""
        return self.posts == self.expected


@dataclass(frozen=True, slots=True)
class Language:
    """What a language's threads are made of: bodies, words around numbers, digits."""

    code: str
    bodies: tuple[str, str, str]  # three posts, each a full sentence with its own full stop
    part: str  # "Part" in this language
    of: str  # the word in "2 of 3"
    openers: tuple[str, ...]  # how a first post announces a thread
    digits: str = "0123456789"  # the digits this language's threads write
    glue: str = ""  # "" when counters stand after a space, or glue to the full stop


LANGUAGES = (
    Language(
        "en",
        (
            "Cats purr for many reasons, not only when they are happy.",
            "Kittens purr while nursing so their mother knows they are fine.",
            "Older cats purr to calm themselves when they are hurt.",
        ),
        "Part",
        "of",
        ("Thread 🧵:", "A thread 🧵👇", "THREAD:", "🧵", "A short thread:"),
    ),
    Language(
        "es",
        (
            "Madrid tiene más árboles por habitante que casi cualquier capital europea.",
            "El Retiro fue un jardín real hasta que se abrió al público.",
            "Hoy lo visitan millones de personas cada año, sobre todo en primavera.",
        ),
        "Parte",
        "de",
        ("Hilo 🧵:", "Un hilo 🧵👇", "HILO:", "🧵"),
    ),
    Language(
        "pt",
        (
            "O Rio de Janeiro foi capital do Brasil durante quase dois séculos.",
            "A mudança para Brasília aconteceu em 1960, depois de poucos anos de obras.",
            "Muitos prédios federais no Rio continuam em uso até hoje.",
        ),
        "Parte",
        "de",
        ("Fio 🧵:", "Um fio 🧵👇", "FIO:", "🧵"),
    ),
    Language(
        "de",
        (
            "Die Bahn fährt in Deutschland auf mehr als dreißigtausend Kilometern Gleis.",
            "Viele Strecken wurden im neunzehnten Jahrhundert gebaut und nie erneuert.",
            "Deshalb dauern Reparaturen oft länger als geplant.",
        ),
        "Teil",
        "von",
        ("Thread 🧵:", "Ein Thread 🧵👇", "THREAD:", "🧵"),
    ),
    Language(
        "ru",
        (
            "Байкал — самое глубокое озеро на планете.",
            "В нём живут нерпы, которых больше нигде в пресной воде нет.",
            "Зимой лёд на озере бывает толщиной больше метра.",
        ),
        "Часть",
        "из",
        ("Тред 🧵:", "Ветка 🧵👇", "ТРЕД:", "🧵"),
    ),
    Language(
        "ja",
        (
            "東京の地下鉄は毎日数百万人を運んでいます。",
            "朝のラッシュでは二分おきに電車が来ます。",
            "それでも遅れはほとんどありません。",
        ),
        "パート",
        "",
        ("スレッド🧵", "スレッド:", "🧵"),
        glue="。",
    ),
    Language(
        "zh",
        (
            "长城并不是一道连续的城墙。",
            "它由许多朝代修建的不同段落组成。",
            "有些段落今天已经几乎看不见了。",
        ),
        "",
        "",
        ("🧵", "🧵👇"),
        glue="。",
    ),
    Language(
        "ar",
        (
            "القهوة العربية تقدم في فناجين صغيرة بدون سكر.",
            "يضاف إليها الهيل غالبا وأحيانا الزعفران.",
            "ومن عادات الضيافة أن يهز الضيف فنجانه عندما يكتفي.",
        ),
        "",
        "",
        ("ثريد 🧵:", "🧵"),
        digits="٠١٢٣٤٥٦٧٨٩",
    ),
    Language(
        "hi",
        (
            "भारत में बाईस भाषाओं को संविधान में जगह मिली है।",
            "हिंदी सबसे ज़्यादा लोगों की पहली भाषा है।",
            "फिर भी हर राज्य की अपनी भाषा और लिपि है।",
        ),
        "",
        "",
        ("थ्रेड 🧵:", "🧵"),
        digits="०१२३४५६७८९",
    ),
)
FULLWIDTH = "０１２３４５６７８９"


def _digits(number: int, digits: str) -> str:
    return "".join(digits[int(d)] for d in str(number))


def _keycap(number: int) -> str:
    return "🔟" if number == 10 else "".join(f"{d}\ufe0f\u20e3" for d in str(number))


# A style writes post n of t; "start" styles go before the body, "end" styles after it.
Style = Callable[[int, int], str]
COMMON_STYLES: dict[str, Style] = {
    "slash-after": lambda n, t: f"{n}/",
    "slash-before": lambda n, t: f"/{n}",
    "fraction": lambda n, t: f"{n}/{t}",
    "wrapped-fraction": lambda n, t: f"({n}/{t})",
    "bracketed-fraction": lambda n, t: f"[{n}/{t}]",
    "open-n": lambda n, t: f"{n}/n",
    "bracketed-open-n": lambda n, t: f"[{n}/n]",
    "open-x": lambda n, t: f"{n}/x",
    "keycap": lambda n, t: _keycap(n),
}


def _counter_cases(language: Language) -> Iterator[Case]:
    styles = dict(COMMON_STYLES)
    if language.digits != "0123456789":
        styles["native-fraction"] = lambda n, t: (
            f"{_digits(n, language.digits)}/{_digits(t, language.digits)}"
        )
        styles["native-slash-after"] = lambda n, t: f"{_digits(n, language.digits)}/"
    if language.glue:
        styles["fullwidth-fraction"] = lambda n, t: (
            f"{_digits(n, FULLWIDTH)}/{_digits(t, FULLWIDTH)}"
        )
        styles["fullwidth-wrapped"] = lambda n, t: f"（{n}/{t}）"
        styles["lenticular"] = lambda n, t: f"【{n}/{t}】"
        styles["circled"] = lambda n, t: "①②③④⑤"[n - 1]
    if language.of:
        styles["of"] = lambda n, t: f"{n} {language.of} {t}"
    bodies = language.bodies
    for name, style in styles.items():
        total = len(bodies)
        starts = tuple(f"{style(n, total)} {body}" for n, body in enumerate(bodies, 1))
        yield _case(language, f"{name}-start", starts, bodies)
        ends = tuple(f"{body} {style(n, total)}" for n, body in enumerate(bodies, 1))
        yield _case(language, f"{name}-end", ends, bodies)
    yield from _glued_cases(language, styles)
    yield from _start_only_cases(language)
    yield from _opener_cases(language)
    yield from _mixed_cases(language)


def _glued_cases(language: Language, styles: dict[str, Style]) -> Iterator[Case]:
    """Counters touching the full stop (CJK), a closing quote, or before trailing hashtags."""
    bodies, total = language.bodies, len(language.bodies)
    for name in ("fraction", "slash-before", "wrapped-fraction"):
        style = styles[name]
        if language.glue:
            glued = tuple(f"{body}{style(n, total)}" for n, body in enumerate(bodies, 1))
            yield _case(language, f"{name}-glued-to-full-stop", glued, bodies)
        quoted = tuple(f"«{body}»{style(n, total)}" for n, body in enumerate(bodies, 1))
        yield _case(language, f"{name}-glued-to-quote", quoted, tuple(f"«{b}»" for b in bodies))
        tagged = tuple(
            f"{body} {style(n, total)} #{language.code}" for n, body in enumerate(bodies, 1)
        )
        yield _case(
            language,
            f"{name}-before-hashtag",
            tagged,
            tuple(f"{b} #{language.code}" for b in bodies),
        )
        linked = tuple(
            f"{body} {style(n, total)} https://example.org/{n}" for n, body in enumerate(bodies, 1)
        )
        yield _case(
            language,
            f"{name}-before-link",
            linked,
            tuple(f"{b} https://example.org/{n}" for n, b in enumerate(bodies, 1)),
        )


def _start_only_cases(language: Language) -> Iterator[Case]:
    """List-like and word counters, which only a whole numbered thread makes counters."""
    bodies = language.bodies
    yield _case(language, "dot", tuple(f"{n}. {b}" for n, b in enumerate(bodies, 1)), bodies)
    yield _case(language, "paren", tuple(f"{n}) {b}" for n, b in enumerate(bodies, 1)), bodies)
    if language.part:
        parts = tuple(f"{language.part} {n}: {b}" for n, b in enumerate(bodies, 1))
        yield _case(language, "part", parts, bodies)
    if language.glue:
        yield _case(
            language,
            "circled-glued",
            tuple(f"{'①②③'[n]}{b}" for n, b in enumerate(bodies)),
            bodies,
        )
        yield _case(
            language,
            "fullwidth-wrapped-glued",
            tuple(f"（{_digits(n, FULLWIDTH)}/３）{b}" for n, b in enumerate(bodies, 1)),
            bodies,
        )


def _opener_cases(language: Language) -> Iterator[Case]:
    """An opener on the first post, with or without counters on the others."""
    bodies = language.bodies
    for index, opener in enumerate(language.openers):
        first = f"{opener} {bodies[0]}"
        yield _case(language, f"opener-{index}", (first, *bodies[1:]), bodies)
        numbered = (f"{opener} 1/ {bodies[0]}", f"2/ {bodies[1]}", f"3/ {bodies[2]}")
        yield _case(language, f"opener-{index}-then-counters", numbered, bodies)
    yield _case(language, "emoji-end", (f"{bodies[0]} 🧵👇", *bodies[1:]), bodies)


def _mixed_cases(language: Language) -> Iterator[Case]:
    """Styles change within a thread the way authors drift: "/2", then "3/3" to close."""
    b = language.bodies
    yield _case(
        language, "mixed-slash-then-fraction", (f"{b[0]} 1/", f"{b[1]} 2/", f"{b[2]} 3/3"), b
    )
    yield _case(language, "mixed-before-then-fraction", (b[0], f"{b[1]} /2", f"{b[2]} 3/3"), b)
    yield _case(
        language, "mixed-fraction-then-slash", (f"1/3 {b[0]}", f"2/ {b[1]}", f"3/ {b[2]}"), b
    )
    yield _case(language, "mixed-edges", (f"{b[0]} 1/3", f"2/3 {b[1]}", f"{b[2]} (3/3)"), b)
    yield _case(language, "unnumbered-first-post", (b[0], f"{b[1]} 2/", f"{b[2]} 3/"), b)


def _case(
    language: Language, name: str, posts: tuple[str, ...], expected: tuple[str, ...]
) -> Case:
    return Case(f"{language.code}-{name}", language.code, posts, expected)


# Look-alikes: two posts, each with a number at an edge, in the order a counter would rise, so
# only reading the thread as a whole keeps them. "{a}" and "{b}" take one pair of TOKENS.
TOKENS: dict[str, tuple[tuple[str, str], ...]] = {
    "date": (("9/11", "12/25"), ("4/20", "7/4"), ("3/4/2024", "5/6/2024"), ("31/12", "1/1")),
    "fraction": (("1/3", "2/3"), ("1/4", "2/4"), ("1/2", "2/2")),
    "rating": (("2/5", "3/5"), ("3/5", "4/5"), ("7/10", "10/10")),
    "ratio": (("24/7", "50/50"), ("16:9", "4:3"), ("1:1", "2:1")),
    "time": (("10:30", "11:45"), ("7:00", "23:59")),
    "version": (("v2.1/3", "3.12"), ("/usr/bin/2", "example.com/3"), ("1.5", "2.5")),
}
FRAMES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "date": ("{a} changed how we travel.", "{b} is a holiday in many places."),
        "date-end": ("The office closed on {a}", "It opened again on {b}"),
        "fraction": ("{a} of all trips are short.", "{b} of all cats sleep all day."),
        "rating": ("Critics rated it {a}", "Readers rated it {b}"),
        "ratio": ("{a} is what they promised.", "Support was {b} at best."),
        "time": ("We met at {a} on Monday.", "The train left at {b}"),
        "version": ("Get {a} now.", "Then read {b}"),
        "mid": ("We saw {a} of the birds today.", "Only {b} came back."),
    },
    "es": {
        "date": ("{a} cambió la forma de viajar.", "{b} es festivo en muchos lugares."),
        "date-end": ("La oficina cerró el {a}", "Volvió a abrir el {b}"),
        "fraction": ("{a} de los viajes son cortos.", "{b} de los gatos duermen todo el día."),
        "rating": ("La crítica le dio un {a}", "El público le dio un {b}"),
        "ratio": ("{a} fue lo prometido.", "La ayuda fue {b} como mucho."),
        "time": ("Nos vimos a las {a} el lunes.", "El tren salió a las {b}"),
        "version": ("Descarga {a} ya.", "Luego lee {b}"),
        "mid": ("Vimos {a} de los pájaros hoy.", "Solo {b} volvieron."),
    },
    "pt": {
        "date": ("{a} mudou a forma de viajar.", "{b} é feriado em muitos lugares."),
        "date-end": ("O escritório fechou em {a}", "Abriu de novo em {b}"),
        "fraction": ("{a} das viagens são curtas.", "{b} dos gatos dormem o dia todo."),
        "rating": ("A crítica deu nota {a}", "O público deu nota {b}"),
        "ratio": ("{a} foi o prometido.", "O suporte foi {b} no máximo."),
        "time": ("Nos vimos às {a} na segunda.", "O trem saiu às {b}"),
        "version": ("Baixe {a} agora.", "Depois leia {b}"),
        "mid": ("Vimos {a} dos pássaros hoje.", "Só {b} voltaram."),
    },
    "de": {
        "date": ("{a} hat das Reisen verändert.", "{b} ist vielerorts ein Feiertag."),
        "date-end": ("Das Büro schloss am {a}", "Es öffnete wieder am {b}"),
        "fraction": ("{a} der Fahrten sind kurz.", "{b} der Katzen schlafen den ganzen Tag."),
        "rating": ("Die Kritik gab ihm {a}", "Das Publikum gab ihm {b}"),
        "ratio": ("{a} war versprochen.", "Der Support war höchstens {b}"),
        "time": ("Wir trafen uns um {a} am Montag.", "Der Zug fuhr um {b}"),
        "version": ("Lade {a} jetzt.", "Dann lies {b}"),
        "mid": ("Wir sahen {a} der Vögel heute.", "Nur {b} kamen zurück."),
    },
    "ru": {
        "date": ("{a} изменило путешествия.", "{b} — праздник во многих странах."),
        "date-end": ("Офис закрылся {a}", "Он снова открылся {b}"),
        "fraction": ("{a} всех поездок короткие.", "{b} всех кошек спят весь день."),
        "rating": ("Критики поставили {a}", "Зрители поставили {b}"),
        "ratio": ("{a} — так обещали.", "Поддержка была {b} в лучшем случае."),
        "time": ("Мы встретились в {a} в понедельник.", "Поезд ушёл в {b}"),
        "version": ("Скачайте {a} сейчас.", "Потом прочтите {b}"),
        "mid": ("Сегодня мы видели {a} птиц.", "Вернулись только {b}"),
    },
    "ja": {
        "date": ("{a}は雨でした。", "{b}は晴れでした。"),
        "date-end": ("事務所は休みでした。{a}", "再開は{b}"),
        "fraction": ("{a}の旅行は短いです。", "{b}の猫は一日中寝ています。"),
        "rating": ("評価は{a}でした。", "読者の評価は{b}でした。"),
        "ratio": ("{a}で対応します。", "確率は{b}です。"),
        "time": ("月曜日の{a}に会いました。", "電車は{b}に出ました。"),
        "version": ("{a}を入れてください。", "次に{b}を読んでください。"),
        "mid": ("今日は鳥の{a}を見ました。", "戻ったのは{b}だけです。"),
    },
    "zh": {
        "date": ("{a}改变了旅行方式。", "{b}在很多地方是节日。"),
        "date-end": ("办公室关门的日子是{a}", "重新开门是{b}"),
        "fraction": ("{a}的旅行很短。", "{b}的猫整天睡觉。"),
        "rating": ("评分是{a}", "读者评分是{b}"),
        "ratio": ("{a}是承诺的服务。", "机会是{b}"),
        "time": ("我们周一{a}见面。", "火车{b}开走了。"),
        "version": ("现在下载{a}吧。", "然后阅读{b}"),
        "mid": ("今天看到了{a}的鸟。", "只有{b}回来了。"),
    },
    "ar": {
        "date": ("{a} غيّر طريقة السفر.", "{b} عطلة في بلدان كثيرة."),
        "date-end": ("أغلق المكتب في {a}", "وأعيد فتحه في {b}"),
        "fraction": ("{a} من الرحلات قصيرة.", "{b} من القطط تنام طوال اليوم."),
        "rating": ("كان التقييم {a}", "وكان تقييم القراء {b}"),
        "ratio": ("{a} هذا ما وعدوا به.", "الفرص كانت {b}"),
        "time": ("التقينا الساعة {a} يوم الاثنين.", "غادر القطار الساعة {b}"),
        "version": ("نزّل {a} الآن.", "ثم اقرأ {b}"),
        "mid": ("رأينا {a} من الطيور اليوم.", "عاد فقط {b}"),
    },
    "hi": {
        "date": ("{a} ने यात्रा बदल दी।", "{b} कई जगह छुट्टी है।"),
        "date-end": ("दफ़्तर बंद हुआ {a}", "फिर खुला {b}"),
        "fraction": ("{a} में से ज़्यादातर यात्राएँ छोटी हैं।", "{b} में से बिल्लियाँ दिन भर सोती हैं।"),
        "rating": ("फ़िल्म की रेटिंग {a} है।", "किताब की रेटिंग {b} है।"),
        "ratio": ("{a} सेवा का वादा था।", "मौका {b} था।"),
        "time": ("हम सोमवार को {a} बजे मिले।", "ट्रेन {b} बजे चली।"),
        "version": ("अभी {a} डाउनलोड करें।", "फिर पढ़ें {b}"),
        "mid": ("आज हमने {a} पक्षी देखे।", "सिर्फ़ {b} लौटे।"),
    },
}
# Which tokens each frame takes; "date-end" and "mid" reuse the date and fraction pairs.
FRAME_TOKENS = {"date-end": "date", "mid": "fraction"}
# Threads whose edges hold one lone counter-like token, list items or words that are no
# opener: a single item is no sequence, and "Thread" inside a sentence opens nothing.
SINGLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("1. The first rule is rest.", "Dogs bark at night."),
        ("1️⃣ eggs 2️⃣ milk 3️⃣ flour",),
        ("Part 2 of the story was slow.", "The ending was better."),
        ("I read a thread about cats today.", "It was long."),
        ("Chapter 7 starts here.", "Chapter 9 ends there."),
    ),
    "es": (
        ("1. La primera regla es descansar.", "Los perros ladran."),
        ("Parte 2 de la historia fue lenta.", "El final fue mejor."),
        ("El hilo de la camisa se rompió.", "Lo cosí otra vez."),
    ),
    "pt": (
        ("1. A primeira regra é descansar.", "Os cães latem."),
        ("Parte 2 da história foi lenta.", "O final foi melhor."),
        ("O fio da tomada queimou.", "Troquei ontem."),
    ),
    "de": (
        ("1. Die erste Regel ist Ruhe.", "Hunde bellen nachts."),
        ("Teil 2 der Geschichte war langsam.", "Das Ende war besser."),
        ("Der Thread im Forum war lang.", "Ich habe ihn gelesen."),
    ),
    "ru": (
        ("1. Первое правило — отдых.", "Собаки лают ночью."),
        ("Часть 2 истории была скучной.", "Финал был лучше."),
    ),
    "ja": (("①卵②牛乳③小麦粉",), ("パート2は長かったです。", "最後は良かったです。")),
    "zh": (("第1章很短。", "第2章很长。"), ("①鸡蛋②牛奶",)),
    "ar": (("١. القاعدة الأولى هي الراحة.", "الكلاب تنبح ليلا."),),
    "hi": (("१. पहला नियम आराम है।", "कुत्ते रात में भौंकते हैं।"),),
}


def _look_alike_cases(language: Language) -> Iterator[Case]:
    for frame, (first, second) in FRAMES[language.code].items():
        for a, b in TOKENS[FRAME_TOKENS.get(frame, frame)]:
            posts = (first.format(a=a), second.format(b=b))
            yield _case(language, f"look-alike-{frame}-{a}-{b}", posts, posts)
    for index, posts in enumerate(SINGLES[language.code]):
        yield _case(language, f"look-alike-single-{index}", posts, posts)


def _all_cases() -> Iterator[Case]:
    for language in LANGUAGES:
        yield from _counter_cases(language)
        yield from _look_alike_cases(language)


CASES = tuple(_all_cases())
