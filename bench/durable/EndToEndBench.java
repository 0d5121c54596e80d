// End to end: per-request latency of async creates (Prefer: respond-async, 202) and keyed scales against a
// spot-api in front of the simulator, without and with tasks.stateFile + idempotency.stateFile (4 rounds,
// the order alternating; compare the warm rounds 2-3). Run from the repository root after test-compile:
//   nice -n 15 java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" bench/durable/EndToEndBench.java
import dev.spotapi.config.*;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.nio.file.*;
import java.util.*;

/** Per-request latency of async creates (Prefer: respond-async) and keyed scales, without and with the state files. */
public class EndToEndBench {
    public static void main(String[] a) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "e2e");
        try (SpotSimulator sim = TestService.simulator()) {
            for (int round = 0; round < 4; round++) {
                for (boolean files : round % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    Path d = dir.resolve("r" + round + files);
                    try (TestService s = TestService.replica(sim, TestService.fastSettings(), c -> files
                            ? c.withTasks(c.tasks().withStateFile(d.resolve("tasks.json").toString()))
                                    .withIdempotency(c.idempotency().withStateFile(d.resolve("idem.jsonl").toString()))
                            : c)) {
                        String group = s.call("POST", "/main/elastigroups", TestService.json("""
                            {"name": "bench", "region": "us-east-1",
                             "capacity": {"minimum": 0, "maximum": 1000, "target": 2, "unit": "instance"},
                             "strategy": {"risk": 100, "availabilityVsCost": "balanced"},
                             "compute": {"product": "Linux/UNIX",
                               "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]},
                               "availabilityZones": [{"name": "us-east-1a", "subnetId": "subnet-0123"}],
                               "launchSpecification": {"imageId": "ami-0123", "securityGroupIds": ["sg-0123"]}}}""")).json().path("id").asText();
                        int n = 150;
                        long[] async = new long[n];
                        long[] keyed = new long[n];
                        for (int i = 0; i < n; i++) {
                            var body = TestService.json("""
                                {"name": "x", "region": "us-east-1",
                                 "compute": {"product": "Linux/UNIX", "subnetIds": ["subnet-0123"], "vpcId": "vpc-0123",
                                   "launchSpecification": {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro"]},
                                     "imageId": "ami-0123"}}}""");
                            body.put("name", "bench-" + i);
                            long t0 = System.nanoTime();
                            var r = s.call("POST", "/main/instances", body, Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
                            async[i] = System.nanoTime() - t0;
                            if (r.status() != 202) throw new AssertionError(r.body());
                            t0 = System.nanoTime();
                            var k = s.call("PUT", "/main/elastigroups/" + group + "/scale", TestService.json("{\"direction\": \"up\", \"adjustment\": 1}"),
                                    Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", UUID.randomUUID().toString()));
                            keyed[i] = System.nanoTime() - t0;
                            if (k.status() != 200) throw new AssertionError(k.body());
                        }
                        System.out.printf("round %d files=%-5s async create 202: median %.2f ms mean %.2f ms | keyed scale: median %.2f ms mean %.2f ms%n",
                                round, files, median(async), mean(async), median(keyed), mean(keyed));
                    }
                }
            }
        }
    }

    static double median(long[] v) { long[] c = v.clone(); Arrays.sort(c); return c[c.length / 2] / 1e6; }
    static double mean(long[] v) { return Arrays.stream(v).average().orElse(0) / 1e6; }
}
