"""Family inquiries exchanged as PFIF 1.4 and CSV: round trips, a file as another service
writes it, and every refusal of a hostile file (naming the field, never the value)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.bureau.gate import INQUIRY_RECORD
from safeconduct.inquiries.exchange_formats import (
    ELEMENTS_PER_RECORD,
    PFIF_NS,
    ExchangedInquiry,
    ExchangeFormatError,
    check,
    from_csv,
    from_pfif,
    patronymic_in,
    read_pfif,
    to_csv,
    to_pfif,
)

# PFIF 1.4 person fields in the order of the specification.
PFIF_14_ORDER = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
)
PLANT = "Qzxplanted"  # a value no message may repeat
SOURCE = "Safe Conduct (synthetic)"
TODAY = date(2027, 3, 4)

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéöüßłşčž"
CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёъыэАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯЁЪЫЭ"
ENDINGS = ("ovich", "evych", "ych", "ovna", "ivna", "yivna", "ович", "евич", "ична", "ївна")


def _inquiry(**changes: object) -> ExchangedInquiry:
    base: dict[str, object] = {
        "record_id": "tracing.example/inq-1",
        "surname": "Melnychuk",
        "given_name": "Orest",
        "patronymic": "Bohdanovych",
        "date_of_birth": "1991-07-14",
        "place_last_seen": "near a bridge, sector 4",
        "entered_on": date(2027, 2, 1),
    }
    base.update(changes)
    return ExchangedInquiry(**base)  # type: ignore[arg-type]


# -- strategies -------------------------------------------------------------------------------

word = st.text(alphabet=LATIN + CYRILLIC, min_size=1, max_size=10)


@st.composite
def names(draw: st.DrawFn) -> str:
    """A name of one to three words joined by space, hyphen or apostrophe, perhaps
    starting with a character a spreadsheet would run as a formula."""
    words = draw(st.lists(word, min_size=1, max_size=3))
    text = words[0]
    for w in words[1:]:
        text += draw(st.sampled_from([" ", "-", "'", "’"])) + w
    return draw(st.sampled_from(["", "", "=", "+", "-", "@", "'"])) + text


patronymics = st.one_of(
    st.just(""),
    st.builds(lambda lead, stem, end: lead + stem + end, st.sampled_from(["", "="]), word,
              st.sampled_from(ENDINGS)),
)  # fmt: skip
places = st.text(alphabet=LATIN + CYRILLIC + " ,.;:-'’&<>\"=+@/()0123456789", max_size=80)
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
births = st.one_of(
    st.just(""),
    days.map(date.isoformat),
    days.map(lambda d: d.isoformat()[:7]),
    days.map(lambda d: d.isoformat()[:4]),
)
record_ids = st.from_regex(r"[a-z0-9.-]{1,12}/[A-Za-z0-9._~-]{1,12}", fullmatch=True)


def _valid(record: ExchangedInquiry) -> bool:
    try:
        check(record)
    except ExchangeFormatError:
        return False
    return True


inquiries = st.builds(
    ExchangedInquiry,
    record_id=record_ids,
    surname=st.one_of(st.just(""), names()),
    given_name=st.one_of(st.just(""), names()),
    patronymic=patronymics,
    date_of_birth=births,
    place_last_seen=places.map(str.strip),
    entered_on=st.one_of(st.none(), days),
).filter(_valid)
inquiry_lists = st.lists(inquiries, max_size=6, unique_by=lambda r: r.record_id)


# -- round trips ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(records=inquiry_lists, exported_on=days)
def test_pfif_round_trip(records: list[ExchangedInquiry], exported_on: date) -> None:
    made = to_pfif(records, source=SOURCE, exported_on=exported_on)
    assert from_pfif(made) == records
    assert to_pfif(records, source=SOURCE, exported_on=exported_on) == made


@settings(max_examples=300, deadline=None)
@given(records=inquiry_lists)
def test_csv_round_trip(records: list[ExchangedInquiry]) -> None:
    assert from_csv(to_csv(records)) == records


def test_round_trip_of_awkward_names() -> None:
    records = [
        _inquiry(record_id="a.example/1", surname="=Ко-Вал'ь", given_name="Анна Марія",
                 patronymic="Сергіївна", place_last_seen="-12 km, @ checkpoint"),
        _inquiry(record_id="a.example/2", surname="O’Brien-Ness", given_name="+Jo",
                 patronymic="", date_of_birth="1988", entered_on=None, place_last_seen=""),
        _inquiry(record_id="a.example/3", surname="", given_name="'t Lam",
                 patronymic="Ilyich", date_of_birth="2001-02"),
    ]  # fmt: skip
    assert from_pfif(to_pfif(records, source=SOURCE, exported_on=TODAY)) == records
    assert from_csv(to_csv(records)) == records


# -- what the export looks like ---------------------------------------------------------------


def _parsed(made: bytes) -> ET.Element:
    return ET.fromstring(made)  # noqa: S314 - our own output, no DOCTYPE


def test_pfif_document_follows_the_specification() -> None:
    made = to_pfif([_inquiry()], source=SOURCE, exported_on=TODAY)
    assert made.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = _parsed(made)
    assert root.tag == f"{{{PFIF_NS}}}pfif"
    assert b'xmlns:pfif="http://zesty.ca/pfif/1.4"' in made
    (person,) = root
    fields = {child.tag.split("}")[1]: child.text for child in person}
    order = [child.tag.split("}")[1] for child in person]
    assert order == sorted(order, key=PFIF_14_ORDER.index)
    assert fields == {
        "person_record_id": "tracing.example/inq-1",
        "entry_date": "2027-02-01T00:00:00Z",
        "source_name": SOURCE,
        "source_date": "2027-02-01T00:00:00Z",
        "full_name": "Melnychuk Orest Bohdanovych",
        "given_name": "Orest",
        "family_name": "Melnychuk",
        "alternate_names": "Orest Bohdanovych Melnychuk",
        "description": "Last seen: near a bridge, sector 4",
        "date_of_birth": "1991-07-14",
    }


def test_pfif_without_entry_day_dates_the_source_by_the_export() -> None:
    made = to_pfif([_inquiry(entered_on=None)], source=SOURCE, exported_on=TODAY)
    person = _parsed(made)[0]
    assert person.find(f"{{{PFIF_NS}}}entry_date") is None
    assert person.findtext(f"{{{PFIF_NS}}}source_date") == "2027-03-04T00:00:00Z"


def test_csv_has_the_gate_columns_and_neutralises_formulas() -> None:
    text = to_csv([_inquiry(surname="=HYPERLINK(1)", given_name="'t Lam")])
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == list(INQUIRY_RECORD)
    assert row[1] == "'=HYPERLINK(1)"
    assert row[2] == "'t Lam"  # no formula character: the gate added nothing
    assert row[-1] == "2027-02-01"
    assert from_csv(text)[0].surname == "=HYPERLINK(1)"


def test_an_apostrophe_the_gate_did_not_add_stays() -> None:
    text = _csv_with(surname="'Abc")
    assert from_csv(text)[0].surname == "'Abc"


def test_export_refuses_a_value_that_could_not_come_back() -> None:
    with pytest.raises(ExchangeFormatError, match="field surname"):
        to_csv([_inquiry(surname="'=x")])
    with pytest.raises(ExchangeFormatError, match="record 2, field record_id"):
        to_csv([_inquiry(), _inquiry()])
    with pytest.raises(ExchangeFormatError, match="field source"):
        to_pfif([_inquiry()], source="", exported_on=TODAY)


def test_pfif_refuses_a_patronymic_it_cannot_carry_back_csv_carries_it() -> None:
    record = _inquiry(patronymic=f"{PLANT}oglu")
    with pytest.raises(ExchangeFormatError, match="record 1, field patronymic") as caught:
        to_pfif([record], source=SOURCE, exported_on=TODAY)
    assert PLANT not in str(caught.value)
    assert from_csv(to_csv([record])) == [record]


# -- a file as another service sends it -------------------------------------------------------

FOREIGN_14 = """<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4" xmlns:x="urn:example:extension">
  <pfif:person>
    <pfif:person_record_id>finder.example.org/p.1042</pfif:person_record_id>
    <pfif:entry_date>2026-11-20T17:45:09Z</pfif:entry_date>
    <pfif:author_name>Volunteer desk 3</pfif:author_name>
    <pfif:source_name>Example Finder</pfif:source_name>
    <pfif:source_date>2026-11-19T08:00:00Z</pfif:source_date>
    <pfif:full_name>Dmytro Yaroslavovych Kravets</pfif:full_name>
    <pfif:given_name>Dmytro</pfif:given_name>
    <pfif:family_name>Kravets</pfif:family_name>
    <pfif:description>Last seen: Village of Exampleivka, school yard
Wore a green jacket; family phone is on file.</pfif:description>
    <pfif:sex>male</pfif:sex>
    <pfif:date_of_birth>1985-04</pfif:date_of_birth>
    <pfif:home_city>Exampleivka</pfif:home_city>
    <x:internal>kept by them, not by us</x:internal>
    <pfif:note>
      <pfif:note_record_id>finder.example.org/n.1</pfif:note_record_id>
      <pfif:author_name>A neighbour</pfif:author_name>
      <pfif:source_date>2026-11-21T10:00:00Z</pfif:source_date>
      <pfif:status>believed_alive</pfif:status>
      <pfif:last_known_location>private clinic</pfif:last_known_location>
      <pfif:text>Secret note text</pfif:text>
    </pfif:note>
  </pfif:person>
  <pfif:person>
    <pfif:person_record_id>finder.example.org/p.1043</pfif:person_record_id>
    <pfif:source_date>2026-11-19T08:00:00Z</pfif:source_date>
    <pfif:full_name>Тимошенко Галина Іванівна</pfif:full_name>
    <pfif:given_name>Галина</pfif:given_name>
    <pfif:family_name>Тимошенко</pfif:family_name>
    <pfif:description>Tall, dark hair</pfif:description>
  </pfif:person>
  <pfif:person>
    <pfif:person_record_id>finder.example.org/p.1044</pfif:person_record_id>
    <pfif:source_date>2026-11-19T08:00:00Z</pfif:source_date>
    <pfif:full_name>Lee Van Cortland</pfif:full_name>
  </pfif:person>
  <pfif:note>
    <pfif:note_record_id>finder.example.org/n.2</pfif:note_record_id>
    <pfif:person_record_id>finder.example.org/p.1043</pfif:person_record_id>
    <pfif:author_name>Another writer</pfif:author_name>
    <pfif:source_date>2026-11-22T10:00:00Z</pfif:source_date>
    <pfif:text>Another secret</pfif:text>
  </pfif:note>
</pfif:pfif>
"""


def test_a_hand_written_pfif_14_file_is_read() -> None:
    got = read_pfif(FOREIGN_14.encode())
    assert got.notes_ignored == 2
    assert got.records == [
        ExchangedInquiry(
            record_id="finder.example.org/p.1042",
            surname="Kravets",
            given_name="Dmytro",
            patronymic="Yaroslavovych",  # Given Patronymic Surname order
            date_of_birth="1985-04",
            place_last_seen="Village of Exampleivka, school yard",
            entered_on=date(2026, 11, 20),
        ),
        ExchangedInquiry(
            record_id="finder.example.org/p.1043",
            surname="Тимошенко",
            given_name="Галина",
            patronymic="Іванівна",
            date_of_birth="",
            place_last_seen="",  # a description that is no place is not kept
            entered_on=None,
        ),
        ExchangedInquiry(
            record_id="finder.example.org/p.1044",
            surname="Lee Van Cortland",  # only a full name: kept whole, not split
            given_name="",
            patronymic="",
            date_of_birth="",
            place_last_seen="",
            entered_on=None,
        ),
    ]
    kept = repr(got)
    for secret in ("Secret note text", "Another secret", "private clinic", "green jacket"):
        assert secret not in kept


def test_a_pfif_12_file_is_read() -> None:
    old = (
        '<?xml version="1.0"?><pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.2"><pfif:person>'
        "<pfif:person_record_id>old.example/7</pfif:person_record_id>"
        "<pfif:first_name>Ivan</pfif:first_name><pfif:last_name>Bondar</pfif:last_name>"
        "<pfif:date_of_birth>1970</pfif:date_of_birth>"
        "</pfif:person></pfif:pfif>"
    )
    (record,) = from_pfif(old.encode())
    assert (record.surname, record.given_name, record.date_of_birth) == ("Bondar", "Ivan", "1970")


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Bondar Ivan Petrovych", "Petrovych"),
        ("Ivan Petrovych Bondar", "Petrovych"),
        ("Бондар Іван Петрович", "Петрович"),
        ("Bondar Ivan Smith", ""),  # a third word that is no patronymic
        ("Bondar Ivan", ""),
        ("Bondar Ivan Petro vych", ""),  # two words
    ],
)
def test_patronymic_from_the_full_name(full: str, expected: str) -> None:
    latin = full.isascii()
    surname, given_name = ("Bondar", "Ivan") if latin else ("Бондар", "Іван")
    assert patronymic_in(full, surname, given_name) == expected


# -- refusals: PFIF ---------------------------------------------------------------------------


def _pfif(*persons: str, ns: str = PFIF_NS) -> bytes:
    body = "".join(f"<pfif:person>{p}</pfif:person>" for p in persons)
    return f'<?xml version="1.0" encoding="UTF-8"?><pfif:pfif xmlns:pfif="{ns}">{body}</pfif:pfif>'.encode()  # noqa: E501


def _person(**fields: str) -> str:
    base = {
        "person_record_id": "x.example/1",
        "source_date": "2026-01-01T00:00:00Z",
        "full_name": "Bondar Ivan",
        "given_name": "Ivan",
        "family_name": "Bondar",
    }
    base.update(fields)
    return "".join(f"<pfif:{k}>{v}</pfif:{k}>" for k, v in base.items() if v is not None)


def _refused(data: bytes, where: str, **kwargs: int) -> ExchangeFormatError:
    with pytest.raises(ExchangeFormatError) as caught:
        from_pfif(data, **kwargs)
    message = str(caught.value)
    assert where in message
    assert PLANT not in message
    return caught.value


BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "{PLANT}">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
<pfif:person_record_id>x.example/1</pfif:person_record_id>
<pfif:full_name>&lol9;</pfif:full_name></pfif:person></pfif:pfif>"""


def test_billion_laughs_is_refused_before_parsing() -> None:
    error = _refused(BILLION_LAUGHS.encode(), "DOCTYPE")
    assert error.record is None
    external = b'<?xml version="1.0"?><!DOCTYPE pfif SYSTEM "http://evil.example/x.dtd">'
    _refused(external + _pfif(_person()).split(b"?>", 1)[1], "DOCTYPE")


def test_a_file_in_another_encoding_is_refused() -> None:
    _refused(_pfif(_person()).decode().encode("utf-16"), "UTF-8")
    latin1 = _pfif(_person()).replace(b"UTF-8", b"ISO-8859-1")
    _refused(latin1, "encoding")


def test_more_persons_than_allowed_are_refused() -> None:
    persons = [_person(person_record_id=f"x.example/{i}") for i in range(4)]
    assert len(from_pfif(_pfif(*persons[:3]), max_records=3)) == 3
    error = _refused(_pfif(*persons), "record 4", max_records=3)
    assert "more than 3 records" in str(error)


def test_more_elements_than_the_records_allow_are_refused() -> None:
    note = "<pfif:note><pfif:text>x</pfif:text></pfif:note>"
    crowded = _person() + note * (2 * ELEMENTS_PER_RECORD)
    _refused(_pfif(crowded), "more elements", max_records=1)
    assert read_pfif(_pfif(_person() + note * 3), max_records=1).notes_ignored == 3


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"family_name": PLANT * 30}, "record 1, field family_name"),
        ({"given_name": f"Iv\t{PLANT}"}, "record 1, field given_name"),
        ({"given_name": f"Iv\x9b{PLANT}"}, "record 1, field given_name"),
        ({"given_name": f"{PLANT}\x07"}, "record 1"),  # not even XML 1.0
        ({"given_name": f"{PLANT}\u202e"}, "record 1, field given_name"),
        ({"full_name": PLANT * 70}, "record 1, field full_name"),
        ({"description": f"Last seen: {PLANT * 25}"}, "record 1, field description"),
        ({"date_of_birth": f"{PLANT}"}, "record 1, field date_of_birth"),
        ({"date_of_birth": "1990-13"}, "record 1, field date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "record 1, field date_of_birth"),
        ({"date_of_birth": "03/04/1990"}, "record 1, field date_of_birth"),
        ({"entry_date": "2026-01-01"}, "record 1, field entry_date"),
        ({"entry_date": "2026-01-01T25:00:00Z"}, "record 1, field entry_date"),
        ({"source_date": f"{PLANT}"}, "record 1, field source_date"),
        ({"person_record_id": PLANT}, "record 1, field person_record_id"),
        ({"person_record_id": ""}, "record 1, field person_record_id"),
        ({"full_name": "", "given_name": "", "family_name": ""}, "record 1, field family_name"),
    ],
)
def test_a_bad_person_field_is_refused(fields: dict[str, str], where: str) -> None:
    _refused(_pfif(_person(**fields)), where)


def test_the_record_number_counts_persons() -> None:
    good, bad = _person(), _person(person_record_id="x.example/2", given_name=f"I\x00{PLANT}")
    _refused(_pfif(good, bad.replace("\x00", "&#x1;")), "record 2: is not well-formed")
    _refused(_pfif(good, bad.replace("\x00", "\x1b")), "record 2: is not well-formed")
    _refused(_pfif(good, bad.replace("\x00", "\u2028")), "record 2, field given_name")


def test_structural_faults_are_refused() -> None:
    _refused(_pfif(_person() + f"<pfif:family_name>{PLANT}</pfif:family_name>"), "appears twice")
    nested = _person(family_name=f"<b>{PLANT}</b>")
    _refused(_pfif(nested), "record 1, field family_name")
    _refused(_pfif(_person(), _person()), "record 2, field person_record_id")
    _refused(_pfif(_person(), ns="urn:example:not-pfif"), "not a PFIF")
    _refused(_pfif(_person())[:-5], "not well-formed")
    _refused(b"", "not well-formed")


# -- refusals: CSV ----------------------------------------------------------------------------


def _csv_with(**cells: str) -> str:
    row = {
        "record_id": "x.example/1",
        "surname": "Bondar",
        "given_name": "Ivan",
        "patronymic": "",
        "date_of_birth": "",
        "place_last_seen": "",
        "entered_on": "",
    }
    row.update(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue()


def _csv_refused(text: str, where: str, **kwargs: int) -> None:
    with pytest.raises(ExchangeFormatError) as caught:
        from_csv(text, **kwargs)
    assert where in str(caught.value)
    assert PLANT not in str(caught.value)


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        ({"surname": PLANT * 30}, "record 1, field surname"),
        ({"given_name": f"{PLANT}\x1b"}, "record 1, field given_name"),
        ({"patronymic": f"{PLANT}\u200b"}, "record 1, field patronymic"),
        ({"place_last_seen": f"{PLANT}\nsecond line"}, "record 1, field place_last_seen"),
        ({"date_of_birth": f"{PLANT}"}, "record 1, field date_of_birth"),
        ({"date_of_birth": "1990-00"}, "record 1, field date_of_birth"),
        ({"entered_on": "2026-02-30"}, "record 1, field entered_on"),
        ({"entered_on": "2026-2-3"}, "record 1, field entered_on"),
        ({"record_id": PLANT}, "record 1, field record_id"),
        ({"record_id": f"x.example/{PLANT} 1"}, "record 1, field record_id"),
        ({"surname": "", "given_name": ""}, "record 1, field surname"),
        ({"surname": f" {PLANT}"}, "record 1, field surname"),
    ],
)
def test_a_bad_csv_cell_is_refused(cells: dict[str, str], where: str) -> None:
    _csv_refused(_csv_with(**cells), where)


def test_csv_shape_faults_are_refused() -> None:
    text = _csv_with()
    header, row = text.splitlines()
    _csv_refused(header.replace("surname", PLANT) + "\n" + row, "field surname")
    _csv_refused(f"{header},{PLANT}\n{row},x", "header has columns")
    _csv_refused(f"{header}\n{row},{PLANT}", "record 1")
    _csv_refused(f"{header}\n{row}\n{row}", "record 2, field record_id")
    rows = [row.replace("x.example/1", f"x.example/{i}") for i in range(3)]
    assert len(from_csv("\n".join([header, *rows[:2]]), max_records=2)) == 2
    _csv_refused("\n".join([header, *rows]), "record 3", max_records=2)
    _csv_refused(f'{header}\n"{PLANT}', "record 1")  # an unclosed quote
    _csv_refused("", "field record_id")
    _csv_refused(PLANT * 20_000, "record 1: is not well-formed CSV")  # over csv's field limit


def test_csv_columns_may_come_in_any_order() -> None:
    text = "entered_on,surname,given_name,patronymic,date_of_birth,place_last_seen,record_id\n"
    text += "2026-05-06,Bondar,Ivan,,1970,'-3 km north,x.example/9\n"
    (record,) = from_csv(text)
    assert record == ExchangedInquiry(
        "x.example/9", "Bondar", "Ivan", "", "1970", "-3 km north", date(2026, 5, 6)
    )


def test_max_records_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_records"):
        from_csv(_csv_with(), max_records=0)
    with pytest.raises(ValueError, match="max_records"):
        from_pfif(_pfif(_person()), max_records=0)
