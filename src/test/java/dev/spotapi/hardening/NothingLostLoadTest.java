package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, "Nothing lost: many concurrent clients create, update, read and delete instances and groups for
 * a bounded time while the simulator injects a few percent of faults of every kind. At the end, every create
 * that answered 200 exists in the simulator, every delete that answered 200 is gone, no resource exists
 * twice for one create, and the service answered every request."
 *
 * <p>Every create carries a name unique to that attempt, so a duplicated create shows as two resources with
 * one name. 5xx and 429 answers are allowed: they are honest answers. Each client works only on what it
 * created itself, so a 404 on reading or updating a live object would be a loss.
 */
@Order(1) // long: started first
class NothingLostLoadTest {
    /** Figures for the reader, in the test JVM's log (target/surefire-reports/test-jvm.log). */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NothingLostLoadTest.class);
    private static final int CLIENTS = 10;
    private static final long RUN_MS = 10_000;
    private static final long KEYED_RUN_MS = 6_000;
    private static final double FAULT_PROBABILITY = 0.02;
    /** What a run must have done to judge it (not a vacuous pass): creates and deletes answered 200. */
    private static final int MIN_CREATED = 21;
    private static final int MIN_DELETED = 6;
    private static final String[] FAULTS = {
            "{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":503,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":429,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":500,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"html\",\"status\":502,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"empty\",\"status\":504,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"garbage\",\"status\":200,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"delay\",\"delayMs\":2500,\"probability\":P}", // > attempt timeout
            "{\"path\":\"/aws/**\",\"action\":\"delay\",\"delayMs\":300,\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"drop\",\"probability\":P}",
            "{\"path\":\"/aws/**\",\"action\":\"drop_reply\",\"probability\":P}", // Spot acted, reply lost
    };
    private static Harness h;

    @BeforeAll
    static void start() {
        // attempts of 1.5 s (a 2.5 s delay times out), deadline 6 s, 3 attempts, backoff 50..500 ms
        h = Harness.start(new SpotClientSettings(1_000, 1_500, 6_000, 3, 50, 500, 0, 100));
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** One client's own view of what it did. */
    static final class Client {
        final int number;
        final Map<String, String> created = new HashMap<>(); // id -> name, for creates that answered 200
        final Map<String, String> kindOf = new HashMap<>(); // id -> GROUPS or INSTANCES
        final List<String> live = new ArrayList<>();
        final Set<String> deleted = new HashSet<>(); // deletes that answered 200
        final Set<String> uncertain = new HashSet<>(); // deletes that answered something else
        final Map<String, String> unanswered = new HashMap<>(); // name -> last message, creates never answered 200
        final List<String> anomalies = new ArrayList<>();
        final boolean keyed;
        int sequence;

        Client(int number, boolean keyed) {
            this.number = number;
            this.keyed = keyed;
        }
    }

    @Test
    void underFaultsOfEveryKindNothingIsLostOrDuplicatedAndEveryRequestIsAnswered() throws Exception {
        Outcome o = load(false, RUN_MS);
        // Without a key a caller can still find each of these by the correlation tag its 502/504 named
        assertThat(o.orphansNotNamed).as("orphans whose 5xx answer did not name their correlation tag").isEmpty();
    }

    /**
     * Issue 14: the same load, every create with an Idempotency-Key and retried with it after a 5xx, 409
     * or 429, as a careful client would: no create ends as an orphan the caller cannot know about.
     */
    @Test
    void withIdempotencyKeysNoCreateIsOrphaned() throws Exception {
        Outcome o = load(true, KEYED_RUN_MS);
        assertThat(o.orphans).as("objects in Spot whose create the caller never got an id for").isEmpty();
    }

    /** What a run left behind. */
    record Outcome(List<String> orphans, List<String> orphansNotNamed) {
    }

    private static Outcome load(boolean keyed, long runMs) throws Exception {
        h.reset();
        for (String fault : FAULTS) {
            h.fault(fault.replace("P", Double.toString(FAULT_PROBABILITY)));
        }
        Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Client>> futures = new ArrayList<>();
        // runMs, then on (up to 4 x runMs) until the run has done enough to judge: on a loaded machine, with
        // clients waiting out Retry-After, a fixed time may create and delete too little to be meaningful
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(runMs);
        long latest = start + TimeUnit.MILLISECONDS.toNanos(4 * runMs);
        BooleanSupplier going = () -> {
            long now = System.nanoTime();
            return now < end || now < latest && !enoughToJudge(statuses);
        };
        for (int i = 0; i < CLIENTS; i++) {
            int number = i;
            futures.add(pool.submit(() -> run(new Client(number, keyed), going, statuses)));
        }
        List<Client> clients = new ArrayList<>();
        try {
            for (Future<Client> f : futures) {
                clients.add(f.get(4 * runMs + 120_000, TimeUnit.MILLISECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        h.clearFaults();
        h.awaitSimulatorIdle(); // requests still held by a delay fault finish in Spot
        Map<String, List<String>> groupNames = namesToIds(h.storedAll(GROUPS));
        Map<String, List<String>> instanceNames = namesToIds(h.storedAll(INSTANCES));
        Set<String> existing = new HashSet<>();
        groupNames.values().forEach(existing::addAll);
        instanceNames.values().forEach(existing::addAll);

        LOG.info("load test (" + (keyed ? "with" : "without") + " Idempotency-Key) answers by operation and status: "
                + new TreeMap<>(statuses));
        List<String> anomalies = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        List<String> notGone = new ArrayList<>();
        int createdOk = 0;
        int deletedOk = 0;
        for (Client c : clients) {
            anomalies.addAll(c.anomalies);
            createdOk += c.created.size();
            deletedOk += c.deleted.size();
            for (Map.Entry<String, String> e : c.created.entrySet()) {
                String id = e.getKey();
                if (!c.deleted.contains(id) && !c.uncertain.contains(id) && !existing.contains(id)) {
                    lost.add(id + " (" + e.getValue() + ")");
                }
                List<String> sameName = (GROUPS.equals(c.kindOf.get(id)) ? groupNames : instanceNames)
                        .getOrDefault(e.getValue(), List.of());
                assertThat(sameName).as("resources named %s", e.getValue()).hasSizeLessThanOrEqualTo(1);
                if (!sameName.isEmpty()) {
                    assertThat(sameName).as("the 200-created %s is the one named %s", id, e.getValue()).containsExactly(id);
                }
            }
            for (String id : c.deleted) {
                if (existing.contains(id)) {
                    notGone.add(id);
                }
            }
        }
        List<String> duplicated = new ArrayList<>();
        groupNames.forEach((name, ids) -> {
            if (ids.size() > 1) {
                duplicated.add(name + " -> " + ids);
            }
        });
        instanceNames.forEach((name, ids) -> {
            if (ids.size() > 1) {
                duplicated.add(name + " -> " + ids);
            }
        });

        assertThat(createdOk).as("the run created things (not a vacuous pass)").isGreaterThanOrEqualTo(MIN_CREATED);
        assertThat(deletedOk).as("the run deleted things").isGreaterThanOrEqualTo(MIN_DELETED);
        assertThat(statuses.keySet().stream().anyMatch(k -> k.endsWith(" 502") || k.endsWith(" 504")))
                .as("faults reached the callers as honest 5xx answers: %s", statuses).isTrue();
        assertThat(anomalies).as("requests without an answer, or answers that are not honest").isEmpty();
        assertThat(lost).as("creates answered 200 but missing in Spot").isEmpty();
        assertThat(notGone).as("deletes answered 200 but still in Spot").isEmpty();
        assertThat(duplicated).as("one create made two resources").isEmpty();

        List<String> orphans = new ArrayList<>();
        List<String> orphansNotNamed = new ArrayList<>();
        int unanswered = 0;
        for (Client c : clients) {
            for (Map.Entry<String, String> e : c.unanswered.entrySet()) {
                unanswered++;
                if (groupNames.containsKey(e.getKey()) || instanceNames.containsKey(e.getKey())) {
                    orphans.add(e.getKey());
                    if (!e.getValue().contains("spot-api:correlation=")) {
                        orphansNotNamed.add(e.getKey() + ": " + e.getValue());
                    }
                }
            }
        }
        LOG.info("load test (" + (keyed ? "with" : "without") + " Idempotency-Key): orphans " + orphans.size()
                + " of " + unanswered + " creates never answered 200 (" + orphansNotNamed.size()
                + " of them without their correlation tag in the answer); " + createdOk + " creates answered 200");
        return new Outcome(orphans, orphansNotNamed);
    }

    /** Creates and deletes answered 200 so far: at least MIN_CREATED and MIN_DELETED. */
    private static boolean enoughToJudge(Map<String, AtomicInteger> statuses) {
        int created = 0;
        int deleted = 0;
        for (Map.Entry<String, AtomicInteger> e : statuses.entrySet()) {
            if (e.getKey().startsWith("create ") && e.getKey().endsWith(" 200")) {
                created += e.getValue().get();
            } else if (e.getKey().equals("delete 200")) {
                deleted += e.getValue().get();
            }
        }
        return created >= MIN_CREATED && deleted >= MIN_DELETED;
    }

    private static Client run(Client c, BooleanSupplier going, Map<String, AtomicInteger> statuses) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int operations = 0;
        while (going.getAsBoolean() && operations++ < 5_000) {
            double dice = random.nextDouble();
            if (c.live.size() < 3 || dice < 0.30) {
                create(c, random.nextBoolean() ? GROUPS : INSTANCES, statuses);
            } else if (dice < 0.55) {
                read(c, c.live.get(random.nextInt(c.live.size())), statuses);
            } else if (dice < 0.75) {
                update(c, c.live.get(random.nextInt(c.live.size())), statuses);
            } else {
                delete(c, c.live.get(random.nextInt(c.live.size())), statuses);
            }
        }
        return c;
    }

    private static void create(Client c, String kind, Map<String, AtomicInteger> statuses) {
        String name = "load-" + c.number + "-" + (++c.sequence) + "-" + Harness.uniqueName(kind.equals(GROUPS) ? "g" : "i");
        boolean group = kind.equals(GROUPS);
        String key = c.keyed ? java.util.UUID.randomUUID().toString() : null;
        Reply r = null;
        for (int attempt = 0; attempt < (c.keyed ? 8 : 1); attempt++) {
            if (attempt > 0) {
                try {
                    Thread.sleep(300L * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            r = call(c, "create " + (group ? "group" : "instance"), "POST", group ? "/main/elastigroups" : "/main/instances",
                    group ? Harness.groupBody(name) : Harness.instanceBody(name), statuses, key);
            if (r == null || !Set.of(409, 429, 502, 503, 504).contains(r.status())) {
                break;
            }
        }
        if (r == null) {
            c.unanswered.put(name, "no answer");
            return;
        }
        if (r.status() != 200) {
            c.unanswered.put(name, r.body());
        }
        if (r.status() == 200) {
            String id = group ? r.json().path("id").asText() : r.json().asText();
            if (!id.matches("(sig|smi)-[0-9a-f]{8}")) {
                c.anomalies.add("create answered 200 without an id: " + r.body());
                return;
            }
            c.created.put(id, name);
            c.kindOf.put(id, kind);
            c.live.add(id);
        } else {
            expectHonest(c, "create", r, c.keyed ? Set.of(409, 429, 502, 503, 504) : Set.of(429, 502, 504));
        }
    }

    private static void read(Client c, String id, Map<String, AtomicInteger> statuses) {
        boolean group = GROUPS.equals(c.kindOf.get(id));
        Reply r = call(c, "read", "GET", (group ? "/main/elastigroups/" : "/main/instances/") + id, null, statuses);
        if (r != null && r.status() == 200) {
            if (!id.equals(r.json().path("id").asText())) {
                c.anomalies.add("read of " + id + " answered another object: " + r.body());
            }
        } else if (r != null) {
            expectHonest(c, "read " + id, r, Set.of(429, 502, 504));
        }
    }

    private static void update(Client c, String id, Map<String, AtomicInteger> statuses) {
        boolean group = GROUPS.equals(c.kindOf.get(id));
        Reply r = call(c, "update", "PUT", (group ? "/main/elastigroups/" : "/main/instances/") + id,
                TestService.json("{\"description\": \"updated " + c.sequence + "\"}"), statuses);
        if (r != null && r.status() != 200) {
            // 409: an earlier update of this object has not been answered by Spot yet (write fence)
            expectHonest(c, "update " + id, r, Set.of(409, 429, 502, 504));
        }
    }

    private static void delete(Client c, String id, Map<String, AtomicInteger> statuses) {
        boolean group = GROUPS.equals(c.kindOf.get(id));
        Reply r = call(c, "delete", "DELETE", (group ? "/main/elastigroups/" : "/main/instances/") + id, null, statuses);
        c.live.remove(id);
        if (r != null && r.status() == 200) {
            c.deleted.add(id);
        } else {
            c.uncertain.add(id);
            if (r != null) {
                // never 404: a delete whose reply was lost is not sent again (issue 10 item 5)
                expectHonest(c, "delete " + id, r, Set.of(409, 429, 502, 504));
            }
        }
    }

    private static Reply call(Client c, String operation, String method, String path, Object body,
            Map<String, AtomicInteger> statuses) {
        return call(c, operation, method, path, body, statuses, null);
    }

    private static Reply call(Client c, String operation, String method, String path, Object body,
            Map<String, AtomicInteger> statuses, String idempotencyKey) {
        try {
            Reply r = idempotencyKey == null ? h.call(method, path, body)
                    : h.svc.call(method, path, body, Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", idempotencyKey));
            statuses.computeIfAbsent(operation + " " + r.status(), k -> new AtomicInteger()).incrementAndGet();
            return r;
        } catch (RuntimeException e) {
            statuses.computeIfAbsent(operation + " no-answer", k -> new AtomicInteger()).incrementAndGet();
            c.anomalies.add(operation + " " + method + " " + path + ": no answer: " + e);
            return null;
        }
    }

    private static void expectHonest(Client c, String what, Reply r, Set<Integer> allowed) {
        if (!allowed.contains(r.status())) {
            c.anomalies.add(what + " answered " + r.status() + ": " + r.body());
            return;
        }
        try {
            Harness.assertJsonError(r, r.status());
        } catch (AssertionError e) {
            c.anomalies.add(what + " answered " + r.status() + " without a proper JSON error body: " + r.body());
        }
    }

    private static Map<String, List<String>> namesToIds(List<JsonNode> items) {
        return items.stream().filter(i -> Harness.nameOf(i) != null).collect(Collectors.groupingBy(Harness::nameOf,
                Collectors.mapping(i -> i.path("id").asText(), Collectors.toList())));
    }
}
