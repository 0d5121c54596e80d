package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.spot.SpotTimestamps;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The dates a conditional write is compared on: HTTP dates (RFC 9110 §5.6.7) and Spot's {@code updatedAt}. */
class PreconditionDatesTest {
    private static final Instant EPOCH = Instant.EPOCH;

    @Test
    void theThreeHttpDateFormsAreRead() {
        assertThat(Preconditions.httpDate("Thu, 01 Jan 1970 00:00:00 GMT")).isEqualTo(EPOCH);
        assertThat(Preconditions.httpDate("Thursday, 01-Jan-70 00:00:00 GMT")).isEqualTo(EPOCH);
        assertThat(Preconditions.httpDate("Thu Jan  1 00:00:00 1970")).isEqualTo(EPOCH);
        assertThat(Preconditions.httpDate("yesterday")).as("not a date: the condition is ignored").isNull();
        assertThat(Preconditions.httpDate(null)).isNull();
    }

    @Test
    void bothOfSpotsTimestampFormsAreRead() {
        Instant t = Instant.parse("2016-01-28T16:18:14Z");
        assertThat(SpotTimestamps.parse("2016-01-28T16:18:14.000Z")).isEqualTo(t);
        assertThat(SpotTimestamps.parse("2016-01-28T16:18:14.000+0000")).isEqualTo(t);
        assertThat(SpotTimestamps.parse("2016-01-28T16:18:14+00:00")).isEqualTo(t);
        assertThat(SpotTimestamps.parse("2016-01-28T16:18:14")).as("no offset: UTC").isEqualTo(t);
        assertThat(SpotTimestamps.parse("28/01/2016")).isNull();
        assertThat(SpotTimestamps.parse("")).isNull();
    }
}
