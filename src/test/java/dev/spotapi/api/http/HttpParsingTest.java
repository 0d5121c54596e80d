package dev.spotapi.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The request-header and query parsing of the HTTP layer: percent-decoding and {@code Accept-Encoding}. */
class HttpParsingTest {
    @Test
    void aQueryPartDecodesAsStrictUtf8OrNotAtAll() {
        assertThat(Exchange.decodeQuery("volumes%2Csnapshots")).isEqualTo("volumes,snapshots");
        assertThat(Exchange.decodeQuery("a+b")).isEqualTo("a b");
        assertThat(Exchange.decodeQuery("%C3%A9%E2%82%AC")).isEqualTo("é€");
        assertThat(Exchange.decodeQuery("")).isEmpty();
        assertThat(Exchange.decodeQuery("a;b")).isEqualTo("a;b");
        for (String bad : List.of("volumes%ZZ", "volumes%2", "%", "tr%Gue", "%C3", "%E9", "%C3%28", "%ED%A0%80")) {
            assertThat(Exchange.decodeQuery(bad)).as(bad).isNull();
        }
    }

    @Test
    void theFirstUndecodablePartIsNamedAndItsParameterLeftOut() {
        assertThat(Exchange.parseQuery("keep=volumes%ZZ&detach=true")).containsOnlyKeys("keep", "detach");
        assertThat(Exchange.parseQuery("keep=volumes%ZZ").get("keep")).isEmpty();
    }

    @Test
    void gzipIsAcceptedAsAcceptEncodingSaysWithItsQualities() {
        assertThat(ApiHandler.acceptsGzip(List.of("gzip, deflate, br"))).isTrue();
        assertThat(ApiHandler.acceptsGzip(List.of("GZIP;Q=0.5"))).isTrue();
        assertThat(ApiHandler.acceptsGzip(List.of("x-gzip"))).isTrue();
        assertThat(ApiHandler.acceptsGzip(List.of("*"))).as("any coding").isTrue();
        assertThat(ApiHandler.acceptsGzip(List.of())).isFalse();
        assertThat(ApiHandler.acceptsGzip(List.of("identity"))).isFalse();
        assertThat(ApiHandler.acceptsGzip(List.of("gzip;q=0"))).isFalse();
        assertThat(ApiHandler.acceptsGzip(List.of("identity, gzip;q=0.0"))).isFalse();
        assertThat(ApiHandler.acceptsGzip(List.of("*, gzip;q=0"))).as("gzip refused by name").isFalse();
        assertThat(ApiHandler.acceptsGzip(List.of("deflate", "gzip"))).as("two header lines").isTrue();
        assertThat(ApiHandler.acceptsGzip(List.of("gzip;q=nonsense"))).isFalse();
    }
}
