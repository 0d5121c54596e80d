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

    /** The contract's update-elastigroup example, as written (its {@code id} loses to the path's). */
    public static final String GROUP_UPDATE = """
                {"id": "sig-000000000", "capacity": {"target": 2, "minimum": 2,
                "maximum": 4}, "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro",
                "t3a.micro", "t3a.nano", "t3.nano"]}, "launchSpecification": {"tags": [{"tagKey": "food",
                "tagValue": "good"}]}}}""";

    /** The contract's create-managed-instance example, as written. */
    public static final String INSTANCE = """
                {"region": "us-east-1", "name": "mi-test", "description": "My new Spot Instance",
                "strategy": {"revertToSpot": {"performAt": "always"}}, "persistence":
                {"persistPrivateIp": true, "persistBlockDevices": true, "persistRootDevice": true,
                "blockDevicesMode": "onLaunch"}, "healthCheck": {"type": "EC2", "autoHealing": true, "gracePeriod":
                120, "unhealthyDuration": 120}, "compute": {"product": "Linux/UNIX", "subnetIds":
                ["subnet-0123456789abcdef0"], "vpcId": "vpc-0123456789abcdef0", "launchSpecification":
                {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro", "t3.micro", "t2.micro"]},
                "securityGroupIds": ["sg-0123456789abcdef0"], "imageId": "ami-02354e95b39ca8dec", "keyPair": null,
                "tags": [{"tagKey": "CreatedBy", "tagValue": "me"}], "networkInterfaces": [{"associateIpv6Address":
                false, "deviceIndex": 0}], "creditSpecification": {"cpuCredits": "standard"}, "shutdownScript":
                null, "userData": null}, "privateIp": null}, "integrations": {}, "scheduling": {}}""";

    /** The contract's update-managed-instance example, as written. */
    public static final String INSTANCE_UPDATE = """
                {"compute": {"launchSpecification": {"tags": [{"tagKey":
                "Environment", "tagValue": "dev"}]}}}""";

    private SeedExamples() {
    }
}
