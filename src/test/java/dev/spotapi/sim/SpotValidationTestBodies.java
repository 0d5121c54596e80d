package dev.spotapi.sim;

/** Rich Spot request bodies (the seed's examples plus fields of every Go struct) for conformance tests. */
final class SpotValidationTestBodies {
    /** The seed's create body with scaling policies, weights, block devices, tags and a scheduling task added. */
    static final String GROUP = """
            {"group": {"name": "test202018", "description": "rich", "strategy": {"risk": 100, "onDemandCount": null,
            "availabilityVsCost": "balanced", "drainingTimeout": 120, "fallbackToOd": true, "scalingStrategy":
            {"terminationPolicy": "newestInstance"}, "lifetimePeriod": "days", "revertToSpot": {"performAt":
            "always"}, "persistence": {"shouldPersistPrivateIp": false}, "signals": [{"name": "INSTANCE_READY", "timeout": 60}]},
            "capacity": {"target": 2, "minimum": 2, "maximum": 4, "unit": "instance"},
            "scaling": {"up": [{"policyName": "up", "metricName": "CPUUtilization", "namespace": "AWS/EC2", "statistic": "average",
              "unit": "percent", "threshold": 70.5, "adjustment": 1, "evaluationPeriods": 2, "period": 300, "cooldown": 300,
              "operator": "gte", "dimensions": [{"name": "InstanceId"}], "action": {"type": "adjustment", "adjustment": "1"}}],
              "down": null},
            "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro", "t3a.micro", "t3a.nano", "t3.nano"],
              "weights": [{"instanceType": "t3.micro", "weightedCapacity": 1}]},
            "availabilityZones": [{"name": "us-east-1a", "subnetId": "subnet-00000000000000000"}], "product": "Linux/UNIX",
            "launchSpecification": {"securityGroupIds": ["sg-00000000000000000"], "monitoring": false,
            "ebsOptimized": false, "imageId": "ami-00000000000000000", "keyPair": "user", "healthCheckType":
            null, "tenancy": "default", "userData": null, "shutdownScript": null, "iamRole": {"name": "role"},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20, "volumeType": "gp3", "deleteOnTermination": true}}],
            "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": true}],
            "tags": [{"tagKey": "Name", "tagValue": "web"}]}, "elasticIps": null,
            "preferredAvailabilityZones": null}, "multai": null,
            "scheduling": {"tasks": [{"isEnabled": true, "taskType": "scale", "cronExpression": "0 1 * * *", "scaleTargetCapacity": 2}]},
            "region": "us-east-1", "thirdPartiesIntegration": {}}}""";

    /** The seed's update body. */
    static final String GROUP_UPDATE = """
            {"group": {"id": "sig-000000000", "capacity": {"target": 2, "minimum": 2,
            "maximum": 4}, "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro",
            "t3a.micro", "t3a.nano", "t3.nano"]}, "launchSpecification": {"tags": [{"tagKey": "food",
            "tagValue": "good"}]}}}}""";

    /** The seed's managed instance body with block devices and a scheduling task added. */
    static final String INSTANCE = """
            {"managedInstance": {"region": "us-east-1", "name": "mi-test", "description": "My new Spot Instance",
            "strategy": {"revertToSpot": {"performAt": "always"}, "lifeCycle": "spot", "orientation": "balanced",
            "optimizationWindows": ["Mon:03:00-Wed:02:30"]}, "persistence":
            {"persistPrivateIp": true, "persistBlockDevices": true, "persistRootDevice": true,
            "blockDevicesMode": "onLaunch"}, "healthCheck": {"type": "EC2", "autoHealing": true, "gracePeriod":
            120, "unhealthyDuration": 120}, "compute": {"product": "Linux/UNIX", "subnetIds":
            ["subnet-0123456789abcdef0"], "vpcId": "vpc-0123456789abcdef0", "launchSpecification":
            {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro", "t3.micro", "t2.micro"]},
            "securityGroupIds": ["sg-0123456789abcdef0"], "imageId": "ami-02354e95b39ca8dec", "keyPair": null,
            "tags": [{"tagKey": "CreatedBy", "tagValue": "me"}], "networkInterfaces": [{"associateIpv6Address":
            false, "deviceIndex": 0}], "creditSpecification": {"cpuCredits": "standard"},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 30, "volumeType": "gp3", "throughput": 125}}]},
            "privateIp": null}, "integrations": {}, "scheduling": {"tasks": [{"isEnabled": true, "taskType": "pause",
            "cronExpression": "0 20 * * *"}]}}}""";

    private SpotValidationTestBodies() {
    }
}
