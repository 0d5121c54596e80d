package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link RouteShare}: a route's share of the connections, handed on in arrival order, never leaked. */
class RouteShareTest {
    @Test
    void aRouteBeyondItsShareWaitsAndOtherRoutesDoNot() throws Exception {
        RouteShare share = new RouteShare(2);
        Runnable first = share.enter("GET a").get();
        Runnable second = share.enter("GET a").get();
        CompletableFuture<Runnable> third = share.enter("GET a", System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        assertThat(third).as("past the share").isNotDone();
        assertThat(share.enter("GET b")).as("another route").isDone();
        first.run();
        first.run(); // once only
        assertThat(third.get(1, TimeUnit.SECONDS)).isNotNull();
        assertThat(share.open("GET a")).isEqualTo(2);
        second.run();
        third.get().run();
        assertThat(share.open("GET a")).isZero();
    }

    @Test
    void aCallThatGaveUpLeavesNoPlaceTaken() throws Exception {
        RouteShare share = new RouteShare(1);
        Runnable held = share.enter("GET a").get();
        CompletableFuture<Runnable> late = share.enter("GET a", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
        try {
            late.get(2, TimeUnit.SECONDS);
            throw new AssertionError("should have timed out");
        } catch (ExecutionException expected) {
            assertThat(expected.getCause()).isInstanceOf(java.util.concurrent.TimeoutException.class);
        }
        held.run();
        assertThat(share.open("GET a")).isZero();
        Runnable again = share.enter("GET a").get(1, TimeUnit.SECONDS);
        again.run();
        assertThat(share.open("GET a")).isZero();
    }

    @Test
    void manyCallsRacingEndWithEveryPlaceBack() throws Exception {
        RouteShare share = new RouteShare(4);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            all.add(share.enter("GET a", System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
                    .thenAcceptAsync(Runnable::run));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        assertThat(share.open("GET a")).isZero();
    }
}
