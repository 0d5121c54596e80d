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

    /** EC2 instance and EBS volume ids: AWS's two forms only, {@code i-}/{@code vol-} and 8 or 17 hex digits. */
    @Test
    void awsIdsAreTheirTwoForms() {
        Pattern instance = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
        Pattern volume = Pattern.compile("vol-([0-9a-f]{8}|[0-9a-f]{17})");
        List<String> ids = new ArrayList<>(List.of("i-0123abcd", "i-0123456789abcdef0", "i-0123456789", "i-0123456789abcd",
                "i-0123456789abcdef", "i-0123ABCD", "vol-0123abcd", "vol-0123456789abcdef0", "vol-0123456789abcd",
                "vol-xyz", "i-", "vol-", ""));
        Random random = new Random(16);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder b = new StringBuilder(random.nextBoolean() ? "i-" : "vol-");
            for (int i = random.nextInt(20); i > 0; i--) {
                b.append("0123456789abcdefgA-".charAt(random.nextInt(random.nextInt(10) < 9 ? 16 : 19)));
            }
            ids.add(b.toString());
        }
        for (String id : ids) {
            assertThat(SpotIds.isEc2InstanceId(id)).as(id).isEqualTo(instance.matcher(id).matches());
            assertThat(SpotIds.isVolumeId(id)).as(id).isEqualTo(volume.matcher(id).matches());
        }
        assertThat(SpotIds.isEc2InstanceId(null)).isFalse();
        assertThat(SpotIds.isVolumeId(null)).isFalse();
    }
}
