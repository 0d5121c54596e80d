package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The process-wide budget of buffered request bodies ({@link BodyBudget}). */
class BodyBudgetTest {
    @Test
    void reservationsFitTheCapacityAndAreGivenBack() {
        BodyBudget budget = new BodyBudget(1_000);
        assertThat(budget.tryReserve(600)).isTrue();
        assertThat(budget.tryReserve(401)).as("would exceed the capacity").isFalse();
        assertThat(budget.reserved()).as("a refused reservation takes nothing").isEqualTo(600);
        assertThat(budget.tryReserve(400)).isTrue();
        budget.release(600);
        assertThat(budget.reserved()).isEqualTo(400);
        assertThat(budget.tryReserve(600)).isTrue();
    }

    @Test
    void concurrentReservationsNeverExceedTheCapacity() throws Exception {
        BodyBudget budget = new BodyBudget(10_000);
        AtomicInteger granted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 1_000; i++) {
            pool.execute(() -> {
                if (budget.tryReserve(100)) {
                    granted.incrementAndGet();
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(granted.get()).isEqualTo(100);
        assertThat(budget.reserved()).isEqualTo(10_000);
    }

    @Test
    void theDefaultIsAnEighthOfTheHeapAtMost64MiBAtLeastOneBody() {
        assertThat(BodyBudget.defaultCapacity(64L << 20, 1_048_576)).isEqualTo(8L << 20);
        assertThat(BodyBudget.defaultCapacity(8L << 30, 1_048_576)).isEqualTo(64L << 20);
        assertThat(BodyBudget.defaultCapacity(4L << 20, 1_048_576)).isEqualTo(1_048_577);
    }
}
