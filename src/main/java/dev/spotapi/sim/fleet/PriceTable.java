package dev.spotapi.sim.fleet;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Hourly USD prices per instance type, Linux, us-east-1. On-demand prices are AWS's public list
 * prices; spot prices are representative values (the real ones move every hour), about a third of
 * on-demand. t3a.micro is pinned to 0.0094 / 0.0031, the values behind the costs example in the
 * contract.
 */
public final class PriceTable {
    /** On-demand and spot price per hour. */
    public record Price(BigDecimal onDemand, BigDecimal spot) {
    }

    private static final Map<String, Price> PRICES;

    static {
        Map<String, Price> p = new LinkedHashMap<>();
        add(p, "t2.nano", "0.0058", "0.0018");
        add(p, "t2.micro", "0.0116", "0.0035");
        add(p, "t2.small", "0.023", "0.0069");
        add(p, "t2.medium", "0.0464", "0.0139");
        add(p, "t2.large", "0.0928", "0.0278");
        add(p, "t2.xlarge", "0.1856", "0.0557");
        add(p, "t2.2xlarge", "0.3712", "0.1114");
        add(p, "t3.nano", "0.0052", "0.0016");
        add(p, "t3.micro", "0.0104", "0.0031");
        add(p, "t3.small", "0.0208", "0.0062");
        add(p, "t3.medium", "0.0416", "0.0125");
        add(p, "t3.large", "0.0832", "0.0250");
        add(p, "t3.xlarge", "0.1664", "0.0499");
        add(p, "t3.2xlarge", "0.3328", "0.0998");
        add(p, "t3a.nano", "0.0047", "0.0016");
        add(p, "t3a.micro", "0.0094", "0.0031");
        add(p, "t3a.small", "0.0188", "0.0062");
        add(p, "t3a.medium", "0.0376", "0.0124");
        add(p, "t3a.large", "0.0752", "0.0248");
        add(p, "t3a.xlarge", "0.1504", "0.0496");
        add(p, "t3a.2xlarge", "0.3008", "0.0993");
        add(p, "m5.large", "0.096", "0.0364");
        add(p, "m5.xlarge", "0.192", "0.0728");
        add(p, "m5.2xlarge", "0.384", "0.1456");
        add(p, "c5.large", "0.085", "0.0331");
        add(p, "c5.xlarge", "0.17", "0.0662");
        add(p, "c5.2xlarge", "0.34", "0.1324");
        add(p, "r5.large", "0.126", "0.0410");
        add(p, "r5.xlarge", "0.252", "0.0820");
        add(p, "r5.2xlarge", "0.504", "0.1640");
        PRICES = Collections.unmodifiableMap(p);
    }

    private PriceTable() {
    }

    public static Optional<Price> price(String instanceType) {
        return Optional.ofNullable(instanceType == null ? null : PRICES.get(instanceType));
    }

    public static Map<String, Price> all() {
        return PRICES;
    }

    private static void add(Map<String, Price> map, String type, String onDemand, String spot) {
        map.put(type, new Price(new BigDecimal(onDemand), new BigDecimal(spot)));
    }

    /**
     * vCPUs of an EC2 instance type from its size (AWS's published sizes for the t2/t3/t3a/m5/c5/r5
     * families: nano..small 1 on t2 and 2 on t3/t3a, medium 2 on burstable types, large 2, xlarge 4,
     * Nxlarge 4N); 1 for a size it cannot read.
     */
    public static long vcpus(String type) {
        int dot = type.indexOf('.');
        String family = dot < 0 ? type : type.substring(0, dot);
        String size = dot < 0 ? "" : type.substring(dot + 1);
        boolean burstable = family.startsWith("t");
        switch (size) {
            case "nano", "micro", "small":
                return burstable && !family.equals("t2") ? 2 : 1;
            case "medium":
                return burstable ? 2 : 1;
            case "large":
                return 2;
            case "xlarge":
                return 4;
            default:
                if (size.endsWith("xlarge")) {
                    try {
                        return 4L * Long.parseLong(size.substring(0, size.length() - "xlarge".length()));
                    } catch (NumberFormatException e) {
                        return 1;
                    }
                }
                return 1;
        }
    }
}
