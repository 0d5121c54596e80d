package dev.spotapi.spot;

/**
 * What a Spot id looks like ({@code sig-} or {@code smi-} and 4-32 lower-case letters or digits, as the
 * OpenAPI description's examples and Spot's answers have them), and the AWS ids Spot's bodies and paths carry (an EC2
 * instance's {@code i-}, an EBS volume's {@code vol-}: 8 or 17 lower-case hexadecimal digits, the only two forms AWS
 * gives); anything else never reaches Spot. Checked on every per-resource request, so without a regular expression's
 * matcher per call.
 */
public final class SpotIds {
    private SpotIds() {
    }

    /** An elastigroup id: {@code sig-[0-9a-z]{4,32}}. */
    public static boolean isGroupId(String id) {
        return has(id, "sig-");
    }

    /** A managed instance id: {@code smi-[0-9a-z]{4,32}}. */
    public static boolean isManagedInstanceId(String id) {
        return has(id, "smi-");
    }

    /** An EC2 instance id: {@code i-} and 8 or 17 lower-case hexadecimal digits (AWS's short and long ids). */
    public static boolean isEc2InstanceId(String id) {
        return isAwsId(id, "i-");
    }

    /** An EBS volume id: {@code vol-} and 8 or 17 lower-case hexadecimal digits (AWS's short and long ids). */
    public static boolean isVolumeId(String id) {
        return isAwsId(id, "vol-");
    }

    private static boolean isAwsId(String id, String prefix) {
        if (id == null || !id.startsWith(prefix)) {
            return false;
        }
        int digits = id.length() - prefix.length();
        if (digits != 8 && digits != 17) {
            return false;
        }
        for (int i = prefix.length(); i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean has(String id, String prefix) {
        if (id == null || id.length() < prefix.length() + 4 || id.length() > prefix.length() + 32
                || !id.startsWith(prefix)) {
            return false;
        }
        for (int i = prefix.length(); i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z')) {
                return false;
            }
        }
        return true;
    }
}
