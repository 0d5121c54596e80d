package dev.spotapi.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotapi.api.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which {@code Idempotency-Key} values are accepted (IETF httpapi draft: an sf-string; we also take a bare token). */
class IdempotencyKeyParsingTest {
    @Test
    void bareAndQuotedKeysAreTheSameKey() {
        assertThat(Idempotency.parse("8e03978e-40d5-43e8-bc93-6894a57f9324")).isEqualTo("8e03978e-40d5-43e8-bc93-6894a57f9324");
        assertThat(Idempotency.parse("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"")).isEqualTo("8e03978e-40d5-43e8-bc93-6894a57f9324");
        assertThat(Idempotency.parse(" key with spaces ")).isEqualTo("key with spaces");
        assertThat(Idempotency.parse("x".repeat(255))).hasSize(255);
    }

    @Test
    void emptyTooLongAndNonPrintableKeysAreRefused() {
        for (String bad : List.of("", "  ", "\"\"", "x".repeat(256), "caf\u00e9", "tab\there", "nul\u0000", "\u00ff\u00fe")) {
            assertThatThrownBy(() -> Idempotency.parse(bad)).as("[%s]", bad)
                    .isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
        }
    }

    @Test
    void theRecordKeyIsAHashNeverTheKeyItself() {
        assertThat(Idempotency.sha256("my-key")).matches("[0-9a-f]{64}").doesNotContain("my-key");
    }
}
