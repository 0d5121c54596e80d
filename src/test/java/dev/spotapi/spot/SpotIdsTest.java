package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The id checks accept exactly what the regular expressions they replaced accepted. */
class SpotIdsTest {
    private static final Pattern GROUP = Pattern.compile("sig-[0-9a-z]{4,32}");
    private static final Pattern MANAGED_INSTANCE = Pattern.compile("smi-[0-9a-z]{4,32}");

    @Test
    void sameAnswersAsTheRegularExpressions() {
        List<String> ids = new ArrayList<>(List.of("", "sig-", "sig-abc", "sig-abcd", "sig-0123456789abcdefghijklmnopqrstuv",
                "sig-0123456789abcdefghijklmnopqrstuvw", "SIG-abcd", "sig-ABCD", "sig-ab_d", "sig-abcd\n", "smi-1234",
                "smi-12345678", "smi-1234/..", "smi-１２３４", "smi-abcé", " smi-abcd", "smi-abcd "));
        Random random = new Random(27);
        String alphabet = "sigm-0123456789abcdefxyzABZ_ /é\u0000";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder b = new StringBuilder(random.nextBoolean() ? "sig-" : "smi-");
            for (int i = random.nextInt(40); i > 0; i--) {
                b.append(random.nextInt(10) < 8 ? "0123456789abcdefghijklmnopqrstuvwxyz".charAt(random.nextInt(36))
                        : alphabet.charAt(random.nextInt(alphabet.length())));
            }
            ids.add(b.toString());
        }
        for (String id : ids) {
            assertThat(SpotIds.isGroupId(id)).as(id).isEqualTo(GROUP.matcher(id).matches());
            assertThat(SpotIds.isManagedInstanceId(id)).as(id).isEqualTo(MANAGED_INSTANCE.matcher(id).matches());
        }
        assertThat(SpotIds.isGroupId(null)).isFalse();
        assertThat(SpotIds.isManagedInstanceId(null)).isFalse();
    }
}
