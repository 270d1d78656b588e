"""The sandbox's SOQL engine answers queries the way a Salesforce org does."""

# Building query text from pieces is what these tests exercise.

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from query_fake_org import (
    ACME,
    ALICE,
    BRUNO,
    GONE,
    INITECH,
    TASK_CALL,
    TASK_NOTE,
    FakeOrg,
    contact_row,
)

from sandbox.salesforce.soql import SoqlError, execute

EVERY_CONTACT = ["Archer", "Baker", "Cole", "Dvorak", "Fischer", "O'Brien"]


@pytest.fixture
def org() -> FakeOrg:
    return FakeOrg()


def records(org: FakeOrg, query: str, **options: Any) -> list[dict[str, Any]]:
    return execute(query, org, **options).records


def last_names(org: FakeOrg, where: str, **options: Any) -> list[str]:
    """Return the LastNames of contacts matching ``where``, alphabetically."""
    query = f"SELECT LastName FROM Contact WHERE {where} ORDER BY LastName"
    return [row["LastName"] for row in records(org, query, **options)]


def refusal(org: FakeOrg, query: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        execute(query, org)
    return caught.value


class TestSelectList:
    def test_records_open_with_type_and_url_attributes(self, org: FakeOrg) -> None:
        """Each record carries attributes.type and the sObject URL of its Id."""
        rows = records(org, f"SELECT Id FROM Contact WHERE Id = '{ALICE}'")

        assert rows == [{
            "attributes": {
                "type": "Contact",
                "url": f"/services/data/v59.0/sobjects/Contact/{ALICE}",
            },
            "Id": ALICE,
        }]

    def test_fields_come_in_select_order_with_schema_casing(self, org: FakeOrg) -> None:
        """Field names are matched case-insensitively and answered as the API names them."""
        rows = records(org, f"select email, FIRSTNAME from contact where id = '{ALICE}'")

        assert list(rows[0]) == ["attributes", "Email", "FirstName"]
        assert rows[0]["attributes"]["type"] == "Contact"

    def test_duplicate_field_is_refused(self, org: FakeOrg) -> None:
        """Selecting one field twice, in any casing, is an error."""
        error = refusal(org, "SELECT Name, NAME FROM Contact")

        assert error.error_code == "MALFORMED_QUERY"
        assert "duplicate field selected: Name" in error.message

    def test_count_returns_the_total_and_no_records(self, org: FakeOrg) -> None:
        """SELECT COUNT() answers totalSize only."""
        result = execute("SELECT COUNT() FROM Contact WHERE Email != null", org)

        assert (result.total_size, result.records) == (5, [])

    def test_deleted_rows_are_hidden_from_query(self, org: FakeOrg) -> None:
        """/query never sees soft-deleted records."""
        assert records(org, f"SELECT Id FROM Contact WHERE Id = '{GONE}'") == []

    def test_query_all_sees_deleted_rows(self, org: FakeOrg) -> None:
        """/queryAll includes soft-deleted records, which IsDeleted can pick out."""
        query = "SELECT Id FROM Contact WHERE IsDeleted = true"
        rows = records(org, query, include_deleted=True)

        assert [row["Id"] for row in rows] == [GONE]


class TestRelationships:
    def test_parent_fields_nest_under_the_relationship(self, org: FakeOrg) -> None:
        """Account.Name answers as Account: {attributes, Name}."""
        rows = records(org, f"SELECT Account.Name FROM Contact WHERE Id = '{ALICE}'")

        assert rows[0]["Account"] == {
            "attributes": {
                "type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{ACME}",
            },
            "Name": "Acme",
        }

    def test_paths_through_one_parent_share_one_nested_record(self, org: FakeOrg) -> None:
        """Account.Name and Account.Owner.Email fill the same Account map."""
        query = (
            "SELECT Account.Name, Account.Owner.Email, Account.Owner.Manager.Name "
            f"FROM Contact WHERE Id = '{ALICE}'"
        )
        account = records(org, query)[0]["Account"]

        assert account["Name"] == "Acme"
        assert account["Owner"]["Email"] == "ada@example.com"
        assert account["Owner"]["Manager"]["Name"] == "Bob Boss"

    def test_a_missing_parent_is_null(self, org: FakeOrg) -> None:
        """A null reference answers the relationship as null, however deep the path."""
        query = f"SELECT Name, Owner.Email, Owner.Manager.Name FROM Account WHERE Id = '{INITECH}'"
        row = records(org, query)[0]

        assert row["Owner"] is None

    def test_polymorphic_reference_takes_the_real_object_type(self, org: FakeOrg) -> None:
        """Who resolves to a Lead for one task and a Contact for another."""
        rows = records(org, "SELECT Who.Name FROM Task ORDER BY Subject")

        assert [row["Who"]["attributes"]["type"] for row in rows] == ["Lead", "Contact"]
        assert [row["Who"]["Name"] for row in rows] == ["Hugo Hale", "Alice Archer"]

    def test_polymorphic_null_reference_is_null(self, org: FakeOrg) -> None:
        """A task with no WhatId answers What as null."""
        rows = records(org, f"SELECT What.Name FROM Task WHERE Id = '{TASK_CALL}'")

        assert rows[0]["What"] is None

    def test_filters_follow_relationships(self, org: FakeOrg) -> None:
        """WHERE may compare a parent's field."""
        assert last_names(org, "Account.Owner.Email = 'bob@example.com'") == [
            "Baker", "Fischer",
        ]

    def test_missing_parent_compares_as_null(self, org: FakeOrg) -> None:
        """Records without a parent match a parent field = null."""
        assert last_names(org, "Account.Name = null") == ["O'Brien"]

    def test_unknown_relationship_is_invalid_field(self, org: FakeOrg) -> None:
        """A path through a name that is no relationship is refused."""
        error = refusal(org, "SELECT Boss.Name FROM Contact")

        assert error.error_code == "INVALID_FIELD"
        assert "Didn't understand relationship 'Boss' in field path" in error.message
        assert "Row:1:Column:8" in error.message

    def test_order_by_a_parent_field(self, org: FakeOrg) -> None:
        """ORDER BY may name a parent's field; missing parents sort as null."""
        query = "SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST, LastName"
        names = [row["LastName"] for row in records(org, query)]

        assert names == ["Dvorak", "Baker", "Fischer", "Archer", "Cole", "O'Brien"]


class TestComparisonOperators:
    def test_equals_ignores_case_on_text(self, org: FakeOrg) -> None:
        assert last_names(org, "Email = 'ALICE@acme.COM'") == ["Archer"]

    def test_not_equals_keeps_nulls(self, org: FakeOrg) -> None:
        """SOQL treats null as a value: != keeps records whose field is null."""
        assert last_names(org, "Email != 'alice@acme.com'") == [
            "Baker", "Cole", "Dvorak", "Fischer", "O'Brien",
        ]

    def test_angle_brackets_mean_not_equals(self, org: FakeOrg) -> None:
        assert last_names(org, "Score__c <> 9.5") == last_names(org, "Score__c != 9.5")

    @pytest.mark.parametrize(("where", "expected"), [
        ("Score__c < 5", ["Baker"]),
        ("Score__c <= 5", ["Baker", "O'Brien"]),
        ("Score__c > 7.25", ["Archer"]),
        ("Score__c >= 7.25", ["Archer", "Dvorak"]),
        ("Score__c = 5.0", ["O'Brien"]),
        ("Score__c > -1", ["Archer", "Baker", "Dvorak", "O'Brien"]),
    ])
    def test_numbers_compare_numerically(
        self, org: FakeOrg, where: str, expected: list[str]
    ) -> None:
        """Range operators on a number field compare values; nulls never match."""
        assert last_names(org, where) == expected

    def test_text_ranges_ignore_case(self, org: FakeOrg) -> None:
        assert last_names(org, "LastName < 'c'") == ["Archer", "Baker"]

    def test_in_matches_any_listed_value(self, org: FakeOrg) -> None:
        assert last_names(org, "FirstName IN ('alice', 'Bruno', 'nobody')") == [
            "Archer", "Baker",
        ]

    def test_not_in_excludes_listed_values_and_keeps_nulls(self, org: FakeOrg) -> None:
        assert last_names(org, "FirstName NOT IN ('Alice', 'Bruno')") == [
            "Cole", "Dvorak", "Fischer", "O'Brien",
        ]

    def test_in_accepts_null_in_the_list(self, org: FakeOrg) -> None:
        assert last_names(org, "FirstName IN (null, 'Alice')") == ["Archer", "Dvorak"]

    def test_booleans_compare_with_true_and_false(self, org: FakeOrg) -> None:
        assert last_names(org, "HasOptedOutOfEmail = TRUE") == ["Baker"]
        assert len(last_names(org, "HasOptedOutOfEmail = false")) == 5

    def test_equals_null_finds_empty_fields(self, org: FakeOrg) -> None:
        assert last_names(org, "Email = null") == ["O'Brien"]

    def test_not_equals_null_finds_filled_fields(self, org: FakeOrg) -> None:
        assert last_names(org, "FirstName != NULL") == [
            "Archer", "Baker", "Cole", "Fischer", "O'Brien",
        ]

    def test_empty_string_compares_as_null(self, org: FakeOrg) -> None:
        """Salesforce stores no empty strings, so '' and null are one value."""
        assert last_names(org, "Email = ''") == ["O'Brien"]

    def test_fifteen_character_id_matches_the_eighteen_character_id(
        self, org: FakeOrg
    ) -> None:
        assert last_names(org, f"Id = '{ALICE[:15]}'") == ["Archer"]

    def test_reference_fields_compare_as_ids(self, org: FakeOrg) -> None:
        """A reference filter accepts a well-formed id."""
        rows = records(org, f"SELECT Id FROM Task WHERE WhatId = '{ACME}'")

        assert [row["Id"] for row in rows] == [TASK_NOTE]

    def test_owner_id_matches_the_full_id(self, org: FakeOrg) -> None:
        """OwnerId compares as an id, against the 18-character value."""
        rows = records(org, "SELECT Id FROM Contact WHERE OwnerId = '005000000000002AAA'")

        assert [row["Id"] for row in rows] == [BRUNO]

    def test_includes_matches_any_chosen_multipicklist_value(self, org: FakeOrg) -> None:
        assert last_names(org, "Languages__c INCLUDES ('french', 'Spanish')") == [
            "Archer", "Baker", "Fischer",
        ]

    def test_includes_with_semicolon_needs_every_value(self, org: FakeOrg) -> None:
        assert last_names(org, "Languages__c INCLUDES ('French;German')") == ["Fischer"]

    def test_excludes_keeps_records_without_the_value(self, org: FakeOrg) -> None:
        assert last_names(org, "Languages__c EXCLUDES ('French')") == [
            "Baker", "Cole", "Dvorak", "O'Brien",
        ]


class TestLike:
    def test_percent_matches_any_run(self, org: FakeOrg) -> None:
        assert last_names(org, "Email LIKE '%@ACME.com'") == ["Archer", "Cole"]

    def test_underscore_matches_one_character(self, org: FakeOrg) -> None:
        assert last_names(org, "LastName LIKE '_ole'") == ["Cole"]

    def test_escaped_underscore_is_literal(self, org: FakeOrg) -> None:
        """'\\_' matches an underscore only, not any character."""
        assert last_names(org, r"Email LIKE '%\_%'") == ["Cole"]

    def test_escaped_percent_is_literal(self, org: FakeOrg) -> None:
        assert last_names(org, r"Email LIKE '100\%%'") == ["Dvorak"]
        assert last_names(org, r"Email LIKE 'alice\%%'") == []

    def test_pattern_must_cover_the_whole_value(self, org: FakeOrg) -> None:
        assert last_names(org, "LastName LIKE 'Arch'") == []

    def test_like_on_a_number_field_is_refused(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE Score__c LIKE '9%'")

        assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"


class TestLogicalOperators:
    def test_and_needs_both(self, org: FakeOrg) -> None:
        assert last_names(org, "Account.Name = 'Acme' AND FirstName = 'Carmen'") == ["Cole"]

    def test_or_needs_either(self, org: FakeOrg) -> None:
        assert last_names(org, "FirstName = 'Carmen' OR LastName = 'Baker'") == [
            "Baker", "Cole",
        ]

    def test_mixing_and_with_or_needs_parentheses(self, org: FakeOrg) -> None:
        """As Salesforce requires, 'a AND b OR c' is malformed; the error points at OR."""
        query = (
            "SELECT Id FROM Contact WHERE FirstName = 'Alice' AND LastName = 'Archer' "
            "OR LastName = 'Cole'"
        )
        error = refusal(org, query)

        assert error.error_code == "MALFORMED_QUERY"
        assert error.message.endswith("ERROR at Row:1:Column:74\nunexpected token: 'OR'")

    def test_parentheses_decide_grouping(self, org: FakeOrg) -> None:
        """(a AND b) OR c and a AND (b OR c) give different answers."""
        grouped_left = "(FirstName = 'Alice' AND Score__c > 100) OR LastName = 'Cole'"
        grouped_right = "FirstName = 'Alice' AND (Score__c > 100 OR LastName = 'Cole')"

        assert last_names(org, grouped_left) == ["Cole"]
        assert last_names(org, grouped_right) == []

    def test_not_negates_a_comparison(self, org: FakeOrg) -> None:
        assert last_names(org, "NOT LastName LIKE '%e%'") == ["Dvorak"]

    def test_not_negates_a_group(self, org: FakeOrg) -> None:
        assert last_names(org, "NOT (Score__c > 5 OR Score__c = null)") == [
            "Baker", "O'Brien",
        ]

    def test_injected_quote_becomes_query_text(self, org: FakeOrg) -> None:
        """An unescaped quote in spliced input ends the string: the OR really runs."""
        spliced = "a' OR Name != '"
        assert last_names(org, f"Email = '{spliced}'") == EVERY_CONTACT

    def test_escaped_quote_stays_inside_the_string(self, org: FakeOrg) -> None:
        """The same input with its quotes escaped is one harmless value."""
        escaped = r"a\' OR Name != \'"
        assert last_names(org, f"Email = '{escaped}'") == []


class TestStringLiterals:
    @pytest.mark.parametrize(("escape", "character"), [
        (r"\n", "\n"), (r"\r", "\r"), (r"\t", "\t"), (r"\b", "\b"), (r"\f", "\f"),
        (r"\"", '"'), (r"\'", "'"), (r"\\", "\\"),
    ])
    def test_each_escape_stands_for_its_character(
        self, org: FakeOrg, escape: str, character: str
    ) -> None:
        org.add("Contact", contact_row("003000000000099AAA", "Esc", f"x{character}y"))

        assert last_names(org, f"LastName = 'x{escape}y'") == [f"x{character}y"]

    def test_escaped_quote_finds_an_apostrophe(self, org: FakeOrg) -> None:
        assert last_names(org, r"LastName = 'O\'Brien'") == ["O'Brien"]

    @pytest.mark.parametrize("sequence", [r"\d", r"\u0041", r"\x", r"\0"])
    def test_other_backslash_sequences_are_malformed(
        self, org: FakeOrg, sequence: str
    ) -> None:
        error = refusal(org, f"SELECT Id FROM Contact WHERE LastName = 'a{sequence}'")

        assert error.error_code == "MALFORMED_QUERY"
        assert "Row:1:Column:41" in error.message

    def test_doubled_quote_is_not_an_escape(self, org: FakeOrg) -> None:
        """'O''Brien' is two strings side by side, which SOQL refuses."""
        error = refusal(org, "SELECT Id FROM Contact WHERE LastName = 'O''Brien'")

        assert error.error_code == "MALFORMED_QUERY"
        assert error.message.endswith("unexpected token: ''Brien''")

    def test_double_quotes_do_not_delimit_strings(self, org: FakeOrg) -> None:
        error = refusal(org, 'SELECT Id FROM Contact WHERE LastName = "Cole"')

        assert error.error_code == "MALFORMED_QUERY"

    def test_unterminated_string_is_malformed(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE LastName = 'Cole")

        assert error.error_code == "MALFORMED_QUERY"


class TestDatesAndTimes:
    def test_date_literal_compares_a_date_field(self, org: FakeOrg) -> None:
        assert last_names(org, "Birthdate > 1986-01-01") == ["Archer"]
        assert last_names(org, "Birthdate = 1985-12-01") == ["Baker"]

    def test_datetime_literal_compares_instants(self, org: FakeOrg) -> None:
        """A second's difference decides; Z is UTC."""
        where = "CreatedDate < 2024-01-31T10:00:00Z AND CreatedDate > 2024-01-01T00:00:00Z"

        assert last_names(org, where) == ["Baker"]

    def test_datetime_offsets_convert_to_utc(self, org: FakeOrg) -> None:
        """11:00 at +01:00 is 10:00 UTC."""
        assert last_names(org, "CreatedDate = 2024-01-31T11:00:00+01:00") == ["Archer"]
        assert last_names(org, "CreatedDate = 2024-01-31T05:00:00.000-05:00") == ["Archer"]

    def test_date_literal_on_a_datetime_field_is_refused(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE CreatedDate > 2024-01-01")

        assert error.error_code == "INVALID_FIELD"
        assert "must be of type dateTime and should not be enclosed in quotes" in error.message

    def test_today_covers_the_whole_day(self, org: FakeOrg) -> None:
        now = datetime(2024, 1, 31, 23, 0, tzinfo=UTC)

        assert last_names(org, "CreatedDate = TODAY", now=now) == ["Archer", "Baker"]

    def test_yesterday_and_relative_ranges(self, org: FakeOrg) -> None:
        now = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)

        assert last_names(org, "CreatedDate = YESTERDAY", now=now) == ["Archer", "Baker"]
        assert last_names(org, "CreatedDate > YESTERDAY", now=now) == [
            "Cole", "Dvorak", "Fischer",
        ]
        assert last_names(org, "CreatedDate < YESTERDAY", now=now) == ["O'Brien"]

    def test_last_n_days_includes_today(self, org: FakeOrg) -> None:
        now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

        assert last_names(org, "CreatedDate = LAST_N_DAYS:15", now=now) == ["Cole", "Dvorak"]

    def test_relative_literal_without_its_number_is_malformed(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS")

        assert error.error_code == "MALFORMED_QUERY"


class TestOrderingAndPaging:
    def test_nulls_sort_first_by_default(self, org: FakeOrg) -> None:
        rows = records(org, "SELECT LastName FROM Contact ORDER BY Score__c")

        assert [row["LastName"] for row in rows] == [
            "Cole", "Fischer", "Baker", "O'Brien", "Dvorak", "Archer",
        ]

    def test_nulls_sort_first_when_descending_too(self, org: FakeOrg) -> None:
        rows = records(org, "SELECT LastName FROM Contact ORDER BY Score__c DESC, LastName")

        assert [row["LastName"] for row in rows] == [
            "Cole", "Fischer", "Archer", "Dvorak", "O'Brien", "Baker",
        ]

    def test_nulls_last_moves_nulls_to_the_end(self, org: FakeOrg) -> None:
        rows = records(org, "SELECT LastName FROM Contact ORDER BY Score__c ASC NULLS LAST")

        assert [row["LastName"] for row in rows][-2:] == ["Cole", "Fischer"]

    def test_text_sorts_case_insensitively(self, org: FakeOrg) -> None:
        org.add("Contact", contact_row("003000000000099AAA", None, "baxter"))
        rows = records(org, "SELECT LastName FROM Contact ORDER BY LastName LIMIT 3")

        assert [row["LastName"] for row in rows] == ["Archer", "Baker", "baxter"]

    def test_limit_and_offset_page_after_ordering(self, org: FakeOrg) -> None:
        query = "SELECT LastName FROM Contact ORDER BY LastName LIMIT 2 OFFSET 3"
        result = execute(query, org)

        assert [row["LastName"] for row in result.records] == ["Dvorak", "Fischer"]
        assert result.total_size == 2

    def test_offset_past_the_end_is_empty(self, org: FakeOrg) -> None:
        assert records(org, "SELECT Id FROM Contact OFFSET 50") == []

    def test_offset_over_2000_is_refused(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact OFFSET 2001")

        assert error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"

    def test_count_honours_limit(self, org: FakeOrg) -> None:
        assert execute("SELECT COUNT() FROM Contact LIMIT 2", org).total_size == 2


class TestErrors:
    def test_malformed_query_points_at_the_token(self, org: FakeOrg) -> None:
        """The message quotes the line, carets the column and names the token."""
        error = refusal(org, "SELECT Id FROM Contact WHERE Name = 'x' ORDER Name")

        assert error.error_code == "MALFORMED_QUERY"
        assert error.message == (
            "SELECT Id FROM Contact WHERE Name = 'x' ORDER Name\n"
            "                                              ^\n"
            "ERROR at Row:1:Column:47\n"
            "unexpected token: 'Name'"
        )
        assert (error.row, error.column) == (1, 47)

    def test_error_rows_count_lines(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id\nFROM Contact\nWHERE Name = = 'x'")

        assert "ERROR at Row:3:Column:14\nunexpected token: '='" in error.message

    def test_end_of_query_is_named_eof(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE")

        assert error.message.endswith("Row:1:Column:29\nunexpected token: '<EOF>'")

    def test_unknown_field_is_invalid_field(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id, Foo FROM Contact")

        assert error.error_code == "INVALID_FIELD"
        assert "ERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Contact'" in error.message

    def test_unknown_field_in_where_is_invalid_field(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE Bar = 1")

        assert error.error_code == "INVALID_FIELD"
        assert "Row:1:Column:30" in error.message

    def test_unknown_object_is_invalid_type(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Widget")

        assert error.error_code == "INVALID_TYPE"
        assert "ERROR at Row:1:Column:16\nsObject type 'Widget' is not supported" in error.message

    def test_quoted_value_for_a_number_is_invalid_field(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Account WHERE NumberOfEmployees = '5'")

        assert error.error_code == "INVALID_FIELD"
        assert error.message.endswith(
            "value of filter criterion for field 'NumberOfEmployees' must be of type "
            "integer and should not be enclosed in quotes"
        )

    def test_bare_number_for_text_is_invalid_field(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE LastName = 5")

        assert error.error_code == "INVALID_FIELD"
        assert "must be of type string and should be enclosed in quotes" in error.message

    def test_malformed_id_is_invalid_filter(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE AccountId = 'abc'")

        assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
        assert error.message.endswith("invalid ID field: abc")

    def test_range_on_a_boolean_is_invalid_filter(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact WHERE HasOptedOutOfEmail > false")

        assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"

    def test_long_text_and_addresses_cannot_be_filtered(self, org: FakeOrg) -> None:
        for field in ("Description", "BillingAddress"):
            error = refusal(org, f"SELECT Id FROM Account WHERE {field} = null")

            assert error.error_code == "INVALID_FIELD"
            assert f"field '{field}' can not be filtered" in error.message

    def test_other_aggregates_are_refused(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT COUNT(Id) FROM Contact")

        assert error.error_code == "MALFORMED_QUERY"

    def test_trailing_text_is_malformed(self, org: FakeOrg) -> None:
        error = refusal(org, "SELECT Id FROM Contact LIMIT 5 extra")

        assert error.message.endswith("unexpected token: 'extra'")
