package dev.spotapi.support;

/** The example bodies of the old service's contract ({@code seed-api.md}), which must stay valid. */
public final class SeedExamples {
    /** The elastigroup of the contract's create example, unwrapped (no {@code "group"} key). */
    public static final String GROUP = """
                {"name": "test202018", "strategy": {"risk": 100, "onDemandCount": null,
                "availabilityVsCost": "balanced", "drainingTimeout": 120, "fallbackToOd": true, "scalingStrategy":
                {"terminationPolicy": "newestInstance"}, "lifetimePeriod": "days", "revertToSpot": {"performAt":
                "always"}, "persistence": {}}, "capacity": {"target": 2, "minimum": 2, "maximum": 4, "unit":
                "instance"}, "scaling": {"up": null, "down": null}, "compute": {"instanceTypes": {"ondemand":
                "t3.micro", "spot": ["t3.micro", "t3a.micro", "t3a.nano", "t3.nano"]}, "availabilityZones":
                [{"name": "us-east-1a", "subnetId": "subnet-00000000000000000"}], "product": "Linux/UNIX",
                "launchSpecification": {"securityGroupIds": ["sg-00000000000000000"], "monitoring": false,
                "ebsOptimized": false, "imageId": "ami-00000000000000000", "keyPair": "user", "healthCheckType":
                null, "tenancy": "default", "userData": null, "shutdownScript": null}, "elasticIps": null,
                "preferredAvailabilityZones": null}, "multai": null, "scheduling": {}, "region": "us-east-1",
                "thirdPartiesIntegration": {}}""";

    private SeedExamples() {
    }
}
