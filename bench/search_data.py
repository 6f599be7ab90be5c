"""Synthetic people and typed queries for the people-search benchmark.

Written from the benchmark's contract alone, without reading the search engine or
the tracing normaliser, so the engine is measured on data it was not shaped for.

People are Russian and Ukrainian, Cyrillic names drawn from Faker's ru_RU/uk_UA lists,
our own lists of common names and a synthetic tail of surnames (stem + suffix), with
Zipf-like frequencies so common names collide as they do in a real population. Each
person is registered in Latin through one transliteration system, as a registrar copies
a passport or writes what they hear. Every name here is synthetic.
"""

from __future__ import annotations

import bisect
import calendar
import importlib
import itertools
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import iuliia
import translitua

Person = dict[str, str | None]
Query = dict[str, str | int]
Translit = Callable[[str], str]

KINDS = ("cyrillic", "latin", "translit_variant", "typo", "dob", "service_number")


def _words(text: str) -> list[str]:
    return text.split()


_RU = importlib.import_module("faker.providers.person.ru_RU").Provider
_UK = importlib.import_module("faker.providers.person.uk_UA").Provider

# Common names first (roughly by frequency among men and women born 1960-2007); Faker's
# longer, alphabetical lists follow as the rare tail.
_RU_MALE = _words(
    "Александр Сергей Дмитрий Андрей Алексей Евгений Максим Иван Владимир Михаил Николай "
    "Денис Артём Никита Роман Игорь Олег Юрий Павел Виктор Антон Вадим Константин Виталий "
    "Илья Кирилл Егор Владислав Вячеслав Артур Руслан Станислав Василий Анатолий Валерий "
    "Геннадий Георгий Даниил Тимур Григорий Леонид Пётр Фёдор Матвей Степан Ярослав "
    "Эдуард Борис Семён Рустам Айдар Ильдар Аркадий Валентин Захар"
)
_RU_FEMALE = _words(
    "Елена Ольга Наталья Татьяна Ирина Анна Светлана Екатерина Юлия Мария Анастасия "
    "Марина Людмила Галина Надежда Валентина Оксана Евгения Виктория Дарья Ксения Алёна "
    "Кристина Алина Вера Любовь Лариса Полина Яна Пелагея"
)
_UK_MALE = _words(
    "Олександр Сергій Андрій Володимир Дмитро Іван Микола Юрій Віталій Олег Василь Максим "
    "Богдан Віктор Руслан Роман Ігор Тарас Петро Михайло Вадим Євген Олексій Анатолій "
    "Валерій Павло Денис Артем Владислав Ярослав Станіслав Степан Григорій Костянтин Федір "
    "Леонід Назар Остап Геннадій Борис Антон Валентин Святослав Ростислав Орест Данило "
    "Кирило Матвій Ілля Вʼячеслав Яків"
)
_UK_FEMALE = _words(
    "Олена Ольга Наталія Тетяна Ірина Юлія Оксана Марія Анна Світлана Людмила Валентина "
    "Галина Катерина Вікторія Надія Лариса Інна Аліна Дарина Анастасія Христина Яна Софія "
    "Віра Любов Алла Ганна Зоряна Соломія Євгенія"
)

# Stems for a synthetic surname tail; ы/э become и/е in Ukrainian.
_STEMS = _words(
    "Бел Черн Мороз Снег Гром Зим Берез Дуб Сосн Клен Калин Вишн Груш Орех Жук Комар Шмел "
    "Ерш Щук Карп Окун Сом Лещ Налим Сокол Ворон Галк Сорок Грач Дрозд Снегир Чиж Щегл "
    "Журавл Лебед Голуб Гус Утк Волк Лис Медвед Барсук Бобр Хомяк Козл Баран Кузнец Гончар "
    "Бондар Мельник Пекар Рыбак Пастух Ткач Швец Столяр Плотник Кравец Бортник Кожемяк "
    "Дегтяр Колесник Чумак Козак Сотник Писар Гетман Осадч Тимош Юрч Федор Степан Гаврил "
    "Данил Максим Кирил Харит Прохор Ерем Ефим Захар Игнат Мирон Никифор Остап Панкрат "
    "Родион Тарас Трофим Устин Яким Ярем Щерб Шуст Щедр Хитр Добр Тих Смирн Весел Гладк "
    "Кругл Жар Жил Хмел Цвет Цыб Цап Чайк Шапк Шуб Юшк Ющ Явор Ясен Зыб Вяз Хрущ"
)
_RU_STEMS = _words("Рыж Лыс Сыч Ёлк Пыж Сверчк Подъяч Объедк Щёлк Эльдар")
_UK_STEMS = _words("Білоус Сірк Їжак Ґонт Євтух Лісн Кріп Гнат Дзюб Шкурат Пилип Гриц Левк Мацк")
# Where a shared stem is spelled otherwise in Ukrainian (Ukrainian words rarely start in И).
_UK_STEM_SPELLING = {
    "Игнат": "Гнат", "Ефим": "Юхим", "Ерем": "Єрем", "Родион": "Родіон", "Бел": "Біл",
    "Снег": "Сніг", "Снегир": "Снігур", "Лебед": "Лебід", "Медвед": "Ведмед",
    "Орех": "Горіх", "Ерш": "Йорж", "Цвет": "Цвіт", "Дегтяр": "Дігтяр", "Федор": "Федір",
}  # fmt: skip
_RU_SUFFIXES = (("ов", 10), ("ин", 4), ("ский", 3), ("енко", 1), ("их", 1))
_UK_SUFFIXES = (("енко", 8), ("чук", 5), ("ський", 3), ("ич", 2), ("ів", 1), ("ак", 1))
_RU_ADJ = _words("Бел Черн Крив Сив Сед Толст Долг Кос Крут Бор")
_RU_NOUN = _words("глаз нос ус бров рук ног зуб лоб голов бород пуз шей")
_UK_ADJ = _words("Біл Чорн Крив Сив Сиз Товст Довг Кос Крут Гол")
_UK_NOUN = _words("вус ніс брив рук ног зуб лоб голов бород пуз ший")

_RU_RANKS = (
    ("Private", 40), ("Corporal", 10), ("Junior Sergeant", 8), ("Sergeant", 8),
    ("Senior Sergeant", 5), ("Starshina", 2), ("Praporshchik", 3), ("Junior Lieutenant", 2),
    ("Lieutenant", 4), ("Senior Lieutenant", 4), ("Captain", 3), ("Major", 2),
    ("Lieutenant Colonel", 1), ("Colonel", 0.5),
)  # fmt: skip
_UK_RANKS = (
    ("Soldier", 35), ("Senior Soldier", 12), ("Junior Sergeant", 8), ("Sergeant", 8),
    ("Senior Sergeant", 5), ("Chief Sergeant", 3), ("Staff Sergeant", 2),
    ("Junior Lieutenant", 3), ("Lieutenant", 4), ("Senior Lieutenant", 4), ("Captain", 3),
    ("Major", 2), ("Lieutenant Colonel", 1), ("Colonel", 0.5),
)  # fmt: skip

_RU_ALPHABET = "абвгдежзийклмнопрстуфхцчшщыьэюя"
_UK_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_LATIN_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_SERVICE_LETTERS = "ABEKMHOPCTXY"  # the letters Cyrillic and Latin share, as on ID tags


def _iuliia(schema: object, *, no_yo: bool = False) -> Translit:
    def run(word: str) -> str:
        # BGN/PCGN and the scientific schema in iuliia leave ё as is; a registrar types e.
        text = word.replace("ё", "е").replace("Ё", "Е") if no_yo else word
        return str(schema.translate(text))  # type: ignore[attr-defined]

    return run


def _translitua(table: type[translitua.TransliterationTable]) -> Translit:
    return lambda word: str(translitua.translit(word, table))


_RU_SYSTEMS: tuple[tuple[str, Translit, float], ...] = (
    ("icao", _iuliia(iuliia.ICAO_DOC_9303), 20),
    ("gost_52535", _iuliia(iuliia.GOST_52535), 5),
    ("mvd_310", _iuliia(iuliia.MVD_310), 12),
    ("mvd_782", _iuliia(iuliia.MVD_782), 5),
    ("bgn_pcgn", _iuliia(iuliia.BGN_PCGN, no_yo=True), 10),
    ("wikipedia", _iuliia(iuliia.WIKIPEDIA), 12),
    ("mosmetro", _iuliia(iuliia.MOSMETRO), 8),
    ("yandex_maps", _iuliia(iuliia.YANDEX_MAPS), 6),
    ("gost_7034", _iuliia(iuliia.GOST_7034), 5),
    ("telegram", _iuliia(iuliia.TELEGRAM), 2),
    ("scientific", _iuliia(iuliia.SCIENTIFIC, no_yo=True), 2),
    ("ru_passport", _translitua(translitua.RussianInternationalPassport), 8),
    ("ru_simple", _translitua(translitua.RussianSimple), 5),
)
_UK_SYSTEMS: tuple[tuple[str, Translit, float], ...] = (
    ("kmu_2010", _translitua(translitua.UkrainianKMU), 40),
    ("passport_2007", _translitua(translitua.UkrainianPassport2007), 10),
    ("passport_2004_alt", _translitua(translitua.UkrainianPassport2004Alt), 3),
    ("national_1996", _translitua(translitua.UkrainianNational1996), 5),
    ("bgn", _translitua(translitua.UkrainianBGN), 8),
    ("simple", _translitua(translitua.UkrainianSimple), 5),
    ("british", _translitua(translitua.UkrainianBritish), 4),
    ("german", _translitua(translitua.UkrainianGerman), 4),
    ("french", _translitua(translitua.UkrainianFrench), 3),
    ("wws", _translitua(translitua.UkrainianWWS), 2),
)
# BGN/PCGN's middle dot (t·s) only marks a digraph; nobody types it.
_QUOTES = str.maketrans({"·": None, "’": "'", "ʼ": "'", "”": "''", "`": "'", "ʹ": "'", "ʺ": "''"})


def _ascii_fold(text: str) -> str:
    """Type a transliteration on an ordinary keyboard: no diacritics, plain apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ru_feminine(surname: str) -> str:
    for male, female in (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая"), ("ый", "ая")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname  # -енко, -их, -ук ... do not change


def _uk_feminine(surname: str) -> str:
    if surname.endswith("ий"):
        return surname[:-2] + "а"  # -ський -> -ська, Тихий -> Тиха
    if surname.endswith(("ов", "ев", "єв", "ін", "їн", "ин")):
        return surname + "а"
    return surname


_RU_PATRONYMIC_EXCEPTIONS = {
    "Дмитрий": ("Дмитриевич", "Дмитриевна"),
    "Георгий": ("Георгиевич", "Георгиевна"),
    "Илья": ("Ильич", "Ильинична"),
    "Михаил": ("Михайлович", "Михайловна"),
    "Никита": ("Никитич", "Никитична"),
    "Павел": ("Павлович", "Павловна"),
    "Пётр": ("Петрович", "Петровна"),
}
_UK_PATRONYMIC_EXCEPTIONS = {
    "Григорій": ("Григорович", "Григорівна"),
    "Федір": ("Федорович", "Федорівна"),
    "Яків": ("Якович", "Яківна"),
    "Ілля": ("Ілліч", "Іллівна"),
    "Микола": ("Миколайович", "Миколаївна"),
}


def _ru_patronymic(father: str) -> tuple[str, str]:
    if father in _RU_PATRONYMIC_EXCEPTIONS:
        return _RU_PATRONYMIC_EXCEPTIONS[father]
    if father.endswith("ий"):
        return father[:-2] + "ьевич", father[:-2] + "ьевна"
    if father.endswith(("й", "ь")):
        return father[:-1] + "евич", father[:-1] + "евна"
    return father + "ович", father + "овна"


def _uk_patronymic(father: str) -> tuple[str, str]:
    if father in _UK_PATRONYMIC_EXCEPTIONS:
        return _UK_PATRONYMIC_EXCEPTIONS[father]
    if father.endswith("ій"):
        return father + "ович", father[:-1] + "ївна"
    if father.endswith("ь"):
        return father + "ович", father[:-1] + "івна"
    if father.endswith("о"):
        return father[:-1] + "ович", father[:-1] + "івна"
    return father + "ович", father + "івна"


class _Pool:
    """Names with cumulative Zipf weights: rank r weighs 1 / (r + offset) ** power."""

    def __init__(self, names: Sequence[str], *, offset: float, power: float) -> None:
        self.names = list(dict.fromkeys(names))
        weights = [1 / (rank + offset) ** power for rank in range(len(self.names))]
        self.cum = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> str:
        return self.names[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass(frozen=True)
class _Language:
    nationality: str
    surnames: _Pool  # masculine forms
    feminine: Callable[[str], str]
    male: _Pool
    female: _Pool
    fathers: _Pool
    patronymic: Callable[[str], tuple[str, str]]
    systems: tuple[tuple[str, Translit, float], ...]
    ranks: tuple[tuple[str, float], ...]
    alphabet: str


def _tail(
    stems: Sequence[str], suffixes: Sequence[tuple[str, int]], *, ukrainian: bool
) -> list[tuple[str, float]]:
    """Stem + suffix surnames, each weighted by how common its suffix is."""
    out: list[tuple[str, float]] = []
    for stem in stems:
        if ukrainian:
            stem = _UK_STEM_SPELLING.get(stem, stem).replace("ы", "и").replace("э", "е")
        for suffix, weight in suffixes:
            if suffix == "ов" and stem[-1] in "жшчщц":
                suffix = "ев"  # Russian spelling after a sibilant
            if suffix in ("ский", "ський") and stem[-1] in "кгхцчщ":
                continue  # would need a sound change (-цкий, -зький) a stem list cannot know
            out.append((stem + suffix, weight))
    return out


def _compounds(
    adjectives: Sequence[str], nouns: Sequence[str], endings: Sequence[str]
) -> list[tuple[str, float]]:
    names = (a + "о" + n + e for a in adjectives for n in nouns for e in endings)
    return [(name.replace("йенко", "єнко"), 1.0) for name in names]


def _weighted_order(items: Sequence[tuple[str, float]], seed: int) -> list[str]:
    """A fixed weighted shuffle: heavier names tend to come first, i.e. are drawn more."""
    rng = random.Random(seed)
    keyed = [(rng.random() ** (1 / weight), name) for name, weight in items]
    return [name for _, name in sorted(keyed, reverse=True)]


def _shuffled(names: Sequence[str], seed: int) -> list[str]:
    # Faker's lists are alphabetical: shuffle once so rarity does not follow the alphabet.
    return _weighted_order([(name, 1.0) for name in names], seed)


@cache
def _languages() -> tuple[_Language, _Language]:
    ru_tail = _tail(_STEMS + _RU_STEMS, _RU_SUFFIXES, ukrainian=False)
    ru_tail += _compounds(_RU_ADJ, _RU_NOUN, ("ов",))
    uk_tail = _tail(_STEMS + _UK_STEMS, _UK_SUFFIXES, ukrainian=True)
    uk_tail += _compounds(_UK_ADJ, _UK_NOUN, ("", "енко"))
    uk_surnames = [(name, 3.0) for name in _UK.last_names_male] + uk_tail
    russian = _Language(
        nationality="Russian Federation",
        # Faker's ru_RU surnames are already the most frequent ones, in order.
        surnames=_Pool([*_RU.last_names_male, *_weighted_order(ru_tail, 1)], offset=20, power=1),
        feminine=_ru_feminine,
        male=_Pool([*_RU_MALE, *_shuffled(_RU.first_names_male, 2)], offset=3, power=1.2),
        female=_Pool([*_RU_FEMALE, *_shuffled(_RU.first_names_female, 3)], offset=3, power=1.2),
        fathers=_Pool(_RU_MALE, offset=3, power=1),
        patronymic=_ru_patronymic,
        systems=_RU_SYSTEMS,
        ranks=_RU_RANKS,
        alphabet=_RU_ALPHABET,
    )
    ukrainian = _Language(
        nationality="Ukraine",
        surnames=_Pool(_weighted_order(uk_surnames, 4), offset=20, power=1),
        feminine=_uk_feminine,
        male=_Pool([*_UK_MALE, *_shuffled(_UK.first_names_male, 5)], offset=3, power=1.2),
        female=_Pool([*_UK_FEMALE, *_shuffled(_UK.first_names_female, 6)], offset=3, power=1.2),
        fathers=_Pool(_UK_MALE, offset=3, power=1),
        patronymic=_uk_patronymic,
        systems=_UK_SYSTEMS,
        ranks=_UK_RANKS,
        alphabet=_UK_ALPHABET,
    )
    return russian, ukrainian


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in items], weights=[w for _, w in items])[0]


_LATIN_CACHE: dict[tuple[str, str], str] = {}


def _latin(systems: Sequence[tuple[str, Translit, float]], system: str, word: str) -> str:
    """The word as `system` writes it, typed on an ordinary keyboard (cached: few words)."""
    key = (system, word)
    if key not in _LATIN_CACHE:
        run = next(fn for name, fn, _ in systems if name == system)
        latin = _ascii_fold(run(word))
        if not latin.isascii():
            raise ValueError(f"{system} left non-Latin letters in {latin!r}")
        _LATIN_CACHE[key] = latin
    return _LATIN_CACHE[key]


@dataclass(frozen=True)
class _Truth:
    """What the generator knows about a person, beyond what is registered."""

    language: _Language
    system: str
    cyrillic: tuple[str, str, str | None]  # surname, given name, patronymic
    latin: tuple[str, str, str | None]  # as registered (case included)
    female: bool
    date_of_birth: str
    service_number: str | None


def _cyrillic_name(rng: random.Random, lang: _Language, female: bool) -> tuple[str, str, str]:
    surname = lang.surnames.draw(rng)
    if female:
        surname = lang.feminine(surname)
    given = (lang.female if female else lang.male).draw(rng)
    patronymic = lang.patronymic(lang.fathers.draw(rng))[female]
    if rng.random() < 0.4:
        # Documents often write ё as е; the name is then transliterated from what is written.
        return surname.replace("ё", "е"), given.replace("ё", "е"), patronymic.replace("ё", "е")
    return surname, given, patronymic


def _register(
    rng: random.Random, lang: _Language, system: str, cyrillic: tuple[str, str, str | None]
) -> tuple[str, str, str | None]:
    """Write the name in Latin as a registrar would: one system, surname often upper-case."""
    surname, given, patronymic = (
        None if word is None else _latin(lang.systems, system, word) for word in cyrillic
    )
    assert surname is not None
    assert given is not None
    shape = rng.random()
    if shape < 0.04:
        return surname.upper(), given.upper(), patronymic and patronymic.upper()
    if shape < 0.29:
        return surname.upper(), given, patronymic
    return surname, given, patronymic


def _birth_date(rng: random.Random) -> str:
    year = min(2007, int(rng.triangular(1960, 2008, 1996)))
    month = rng.randint(1, 12)
    shape = rng.random()
    if shape < 0.07:
        return f"{year:04d}"
    if shape < 0.15:
        return f"{year:04d}-{month:02d}"
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    return f"{year:04d}-{month:02d}-{day:02d}"


def _service_number(rng: random.Random, taken: set[str]) -> str | None:
    if rng.random() >= 0.7:
        return None
    while True:
        letters = "".join(rng.choices(_SERVICE_LETTERS, k=1 if rng.random() < 0.2 else 2))
        number = f"{letters}-{rng.randrange(10**6):06d}"
        if number not in taken:
            taken.add(number)
            return number


def _truth(rng: random.Random, earlier: Sequence[_Truth], taken: set[str]) -> _Truth:
    russian, ukrainian = _languages()
    if earlier and rng.random() < 0.03:
        # A namesake: the very same registered name, another person (another birth date).
        twin = earlier[rng.randrange(len(earlier))]
        lang, system, cyrillic, latin, female = (
            twin.language, twin.system, twin.cyrillic, twin.latin, twin.female,
        )  # fmt: skip
    else:
        lang = russian if rng.random() < 0.55 else ukrainian
        female = rng.random() < 0.1
        full = _cyrillic_name(rng, lang, female)
        cyrillic = full if rng.random() >= 0.1 else (full[0], full[1], None)
        system = _weighted(rng, [(name, weight) for name, _, weight in lang.systems])
        latin = _register(rng, lang, system, cyrillic)
    return _Truth(
        lang, system, cyrillic, latin, female, _birth_date(rng), _service_number(rng, taken)
    )


def _person(rng: random.Random, truth: _Truth) -> Person:
    surname, given, patronymic = truth.cyrillic
    original = " ".join(word for word in (surname, given, patronymic) if word)
    has_rank = rng.random() < 0.9
    return {
        "surname": truth.latin[0],
        "given_names": truth.latin[1],
        "patronymic": truth.latin[2],
        "date_of_birth": truth.date_of_birth,
        "service_number": truth.service_number,
        "sex": "female" if truth.female else "male",
        "rank": _weighted(rng, truth.language.ranks) if has_rank else None,
        "nationality": truth.language.nationality,
        "name_original_script": original if rng.random() >= 0.2 else None,
    }


# ---- queries: each maker returns the text, or None when this person cannot serve ----


def _two_words(rng: random.Random, surname: str, given: str) -> str:
    return f"{surname} {given}" if rng.random() < 0.5 else f"{given} {surname}"


def _capitalised(text: str) -> str:
    # Not str.title(): that writes Ol'Ga.
    return " ".join("-".join(p.capitalize() for p in word.split("-")) for word in text.split())


def _any_case(rng: random.Random, text: str) -> str:
    return rng.choice((text, text, text.lower(), text.upper(), _capitalised(text)))


def _q_cyrillic(rng: random.Random, truth: _Truth) -> str | None:
    text = _two_words(rng, truth.cyrillic[0], truth.cyrillic[1])
    return text.lower() if rng.random() < 0.15 else text


def _q_latin(rng: random.Random, truth: _Truth) -> str | None:
    surname, given, patronymic = truth.latin
    if patronymic and rng.random() < 0.2:
        return _any_case(rng, f"{surname} {given} {patronymic}")
    return _any_case(rng, _two_words(rng, surname, given))


def _q_translit_variant(rng: random.Random, truth: _Truth) -> str | None:
    systems = truth.language.systems
    stored = f"{truth.latin[0]} {truth.latin[1]}".casefold()
    others = [(name, weight) for name, _, weight in systems if name != truth.system]
    while others:
        system = _weighted(rng, others)
        others = [(name, weight) for name, weight in others if name != system]
        surname, given = (_latin(systems, system, word) for word in truth.cyrillic[:2])
        if f"{surname} {given}".casefold() != stored:
            return _two_words(rng, surname.upper() if rng.random() < 0.2 else surname, given)
    return None  # every system writes this name alike: it tests no variant


def _typo(rng: random.Random, word: str, alphabet: str) -> str:
    """One insertion, deletion, replacement or swap of neighbours; the word does change."""
    while True:
        # A first letter is rarely mistyped: keep it most of the time.
        at = rng.randrange(len(word)) if rng.random() < 0.1 else rng.randrange(1, len(word))
        letter = rng.choice(alphabet)
        letter = letter.upper() if word[at].isupper() else letter
        edit = rng.randrange(4)
        if edit == 0:
            typed = word[:at] + letter + word[at:]
        elif edit == 1:
            typed = word[:at] + word[at + 1 :]
        elif edit == 2:
            typed = word[:at] + letter + word[at + 1 :]
        else:
            at = min(at, len(word) - 2)
            typed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        if typed != word and len(typed) >= 2:
            return typed


def _q_typo(rng: random.Random, truth: _Truth) -> str | None:
    if rng.random() < 0.6:
        surname, given, alphabet = truth.latin[0], truth.latin[1], _LATIN_ALPHABET
    else:
        surname, given, alphabet = truth.cyrillic[0], truth.cyrillic[1], truth.language.alphabet
    if rng.random() < 0.6:
        surname = _typo(rng, surname, alphabet)
    else:
        given = _typo(rng, given, alphabet)
    return _two_words(rng, surname, given)


def _q_dob(rng: random.Random, truth: _Truth) -> str | None:
    surname = truth.latin[0] if rng.random() < 0.8 else truth.cyrillic[0]
    given = truth.latin[1] if surname == truth.latin[0] else truth.cyrillic[1]
    dob = truth.date_of_birth
    if len(dob) < 10 or rng.random() < 0.5:
        # A year alone says little: the given name comes with it.
        return f"{_two_words(rng, surname, given)} {dob[:4]}"
    if rng.random() < 0.3:
        dob = f"{dob[8:10]}.{dob[5:7]}.{dob[:4]}"  # how families write it
    return f"{surname} {given} {dob}" if rng.random() < 0.5 else f"{surname} {dob}"


def _q_service_number(rng: random.Random, truth: _Truth) -> str | None:
    number = truth.service_number
    if number is None:
        return None
    if rng.random() < 0.4:
        number = number.replace("-", "")
    return number.lower() if rng.random() < 0.1 else number


_MAKERS: dict[str, Callable[[random.Random, _Truth], str | None]] = {
    "cyrillic": _q_cyrillic,
    "latin": _q_latin,
    "translit_variant": _q_translit_variant,
    "typo": _q_typo,
    "dob": _q_dob,
    "service_number": _q_service_number,
}


def _query(rng: random.Random, kind: str, truths: Sequence[_Truth]) -> Query:
    for _ in range(10_000):
        index = rng.randrange(len(truths))
        text = _MAKERS[kind](rng, truths[index])
        if text is not None:
            return {"text": text, "kind": kind, "person": index}
    raise ValueError(f"no person can serve a {kind!r} query")


def generate(n_people: int, n_queries: int, seed: int) -> tuple[list[Person], list[Query]]:
    """Make `n_people` people and `n_queries` queries (kinds in turn), the same for a seed."""
    if n_people < 1 and n_queries > 0:
        raise ValueError("queries need at least one person")
    rng = random.Random(seed)
    taken: set[str] = set()
    truths: list[_Truth] = []
    for _ in range(n_people):
        truths.append(_truth(rng, truths, taken))
    people = [_person(rng, truth) for truth in truths]
    queries = [_query(rng, KINDS[i % len(KINDS)], truths) for i in range(n_queries)]
    return people, queries
