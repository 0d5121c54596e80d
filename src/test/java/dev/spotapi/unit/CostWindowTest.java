package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotapi.instance.CostWindow;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The costs query's optional start/end dates (seed-api.md "Costs dates"). */
class CostWindowTest {

    @Test
    void neitherDateMeansLifetime() {
        CostWindow w = CostWindow.parse(null, null);

        assertThat(w.isLifetime()).isTrue();
        assertThat(w).isEqualTo(CostWindow.LIFETIME);
    }

    /** Issue 24: Spot requires both dates, so a lifetime query names the instance's life: from its createdAt day. */
    @Test
    void aLifetimeQuerySpansTheInstancesLife() {
        LocalDate today = LocalDate.of(2030, 1, 10);
        com.fasterxml.jackson.databind.node.ObjectNode mi = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode().put("createdAt", "2029-12-31T23:59:59.000Z");
        assertThat(CostWindow.lifetimeFromDate(mi, today)).isEqualTo("2029-12-31");
        assertThat(CostWindow.lifetimeToDate(today)).isEqualTo("2030-01-17");
        assertThat(CostWindow.lifetimeFromDate(mi.put("createdAt", "garbage"), today)).isEqualTo("2029-01-10");
        assertThat(CostWindow.lifetimeFromDate(null, today)).isEqualTo("2029-01-10");
    }

    @Test
    void emptyDatesCountAsAbsent() {
        assertThat(CostWindow.parse("", "").isLifetime()).isTrue();
        assertThat(CostWindow.parse(null, "").isLifetime()).isTrue();
    }

    @Test
    void bothDatesGiveAWindowPassedVerbatim() {
        CostWindow w = CostWindow.parse("2024-01-01", "2024-01-31");

        assertThat(w.isLifetime()).isFalse();
        assertThat(w.start()).isEqualTo(LocalDate.of(2024, 1, 1));
        assertThat(w.end()).isEqualTo(LocalDate.of(2024, 1, 31));
        assertThat(w.fromDate()).isEqualTo("2024-01-01");
        assertThat(w.toDate()).isEqualTo("2024-01-31");
    }

    @Test
    void aOneDayWindowIsAllowed() {
        CostWindow w = CostWindow.parse("2024-02-28", "2024-02-29");

        assertThat(w.fromDate()).isEqualTo("2024-02-28");
        assertThat(w.toDate()).isEqualTo("2024-02-29");
    }

    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource(value = {"2024-01-01,", ",2024-01-01", "2024-01-01,''", "'',2024-01-01", "garbage,", ",garbage"})
    void onlyOneDateIsRefused(String start, String end) {
        assertThatThrownBy(() -> CostWindow.parse(start, end))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("both start and end dates must be specified");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024/01/01", "2024-1-01", "2024-01-1", "01-01-2024", "2024-13-01", "2024-02-30",
            "2023-02-29", "2024-00-10", "yesterday!", "2024-01-01T00:00:00Z", " 2024-01-01", "2024-01-01 ",
            "+2024-01-01", "２０２４-01-01"})
    void aStartThatDoesNotParseIsRefused(String bad) {
        assertThatThrownBy(() -> CostWindow.parse(bad, "2099-01-01"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("start");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024/12/31", "20241231", "2024-12-32", "tomorrow"})
    void anEndThatDoesNotParseIsRefused(String bad) {
        assertThatThrownBy(() -> CostWindow.parse("2024-01-01", bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("end");
    }

    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource({"2024-01-31,2024-01-01", "2024-01-01,2024-01-01", "2025-01-01,2024-12-31"})
    void endNotAfterStartIsRefused(String start, String end) {
        assertThatThrownBy(() -> CostWindow.parse(start, end))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("after");
    }

    /** Issue 11 item 5: the old service had no 2000-2999 rule; every valid date is passed on to Spot. */
    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource({"1970-01-01,1970-01-02", "0001-01-01,9999-12-31", "1999-12-31,2000-01-01", "2999-12-31,3000-01-01"})
    void everyValidDateIsAccepted(String start, String end) {
        CostWindow w = CostWindow.parse(start, end);

        assertThat(w.fromDate()).isEqualTo(start);
        assertThat(w.toDate()).isEqualTo(end);
    }
}
