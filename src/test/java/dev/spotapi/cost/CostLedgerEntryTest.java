package dev.spotapi.cost;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** How a {@link CostLedger.Entry} is stored and which windows it counts in. */
class CostLedgerEntryTest {
    private static final LocalDate D1 = LocalDate.parse("2026-11-01");

    @Test
    void anEntryReadsBackAsItWasWritten() {
        Map<LocalDate, double[]> days = new TreeMap<>();
        days.put(D1, new double[] {0.0002, 0.5, 24});
        days.put(D1.plusDays(1), new double[] {1.25, 3, 7.5});
        CostLedger.Entry e = new CostLedger.Entry("elastigroup", "sig-12345678", "space-1", D1.plusDays(1), D1, days,
                Instant.parse("2026-11-02T10:00:00Z"));

        CostLedger.Entry back = CostLedger.decode(CostLedger.encode(e));

        assertThat(back.kind()).isEqualTo("elastigroup");
        assertThat(back.id()).isEqualTo("sig-12345678");
        assertThat(back.space()).isEqualTo("space-1");
        assertThat(back.deletedAt()).isEqualTo(e.deletedAt());
        assertThat(back.spaceSince()).isEqualTo(D1.plusDays(1));
        assertThat(back.created()).isEqualTo(D1);
        assertThat(back.days()).containsOnlyKeys(D1, D1.plusDays(1));
        assertThat(back.days().get(D1)).containsExactly(0.0002, 0.5, 24);
        CostLedger.Entry unknown = CostLedger.decode(CostLedger.encode(new CostLedger.Entry("managed instance",
                "smi-1234abcd", "", null, null, null, e.deletedAt())));
        assertThat(unknown.days()).as("costs not read: null, never an empty (zero) map").isNull();
        assertThat(unknown.spaceSince()).isNull();
    }

    @Test
    void whatIsNotAnEntryIsLeftOut() {
        assertThat(CostLedger.decode("not json")).isNull();
        assertThat(CostLedger.decode("{\"id\":\"x\",\"days\":{}}")).as("no deletedAt").isNull();
        assertThat(CostLedger.decode("{\"id\":\"x\",\"deletedAt\":\"2026-11-02T10:00:00Z\",\"days\":[1]}")).isNull();
    }

    @Test
    void anEntryCountsInTheWindowsItHasDaysIn() {
        Map<LocalDate, double[]> days = new TreeMap<>(Map.of(D1, new double[] {1, 1, 1}));
        CostLedger.Entry e = new CostLedger.Entry("elastigroup", "sig-1", "", null, null, days, Instant.parse("2026-11-05T10:00:00Z"));
        assertThat(e.overlaps(D1, D1.plusDays(1))).isTrue();
        assertThat(e.overlaps(D1.plusDays(1), D1.plusDays(30))).isFalse();
        assertThat(e.overlaps(D1.minusDays(30), D1)).as("end is exclusive").isFalse();
    }

    @Test
    void anEntryWithoutCostsCountsInTheWindowsOfItsLife() {
        CostLedger.Entry e = new CostLedger.Entry("elastigroup", "sig-1", "", null, D1, null,
                Instant.parse("2026-11-05T10:00:00Z"));
        assertThat(e.overlaps(D1.minusDays(60), D1.minusDays(30))).as("before it was created").isFalse();
        assertThat(e.overlaps(D1.minusDays(1), D1.plusDays(1))).isTrue();
        assertThat(e.overlaps(LocalDate.parse("2026-11-06"), LocalDate.parse("2026-11-07"))).as("after").isFalse();
    }

    @Test
    void anEntryWithoutCostsOrCreationCountsInEveryWindowThatStartsBeforeItsDelete() {
        CostLedger.Entry e = new CostLedger.Entry("elastigroup", "sig-1", "", null, null, null, Instant.parse("2026-11-05T10:00:00Z"));
        assertThat(e.overlaps(D1.minusYears(1), D1)).isTrue();
        assertThat(e.overlaps(LocalDate.parse("2026-11-05"), LocalDate.parse("2026-11-06"))).isTrue();
        assertThat(e.overlaps(LocalDate.parse("2026-11-06"), LocalDate.parse("2026-11-07"))).isFalse();
    }

    @Test
    void aResourceThatCostNothingIsNotKept() {
        Instant at = Instant.parse("2026-11-05T10:00:00Z");
        assertThat(CostLedger.costNothing(new CostLedger.Entry("managed instance", "smi-1", "", null, D1,
                new TreeMap<>(Map.of(D1, new double[] {0, 0, 0})), at))).isTrue();
        assertThat(CostLedger.costNothing(new CostLedger.Entry("managed instance", "smi-1", "", null, D1,
                new TreeMap<>(), at))).as("deleted before it ran").isTrue();
        assertThat(CostLedger.costNothing(new CostLedger.Entry("managed instance", "smi-1", "", null, D1,
                new TreeMap<>(Map.of(D1, new double[] {0, 0, 0.5})), at))).as("hours without a price").isFalse();
        assertThat(CostLedger.costNothing(new CostLedger.Entry("managed instance", "smi-1", "", null, D1, null, at)))
                .as("costs unknown: kept, its windows partial").isFalse();
    }
}
