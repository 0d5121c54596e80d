package dev.spotapi.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.auth.TokenVerifier.Result;
import dev.spotapi.auth.TokenVerifier.Verdict;
import dev.spotapi.config.AuthSettings;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The verifier's lanes with real bcrypt: cheap hashes never wait behind costly ones, addresses take turns. */
class VerifyLanesTest {
    private static final String KEY = "the-pre-shared-key";
    private static final String B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** No failed-verification budget: the lanes alone are under test. */
    private static final AuthSettings NO_BUDGET = new AuthSettings(0, 1, 4, 1_000_000, 0);

    @Test
    void aCheapValidTokenIsVerifiedWhileACostlyOneStillRunsEvenFromTheSameAddress() {
        try (TokenVerifier v = new TokenVerifier(KEY, NO_BUDGET)) {
            CompletableFuture<Result> costly = v.verify(bogus(14), "10.0.0.1");
            CompletableFuture<Result> costly2 = v.verify(bogus(14), "10.0.0.1");

            Result cheap6 = v.verify(TokenVerifier.hash(KEY, 6), "10.0.0.1").join();
            Result cheap10 = v.verify(TokenVerifier.hash(KEY, 10), "10.0.0.1").join();

            assertThat(cheap6.verdict()).isEqualTo(Verdict.OK);
            assertThat(cheap10.verdict()).isEqualTo(Verdict.OK);
            assertThat(costly2).as("the second cost-14 check has not even started").isNotDone();
            assertThat(costly).as("nor has the first one ended").isNotDone();
        }
    }

    @Test
    void aNewAddressWaitsForOneCheckPerOtherAddressNotForTheirBacklog() {
        String newcomersToken = TokenVerifier.hash(KEY, 12); // hashed before the flood starts its clock
        try (TokenVerifier v = new TokenVerifier(KEY, new AuthSettings(0, 1, 16, 1_000_000, 0))) {
            List<String> done = new CopyOnWriteArrayList<>();
            List<CompletableFuture<Result>> flood = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String name = "flood-" + i;
                flood.add(v.verify(bogus(12), "10.0.0.1").whenComplete((r, e) -> done.add(name)));
            }
            CompletableFuture<Result> valid = v.verify(newcomersToken, "10.0.0.2")
                    .whenComplete((r, e) -> done.add("valid"));

            assertThat(valid.join().verdict()).isEqualTo(Verdict.OK);
            // flood-0 was running; the ring then held the flooder, then the newcomer: at most flood-1 before it
            assertThat(done.indexOf("valid")).as("completion order %s", done).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void aFullLaneTakesANewAddressByPushingOutTheFloodersNewestToken() {
        String newcomersToken = TokenVerifier.hash(KEY, 12);
        try (TokenVerifier v = new TokenVerifier(KEY, new AuthSettings(0, 1, 3, 1_000_000, 0))) {
            List<CompletableFuture<Result>> flood = new ArrayList<>();
            flood.add(v.verify(bogus(14), "10.0.0.1"));
            awaitQueued(v, 0); // the first one runs (a cost-14 check: long enough): the next three wait
            for (int i = 0; i < 7; i++) {
                flood.add(v.verify(bogus(14), "10.0.0.1"));
            }
            long busyFromFlooder = flood.stream().filter(f -> f.isDone() && f.join().verdict() == Verdict.BUSY).count();
            assertThat(busyFromFlooder).as("one running, three waiting, the rest turned away").isEqualTo(4);

            CompletableFuture<Result> valid = v.verify(newcomersToken, "10.0.0.2");

            List<Result> busyAfter = flood.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join)
                    .filter(r -> r.verdict() == Verdict.BUSY).toList();
            assertThat(busyAfter).as("one more flood token pushed out for the newcomer, answered at once")
                    .hasSize(5).allSatisfy(r -> assertThat(r.retryAfterSeconds()).isEqualTo(1));
            assertThat(valid.join().verdict()).as("admitted, not BUSY").isEqualTo(Verdict.OK);
        }
    }

    @Test
    void closingAnswersWaitingTokensBusy() {
        TokenVerifier v = new TokenVerifier(KEY, NO_BUDGET);
        List<CompletableFuture<Result>> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(v.verify(bogus(14), "10.0.0." + i));
        }
        assertThat(v.queued()).isGreaterThanOrEqualTo(2);

        v.close();

        assertThat(waiting.stream().skip(1).map(CompletableFuture::join).map(Result::verdict))
                .containsOnly(Verdict.BUSY);
        assertThat(v.queued()).isZero();
    }

    private static void awaitQueued(TokenVerifier v, int n) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (v.queued() != n && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat(v.queued()).isEqualTo(n);
    }

    private static String bogus(int cost) {
        StringBuilder sb = new StringBuilder(String.format("$2a$%02d$", cost));
        for (int i = 0; i < 53; i++) {
            sb.append(B64.charAt(RANDOM.nextInt(B64.length())));
        }
        return sb.toString();
    }

    /**
     * Attack round 22: a lane full of one check each from addresses of one network (its one thread busy) refuses one
     * more of that network, is short of room from then on (what /health reports), and still admits a check from
     * another network.
     */
    @Test
    void aFullLaneRefusesItsFloodsNetworkSaysSoAndAdmitsAnotherNetwork() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (VerifyLanes lanes = new VerifyLanes(10, 1, 1, 2, header -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return header.equals("valid");
        })) {
            lanes.submit("10.0.2.1", 10, "running", false, false); // taken by the lane's one thread
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (lanes.queued() > 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            lanes.submit("10.0.2.2", 10, "a", false, false);
            lanes.submit("10.0.2.3", 10, "b", false, false);
            assertThat(lanes.shortOfRoom(java.util.concurrent.TimeUnit.SECONDS.toNanos(10))).as("full now").isTrue();
            assertThat(lanes.refused()).isZero();

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> lanes.submit("10.0.2.4", 10, "c", false, false))
                    .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
            assertThat(lanes.refused()).isEqualTo(1);

            CompletableFuture<Boolean> other = lanes.submit("192.168.7.7", 10, "valid", false, true);
            release.countDown();
            assertThat(other.get(5, java.util.concurrent.TimeUnit.SECONDS)).as("another network's valid token").isTrue();
            assertThat(lanes.shortOfRoom(java.util.concurrent.TimeUnit.SECONDS.toNanos(10)))
                    .as("a refusal within the window").isTrue();
            assertThat(lanes.shortOfRoom(0)).as("no refusal within no time, the lane no longer full").isFalse();
        }
    }
}
